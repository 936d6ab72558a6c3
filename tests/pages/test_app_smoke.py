"""AppTest: every page renders without an exception on the sample database, with the sample banner."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages._app.page_table import PAGE_TABLE

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = [entry.script for entry in PAGE_TABLE]  # the one page table app.py routes


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    from kpi.sample import build_sample

    path = tmp_path_factory.mktemp("apptest") / "sample.duckdb"
    build_sample(path)
    return path


@pytest.fixture()
def app(sample_db, monkeypatch):
    monkeypatch.setenv("HCP_DB", str(sample_db))
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")

    def run(page: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.switch_page(page)
        at.run()
        return at

    yield run
    from pages._app import ui as _ui

    _ui.store.clear()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app, page):
    at = app(page)
    assert not at.exception, [e.value for e in at.exception]
    assert any("Sample data: synthetic figures" in info.value for info in at.info)


def test_overview_defaults_to_latest_complete_period(app):
    at = app("pages/overview.py")
    assert at.selectbox(key="overview_period").value == "2026-27 Q2"
    assert not at.exception, [e.value for e in at.exception]
    # 4 red locality cells of the returned KPIs and 2 of A3 (derived from the sample's child-level records)
    assert any("In this view (locality cells): ■ Red 6" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]


def test_overview_opens_on_the_exceptions_board_with_the_return_comment(app):
    at = app("pages/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == "What needs attention, 2026-27 Q2"
    first = at.html[0].value
    assert 'class="rag-matrix exceptions-board"' in first
    assert "North team 3.0 WTE vacant" in first and "comment on the return" in first
    assert "80.5% against 90% (default target, never changed)" in first
    assert 'href="/mandated-contacts?kpi=C2&amp;period=2026-27+Q2"' in first
    assert first.index('data-rag="red"') < first.index('data-rag="amber"')
    assert any("Sample Community Health NHS Trust" in c.value for c in at.caption)
    assert any(c.value.startswith("Contains National Statistics and OS data") for c in at.caption)


def test_overview_counts_follow_the_view(app):
    at = app("pages/overview.py")
    localities = next(c.value for c in at.caption if c.value.startswith("In this view"))
    at.radio(key="overview_view").set_value("Deprivation deciles").run()
    deciles = next(c.value for c in at.caption if c.value.startswith("In this view"))
    assert "locality cells" in localities and "borough decile cells" in deciles
    # 6 red locality cells: 4 of the returned KPIs and 2 of A3 (antenatal reviews by a SCPHN in the home, derived
    # from the sample's child-level records: NORTH 94.0%, WEST 88.6% against DHSC's 98%); 25 red decile cells on
    # IoD2025: 19 of the returned KPIs and 6 of A3
    assert "■ Red 6 " in localities and "■ Red 25 " in deciles


def test_overview_shows_england_periods_and_says_which_are_out_of_date(app):
    # 2026-27 Q2: England's C2 figure is 2024-25 (six quarters older, beyond the default 4), C8i's 2017-18 Q1
    at = app("pages/overview.py")
    table = at.table[0].value
    assert table.loc["New birth visits within 14 days", "England period"] == "2024-25"
    assert table.loc["New birth visits within 14 days", "Compared with England"] == (
        "England figure out of date (2024-25)"
    )
    assert table.loc["6-8 week reviews by 8 weeks", "England period"] == "2017-18 Q1"
    warning = next(w.value for w in at.warning if "England figure out of date" in w.value)
    assert "C2 (2024-25)" in warning and "C8i (2017-18 Q1)" in warning and "not compared" in warning


def test_overview_decile_view(app):
    at = app("pages/overview.py")
    at.radio(key="overview_view").set_value("Deprivation deciles").run()
    assert not at.exception


def test_mandated_contacts_for_c2_shows_the_gap(app):
    at = app("pages/mandated_contacts.py")
    at.selectbox(key="mc_kpi").set_value("C2").run()
    assert not at.exception
    assert any("Gap between the most and least deprived decile" in m.value for m in at.markdown)


def test_mandated_contacts_for_a_borough_only_kpi_draws_no_empty_breakdown(app):
    at = app("pages/mandated_contacts.py")
    at.selectbox(key="mc_kpi").set_value("FNP1").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("reported for the borough only" in i.value for i in at.info)
    assert not any(h.value.startswith("By locality,") for h in at.subheader)
    assert not any(h.value.startswith("By deprivation decile") for h in at.subheader)


def test_mandated_contacts_offers_c1_and_shows_it_as_counts(app):
    at = app("pages/mandated_contacts.py")
    assert any(option.startswith("C1:") for option in at.selectbox(key="mc_kpi").options)
    at.selectbox(key="mc_kpi").set_value("C1").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("count of children" in c.value for c in at.caption)
    assert not any("Gap between the most and least deprived decile" in m.value for m in at.markdown)
    assert any(h.value.startswith("By locality,") for h in at.subheader)


def test_mandated_contacts_compares_c2_with_similar_councils(app):
    at = app("pages/mandated_contacts.py")
    at.selectbox(key="mc_kpi").set_value("C2").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Compared with similar councils" in [h.value for h in at.subheader]
    groups = next(f.value for f in at.dataframe if "Group" in f.value.columns)
    assert list(groups["Group"]) == [
        "DfE statistical neighbours (May 2025)",
        "NHS England peer group (2024)",
        "North West councils",
        "All English councils",
    ]
    assert any("Fingertips indicator 92444 for C2 is unverified" in c.value for c in at.caption)
    at.selectbox(key="mc_kpi").set_value("SN1").run()
    assert not at.exception
    assert any("so it is not compared with other councils" in c.value for c in at.caption)


def test_overview_says_how_the_kpis_compare_with_the_statistical_neighbours(app):
    at = app("pages/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    assert any(
        m.value.startswith(
            "**Compared with similar councils, 2026-27 Q2.** Against DfE statistical neighbours"
        )
        for m in at.markdown
    )


def test_outcomes_measure_detail_compares_with_similar_councils(app):
    at = app("pages/outcomes.py")
    at.selectbox(key="outcomes_measure").set_value("fingertips:20602").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Compared with similar councils" in [h.value for h in at.subheader]
    assert any(
        m.value == "Compared with other councils' 2022/23 figures; group averages by pooled counts."
        for m in at.markdown
    )


def test_returns_page_lists_the_late_return(app):
    at = app("pages/returns.py")
    assert any("Late return: 2025-26 Q2" in w.value for w in at.warning)


# ---- issue 6: inequalities page, XmR chart, SPC icons -------------------------------------------------------------


def test_inequalities_page_states_the_borough_gap_then_each_locality(app):
    at = app("pages/inequalities.py")
    assert at.selectbox(key="ineq_kpi").value == "C2"
    assert at.selectbox(key="ineq_period").value == "2026-27 Q2"
    assert any(
        m.value.startswith("Children in the most deprived areas were")
        and "slope index of inequality" in m.value
        for m in at.markdown
    )
    assert any("Which quantiles were used and why" in h.value for h in at.subheader)
    at.radio(key="ineq_level").set_value("locality").run()
    assert not at.exception, [e.value for e in at.exception]
    localities = [m.value for m in at.markdown if m.value.startswith("In ")]
    assert [text.split(",")[0] for text in localities] == ["In Central", "In North", "In South", "In West"]
    assert any("quintile 1 = deciles 1-2" in m.value for m in at.markdown)


def test_inequalities_page_for_another_kpi(app):
    at = app("pages/inequalities.py")
    at.selectbox(key="ineq_kpi").set_value("C8ii").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("to be breastfed at 6-8 weeks" in m.value or "no clear gap" in m.value for m in at.markdown)


def test_inequalities_page_for_ncmp_and_an_outcome_measure(app):
    at = app("pages/inequalities.py")
    at.radio(key="ineq_source").set_value("NCMP").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("slope index of inequality" in m.value or "Not rated" in m.value for m in at.markdown)
    at.radio(key="ineq_source").set_value("Outcome measure").run()
    assert not at.exception, [e.value for e in at.exception]


def test_mandated_contacts_trend_is_an_xmr_chart_with_its_words(app):
    at = app("pages/mandated_contacts.py")
    at.selectbox(key="mc_kpi").set_value("SN2").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("statistical process control" in h.value for h in at.subheader)
    assert any("Special-cause points: 2023-24 Q1 concern" in m.value for m in at.markdown)


def test_overview_matrix_has_variation_and_assurance_icons(app):
    at = app("pages/overview.py")
    body = next(h.proto.body for h in at.get("html") if "Variation (SPC)" in h.proto.body)
    assert "Variation (SPC)" in body and 'data-variation="common_cause"' in body
    assert 'alt="Hit and miss"' in body


def test_outcomes_rug_and_the_worse_and_getting_worse_filter(app):
    at = app("pages/outcomes.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="outcomes_framework").value == "cambridgeshire_peterborough"
    rug = at.html[0].value
    assert rug.count("<caption>") == 8
    assert "1. The very youngest children have the best start in life" in rug
    everything = rug.count("<tr data-measure=")
    at.checkbox(key="outcomes_worse_filter").check().run()
    assert not at.exception
    filtered = at.html[0].value
    shown = filtered.count("<tr data-measure=")
    assert 0 < shown < everything
    # every row left is worse than England and getting worse, in words
    assert filtered.count('data-outcome="worse"') >= shown
    assert filtered.count("⚑ worse than England and getting worse") == shown
    assert 'data-measure="fingertips:20602"' in filtered  # Year 6 excess weight: the sample's story
    at.selectbox(key="outcomes_framework").set_value("stockport_family").run()
    assert not at.exception
    stockport = at.html[0].value
    assert stockport.count("⚑ worse than England and getting worse") == stockport.count("<tr data-measure=")
    at.checkbox(key="outcomes_worse_filter").uncheck().run()
    assert "<caption>1. I feel safe</caption>" in at.html[0].value


def test_outcomes_measure_detail_with_deprivation(app):
    at = app("pages/outcomes.py")
    at.selectbox(key="outcomes_measure").set_value("fingertips:90319").run()
    assert not at.exception
    assert "By deprivation decile: Trafford, 2022/23" in [s.value for s in at.subheader]


def test_ncmp_page_prevalence_map_and_selectors(app):
    at = app("pages/ncmp.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="ncmp_year").value == "2025/26"
    assert at.radio(key="ncmp_group").value == "R"
    headings = [s.value for s in at.subheader]
    assert headings[:2] == ["Prevalence by weight category", "Deprivation gradient"]
    captions = [c.value for c in at.caption]
    assert "Contains National Statistics and OS data © Crown copyright and database right 2023" in captions
    # the participation figure says which schools it covers (every sample school is in the eligible list)
    assert any(
        c.startswith("Participation covers all ") and c.endswith(" schools measured.") for c in captions
    )
    assert any(m.value.startswith("**Gap between the most and least deprived decile:**") for m in at.markdown)
    at.radio(key="ncmp_group").set_value("6").run()
    at.selectbox(key="ncmp_year").set_value("2022/23").run()
    at.selectbox(key="ncmp_category").set_value("severely_obese").run()
    at.radio(key="ncmp_locality_basis").set_value("school_locality").run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children measured"] == "2,895"  # the sample's 2022/23 Year 6 children
    table = at.dataframe[0].value  # the England comparison
    assert table["England year"].tolist() == ["–", "–", "–", "2022/23", "–", "–"]


#: Pages whose tables must read as words (the Overview, the pack and Meetings have tests of their own).
READABLE_PAGES = [
    entry.script
    for entry in PAGE_TABLE
    if entry.script not in ("pages/overview.py", "pages/meeting_pack.py", "pages/meetings.py")
]


def shown_frames(at):
    for element in [*at.dataframe, *at.table]:
        frame = element.value
        yield getattr(frame, "data", frame)  # a Styler's frame


@pytest.mark.parametrize("page", READABLE_PAGES)
def test_tables_show_words_not_database_names_or_none(app, page):
    at = app(page)
    assert not at.exception, [e.value for e in at.exception]
    for frame in shown_frames(at):
        headers = [str(c) for c in frame.columns]
        assert not [h for h in headers if "_" in h], (page, headers)
        assert not frame.isna().any().any(), (page, headers, frame.isna().sum().to_dict())
        text = frame.astype(str)
        for column in text.columns:
            cells = set(text[column])
            assert "None" not in cells and "nan" not in cells, (page, column)
            placeholders = ("1900-01-01", "01 Jan 1900", "2000-01 Q1")
            assert not any(p in cell for cell in cells for p in placeholders), (page, column)


def test_readable_formats_numbers_dates_and_missing_values():
    from datetime import date, datetime

    import polars as pl

    from pages._app import ui as _ui

    frame = pl.DataFrame(
        {
            "period_index": [1, 2],
            "kpi_code": ["C2", None],
            "value_pct": [90.6, None],
            "children": [12345, 2],
            "due_date": [date(1900, 1, 1), date(2026, 10, 28)],
            "received_at": [datetime(2026, 10, 19, 16, 23), None],
            "accepted": [True, None],
            "detail_json": ['{"load_id": 8, "reason": null}', None],
        }
    )
    shown, config = _ui.readable(frame)
    assert shown.columns == ["KPI", "Value %", "Children", "Due date", "Received", "Accepted", "Details"]
    assert shown.row(0) == ("C2", "90.6", 12345, "–", "19 Oct 2026 16:23", "Yes", "Load: 8")
    assert shown.row(1) == ("–", "–", 2, "28 Oct 2026", "–", "–", "–")
    assert config["Children"] == "localized"


@pytest.mark.parametrize(
    "page", ["pages/mandated_contacts.py", "pages/inequalities.py", "pages/outcomes.py", "pages/ncmp.py"]
)
def test_every_chart_has_a_title_and_an_accessible_name(app, page):
    import json

    at = app(page)
    charts = at.get("vega_lite_chart")
    assert charts, page
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        assert spec.get("title"), (page, spec.get("description"))
        assert spec.get("description"), (page, spec.get("title"))
        for legend in _legends(spec):  # legends are never cut short with an ellipsis
            assert legend.get("labelLimit", 0) >= 300, (page, spec.get("title"), legend)


def _legends(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "legend" and isinstance(value, dict):
                yield value
            else:
                yield from _legends(value)
    elif isinstance(node, list):
        for value in node:
            yield from _legends(value)
