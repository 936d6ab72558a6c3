"""Render a document to PDF with the Typst typesetter, from the Typst source of :mod:`kpi.reports.typeset`.

The PDF is tagged and checked against PDF/UA-1 as it is written (``pdf_standards="ua-1"``: structure tree with
headings, tables with header cells, lists and figures; the document's language; its title and subject in the
metadata; every image with alternative text; footer and decorations marked as artifacts), its text is real text
(extractable, searchable), and charts stay vector graphics: each is the chart's SVG as drawn once for the build
(:class:`~kpi.reports.figures.FigureSet`), passed to the typesetter by name, not re-parsed as part of the page.

Typst lays a 13-page meeting pack out in a few hundredths of a second, against about two seconds for an HTML
layout engine (docs/performance.md, "Meeting pack"). It is offline: the fonts are the system's (DejaVu Sans named
first, as in the HTML preview) and nothing is downloaded. The PDF's creation date comes from
:func:`kpi.core.periods.now`, so a fixed clock gives a fixed date.
"""

from __future__ import annotations

from kpi.core import periods
from kpi.reports.document import Document
from kpi.reports.engine import compile_pdf
from kpi.reports.typeset import figure_inputs, typst_source

PDF_STANDARD = "ua-1"


def render_pdf(document: Document) -> bytes:
    """The document as PDF bytes (tagged, PDF/UA-1)."""
    pdf, warnings = compile_pdf(
        typst_source(document), figure_inputs(document), standard=PDF_STANDARD, when=periods.now()
    )
    missing = [warning for warning in warnings if warning.startswith("unknown font family")]
    if missing:
        raise RuntimeError(
            f"The PDF cannot be typeset in its font ({'; '.join(missing)}): install the DejaVu fonts "
            "(Debian and Ubuntu: fonts-dejavu-core) and try again."
        )
    return pdf
