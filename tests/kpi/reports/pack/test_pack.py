"""The meeting pack, read back from its PDF and DOCX: the figures the marts hold, the sections, accessibility.

One pack is built for the sample as at 20 November 2026 09:00 (module scope) after a meeting, two actions and a risk
are recorded on 10 November; each test reads the same HTML, PDF and DOCX. Expected figures are worked out here from
the mart rows (``mart_kpi_values`` as at the same time) and docs/methods.md's rules, not taken from the pack's own data.
"""

from __future__ import annotations

import math
import re
from datetime import date

import polars as pl
import pytest

from kpi import reports
from kpi.access.principal import LOCAL_USER, local_principal
from kpi.contract import meetings as meetings
from kpi.contract import values as overview
from kpi.reports.document import Cell
from kpi.reports.html import render_html
from kpi.reports.pack import layout as pack_layout
from kpi.reports.pack import summary_frame
from tests.kpi.reports.documents import (
    AS_AT,
    COUNCIL,
    PERIOD,
    docx_document,
    docx_pictures,
    docx_tables,
    docx_text,
    pdf_structure,
    pdf_text,
)

SHAPES = {"green": "● Green", "amber": "▲ Amber", "red": "■ Red", "not rated": "○ Not rated"}
Z95 = 1.959963984540054  # Phi^-1(0.975)


def wilson(x: float, n: float) -> tuple[float, float]:
    """Wilson score interval (docs/methods.md section 5), per cent, written out here independently."""
    centre = 2 * x + Z95**2
    spread = Z95 * math.sqrt(Z95**2 + 4 * x * (1 - x / n))
    return 100 * (centre - spread) / (2 * (n + Z95**2)), 100 * (centre + spread) / (2 * (n + Z95**2))


@pytest.fixture(scope="module")
def built(reports_store):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", "2026-11-10")
        meeting = meetings.record_meeting(
            reports_store,
            COUNCIL,
            meeting_date="2026-11-09",
            attendees="Commissioner; Trust lead",
            principal=LOCAL_USER,
        )
        meetings.add_action(
            reports_store,
            COUNCIL,
            what="Recovery plan for North new birth visits",
            owner="Trust service manager",
            due_date="2026-11-13",
            provider_code="ZZ1",
            meeting_id=meeting,
            kpi_code="C2",
            principal=LOCAL_USER,
        )
        done = meetings.add_action(
            reports_store, COUNCIL, what="Share the data dictionary", owner="Analyst", principal=LOCAL_USER
        )
        meetings.update_action(reports_store, COUNCIL, done, status="closed", principal=LOCAL_USER)
        meetings.add_risk(
            reports_store,
            COUNCIL,
            risk="Health visitor vacancies in North",
            likelihood=4,
            impact=4,
            owner="Director of nursing",
            mitigation="Recruitment drive",
            review_date="2026-12-01",
            principal=LOCAL_USER,
        )
    result = reports.build(reports_store, "pack", PERIOD, AS_AT, principal=LOCAL_USER)
    html = render_html(result.document)
    pdf = reports.render(result.document, "pdf")
    docx = reports.render(result.document, "docx")
    return {"built": result, "html": html, "pdf": pdf, "pdf_text": pdf_text(pdf), "docx": docx}


@pytest.fixture(scope="module")
def mart(reports_store) -> pl.DataFrame:
    return overview.kpi_values(reports_store, COUNCIL, AS_AT, principal=LOCAL_USER)


def borough_rows(mart: pl.DataFrame) -> list[dict]:
    return mart.filter(pl.col("period") == PERIOD, pl.col("level") == "borough").sort("sort_order").to_dicts()


def value_text(row: dict) -> str:
    if row["value_kind"] == "count":
        return f"{row['numerator']:,.0f}"
    return f"{100 * row['numerator'] / row['denominator']:.1f}%"


def summary_table(docx: bytes) -> list[list[str]]:
    return next(t for t in docx_tables(docx) if t[0][:4] == ["KPI", "Value", "Target", "RAG"])


