"""The Typst layout of a document (kpi.reports.typeset): text is only ever text, and each block becomes its own kind."""

from __future__ import annotations

import altair as alt
import polars as pl
import pytest

from kpi.reports.document import Bullets, Cell, Document, FigureBlock, Heading, PageBreak, Paragraph, Table
from kpi.reports.figures import FigureSet
from kpi.reports.pdf import render_pdf
from kpi.reports.typeset import figure_inputs, typst_source, typst_string
from tests.kpi.reports.documents import pdf_structure, pdf_text

HOSTILE = 'North "A" ] #set page(width: 1cm) \\ <b> // not a comment'


def _chart(title: str) -> alt.Chart:
    return (
        alt.Chart(pl.DataFrame({"x": [1, 2, 3], "y": [3.0, 4.0, 2.0]})).mark_line().encode(x="x:Q", y="y:Q")
    )


def _document() -> Document:
    figures = FigureSet()
    for key in ("left", "right", "wide"):
        figures.add(key, _chart(key), title=f"Chart {key}", alt=f"A line for {key} that rises then falls.")
    blocks = [
        Heading(HOSTILE, 1),
        Paragraph(HOSTILE, "banner"),
        Bullets(["first", "second"], numbered=True),
        Table(
            "Localities",
            ["Locality", "Value", "RAG", "Variation"],
            [
                [
                    HOSTILE,
                    Cell("91.0%", numeric=True),
                    Cell("", rag="red"),
                    Cell("Common cause", icon=("variation", "common_cause")),
                ],
                ["Borough", Cell("90.0%", numeric=True), Cell("", rag="green"), "x"],
            ],
            total_rows=1,
            note="A note under the table.",
        ),
        PageBreak(landscape=True),
        Heading("Sideways", 2),
        FigureBlock("left", "half"),
        FigureBlock("right", "half"),
        PageBreak(),
        Heading("Upright again", 2),
        FigureBlock("wide"),
    ]
    return Document(title=HOSTILE, blocks=blocks, figures=figures, footer=HOSTILE, subject="Test")


def test_strings_escape_what_typst_would_read():
    assert typst_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert (
        typst_string("#[]*_$<>@") == '"#[]*_$<>@"'
    )  # inside a string literal markup characters are plain text


def test_hostile_text_is_printed_as_written_and_changes_no_layout():
    import io

    from pypdf import PdfReader

    content = render_pdf(_document())
    text = pdf_text(content)
    assert text.count(HOSTILE) >= 3  # heading, banner, table row header (and the footer on every page)
    reader = PdfReader(io.BytesIO(content))
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
    assert sizes == [(595, 842), (842, 595), (595, 842)]  # A4, then landscape after its break, then A4 again
    assert reader.metadata.title == HOSTILE


def test_blocks_become_headings_tables_lists_and_figures():
    document = _document()
    structure = pdf_structure(render_pdf(document))
    assert structure["tags"]["/H1"] == 1 and structure["tags"]["/H2"] == 2
    assert structure["tables"] == [{"header_cells": 4, "rows": 2, "row_headers": 2}]
    assert structure["figures"][-3:] == ["Chart left", "Chart right", "Chart wide"]
    assert structure["figures"][0] == "Common cause variation"  # the SPC icon, named by its label
    text = pdf_text(render_pdf(document))
    assert "1. first 2. second" in text
    assert "Red" in text and "Green" in text  # RAG as a word, not colour alone
    assert "Figure 1. Chart left. A line for left that rises then falls." in text


def test_half_charts_in_pairs_share_a_row_and_inputs_hold_every_svg():
    document = _document()
    source = typst_source(document)
    assert source.count("#grid(columns: (1fr, 1fr)") == 1
    inputs = figure_inputs(document)
    assert set(inputs) == {"figure-left", "figure-right", "figure-wide", "icon-variation-common_cause"}
    assert all(svg.lstrip().startswith("<svg") for svg in inputs.values())


def test_pdf_date_is_the_fixed_clock(monkeypatch):
    import io

    from pypdf import PdfReader

    monkeypatch.setenv("HCP_TODAY", "2026-11-23T09:30")
    reader = PdfReader(io.BytesIO(render_pdf(_document())))
    assert str(reader.metadata["/CreationDate"]).startswith("D:20261123093000")


def test_unknown_block_is_refused():
    with pytest.raises(TypeError, match="cannot typeset"):
        typst_source(Document(title="x", blocks=[object()]))


def test_a_missing_font_is_a_clear_error(monkeypatch):
    from kpi.reports import typeset

    monkeypatch.setattr(typeset, "FONTS", ("No Such Sans",))
    with pytest.raises(RuntimeError, match="fonts-dejavu-core"):
        render_pdf(Document(title="x", blocks=[Paragraph("text")]))
