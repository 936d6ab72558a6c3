"""Render a document to PDF with the Typst typesetter, from the Typst source of :mod:`kpi.reports.typeset`.

The PDF is tagged and checked against PDF/UA-1 as it is written (``pdf_standards="ua-1"``: structure tree with
headings, tables with their header row as header cells, lists and figures; the document's language; its title and subject in the
metadata; every image with alternative text; footer and decorations marked as artifacts), its text is real text
(extractable, searchable), and charts stay vector graphics: each is the chart's SVG as drawn once for the build
(:class:`~kpi.reports.figures.FigureSet`), passed to the typesetter by name, not re-parsed as part of the page.
Typst tags only a table's header row as header cells; each table's row headers (its first column, as the HTML's
``<th scope="row">``) are then retagged as header cells of their row (``/TH`` with ``/Scope /Row``) with pikepdf, so
a screen reader names the row as well as the column of every figure.

Typst lays a 13-page meeting pack out in a few hundredths of a second, against about two seconds for an HTML
layout engine (docs/performance.md, "Meeting pack"). It is offline: the fonts are the system's (DejaVu Sans named
first, as in the HTML preview) and nothing is downloaded. The PDF's creation date comes from
:func:`kpi.core.periods.now`, so a fixed clock gives a fixed date.
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name

from kpi.core import periods
from kpi.reports.document import Cell, Document, Table
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
    return tag_row_headers(pdf, [_row_headers(table) for table in document.tables()])


def _row_headers(table: Table) -> list[bool]:
    """Per body row, whether its first cell is a row header (as the HTML draws it: not a RAG or icon cell)."""
    flags = []
    for row in table.rows:
        first = row[0] if row else ""
        cell = first if isinstance(first, Cell) else Cell(str(first))
        flags.append(table.row_headers and not cell.rag and not cell.icon)
    return flags


def _kids(node: Dictionary) -> list[Dictionary]:
    found = node.get("/K")
    if isinstance(found, Array):
        return [kid for kid in found if isinstance(kid, Dictionary)]
    return [found] if isinstance(found, Dictionary) else []


def _tables(node: Dictionary, out: list[Dictionary]) -> list[Dictionary]:
    """The ``/Table`` structure elements under ``node``, in reading order."""
    for kid in _kids(node):
        if kid.get("/S") == Name.Table:
            out.append(kid)
        else:
            _tables(kid, out)
    return out


def tag_row_headers(pdf: bytes, tables: list[list[bool]]) -> bytes:
    """The PDF with each table's flagged body rows' first cell tagged as a row header (``/TH``, ``/Scope /Row``).

    ``tables``: per table in reading order, per body row, whether its first cell is a row header. The PDF is left
    as it is when its tables are not the ones described (a different count or different row counts).
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        found = _tables(document.Root.StructTreeRoot, [])
        bodies = [
            [row for part in _kids(t) if part.get("/S") == Name.TBody for row in _kids(part)] for t in found
        ]
        if [len(rows) for rows in bodies] != [len(flags) for flags in tables]:
            return pdf
        for rows, flags in zip(bodies, tables, strict=True):
            for row, flagged in zip(rows, flags, strict=True):
                cells = [cell for cell in _kids(row) if cell.get("/S") in (Name.TD, Name.TH)]
                if flagged and cells:
                    _as_row_header(cells[0])
        out = io.BytesIO()
        document.save(out, deterministic_id=True)  # the same PDF gives the same bytes (the same SHA-256)
    return out.getvalue()


def _as_row_header(cell: Dictionary) -> None:
    cell.S = Name.TH
    attributes = cell.get("/A")
    owners = list(attributes) if isinstance(attributes, Array) else [attributes] if attributes else []
    table_owner = next((a for a in owners if isinstance(a, Dictionary) and a.get("/O") == Name.Table), None)
    if table_owner is None:
        table_owner = Dictionary(O=Name.Table)
        cell.A = Array([*owners, table_owner])
    table_owner.Scope = Name.Row