def test_cover_says_council_period_as_at_and_data_version(built):
    version = built["built"].data_version
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    for text in (built["pdf_text"], docx_text(built["docx"])):
        assert "Contract review meeting pack: 2026-27 Q2" in text
        assert "20 November 2026 09:00" in text
        assert version in text
        assert "Trafford (E08000009)" in text
        assert "Sample data: synthetic figures" in text


def test_summary_holds_every_kpi_value_and_rag_of_the_mart(built, mart):
    table = summary_table(built["docx"])
    rows = {row[0].split(" ")[0]: row for row in table[1:]}
    expected = borough_rows(mart)
    assert len(expected) == 20 and set(rows) == {row["kpi_code"] for row in expected}
    for row in expected:
        shown = rows[row["kpi_code"]]
        assert shown[1].startswith(value_text(row)), (row["kpi_code"], shown[1])
        assert shown[3] == SHAPES[row["rag"]], row["kpi_code"]
        assert value_text(row) in built["pdf_text"], row["kpi_code"]


def test_summary_targets_changes_and_england_words(built, mart):
    rows = {row[0].split(" ")[0]: row for row in summary_table(built["docx"])[1:]}
    c2 = next(row for row in borough_rows(mart) if row["kpi_code"] == "C2")
    assert rows["C2"][2] == f"≥ {c2['target_pct']:g}%"
    change = (
        100 * c2["numerator"] / c2["denominator"]
        - next(
            r
            for r in mart.to_dicts()
            if r["kpi_code"] == "C2" and r["level"] == "borough" and r["period"] == "2026-27 Q1"
        )["value_pct"]
    )
    assert rows["C2"][4].startswith(f"{'−' if change < 0 else '+'}{abs(change):.1f} pts")
    # docs/methods.md section 5: England's only C2 figure is 2024-25 (its last quarter 2024-25 Q4), six quarters before
    # 2026-27 Q2, beyond the default age limit of 4; C8i's is 2017-18 Q1. Both shown with their period, not compared.
    assert rows["C2"][5] == "Not compared: England figure out of date (85.2%, 2024-25)"
    assert rows["C8i"][5] == "Not compared: England figure out of date (81.5%, 2017-18 Q1)"
    assert rows["C1"][5] == "No England figure"


def test_summary_compares_a_quarter_with_england_within_the_age_limit(reports_store, mart):
    # 2025-26 Q2 is two quarters after 2024-25 Q4: England's 2024-25 C2 figure is compared, with its period
    bench = overview.benchmarks(reports_store, COUNCIL, AS_AT)
    summary = summary_frame(mart, bench, "2025-26 Q2")
    rows = {row["kpi_code"]: row for row in summary.iter_rows(named=True)}
    truth = mart.filter(
        pl.col("kpi_code") == "C2", pl.col("level") == "borough", pl.col("period") == "2025-26 Q2"
    )
    lower, _ = wilson(truth["numerator"].item(), truth["denominator"].item())
    assert lower > 85.2  # England below the borough's 95% interval: better (high is good)
    assert pack_layout._england(rows["C2"]) == "Better (85.2%, 2024-25)"
    assert pack_layout._england(rows["C8i"]) == "Not compared: England figure out of date (81.5%, 2017-18 Q1)"


def test_spc_icons_have_words_and_alternative_text(built):
    rows = summary_table(built["docx"])[1:]
    assert all(row[6] and row[7] for row in rows)  # every KPI has 16 quarters: icons and words for all
    labels = {picture["descr"] for picture in docx_pictures(built["docx"])}
    assert "Common cause variation" in labels and "Hit and miss" in labels
    assert "<title>Common cause variation</title>" in built["html"]


