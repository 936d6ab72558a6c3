"""Local outcome measures (`hcp load outcome-measures FILE`): Wilson limits, given limits, every problem, supersession.

Expected limits are docs/methods.md section 8's Wilson figures for 65 of 100 (95%: 0.5525444-0.7363575; 99.8%:
0.4954947-0.7783541), shown in per cent; they are quoted to 7 places, hence the tolerance.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from kpi import cli
from kpi.access.principal import local_principal
from kpi.outcomes.load import load_outcome_measures
from kpi.returns.load import DUPLICATE, REJECTED, WRITTEN
from kpi.sample import COUNCIL_CODE

TOL_PCT = 5e-6  # 7 decimal places of a proportion, in per cent
HEADER = (
    "measure_code,period,area_code,locality_code,imd_decile,numerator,denominator,value,lower_ci,upper_ci"
)


def measures_file(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def load(store, data: bytes, name: str = "measures.csv", **kwargs):
    return load_outcome_measures(
        store, data, name, council_code=COUNCIL_CODE, principal=local_principal("test"), **kwargs
    )


def test_counts_give_wilson_limits_and_a_value_with_limits_is_kept(sample_store):
    data = measures_file(
        "LOC_SAFE,2026/27,,,,65,100,,,",
        "loc_wellbeing,2026-27,,,,,1100,23.1,22.85,23.35",
        "LOC_SAFE,2026-27,E92000001,,,,,70.0,69.5,70.5",
    )
    result = load(sample_store, data)
    assert result.outcome == WRITTEN, result.report.to_text()
    rows = sample_store.query(
        "select measure_code, period, area_code, value, lower_ci_95, upper_ci_95, lower_ci_998, upper_ci_998, "
        "ci_method from outcome_measure_values where period = '2026-27' order by measure_code, area_code"
    ).rows()
    safe, safe_england, wellbeing = rows
    assert safe[:4] == ("LOC_SAFE", "2026-27", "E08000009", 65.0)
    assert safe[4:8] == pytest.approx((55.25444, 73.63575, 49.54947, 77.83541), abs=TOL_PCT * 10)
    assert safe[8] == "wilson"
    assert safe_england == ("LOC_SAFE", "2026-27", "E92000001", 70.0, 69.5, 70.5, None, None, "given")
    assert wellbeing == ("LOC_WELLBEING", "2026-27", "E08000009", 23.1, 22.85, 23.35, None, None, "given")


def test_every_problem_is_listed_and_nothing_is_written(sample_store, table_counts):
    data = measures_file(
        "LOC_NOPE,2025-26,,,,1,2,,,",  # row 2
        "LOC_SAFE,sometime,,,,1,2,,,",  # row 3
        "LOC_SAFE,2025-26,Trafford,,,1,2,,,",  # row 4
        "LOC_SAFE,2025-26,,EAST,,1,2,,,",  # row 5
        "LOC_SAFE,2025-26,,,11,1,2,,,",  # row 6
        "LOC_SAFE,2025-26,,,1,ten,20,,,",  # row 7
        "LOC_SAFE,2025-26,,,2,30,20,,,",  # row 8
        "LOC_SAFE,2025-26,,,3,5,,,,",  # row 9
        "LOC_WELLBEING,2025-26,,,,,,23.0,22.0,",  # row 10
        "LOC_WELLBEING,2025-26,E92000001,,,,,25.0,22.0,24.0",  # row 11
        "LOC_SAFE,2025-26,,,4,,,70.0,,",  # row 12
        "LOC_SAFE,2025-26,,,5,60,100,61.0,,",  # row 13
        "LOC_SAFE,2025-26,,,6,6,10,,,",  # rows 14 and 15: twice
        "LOC_SAFE,2025-26,,,6,6,10,,,",
        "LOC_SAFE,2025-26,E92000001,NORTH,,6,10,,,",  # row 16
        "LOC_WELLBEING,2025-26,,,7,,,,,",  # row 17
    )
    before = table_counts(sample_store)
    result = load(sample_store, data)
    assert result.outcome == REJECTED
    found = {(g["check"], tuple(g["rows"])) for g in result.report.grouped().iter_rows(named=True)}
    assert found == {
        ("unknown_measure", (2,)),
        ("bad_period", (3,)),
        ("bad_area", (4,)),
        ("unknown_locality", (5,)),
        ("bad_decile", (6,)),
        ("not_a_number", (7,)),
        ("numerator_above_denominator", (8,)),
        ("half_counts", (9,)),
        ("half_ci", (10,)),
        ("value_outside_ci", (11,)),
        ("proportion_needs_counts", (12,)),
        ("value_mismatch", (13,)),
        ("duplicate_row", (14, 15)),
        ("locality_elsewhere", (16,)),
        ("value_missing", (17,)),
    }
    text = result.report.to_text()
    assert "'LOC_NOPE' is not a local outcome measure: use one of LOC_SAFE, LOC_TRUST" in text
    assert "'EAST' is not one of the council's localities (CENTRAL, NORTH, SOUTH, WEST) or ALL" in text
    assert table_counts(sample_store) == {**before, "audit_log": before["audit_log"] + 1}


def test_missing_and_unknown_columns(sample_store):
    data = measures_file(
        "LOC_SAFE,2025-26,,,1,2,x",
        header="measure_code,period,area_code,locality_code,numerator,denominator,note",
    )
    result = load(sample_store, data)
    assert result.outcome == REJECTED
    assert sorted(result.report.errors["column"].to_list()) == [
        "imd_decile",
        "lower_ci",
        "note",
        "upper_ci",
        "value",
    ]


def test_a_reload_supersedes_the_same_measure_area_locality_and_period(sample_store):
    first = measures_file("LOC_SAFE,2026-27,,,,65,100,,,", "LOC_SAFE,2026-27,,NORTH,,30,50,,,")
    assert load(sample_store, first, loaded_at=datetime(2026, 11, 1)).outcome == WRITTEN
    assert load(sample_store, first).outcome == DUPLICATE
    second = measures_file("LOC_SAFE,2026-27,,,,70,100,,,")
    result = load(sample_store, second, name="second.csv", loaded_at=datetime(2026, 11, 2))
    assert result.outcome == WRITTEN and "supersedes 1 earlier rows" in result.message
    history = sample_store.query(
        "select locality_code, value, superseded_at is null as is_current from outcome_measure_values "
        "where measure_code = 'LOC_SAFE' and period = '2026-27' order by locality_code, loaded_at"
    ).rows()
    assert history == [("ALL", 65.0, False), ("ALL", 70.0, True), ("NORTH", 60.0, True)]


def test_cli_loads_outcome_measures(sample_db_copy, hcp_today, tmp_path, capsys):
    path = tmp_path / "local.csv"
    out = io.StringIO()
    csv.writer(out).writerows(
        [HEADER.split(","), ["LOC_PMH", "2026-27 Q3", "", "", "", "650", "700", "", "", ""]]
    )
    path.write_text(out.getvalue(), encoding="utf-8")
    assert cli.main(["--db", str(sample_db_copy), "load", "outcome-measures", str(path)]) == 0
    assert "loaded as outcome load" in capsys.readouterr().out


def test_repeated_rows_without_a_period_still_say_what_to_do():
    from kpi.ingest.files import read_text_table
    from kpi.ingest.report import Report
    from kpi.outcomes.frameworks import load_local_measures
    from kpi.outcomes.measures import MeasureContext, validate_measures

    data = measures_file("LOC_SAFE,,,,,1,2,,,", "LOC_SAFE,,,,,1,2,,,")
    report = Report("measures.csv", "0" * 64)
    context = MeasureContext(COUNCIL_CODE, load_local_measures(), {"NORTH": "North"})
    checked = validate_measures(read_text_table(data, "measures.csv").frame, report, context)
    assert checked.rows is None
    repeated = report.problems.filter(report.problems["check"] == "duplicate_row")
    assert repeated["row"].to_list() == [2, 3]
    assert (
        repeated["message"].to_list()
        == [f"LOC_SAFE for , {COUNCIL_CODE}, ALL, decile ALL appears more than once: keep one row"] * 2
    )
