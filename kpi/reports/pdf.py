"""Render a document to PDF with WeasyPrint, from the same HTML as the preview.

The PDF is tagged (``pdf_variant="pdf/ua-1"``: structure tree, document language, title in the metadata), its text
is real text (extractable, searchable), and charts stay vector graphics (inline SVG) with their text alternative
printed in the caption. WeasyPrint uses the system's Pango and fonts; DejaVu Sans is named first in the stylesheet
and carries the RAG shapes (● ▲ ■ ○) and arrows.
"""

from __future__ import annotations

import logging

import weasyprint

from kpi.reports.document import Document
from kpi.reports.html import render_html

PDF_VARIANT = "pdf/ua-1"


def render_pdf(document: Document, html: str | None = None) -> bytes:
    """The document as PDF bytes (``html``: its already rendered HTML, to avoid rendering it twice)."""
    source = html if html is not None else render_html(document)
    # WeasyPrint reports unsupported CSS at WARNING through logging; the pack's CSS is known, so keep it quiet.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return weasyprint.HTML(string=source).write_pdf(pdf_variant=PDF_VARIANT)