def test_one_exception_per_red_or_amber_kpi(built, mart):
    flagged = (
        mart.filter(
            pl.col("period") == PERIOD,
            pl.col("level").is_in(["borough", "locality"]),
            pl.col("rag").is_in(["red", "amber"]),
        )
        .select("kpi_code", "sort_order")
        .unique()
        .sort("sort_order")["kpi_code"]
        .to_list()
    )
    document = docx_document(built["docx"])
    headings = [p.text.split(" ")[0] for p in document.paragraphs if p.style.name == "Heading 3"]
    assert headings == flagged
    assert flagged == ["C2", "C8i", "C8ii", "C4", "C5", "C6i"]
    assert "North team 3.0 WTE vacant" in built["pdf_text"]
    locality_tables = [t for t in docx_tables(built["docx"]) if t[0][0] == "Locality"]
    assert len(locality_tables) == len(flagged)
    north = next(r for r in locality_tables[0] if r[0] == "North")
    assert north[1:4] == ["153", "190", "80.5%"] and north[5] == "■ Red"
    assert locality_tables[0][-1][:4] == ["Borough", "715", "789", "90.6%"]


def test_inequalities_page_gap_and_sii_for_headline_kpis(built, mart):
    table = next(t for t in docx_tables(built["docx"]) if t[0][:2] == ["KPI", "Most deprived (decile)"])
    deciles = mart.filter(
        pl.col("period") == PERIOD, pl.col("level") == "borough_decile", pl.col("kpi_code") == "C2"
    )
    pct = {r["imd_decile"]: 100 * r["numerator"] / r["denominator"] for r in deciles.to_dicts()}
    c2 = next(row for row in table if row[0].startswith("C2 "))
    gap = pct["1"] - pct["10"]
    assert c2[3] == f"{'−' if gap < 0 else '+'}{abs(gap):.1f} pts"
    assert c2[1] == f"{pct['1']:.1f}% (1)"
    assert [row[0].split(" ")[0] for row in table[1:]] == ["C2", "C8i", "C8ii", "C5", "C6i", "C6viii"]
    assert all(re.match(r"[−+]\d+\.\d \([−+]\d+\.\d to [−+]\d+\.\d\)", row[4]) for row in table[1:])
    assert "slope index of inequality" in built["pdf_text"]
    # two measures, each named as such (docs/methods.md section 5); the SII is the headline measure
    assert table[0][3] == "Decile gap, points" and table[0][4].startswith("SII")
    text = built["pdf_text"]
    assert "the headline measure" in text and "gap between the most and least deprived decile" in text


def test_data_quality_lists_the_resubmission_since_the_period_began(built):
    tables = docx_tables(built["docx"])
    received = next(t for t in tables if t[0][:2] == ["Return", "Dataset"])
    assert [row[0] for row in received[1:]] == ["2026-27 Q1 ZZ1", "2026-27 Q1 ZZ1", "2026-27 Q2 ZZ1"]
    assert [row[5] for row in received[1:]] == ["Superseded", "Accepted", "Accepted"]
    resubmitted = next(t for t in tables if t[0][:2] == ["Return", "New submission"])
    assert resubmitted[1][0] == "2026-27 Q1 ZZ1"
    assert "No return is overdue." in docx_text(built["docx"])


def test_actions_and_risks_logs(built):
    actions = next(t for t in docx_tables(built["docx"]) if t[0][:2] == ["Action", "What"])
    assert actions[1][1] == "Recovery plan for North new birth visits [C2]"
    assert actions[1][3] == "13 Nov 2026 (overdue)" and actions[1][4] == "Open"
    assert actions[2][4] == "Closed"  # closed since the last pack (none yet): shown once more
    risks = next(t for t in docx_tables(built["docx"]) if t[0][:2] == ["Risk", "Description"])
    assert risks[1][1:3] == ["Health visitor vacancies in North", "16 extreme (4×4)"]


