"""Fingertips "all data" exports: tolerant reading, rejection of malformed exports, supersession, benchmarks, fetch.

Expected values are written by hand from the export text and docs/methods.md section 4 (the header layout, the two styles
of deprivation labels). Nothing here touches the network: fetch tests inject a transport.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi import cli
from kpi.access.principal import LOCAL_USER, local_principal
from kpi.ingest.files import ReadError, read_text_table
from kpi.ingest.report import Report
from kpi.outcomes.fingertips import decile_of_category, period_sort_key, validate_export
from kpi.outcomes.load import NOT_INSTALLED, FetchUnavailable, fetch_fingertips, load_fingertips
from kpi.returns.load import CHECKED, DUPLICATE, REJECTED, WRITTEN
from kpi.sample import COUNCIL_CODE, SAMPLE_DIR

SPACED = [
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type", "Sex",
    "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
    "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Compared to North West region value or percentiles",
    "Time period Sortable", "New data", "Compared to goal",
]  # fmt: skip
#: fingertipsR's names for the same columns: the spaces stripped.
STRIPPED = [name.replace(" ", "") for name in SPACED]
TRAFFORD, NORTH_WEST, ENGLAND = "E08000009", "E12000002", "E92000001"


def row(**values) -> dict:
    """One export row (spaced keys) with plausible defaults: Trafford, indicator 99001, 2022/23, 40 of 100."""
    base = {
        "Indicator ID": "99001",
        "Indicator Name": "Test indicator",
        "Parent Code": NORTH_WEST,
        "Parent Name": "North West region",
        "Area Code": TRAFFORD,
        "Area Name": "Trafford",
        "Area Type": "Counties & UAs (from Apr 2023)",
        "Sex": "Persons",
        "Age": "All ages",
        "Category Type": "",
        "Category": "",
        "Time period": "2022/23",
        "Value": "40.0",
        "Lower CI 95.0 limit": "30.9",
        "Upper CI 95.0 limit": "49.8",
        "Lower CI 99.8 limit": "26.2",
        "Upper CI 99.8 limit": "55.0",
        "Count": "40",
        "Denominator": "100",
        "Value note": "",
        "Recent Trend": "",
        "Compared to England value or percentiles": "Similar",
        "Compared to North West region value or percentiles": "Similar",
        "Time period Sortable": "20220000",
        "New data": "",
        "Compared to goal": "",
    }
    base.update(values)
    return base


def export(rows: list[dict], header: list[str] | None = None, *, rename: dict | None = None) -> bytes:
    """CSV bytes of rows; ``header`` picks and orders columns (spaced names), ``rename`` changes header names."""
    columns = header or SPACED
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([(rename or {}).get(c, c) for c in columns])
    for item in rows:
        writer.writerow([item.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8")


def check(data: bytes):
    report = Report("export.csv", "0" * 64)
    checked = validate_export(read_text_table(data, "export.csv").frame, report)
    return report, checked.rows


def messages(report: Report) -> list[str]:
    return report.errors["message"].to_list()


# ---- tolerant reading ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "decile"),
    [
        ("Most deprived decile (IMD2019)", 1),
        ("Second most deprived decile (IMD2019)", 2),
        ("Third more deprived decile (IMD2019)", 3),
        ("Fourth more deprived decile (IMD2019)", 4),
        ("Fifth more deprived decile (IMD2019)", 5),
        ("Fifth less deprived decile (IMD2019)", 6),
        ("Fourth less deprived decile (IMD2019)", 7),
        ("Third less deprived decile (IMD2019)", 8),
        ("Second least deprived decile (IMD2019)", 9),
        ("Least deprived decile (IMD2019)", 10),
        ("1st decile", 1),
        ("2nd decile", 2),
        ("3rd decile", 3),
        ("4th decile", 4),
        ("5th decile", 5),
        ("6th decile", 6),
        ("7th decile", 7),
        ("8th decile", 8),
        ("9th decile", 9),
        ("10th decile", 10),
        ("most deprived decile", 1),
        ("Persons", None),
        ("Most deprived quintile (IMD2019)", None),
        ("11th decile", None),
    ],
)
def test_both_styles_of_deprivation_label_map_to_deciles(label, decile):
    assert decile_of_category(label) == decile


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2022/23", 20220000),
        ("2022-23", 20220000),
        ("2022/23 Q2", 20220200),
        ("2022-23 M05", 20220005),
        ("2021", 20210000),
        ("2019 - 21", 20190000),
        ("2018/19 - 20/21", 20180000),
        ("Jun 2023", 20230006),
        ("2022/24", None),
        ("recent", None),
    ],
)
def test_period_sort_keys_follow_fingertips(text, key):
    assert period_sort_key(text) == key


def test_spaced_and_stripped_headers_read_alike():
    rows = [row(), row(**{"Time period": "2021/22", "Time period Sortable": "20210000", "Value": "38.5"})]
    spaced_report, spaced = check(export(rows))
    stripped_report, stripped = check(export(rows, rename=dict(zip(SPACED, STRIPPED, strict=True))))
    assert spaced_report.ok and stripped_report.ok
    assert spaced.equals(stripped)
    first = spaced.row(0, named=True)
    assert (
        first["indicator_id"],
        first["area_code"],
        first["time_period"],
        first["time_period_sortable"],
    ) == (
        99001,
        TRAFFORD,
        "2022/23",
        20220000,
    )
    assert (
        first["value"],
        first["lower_ci_95"],
        first["upper_ci_998"],
        first["count"],
        first["denominator"],
    ) == (
        40.0,
        30.9,
        55.0,
        40.0,
        100.0,
    )


def test_comparison_columns_are_matched_by_pattern_whatever_the_parent():
    header = [c for c in SPACED if "North West" not in c] + ["Compared to Region value or percentiles"]
    data = export([row(**{"Compared to Region value or percentiles": "Worse 95%"})], header)
    report, rows = check(data)
    assert report.ok
    assert rows["compared_to_parent"].to_list() == ["Worse 95%"]
    assert rows["compared_to_england"].to_list() == ["Similar"]
    stripped = export(
        [row()], rename={"Compared to England value or percentiles": "ComparedtoEnglandvalueorpercentiles"}
    )
    assert check(stripped)[1]["compared_to_england"].to_list() == ["Similar"]


def test_unknown_columns_are_ignored_and_named():
    header = SPACED + ["Indicator notes", "Time period range"]
    report, rows = check(export([row(**{"Indicator notes": "synthetic", "Time period range": "1y"})], header))
    assert report.ok
    assert "columns ignored: indicator_notes" in report.notes  # headers as read (lower case)
    assert rows["time_period_range"].to_list() == ["1y"]
    assert "indicator_notes" not in rows.columns


def test_optional_columns_may_be_absent():
    """Only the key columns are required: no names, no 99.8% limits, no sort key (derived from the period)."""
    keys = [
        "Indicator ID", "Area Code", "Sex", "Age", "Category Type", "Category", "Time period", "Value",
        "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count", "Denominator",
    ]  # fmt: skip
    report, rows = check(export([row(**{"Time period": "2023/24 Q3"})], keys))
    assert report.ok
    assert "the export has no 99.8% limits: comparisons use the 95% limits only" in report.notes
    assert rows["time_period_sortable"].to_list() == [20230300]
    assert rows["lower_ci_998"].to_list() == [None]


def test_a_blank_value_with_a_value_note_is_accepted():
    suppressed = row(
        **{
            "Value": "",
            "Lower CI 95.0 limit": "",
            "Upper CI 95.0 limit": "",
            "Lower CI 99.8 limit": "",
            "Upper CI 99.8 limit": "",
            "Count": "",
            "Value note": "Value suppressed for disclosure control due to small count",
        }
    )
    report, rows = check(export([suppressed]))
    assert report.ok
    assert rows["value"].to_list() == [None]
    assert rows["value_note"].to_list() == ["Value suppressed for disclosure control due to small count"]


def test_deprivation_rows_carry_their_decile():
    rows = [
        row(**{"Category Type": "County & UA deprivation deciles in England (IMD2019, 4/23 geog.)",
               "Category": "Most deprived decile (IMD2019)"}),
        row(**{"Category Type": "LSOA11 deprivation deciles within area (IMD2019)", "Category": "7th decile"}),
        row(**{"Category Type": "Ethnic groups", "Category": "White"}),
    ]  # fmt: skip
    report, typed = check(export(rows))
    assert report.ok
    assert typed["imd_decile"].to_list() == [1, 7, None]


def test_deciles_labelled_imd2019_and_imd2025_are_accepted_and_kept_apart():
    from kpi.outcomes.series import deprivation_breakdown

    words = ["Most deprived decile", "Second most deprived decile", "Third more deprived decile"]
    rows = [
        row(**{"Category Type": f"LSOA{v[2:]} deprivation deciles within area ({v})", "Category": f"{w} ({v})",
               "Value": str(10 * (i + 1) + (v == "IMD2025"))})
        for v in ("IMD2019", "IMD2025")
        for i, w in enumerate(words)
    ]  # fmt: skip
    report, typed = check(export(rows))
    assert report.ok, report.to_text()
    assert typed["imd_decile"].to_list() == [1, 2, 3, 1, 2, 3]
    assert typed.select("category_type", "category").is_unique().all()  # six rows, none overwriting another
    series = typed.select(
        pl.lit("fingertips:99001").alias("measure_key"),
        pl.lit("area").alias("area_role"),
        pl.col("time_period_sortable").alias("period_sortable"),
        "category_type",
        "category",
        "imd_decile",
        "value",
    )
    shown = deprivation_breakdown(series, "fingertips:99001")
    assert shown["deprivation_index"].to_list() == ["IoD2025"] * 3
    assert shown["value"].to_list() == [11.0, 21.0, 31.0]
    older = deprivation_breakdown(
        series.filter(pl.col("category").str.contains("IMD2019")), "fingertips:99001"
    )
    assert older["deprivation_index"].to_list() == ["IoD2019"] * 3


# ---- malformed exports -----------------------------------------------------------------------------------------


def test_every_missing_key_column_is_listed():
    header = [c for c in SPACED if c not in ("Count", "Lower CI 95.0 limit", "Area Code")]
    report, rows = check(export([row()], header))
    assert rows is None
    assert sorted(report.errors["column"].to_list()) == ["Area Code", "Count", "Lower CI 95.0 limit"]
    assert all("is missing: export the 'all data' CSV from Fingertips again" in m for m in messages(report))


MALFORMED = [
    row(**{"Indicator ID": "93O85"}),  # row 2: letter O
    row(**{"Area Code": "", "Time period": "2021/22", "Time period Sortable": "20210000"}),  # row 3
    row(**{"Value": "n/a", "Time period": "2020/21", "Time period Sortable": "20200000"}),  # row 4
    row(
        **{"Lower CI 95.0 limit": "52", "Time period": "2019/20", "Time period Sortable": "20190000"}
    ),  # row 5
    row(**{"Count": "-3", "Time period": "2018/19", "Time period Sortable": "20180000"}),  # row 6
    row(**{"Value": "", "Time period": "2017/18", "Time period Sortable": "20170000"}),  # row 7: no note
    row(**{"Category Type": "Deprivation deciles", "Category": "Middle decile"}),  # row 8
    row(**{"Time period": "soon", "Time period Sortable": ""}),  # row 9
    row(**{"Time period Sortable": "2022/23"}),  # row 10
    row(**{"Area Code": ENGLAND}),  # rows 11 and 12: the same key twice
    row(**{"Area Code": ENGLAND}),
]


def test_every_problem_of_a_malformed_export_is_listed_with_its_row():
    report, rows = check(export(MALFORMED))
    assert rows is None
    found = {
        (item["check"], item["column"], tuple(item["rows"]))
        for item in report.grouped().iter_rows(named=True)
    }
    assert found == {
        ("bad_indicator_id", "Indicator ID", (2,)),
        ("blank_area_code", "Area Code", (3,)),
        ("not_a_number", "Value", (4,)),
        ("ci_backwards", "Lower CI 95.0 limit", (5,)),
        ("negative", "Count", (6,)),
        ("blank_value_without_note", "Value", (7,)),
        ("unknown_decile", "Category", (8,)),
        ("bad_period", "Time period", (9,)),
        ("bad_sort_key", "Time period Sortable", (10,)),
        ("duplicate_row", None, (11, 12)),
    }
    text = report.to_text()
    assert "ERROR (row 4, column Value): 'n/a' is not a number: the Value must be a number or blank" in text
    assert "'93O85' is not a Fingertips indicator number" in text
    assert "indicator 99001, area E92000001, 2022/23 (Persons, All ages) appears more than once" in text


def test_a_rejected_export_writes_nothing_but_an_audit_entry(sample_store, table_counts):
    before = table_counts(sample_store)
    result = load_fingertips(
        sample_store,
        export(MALFORMED),
        "bad.csv",
        council_code=COUNCIL_CODE,
        principal=local_principal("test"),
    )
    assert result.outcome == REJECTED and result.exit_code == 1
    after = table_counts(sample_store)
    assert after == {**before, "audit_log": before["audit_log"] + 1}
    assert sample_store.query("select action from audit_log order by audit_id desc limit 1").item() == (
        "fingertips rejected"
    )


def test_a_check_writes_nothing_at_all(sample_store, table_counts):
    before = table_counts(sample_store)
    good = load_fingertips(
        sample_store,
        export([row()]),
        "good.csv",
        council_code=COUNCIL_CODE,
        principal=local_principal("test"),
        check_only=True,
    )
    bad = load_fingertips(
        sample_store,
        export(MALFORMED),
        "bad.csv",
        council_code=COUNCIL_CODE,
        principal=local_principal("test"),
        check_only=True,
    )
    assert (good.outcome, good.exit_code, bad.outcome, bad.exit_code) == (CHECKED, 0, CHECKED, 1)
    assert table_counts(sample_store) == before


def test_a_workbook_is_refused_as_not_csv(sample_store):
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("Return").write_row(0, 0, SPACED)
    book.close()
    result = load_fingertips(
        sample_store,
        buffer.getvalue(),
        "export.xlsx",
        council_code=COUNCIL_CODE,
        principal=local_principal("test"),
    )
    assert result.outcome == REJECTED
    assert "Fingertips exports are CSV files" in result.report.to_text()


CELL = st.one_of(
    st.just(""),
    st.text(max_size=10),
    st.from_regex(r"-?\d{1,5}(\.\d{1,3})?", fullmatch=True),
    st.sampled_from(["2022/23", "2022/23 Q5", "1st decile", "Most deprived decile", "E92000001", "Persons"]),
)


@settings(max_examples=50, deadline=None)  # timing varies on a shared machine; correctness is what is tested
@given(st.dictionaries(st.sampled_from(SPACED), CELL, max_size=6), st.booleans())
def test_no_cell_crashes_the_reader_and_errors_mean_no_rows(changes, stripped):
    data = export(
        [row(**changes), row()], rename=dict(zip(SPACED, STRIPPED, strict=True)) if stripped else None
    )
    try:
        frame = read_text_table(data, "export.csv").frame
    except ReadError:
        return
    report = Report("export.csv", "0" * 64)
    checked = validate_export(frame, report)
    assert (checked.rows is None) == (not report.ok)
    if checked.rows is not None:
        assert checked.rows.height == 2


# ---- loading, supersession and benchmarks ----------------------------------------------------------------------


def current(store, indicator: int, area: str) -> pl.DataFrame:
    return store.query(
        "select time_period, value, superseded_at is null as is_current from fingertips_values "
        "where indicator_id = ? and area_code = ? and category_type = '' order by time_period, loaded_at",
        [indicator, area],
    )


def test_a_reload_supersedes_the_same_indicator_area_and_period_with_history(sample_store, table_counts):
    first = [row(), row(**{"Time period": "2021/22", "Time period Sortable": "20210000", "Value": "38.5"})]
    loaded = load_fingertips(
        sample_store, export(first), "first.csv", council_code=COUNCIL_CODE, principal=local_principal("test"),
        loaded_at=datetime(2026, 1, 5),
    )  # fmt: skip
    assert loaded.outcome == WRITTEN
    again = load_fingertips(
        sample_store, export(first), "first.csv", council_code=COUNCIL_CODE, principal=local_principal("test")
    )
    assert again.outcome == DUPLICATE and again.exit_code == 0
    corrected = [row(**{"Value": "41.0", "Count": "41"})]  # 2022/23 only
    result = load_fingertips(
        sample_store, export(corrected), "second.csv", council_code=COUNCIL_CODE, principal=local_principal("test"),
        loaded_at=datetime(2026, 2, 9),
    )  # fmt: skip
    assert result.outcome == WRITTEN
    assert "supersedes 1 earlier rows" in result.message
    assert current(sample_store, 99001, TRAFFORD).rows() == [
        ("2021/22", 38.5, True),
        ("2022/23", 40.0, False),
        ("2022/23", 41.0, True),
    ]
    from kpi.outcomes.series import outcome_values

    def value_at(at):
        frame = outcome_values(sample_store, COUNCIL_CODE, at, principal=LOCAL_USER).filter(
            pl.col("measure_ref") == "99001", pl.col("period") == "2022/23"
        )
        return frame["value"].to_list()

    assert value_at(datetime(2026, 1, 31)) == [40.0]
    assert value_at(datetime(2026, 2, 10)) == [41.0]
    assert value_at(datetime(2025, 12, 31)) == []


def test_catalogue_kpis_mapped_to_fingertips_fill_the_benchmark_table(sample_store):
    """C6viii is mapped to 93436: England and region rows for financial years become benchmarks; a calendar
    year, a breakdown and another area do not."""
    rows = [
        row(**{"Indicator ID": "93436", "Area Code": ENGLAND, "Area Name": "England", "Time period": "2024/25",
               "Time period Sortable": "20240000", "Value": "79.9", "Count": "", "Denominator": ""}),
        row(**{"Indicator ID": "93436", "Area Code": NORTH_WEST, "Area Name": "North West region",
               "Time period": "2024/25", "Time period Sortable": "20240000", "Value": "78.1"}),
        row(**{"Indicator ID": "93436", "Area Code": ENGLAND, "Area Name": "England", "Time period": "2024/25",
               "Time period Sortable": "20240000", "Category Type": "Deprivation deciles",
               "Category": "1st decile", "Value": "71.0"}),
        row(**{"Indicator ID": "93436", "Area Code": TRAFFORD, "Time period": "2024/25",
               "Time period Sortable": "20240000", "Value": "83.0"}),
        row(**{"Indicator ID": "93436", "Area Code": ENGLAND, "Time period": "2024",
               "Time period Sortable": "20240000", "Value": "80.5"}),
    ]  # fmt: skip
    result = load_fingertips(
        sample_store,
        export(rows),
        "cd.csv",
        council_code=COUNCIL_CODE,
        principal=local_principal("test"),
        loaded_at=datetime(2026, 3, 1),
    )
    assert result.outcome == WRITTEN
    assert "2 England/region benchmark values" in result.message
    from kpi.contract.values import benchmarks

    bench = benchmarks(sample_store, COUNCIL_CODE).filter(
        pl.col("kpi_code") == "C6viii", pl.col("benchmark_period") == "2024-25"
    )
    assert sorted(bench.select("comparator", "value_pct").rows()) == [("england", 79.9), ("region", 78.1)]
    # a corrected England value supersedes the earlier one, which stays in the history
    fixed = [rows[0] | {"Value": "80.0"}]
    load_fingertips(
        sample_store, export(fixed), "cd2.csv", council_code=COUNCIL_CODE, principal=local_principal("test")
    )
    history = sample_store.query(
        "select value_pct, superseded_at is null as is_current from benchmarks "
        "where kpi_code = 'C6viii' and comparator = 'england' and period = '2024-25' order by loaded_at"
    )
    assert history.rows() == [(79.9, False), (80.0, True)]


def _sample_load_counts(store, file_name: str) -> tuple:
    return store.query(
        "select count(distinct indicator_id) as indicators, count(distinct area_code) as areas, "
        "count(*) filter (where value is null) as suppressed, count(distinct imd_decile) as deciles "
        "from fingertips_values where outcome_load_id in "
        "(select outcome_load_id from outcome_loads where file_name = ?)",
        [file_name],
    ).row(0)


def test_the_sample_export_loads_its_synthetic_indicators(sample_ro_store):
    counts = _sample_load_counts(sample_ro_store, "fingertips_trafford_synthetic.csv")
    assert counts == (11, 3, 2, 10)
    # every other council's figures: 9 KPI indicators and the 11 outcome indicators (2 shared), 152 councils
    others = _sample_load_counts(sample_ro_store, "fingertips_all_areas_synthetic.csv")
    assert others == (18, 152, 0, 0)
    text = (SAMPLE_DIR / "fingertips" / "fingertips_trafford_synthetic.csv").read_text(encoding="utf-8")
    assert text.count("SYNTHETIC") == len(text.splitlines()) - 1


# ---- the command line ------------------------------------------------------------------------------------------


def test_cli_load_check_and_reject(sample_db_copy, hcp_today, tmp_path, capsys):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(export([row()]))
    bad.write_bytes(export(MALFORMED))
    db = str(sample_db_copy)
    assert cli.main(["--db", db, "load", "fingertips", str(good), "--check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["errors"], report["outcome"]) == (0, "checked")
    assert cli.main(["--db", db, "load", "fingertips", str(bad)]) == 1
    out = capsys.readouterr().out
    assert (
        "11 error(s), 0 warning(s)." in out
    )  # 10 checks; the duplicate names both rows and "the file was rejected: nothing was written" in out
    assert cli.main(["--db", db, "load", "fingertips", str(good)]) == 0
    assert "loaded as outcome load" in capsys.readouterr().out


# ---- fetch (never the network) ---------------------------------------------------------------------------------


def failing_transport(indicator_ids, area_type_id, parent_area_type_id):
    raise OSError("[Errno -3] Temporary failure in name resolution")


def test_fetch_with_a_failing_transport_says_what_to_do_and_writes_nothing(sample_store, table_counts):
    before = table_counts(sample_store)
    with pytest.raises(FetchUnavailable) as caught:
        fetch_fingertips(
            sample_store,
            council_code=COUNCIL_CODE,
            principal=local_principal("test"),
            transport=failing_transport,
        )
    message = str(caught.value)
    assert message.startswith("Fingertips could not be reached (OSError: [Errno -3] Temporary failure")
    assert "Nothing was written" in message
    assert "'hcp load fingertips FILE'" in message
    assert table_counts(sample_store) == before


def test_fetch_without_fingertips_py_says_how_to_get_it(sample_store, monkeypatch):
    monkeypatch.setitem(sys.modules, "fingertips_py", None)  # import fails: never reaches the network
    with pytest.raises(FetchUnavailable) as caught:
        fetch_fingertips(sample_store, council_code=COUNCIL_CODE, principal=local_principal("test"))
    assert str(caught.value) == NOT_INSTALLED
    assert "uv sync --extra fingertips" in NOT_INSTALLED


def test_cli_fetch_offline_exits_1_with_the_message(sample_db_copy, hcp_today, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fingertips_py", None)
    assert cli.main(["--db", str(sample_db_copy), "fingertips", "fetch", "--indicators", "93085,20401"]) == 1
    captured = capsys.readouterr()
    assert "fingertips-py is not installed" in captured.err
    assert cli.main(["--db", str(sample_db_copy), "fingertips", "fetch", "--indicators", "9308x"]) == 2


def test_a_fetched_export_keeps_the_council_its_region_and_england(sample_store):
    asked = {}

    def recorded(indicator_ids, area_type_id, parent_area_type_id):
        asked.update(ids=list(indicator_ids), area_type=area_type_id, parent=parent_area_type_id)
        return export([row(**{"Area Code": code}) for code in (TRAFFORD, NORTH_WEST, ENGLAND, "E08000010")])

    result = fetch_fingertips(
        sample_store,
        council_code=COUNCIL_CODE,
        principal=local_principal("test"),
        indicator_ids=[99001],
        transport=recorded,
    )
    assert result.outcome == WRITTEN
    assert asked == {"ids": [99001], "area_type": 502, "parent": 6}
    areas = sample_store.query(
        "select area_code from fingertips_values where indicator_id = 99001 order by 1"
    )
    assert areas["area_code"].to_list() == [TRAFFORD, NORTH_WEST, ENGLAND]
    source = sample_store.query(
        "select source from outcome_loads order by outcome_load_id desc limit 1"
    ).item()
    assert source == "fetch"
