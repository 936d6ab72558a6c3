"""Render a document to PDF with WeasyPrint, from the HTML of the preview with its charts linked as images.

The PDF is tagged (``pdf_variant="pdf/ua-1"``: structure tree, document language, title in the metadata), its text
is real text (extractable, searchable), and charts stay vector graphics: each is the preview's SVG, given to
WeasyPrint as an image (``<img src="figure:KEY">``, resolved here from the document's figure set) with its title as
the figure's alternative text and its text alternative printed in the caption. As an image WeasyPrint draws the SVG
without parsing and styling each of its elements as part of the page, which took about a third of the time of a
pack's PDF. WeasyPrint uses the system's Pango and fonts; DejaVu Sans is named first in the stylesheet and carries
the RAG shapes (● ▲ ■ ○) and arrows.
"""

from __future__ import annotations

import logging

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

from kpi.reports.document import Document
from kpi.reports.figures import icon_svg
from kpi.reports.html import FIGURE_SCHEME, ICON_SCHEME, ICON_SIZE, render_html

PDF_VARIANT = "pdf/ua-1"


class FigureFetcher(URLFetcher):
    """WeasyPrint's URL fetcher, answering the PDF's links to its charts and icons with their SVG.

    ``figure:KEY``: the chart's SVG from the document's figure set; ``icon:KIND/CODE``: the SPC icon's.
    """

    def __init__(self, document: Document, **options) -> None:
        super().__init__(**options)
        self._figures = document.figures

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        """The SVG for a ``figure:`` or ``icon:`` URL; any other URL as WeasyPrint fetches it."""
        if url.startswith(FIGURE_SCHEME):
            svg = self._figures.svg(url.removeprefix(FIGURE_SCHEME))
        elif url.startswith(ICON_SCHEME):
            kind, _, code = url.removeprefix(ICON_SCHEME).partition("/")
            svg = icon_svg(kind, code or None, ICON_SIZE)
        else:
            return super().fetch(url, headers)
        return URLFetcherResponse(url, svg.encode("utf-8"), {"Content-Type": "image/svg+xml"})


def render_pdf(document: Document, html: str | None = None) -> bytes:
    """The document as PDF bytes (``html``: HTML already rendered for it, inline or linked charts; default linked)."""
    source = html if html is not None else render_html(document, charts="linked")
    # WeasyPrint reports unsupported CSS at WARNING through logging; the pack's CSS is known, so keep it quiet.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    page = weasyprint.HTML(string=source, url_fetcher=FigureFetcher(document))
    return page.write_pdf(pdf_variant=PDF_VARIANT)