def test_html_is_accessible(built):
    html = built["html"]
    assert '<html lang="en-GB">' in html and "<title>Contract review meeting pack: 2026-27 Q2</title>" in html
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), "a heading level is skipped"
    tables = re.findall(r"<table.*?</table>", html, flags=re.S)
    assert len(tables) >= 10
    for table in tables:
        assert "<caption>" in table and '<thead><tr><th scope="col">' in table
    figures = re.findall(r'<figure class="chart".*?</figure>', html, flags=re.S)
    assert len(figures) == len(built["built"].document.figures)
    for figure in figures:
        svg = re.search(r"<svg[^>]*>", figure).group(0)
        assert 'role="img"' in svg and 'aria-label="' in svg
        assert re.search(r"<title id=\"[^\"]+\">[^<]+</title><desc id=\"[^\"]+\">[^<]{40,}</desc>", figure)
    for cell in re.findall(r'<td class="rag"[^>]*>(.*?)</td>', html):  # RAG never by colour alone
        assert re.search(r"[●▲■○]</span>.*(Green|Amber|Red|Not rated)", cell), cell


def test_pdf_is_tagged_with_extractable_text(built):
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(built["pdf"]))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title == "Contract review meeting pack: 2026-27 Q2"
    assert "RAG summary, 2026-27 Q2" in built["pdf_text"]


def test_pdf_structure_is_what_assistive_tools_read(built):
    """PDF/UA-1: one title heading, every table with its header row and row headers, every chart and icon named."""
    document = built["built"].document
    structure = pdf_structure(built["pdf"])
    assert structure["pdfua"] == "1" and structure["lang"] == "en-GB"
    assert structure["tags"]["/H1"] == 1 and structure["tags"]["/H2"] >= 6
    assert len(structure["tables"]) == len(document.tables())
    for table, tagged in zip(document.tables(), structure["tables"], strict=True):
        row_headers = sum(
            1 for row in table.rows if not isinstance(row[0], Cell) or not (row[0].rag or row[0].icon)
        )
        expected = {
            "header_cells": len(table.columns),
            "rows": len(table.rows),
            "row_headers": row_headers if table.row_headers else 0,
        }
        assert tagged == expected, table.caption
    assert sum(table["row_headers"] for table in structure["tables"]) > 100
    charts = [figure.title for figure in document.figures.figures.values()]
    assert [alt for alt in structure["figures"] if alt in charts] == charts  # each chart once, in order
    icons = [alt for alt in structure["figures"] if alt not in charts]
    assert icons and all(len(alt) > 10 for alt in icons)  # each SPC icon named by its label


def test_docx_is_accessible(built):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx_document(built["docx"])
    styles = [p.style.name for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert styles.count("Heading 1") == 1 and styles.count("Heading 2") >= 6
    assert document.core_properties.title == "Contract review meeting pack: 2026-27 Q2"
    assert document.styles["Normal"].font.size == Pt(11)
    for table in document.tables:
        header = table.rows[0]._tr.find(qn("w:trPr"))
        assert header is not None and header.find(qn("w:tblHeader")) is not None
        for row in table.rows:
            for cell in row.cells:
                for run in (run for p in cell.paragraphs for run in p.runs):
                    assert run.font.size is None or run.font.size >= Pt(9)
    pictures = docx_pictures(built["docx"])
    charts = [p for p in pictures if p["width_in"] > 1]
    assert len(charts) == len(built["built"].document.figures)
    for picture in pictures:
        assert picture["descr"] and picture["descr"].strip()
        assert picture["png_dpi"] >= 200
    for chart in charts:
        assert chart["width_px"] / chart["width_in"] >= 200  # at least 200 dpi at the size placed
        assert len(chart["descr"]) >= 40


def test_each_chart_is_rendered_once_per_format(built):
    figures = built["built"].document.figures
    assert len(figures) == 12  # an XmR and a decile chart for each of the six exceptions
    assert figures.renders["svg"] == len(figures) and figures.renders["png"] == len(figures)


def test_ncmp_and_outcome_summaries_appear_when_their_data_exist(built, reports_store):
    from kpi.ncmp import views as ncmp_views

    text = built["pdf_text"]
    assert "Child measurement (NCMP)" in text and "Outcomes" in text
    data = ncmp_views.ncmp_data(reports_store, COUNCIL, AS_AT, principal=LOCAL_USER)
    year = ncmp_views.academic_years(data)[0]
    obese = ncmp_views.categories(data, year, "R").filter(pl.col("category") == "obese").row(0, named=True)
    table = next(t for t in docx_tables(built["docx"]) if t[0][0] == "Category" and t[1][0] == "Underweight")
    row = next(r for r in table if r[0] == "Obesity (including severe obesity)")
    assert row[1] == f"{obese['value_pct']:.1f}%"


def test_optional_sections_are_left_out_without_their_data(monkeypatch):
    from kpi.core.councils import init_council
    from kpi.core.store import Store
    from kpi.reports.extras import optional_sections

    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    with Store.open(":memory:") as store:
        init_council(store, COUNCIL, principal=local_principal("test"))
        assert optional_sections(store, COUNCIL, AS_AT, principal=LOCAL_USER) == []


def test_cover_names_the_next_meeting_six_weeks_after_the_last(built):
    """The last meeting recorded was on 9 November 2026 and none is recorded later: the next is 21 December."""
    assert built["built"].data.cover.meeting_date == date(2026, 12, 21)
    cover = next(t for t in docx_tables(built["docx"]) if t[0] == ["Item", "Detail"])
    assert cover[1] == ["Meeting date", "21 December 2026"]
    heading = "Contract review meeting pack: 2026-27 Q2, for the meeting of 21 December 2026"
    for text in (built["pdf_text"], docx_text(built["docx"])):
        assert heading in text


def test_cover_carries_the_agenda_in_both_formats(built):
    for text in (built["pdf_text"], docx_text(built["docx"])):
        assert "Agenda" in text
        for item in (
            "2. What changed since the last pack",
            "3. Performance summary: every KPI at borough level, 2026-27 Q2",
            "Actions carried forward from the last meeting, with their status",
        ):
            assert item in text


def test_exceptions_carry_an_xmr_chart_not_a_plain_trend(built):
    data = built["built"].data
    figures = built["built"].document.figures
    for item in data.exceptions:
        assert item.trend_key.startswith("xmr-")
        assert "XmR chart" in figures[item.trend_key].alt
        assert "mean and process limits" in figures[item.trend_key].alt
    described = [picture["descr"] for picture in docx_pictures(built["docx"])]
    assert sum("XmR chart of" in descr for descr in described) == len(data.exceptions)
    assert "XmR chart" in built["pdf_text"]


def test_the_first_pack_says_there_is_nothing_to_compare_with(built):
    assert built["built"].data.changes.previous is None
    for text in (built["pdf_text"], docx_text(built["docx"])):
        assert "What changed since the last pack" in text
        assert "No pack has been circulated before this one" in text


def test_summary_sets_each_kpi_against_its_statistical_neighbours(built, reports_store):
    # docs/methods.md section 9: the first comparator group (DfE statistical neighbours), the same comparison the
    # Mandated contacts page shows; "–" for a KPI that no Fingertips indicator publishes (C1, local KPIs)
    from kpi.outcomes import neighbours as nb
    from kpi.outcomes.neighbour_words import ordinal

    table = summary_table(built["docx"])
    assert table[0][6] == "vs neighbours"
    rows = {row[0].split(" ")[0]: row for row in table[1:]}
    for code in ("C2", "C8ii"):
        view = nb.kpi_comparison(reports_store, COUNCIL, code, PERIOD, AS_AT, principal=LOCAL_USER)
        dfe = view.table.filter(pl.col("group_code") == "dfe-sn").row(0, named=True)
        assert rows[code][6] == f"{dfe['outcome'].capitalize()} ({ordinal(dfe['rank'])} of 11)"
    assert rows["C1"][6] == "–" and rows["HVVAC"][6] == "–"
    assert "against the average of DfE statistical neighbours (May 2025)" in built["pdf_text"]


def test_decile_figures_name_their_deprivation_index(built):
    """2026-27 Q2's decile rows are on IoD2025 (docs/methods.md section 7.1), and its decile figures say so."""
    titles = re.findall(r'<title id="[^"]+">([^<]+)</title>', built["html"])
    deciles = [t for t in titles if "decile" in t and "gap" not in t.lower()]
    assert deciles and all("IMD 2025" in t for t in deciles), deciles
