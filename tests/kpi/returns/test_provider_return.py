"""The provider return loader's checks (issue "Foundation" sections 5-6): every error and warning, with its message.

Each test starts from the sample's 2026-27 Q2 return for ZZ1 (a valid file that raises no warning against the
sample database), breaks one thing, and asserts the problem's row (spreadsheet numbering, header = row 1), column
and message, including what the provider should do. The clock is fixed at 2026-11-23 (``HCP_TODAY``).
"""

import io
import zipfile

import polars as pl
import pytest

from kpi.access.principal import local_principal
from kpi.returns.load import WRITTEN, load_return
from kpi.returns.review import submission_rows
from kpi.sample import COUNCIL_CODE, PROVIDER_CODE

HEADER = "period,provider_code,metric_code,locality_code,imd_decile,numerator,denominator,comment,imd_index"


def problems(report, check=None):
    """The report's problems (optionally of one check) as dicts."""
    frame = report.problems if check is None else report.problems.filter(report.problems["check"] == check)
    return frame.to_dicts()


def only(report, check):
    """The one problem of a check, asserting it is the only problem in the report."""
    found = problems(report)
    assert [p["check"] for p in found] == [check], report.to_text()
    return found[0]


def set_cell(rows, key, column, value):
    """Change one cell of the row with ``key`` (metric, locality, decile); returns the row's number in the file."""
    number = rows.source_row(*key)
    rows.row(*key)[column] = value
    return number


# ---- the baseline ---------------------------------------------------------------------------------------------


def test_the_sample_return_is_clean(return_rows, write_return, check_return):
    report = check_return(write_return(return_rows))
    assert report.ok
    assert report.problems.is_empty(), report.to_text()
    assert report.rows_read == len(return_rows) == 656
    assert "No problems found." in report.to_text()


# ---- columns ----------------------------------------------------------------------------------------------------


def test_missing_column(return_rows, write_return, check_return):
    columns = [c for c in HEADER.split(",") if c != "denominator"]
    report = check_return(write_return(return_rows, columns=columns))
    problem = only(report, "missing_column")
    assert problem["column"] == "denominator"
    assert problem["message"] == (
        f"the column 'denominator' is missing: add it to the header row (the header must be {HEADER})"
    )
    assert "ERROR (column denominator): the column 'denominator' is missing: add it to the header row" in (
        report.to_text()
    )


def test_unknown_column(return_rows, write_return, check_return):
    for row in return_rows:
        row["notes"] = "x"
    report = check_return(write_return(return_rows))
    problem = only(report, "unknown_column")
    assert problem["column"] == "notes"
    assert (
        problem["message"] == "the column 'notes' is not part of the return: remove it or check its spelling"
    )


def test_a_wrong_header_row_gives_one_message_with_the_header_expected(
    return_rows, write_return, check_return
):
    words = ["Period", "Provider", "Metric", "Locality", "IMD decile", "Numerator", "Denominator", "Comment"]
    renamed = [dict(zip(words, row.values(), strict=True)) for row in return_rows]
    report = check_return(write_return(renamed))
    problem = only(report, "wrong_header")
    assert problem["message"].startswith(
        f"the header row is not the return's: it must be {HEADER} (missing: "
    )
    assert "not part of the return: provider, metric, locality)" in problem["message"]
    assert report.to_text().count("ERROR") == 1


def test_two_missing_columns_are_one_message(return_rows, write_return, check_return):
    columns = [c for c in HEADER.split(",") if c not in ("numerator", "denominator")]
    problem = only(check_return(write_return(return_rows, columns=columns)), "wrong_header")
    assert "missing: numerator, denominator" in problem["message"] and HEADER in problem["message"]


def test_comment_column_is_optional(return_rows, write_return, check_return):
    columns = [c for c in HEADER.split(",") if c != "comment"]
    assert check_return(write_return(return_rows, columns=columns)).problems.is_empty()


# ---- numbers ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [("numerator", "n/a"), ("numerator", "25 children"), ("denominator", "1,234"), ("denominator", "85%")],
)
def test_text_in_counts(return_rows, write_return, check_return, column, value):
    row = set_cell(return_rows, ("C2", "NORTH", "2"), column, value)
    report = check_return(write_return(return_rows))
    problem = only(report, "not_a_number")
    assert (problem["row"], problem["column"], problem["value"]) == (row, column, value)
    assert problem["message"] == (
        f"'{value}' is not a number: write the {column} as digits only (no text, spaces, % or thousands separators)"
    )
    assert f"ERROR (row {row}, column {column}): '{value}' is not a number" in report.to_text()


@pytest.mark.parametrize("column", ["numerator", "denominator"])
def test_fractions_in_counts(return_rows, write_return, check_return, column):
    row = set_cell(return_rows, ("C2", "NORTH", "2"), column, "25.5")
    problem = only(check_return(write_return(return_rows)), "fraction")
    assert (problem["row"], problem["column"], problem["value"]) == (row, column, "25.5")
    assert problem["message"] == "25.5 is not a whole number: C2 counts children, so write a whole number"


def test_whole_numbers_with_a_zero_decimal_and_ratio_decimals_are_accepted(
    return_rows, write_return, check_return
):
    return_rows.row("C2", "NORTH", "2")["numerator"] = "25.0"  # as some spreadsheets export whole numbers
    assert return_rows.row("HVVAC", "ALL")["numerator"] == "5.7"  # WTE: decimals are allowed for ratios
    assert check_return(write_return(return_rows)).problems.is_empty()


@pytest.mark.parametrize("column", ["numerator", "denominator"])
def test_negative_counts(return_rows, write_return, check_return, column):
    row = set_cell(return_rows, ("C2", "NORTH", "2"), column, "-3")
    problem = only(check_return(write_return(return_rows)), "negative")
    assert (problem["row"], problem["column"], problem["value"]) == (row, column, "-3")
    assert problem["message"] == "-3 is negative: counts cannot be below zero"


def test_numerator_more_than_denominator(return_rows, write_return, check_return):
    key = ("C2", "NORTH", "2")
    assert return_rows.row(*key)["denominator"] == "33"
    row = set_cell(return_rows, key, "numerator", "34")
    report = check_return(write_return(return_rows))
    problem = only(report, "numerator_over_denominator")
    assert (problem["row"], problem["column"]) == (row, "numerator")
    assert problem["message"] == (
        "the numerator 34 is more than the denominator 33: the numerator counts children within the denominator, "
        "so check both"
    )


def test_blank_numerator_and_denominator(return_rows, write_return, check_return):
    numerator_row = set_cell(return_rows, ("C2", "NORTH", "2"), "numerator", "")
    denominator_row = set_cell(return_rows, ("C3", "NORTH", "2"), "denominator", "")
    report = check_return(write_return(return_rows))
    [numerator] = problems(report, "missing_numerator")
    [denominator] = problems(report, "missing_denominator")
    assert (numerator["row"], numerator["column"]) == (numerator_row, "numerator")
    assert numerator["message"] == "the numerator of C2 is blank: write 0 when there were none"
    assert (denominator["row"], denominator["column"]) == (denominator_row, "denominator")
    assert (
        denominator["message"]
        == "the denominator of C3 is blank: C3 needs one (write 0 when the cohort was empty)"
    )


def test_denominator_given_for_a_count(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("C1", "NORTH", "2"), "denominator", "40")
    problem = only(check_return(write_return(return_rows)), "denominator_not_allowed")
    assert (problem["row"], problem["column"]) == (row, "denominator")
    assert problem["message"] == "C1 is a count with no denominator: leave the denominator blank"


# ---- codes --------------------------------------------------------------------------------------------------------


def test_unknown_metric(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("C2", "NORTH", "2"), "metric_code", "C99")
    report = check_return(write_return(return_rows))
    [problem] = problems(report, "unknown_metric")
    assert (problem["row"], problem["column"], problem["value"]) == (row, "metric_code", "C99")
    assert problem["message"].startswith(
        "'C99' is not a metric code in the KPI catalogue: use one of C1, C2, C3, "
    )


def test_metric_codes_are_not_case_sensitive(return_rows, write_return, check_return):
    for row in return_rows:
        row["metric_code"] = row["metric_code"].lower()
        row["locality_code"] = row["locality_code"].lower()
        row["imd_decile"] = row["imd_decile"].lower()
    assert check_return(write_return(return_rows)).problems.is_empty()


def test_unknown_locality(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("C2", "NORTH", "2"), "locality_code", "EAST")
    report = check_return(write_return(return_rows))
    problem = only(report, "unknown_locality")
    assert (problem["row"], problem["column"], problem["value"]) == (row, "locality_code", "EAST")
    assert problem["message"] == (
        "'EAST' is not one of the council's localities: use CENTRAL, NORTH, SOUTH, WEST (or ALL for borough-level "
        "KPIs)"
    )


def test_all_for_a_locality_kpi(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("C2", "CENTRAL", ""), "locality_code", "ALL")
    problem = only(check_return(write_return(return_rows)), "breakdown_not_available")
    assert (problem["row"], problem["column"]) == (row, "locality_code")
    assert problem["message"] == (
        "C2 is reported per locality (CENTRAL, NORTH, SOUTH, WEST): the borough total is added up from the localities"
    )


def test_locality_for_a_borough_kpi(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("FNP1", "ALL", ""), "locality_code", "NORTH")
    report = check_return(write_return(return_rows))
    [problem] = problems(report, "breakdown_not_available")
    assert (problem["row"], problem["column"]) == (row, "locality_code")
    assert problem["message"] == "FNP1 is reported for the borough only: write ALL as the locality"


def test_decile_for_a_kpi_without_deciles(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("SN1", "NORTH", ""), "imd_decile", "3")
    problem = only(check_return(write_return(return_rows)), "breakdown_not_available")
    assert (problem["row"], problem["column"]) == (row, "imd_decile")
    assert problem["message"] == "SN1 has no deprivation breakdown: leave imd_decile blank"


@pytest.mark.parametrize("decile", ["11", "0", "X", "1-2"])
def test_decile_outside_1_to_10_or_u(return_rows, write_return, check_return, decile):
    row = set_cell(return_rows, ("C2", "NORTH", "2"), "imd_decile", decile)
    problem = only(check_return(write_return(return_rows)), "bad_decile")
    assert (problem["row"], problem["column"], problem["value"]) == (row, "imd_decile", decile)
    assert problem["message"] == (
        f"'{decile}' is not a deprivation decile: use 1 (most deprived) to 10, U for unknown LSOA, or leave blank "
        "for all deciles"
    )


@pytest.mark.parametrize(
    ("locality", "decile", "held"), [("NORTH", "10", "9"), ("SOUTH", "4", "3"), ("WEST", "2", "3")]
)
def test_decile_the_locality_has_no_lsoa_in(
    return_rows, write_return, check_return, sample_ro_store, locality, decile, held
):
    from kpi.core.councils import locality_cells

    # 2026-27 Q2 is on IoD2025 (LSOAs 2021): North has none in decile 10, South none in 1 or 4, West none in 2 or 4
    cells = locality_cells(sample_ro_store, COUNCIL_CODE, index_code="IoD2025")
    deciles = cells.filter(cells["locality_code"] == locality)["imd_decile"].to_list()
    assert int(decile) not in deciles and int(held) in deciles
    row = set_cell(return_rows, ("C2", locality, held), "imd_decile", decile)
    problem = only(check_return(write_return(return_rows)), "decile_without_lsoa")
    assert (problem["row"], problem["column"]) == (row, "imd_decile")
    assert problem["message"] == (
        f"locality {locality} has no LSOA in decile {decile}: children there cannot be in that decile; check the "
        "decile or locality"
    )


def test_the_cells_follow_the_quarters_index(return_rows, write_return, sample_store):
    """On IoD2019 (the setting moved later), North has no LSOA in decile 8, which it has on IoD2025."""
    from kpi.contract.targets import set_setting
    from kpi.core import deprivation
    from kpi.returns.load import CHECKED, load_return

    def check():
        result = load_return(sample_store, write_return(return_rows).read_bytes(), "return.csv",
                             council_code=COUNCIL_CODE, provider_code="ZZ1", principal=local_principal("t"),
                             check_only=True)  # fmt: skip
        assert result.outcome == CHECKED
        return result.report

    north8 = return_rows.source_row("C2", "NORTH", "8")
    assert not [p for p in check().problems.to_dicts() if p["row"] == north8]
    set_setting(
        sample_store, COUNCIL_CODE, deprivation.QUARTER_SETTING, "2027-28 Q1", principal=local_principal("t")
    )
    problems = check().problems.filter(pl.col("check") == "decile_without_lsoa")
    assert north8 in problems["row"].to_list()


@pytest.mark.parametrize("written", ["IoD2025", "iod2025", "IMD 2025", ""])
def test_the_return_may_name_the_quarters_index(return_rows, write_return, check_return, written):
    for row in return_rows:
        row["imd_index"] = written
    _assert_clean(check_return(write_return(return_rows, columns=HEADER.split(","))))


def test_a_return_on_the_other_index_is_a_warning_the_commissioner_sees(
    return_rows, write_return, check_return
):
    for row in return_rows:
        row["imd_index"] = "IoD2019" if row["imd_decile"] else ""
    report = check_return(write_return(return_rows, columns=HEADER.split(",")))
    assert report.errors.is_empty()
    warned = report.warnings.filter(pl.col("check") == "wrong_index")
    assert warned.height == sum(1 for r in return_rows if r["imd_decile"])
    assert set(warned["message"]) == {
        "the deciles are on IoD2019 but 2026-27 Q2 uses IoD2025 (docs/methods.md section 7.1): assign the deciles "
        "on IoD2025, or confirm"
    }


def test_an_unknown_index_is_an_error(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("C2", "NORTH", "9"), "imd_index", "IoD2015")
    problem = only(check_return(write_return(return_rows, columns=HEADER.split(","))), "bad_index")
    assert (problem["row"], problem["column"]) == (row, "imd_index")
    assert problem["message"].startswith("'IoD2015' is not a deprivation index: write IoD2019 or IoD2025")
    assert problem["message"].endswith("or leave it blank for the period's (IoD2025)")


# ---- periods and provider -----------------------------------------------------------------------------------------


def test_malformed_period_in_every_row(return_rows, write_return, check_return):
    for row in return_rows:
        row["period"] = "Q2 2026-27"
    report = check_return(write_return(return_rows))
    found = problems(report, "bad_period")
    assert len(found) == len(return_rows)
    assert {p["message"] for p in found} == {
        "'Q2 2026-27' is not a period: write the financial year and quarter like '2026-27 Q2' (or a month like "
        "'2026-27 M05', M01 = April)"
    }
    assert "ERROR (rows 2-657, column period): 'Q2 2026-27' is not a period" in report.to_text()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-27 Q5", "'2026-27 Q5' is not a period: quarters run Q1 to Q4"),
        (
            "2026-28 Q2",
            "'2026-28 Q2' is not a financial year: the second year must follow the first, like '2026-27'",
        ),
        ("", "the period is blank: write it like '2026-27 Q2'"),
    ],
)
def test_malformed_period_in_one_row(return_rows, write_return, check_return, value, message):
    row = set_cell(return_rows, ("C2", "NORTH", "2"), "period", value)
    problem = only(check_return(write_return(return_rows)), "bad_period")
    assert (problem["row"], problem["column"], problem["message"]) == (row, "period", message)


def test_a_month_is_not_a_quarter(return_rows, write_return, check_return):
    for row in return_rows:
        row["period"] = "2026-27 M05"
    problem = only(check_return(write_return(return_rows)), "not_a_quarter")
    assert problem["column"] == "period"
    assert (
        problem["message"]
        == "2026-27 M05 is a month: the return is quarterly, write the quarter like '2026-27 Q2'"
    )


def test_period_not_yet_ended(return_rows, write_return, check_return, hcp_today):
    for row in return_rows:
        row["period"] = "2026-27 Q3"
    problem = only(check_return(write_return(return_rows)), "period_not_ended")
    assert problem["column"] == "period"
    assert problem["message"] == (
        "2026-27 Q3 has not ended yet (it ends on 31 December 2026): a return can be loaded once its period is over"
    )


def test_a_period_ends_by_hcp_today(return_rows, write_return, check_return, monkeypatch):
    path = write_return(return_rows)
    monkeypatch.setenv("HCP_TODAY", "2026-09-30")  # the last day of 2026-27 Q2: not over yet
    assert [p["check"] for p in problems(check_return(path))] == ["period_not_ended"]
    monkeypatch.setenv("HCP_TODAY", "2026-10-01")
    assert check_return(path).problems.is_empty()


def test_more_than_one_period(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("C2", "NORTH", "2"), "period", "2026-27 Q1")
    report = check_return(write_return(return_rows))
    problem = only(report, "several_periods")
    assert (problem["row"], problem["column"]) == (row, "period")
    assert problem["message"] == (
        "the file holds 2 periods (2026-27 Q1, 2026-27 Q2): send one file per period (most rows are for 2026-27 Q2)"
    )


def test_provider_other_than_the_one_loading(return_rows, write_return, check_return):
    path = write_return(return_rows)
    report = check_return(path, provider="ZZ2")
    found = problems(report, "wrong_provider")
    assert len(found) == len(return_rows) and len(problems(report)) == len(found)
    assert {(p["column"], p["message"]) for p in found} == {
        ("provider_code", "the provider code 'ZZ1' is not ZZ2: a file may only hold ZZ2's return")
    }
    assert "ERROR (rows 2-657, column provider_code): the provider code 'ZZ1' is not ZZ2" in report.to_text()


def test_one_row_for_another_provider(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("C2", "NORTH", "2"), "provider_code", "RY7")
    problem = only(check_return(write_return(return_rows)), "wrong_provider")
    assert (problem["row"], problem["column"], problem["value"]) == (row, "provider_code", "RY7")
    assert problem["message"] == "the provider code 'RY7' is not ZZ1: a file may only hold ZZ1's return"


# ---- keys and sums ------------------------------------------------------------------------------------------------


def test_duplicate_keys(return_rows, write_return, check_return):
    first = return_rows.source_row("C2", "NORTH", "2")
    return_rows.append(dict(return_rows.row("C2", "NORTH", "2")))
    report = check_return(write_return(return_rows))
    found = problems(report, "duplicate_row")
    assert [p["check"] for p in problems(report)] == ["duplicate_row", "duplicate_row"]
    assert [p["row"] for p in found] == [first, len(return_rows) + 1]
    assert {(p["column"], p["message"]) for p in found} == {
        (
            "metric_code",
            "C2 for locality NORTH decile 2 appears more than once: keep one row per metric, locality "
            "and decile",
        )
    }
    assert (
        f"ERROR (rows {first}, {len(return_rows) + 1}, column metric_code): C2 for locality NORTH"
        in report.to_text()
    )


def test_duplicate_all_decile_rows(return_rows, write_return, check_return):
    return_rows.append(dict(return_rows.row("SN1", "NORTH")))
    found = problems(check_return(write_return(return_rows)), "duplicate_row")
    assert {p["message"] for p in found} == {
        "SN1 for locality NORTH decile (all) appears more than once: keep one row per metric, locality and decile"
    }


def test_decile_numerators_not_adding_up(return_rows, write_return, check_return):
    set_cell(return_rows, ("C2", "NORTH", "2"), "numerator", "24")  # was 25; the all-deciles row says 153
    total_row = return_rows.source_row("C2", "NORTH")
    problem = only(check_return(write_return(return_rows)), "deciles_do_not_add_up")
    assert (problem["row"], problem["column"]) == (total_row, "numerator")
    assert problem["message"] == (
        "C2 NORTH: the decile rows (including U) add up to a numerator of 152 but the all-deciles row says 153: "
        "correct the rows so they agree"
    )


def test_decile_denominators_not_adding_up(return_rows, write_return, check_return):
    set_cell(return_rows, ("C2", "NORTH", "U"), "denominator", "10")  # was 9; the all-deciles row says 190
    report = check_return(write_return(return_rows))
    # C3's U row still says 9, so the shared-denominator check names that row too
    assert sorted(p["check"] for p in problems(report)) == [
        "deciles_do_not_add_up",
        "related_denominators_differ",
    ]
    [problem] = problems(report, "deciles_do_not_add_up")
    assert (problem["row"], problem["column"]) == (return_rows.source_row("C2", "NORTH"), "denominator")
    assert problem["message"] == (
        "C2 NORTH: the decile rows (including U) add up to a denominator of 191 but the all-deciles row says 190: "
        "correct the rows so they agree"
    )


def test_decile_rows_without_an_all_deciles_row_need_no_sum(return_rows, write_return, check_return):
    del return_rows[return_rows.index_of("C2", "NORTH")]
    assert check_return(write_return(return_rows)).problems.is_empty()


# ---- related KPIs describe the same children (issue #12 section 6) -------------------------------------------------


def test_c2_and_c3_share_one_denominator(return_rows, write_return, check_return):
    set_cell(return_rows, ("C3", "NORTH", "2"), "denominator", "34")  # C2 NORTH 2 says 33
    set_cell(
        return_rows, ("C3", "NORTH"), "denominator", "191"
    )  # so the decile rows still add up; C2 says 190
    report = check_return(write_return(return_rows))
    found = problems(report)
    assert {p["check"] for p in found} == {"related_denominators_differ"}, report.to_text()
    assert [(p["severity"], p["row"], p["column"], p["value"], p["message"]) for p in found] == [
        (
            "error",
            return_rows.source_row("C3", "NORTH", "2"),
            "denominator",
            "34",
            f"C3 NORTH decile 2: the denominator 34 differs from C2's denominator 33 (row "
            f"{return_rows.source_row('C2', 'NORTH', '2')}): C2 and C3 count the same infants (those who turned 30 "
            "days in the period), so give both the same denominator",
        ),
        (
            "error",
            return_rows.source_row("C3", "NORTH"),
            "denominator",
            "191",
            f"C3 NORTH all deciles: the denominator 191 differs from C2's denominator 190 (row "
            f"{return_rows.source_row('C2', 'NORTH')}): C2 and C3 count the same infants (those who turned 30 "
            "days in the period), so give both the same denominator",
        ),
    ]


def test_c2_plus_c3_above_their_denominator(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("C3", "NORTH", "2"), "numerator", "9")  # C2 25 + C3 9 = 34 of 33 infants
    set_cell(return_rows, ("C3", "NORTH"), "numerator", "35")  # 153 + 35 = 188 of 190: fine
    problem = only(check_return(write_return(return_rows)), "visits_over_cohort")
    assert (problem["severity"], problem["row"], problem["column"], problem["value"]) == (
        "error",
        row,
        "numerator",
        "9",
    )
    assert problem["message"] == (
        f"C3 NORTH decile 2: 25 new birth visits within 14 days (C2, row {return_rows.source_row('C2', 'NORTH', '2')}) "
        "plus 9 after 14 days (C3) make 34, more than the 33 infants in the cohort: an infant's visit is within or "
        "after 14 days, never both, so check both numerators"
    )


def test_c6ii_denominator_is_c6i_numerator(return_rows, write_return, check_return):
    set_cell(return_rows, ("C6i", "NORTH", "2"), "numerator", "16")  # C6ii NORTH 2 has 17 reviews done
    set_cell(return_rows, ("C6i", "NORTH"), "numerator", "135")  # C6ii NORTH has 136
    report = check_return(write_return(return_rows))
    found = problems(report)
    assert {p["check"] for p in found} == {"related_denominators_differ"}, report.to_text()
    assert [(p["row"], p["column"], p["value"]) for p in found] == [
        (return_rows.source_row("C6ii", "NORTH", "2"), "denominator", "17"),
        (return_rows.source_row("C6ii", "NORTH"), "denominator", "136"),
    ]
    assert found[0]["message"] == (
        "C6ii NORTH decile 2: the denominator 17 (2-2½ year reviews done) differs from C6i's numerator 16 (row "
        f"{return_rows.source_row('C6i', 'NORTH', '2')}), which counts the same reviews: make them the same"
    )


@pytest.mark.parametrize("domain", ["C6iii", "C6viii"])
def test_asq_domain_denominator_above_reviews_using_asq(return_rows, write_return, check_return, domain):
    decile_row = return_rows.row(domain, "NORTH", "2")
    total_row = return_rows.row(domain, "NORTH")
    asq = return_rows.row("C6ii", "NORTH", "2")["numerator"]  # 14 reviews used ASQ-3
    decile_row["denominator"] = str(int(asq) + 1)
    total_row["denominator"] = str(int(total_row["denominator"]) + int(asq) + 1 - 14)
    report = check_return(write_return(return_rows))
    found = problems(report, "asq_domain_over_asq_reviews")
    assert {p["check"] for p in problems(report)} == {"asq_domain_over_asq_reviews"}, report.to_text()
    first = found[0]
    assert (first["severity"], first["row"], first["column"], first["value"]) == (
        "error",
        return_rows.source_row(domain, "NORTH", "2"),
        "denominator",
        "15",
    )
    assert first["message"] == (
        f"{domain} NORTH decile 2: the denominator 15 (reviews with a score in this ASQ-3 domain) is more than "
        f"C6ii's numerator 14 (row {return_rows.source_row('C6ii', 'NORTH', '2')}), the reviews that used ASQ-3: "
        "a domain is only scored in such a review, so check both"
    )


def test_c5_rate_below_c4_rate_is_a_warning(return_rows, write_return, check_return):
    set_cell(return_rows, ("C5", "NORTH", "4"), "numerator", "53")  # was 63
    row = set_cell(
        return_rows, ("C5", "NORTH"), "numerator", "174"
    )  # 174 of 220 = 79.1%; C4: 160 of 197 = 81.2%
    report = check_return(write_return(return_rows))
    problem = only(report, "c5_below_c4")  # decile 4 (53/75 against 60/73) is not compared on its own
    assert (problem["severity"], problem["row"], problem["column"], problem["value"]) == (
        "warning",
        row,
        "numerator",
        "79.1",
    )
    assert problem["message"] == (
        f"C5 NORTH: 79.1% of children were reviewed by 15 months, below the 81.2% reviewed by 12 months (C4, row "
        f"{return_rows.source_row('C4', 'NORTH')}): the 15-month rate also counts reviews done after 12 months, so "
        "it is normally the higher; check both, or confirm with a reason"
    )


def test_c5_below_c4_uses_the_decile_rows_when_there_is_no_all_deciles_row(
    return_rows, write_return, check_return
):
    set_cell(return_rows, ("C5", "NORTH", "4"), "numerator", "53")
    set_cell(return_rows, ("C5", "NORTH"), "numerator", "174")
    del return_rows[return_rows.index_of("C4", "NORTH")]
    del return_rows[return_rows.index_of("C5", "NORTH")]
    problem = only(check_return(write_return(return_rows)), "c5_below_c4")
    assert problem["row"] is None
    assert problem["message"].startswith(
        "C5 NORTH: 79.1% of children were reviewed by 15 months, below the 81.2% reviewed by 12 months (C4, its "
        "decile rows added up): "
    )


def test_breastfeeding_denominator_below_c8i_reports_the_status_known_share(
    return_rows, write_return, check_return
):
    set_cell(
        return_rows, ("C8ii", "NORTH", "2"), "denominator", "16"
    )  # C8i NORTH 2: 17 infants due the review
    set_cell(return_rows, ("C8ii", "NORTH"), "denominator", "198")  # C8i NORTH: 199
    report = check_return(write_return(return_rows))
    assert report.ok
    found = problems(report)
    assert {p["check"] for p in found} == {"breastfeeding_status_known"}, report.to_text()
    assert [(p["severity"], p["row"], p["column"], p["value"]) for p in found] == [
        ("warning", return_rows.source_row("C8ii", "NORTH", "2"), "denominator", "94.1"),
        ("warning", return_rows.source_row("C8ii", "NORTH"), "denominator", "99.5"),
    ]
    assert found[0]["message"] == (
        f"C8ii NORTH decile 2: the denominator 16 is below the 17 infants due a 6-8 week review (C8i's denominator, "
        f"row {return_rows.source_row('C8i', 'NORTH', '2')}): breastfeeding status is known for 94.1% of them. "
        "C8ii's denominator is every infant due the review, status known or not: correct it, or confirm with a "
        "reason"
    )


def test_breastfeeding_denominator_above_c8i(return_rows, write_return, check_return):
    set_cell(return_rows, ("C8ii", "NORTH", "2"), "denominator", "18")
    set_cell(return_rows, ("C8ii", "NORTH"), "denominator", "200")
    found = problems(check_return(write_return(return_rows)), "breastfeeding_status_known")
    assert [p["row"] for p in found] == [
        return_rows.source_row("C8ii", "NORTH", "2"),
        return_rows.source_row("C8ii", "NORTH"),
    ]
    assert found[0]["message"] == (
        f"C8ii NORTH decile 2: the denominator 18 is more than the 17 infants due a 6-8 week review (C8i's "
        f"denominator, row {return_rows.source_row('C8i', 'NORTH', '2')}): both count the same infants, so check "
        "both, or confirm with a reason"
    )


def test_breastfeeding_numerator_above_its_denominator(return_rows, write_return, check_return):
    row = set_cell(return_rows, ("C8ii", "NORTH", "2"), "numerator", "18")  # of 17 infants
    set_cell(return_rows, ("C8ii", "NORTH"), "numerator", "92")
    problem = only(check_return(write_return(return_rows)), "numerator_over_denominator")
    assert (problem["row"], problem["column"], problem["value"]) == (row, "numerator", "18")
    assert problem["message"] == (
        "the numerator 18 is more than the denominator 17: the numerator counts children within the denominator, "
        "so check both"
    )


def test_a_row_with_another_error_is_not_compared_with_its_related_kpi(
    return_rows, write_return, check_return
):
    set_cell(return_rows, ("C3", "NORTH", "2"), "denominator", "33.5")
    set_cell(return_rows, ("C6ii", "NORTH", "2"), "denominator", "x")
    assert {p["check"] for p in problems(check_return(write_return(return_rows)))} == {
        "fraction",
        "not_a_number",
    }


def test_related_checks_are_reported_with_every_other_problem(return_rows, write_return, check_return):
    set_cell(return_rows, ("C1", "CENTRAL", "1"), "numerator", "abc")
    set_cell(return_rows, ("C3", "NORTH", "2"), "denominator", "34")
    set_cell(return_rows, ("C3", "NORTH"), "denominator", "191")
    set_cell(return_rows, ("C8ii", "NORTH", "2"), "denominator", "16")
    set_cell(return_rows, ("C8ii", "NORTH"), "denominator", "198")
    report = check_return(write_return(return_rows))
    assert {(p["severity"], p["check"]) for p in problems(report)} == {
        ("error", "not_a_number"),
        ("error", "related_denominators_differ"),
        ("warning", "breastfeeding_status_known"),
    }


# ---- files that cannot be read -------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \r\n\n "])
def test_empty_file(check_return, data):
    problem = only(check_return(data), "unreadable")
    assert problem["message"] == "the file is empty: export the return again with its header row and data"


def test_header_without_rows(check_return):
    problem = only(check_return((HEADER + "\n").encode()), "empty")
    assert problem["message"] == "the file has a header but no data rows: add the return's rows"


def test_garbage_bytes(check_return):
    problem = only(check_return(bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 40), "unreadable")
    assert problem["message"] == (
        "the file's characters could not be read: save it as CSV UTF-8 (Excel: File > Save As > 'CSV UTF-8 (Comma "
        "delimited)')"
    )


def test_binary_file(check_return):
    problem = only(check_return(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00" * 20), "unreadable")
    assert problem["message"] == "the file is not a text CSV file: send the return as CSV or .xlsx"


def test_ragged_csv(return_rows, write_return, check_return):
    text = write_return(return_rows).read_text(encoding="utf-8") + "2026-27 Q2,ZZ1,C2,NORTH,2,1,2,a,b,c\n"
    problem = only(check_return(text.encode()), "unreadable")
    assert problem["message"].startswith("the CSV file could not be read (")
    assert problem["message"].endswith(
        "check every row has the same number of commas as the header and that text with commas is in double quotes"
    )


def test_truncated_xlsx(return_rows, write_return, check_return):
    data = write_return(return_rows, "return.xlsx").read_bytes()
    problem = only(check_return(data[: len(data) // 2], name="return.xlsx"), "unreadable")
    assert problem["message"] == (
        "the workbook is damaged or incomplete and cannot be opened: save it again from Excel, or send CSV"
    )


def test_xlsx_without_a_return_sheet(return_rows, write_return, check_return):
    path = write_return(return_rows, "return.xlsx", sheet="Sheet1")
    problem = only(check_return(path), "unreadable")
    assert problem["message"] == (
        "the workbook has no sheet named 'Return' (it has: Sheet1): put the data on a sheet called 'Return'"
    )


def test_old_xls_workbook(check_return):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    for name in ("return.xls", "return.csv"):
        problem = only(check_return(data, name=name), "unreadable")
        assert problem["message"] == "old .xls workbooks are not read: save the return as .xlsx or CSV"


def test_zip_that_is_not_a_workbook(check_return):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    problem = only(check_return(buffer.getvalue(), name="return.xlsx"), "unreadable")
    assert problem["message"] == "the file is not an Excel workbook: send the return as .xlsx or CSV"


# ---- warnings -----------------------------------------------------------------------------------------------------


def test_metric_by_locality_rows_not_returned(return_rows, write_return, check_return):
    kept = [r for r in return_rows if not (r["metric_code"] == "C2" and r["locality_code"] == "WEST")]
    kept = [r for r in kept if r["metric_code"] != "FNP1"]
    report = check_return(write_return(kept))
    assert report.ok and [p["severity"] for p in problems(report)] == ["warning", "warning"]
    found = problems(report, "rows_not_returned")
    assert [(p["column"], p["value"], p["message"]) for p in found] == [
        (
            "metric_code",
            "C2 WEST",
            "C2 has no rows for locality WEST: add them, or confirm the return without them",
        ),
        (
            "metric_code",
            "FNP1 ALL",
            "FNP1 has no rows for the borough: add them, or confirm the return without them",
        ),
    ]
    assert "WARNING (column metric_code): C2 has no rows for locality WEST" in report.to_text()
    assert "0 error(s), 2 warning(s)." in report.to_text()


def _add_unknown(rows, metric, locality, extra):
    for key in ((metric, locality, "U"), (metric, locality, "")):
        row = rows.row(*key)
        row["numerator"] = str(int(row["numerator"]) + extra)
        row["denominator"] = str(int(row["denominator"]) + extra)
        if metric == "C2":  # C3 shares C2's denominator (related_denominators_differ)
            shared = rows.row("C3", *key[1:])
            shared["denominator"] = str(int(shared["denominator"]) + extra)


def test_unknown_decile_share_above_threshold(return_rows, write_return, check_return):
    _add_unknown(return_rows, "C2", "NORTH", 40)  # U: 49 of 230 = 21.3%, above the 10% default
    report = check_return(write_return(return_rows))
    # C3 shares the denominator, so its U share (9 + 40 of 230) is warned as well
    assert [p["check"] for p in problems(report)] == ["unknown_decile_share"] * 2, report.to_text()
    [problem] = [p for p in problems(report) if p["message"].startswith("C2 ")]
    assert problem["severity"] == "warning"
    assert (problem["row"], problem["column"], problem["value"]) == (
        return_rows.source_row("C2", "NORTH", "U"),
        "imd_decile",
        "21.3",
    )
    assert problem["message"] == (
        "C2 NORTH: 21.3% of children are in decile U (LSOA unknown), above the 10.0% threshold: check postcodes are "
        "recorded"
    )


def test_unknown_decile_share_at_threshold_is_not_warned(return_rows, write_return, check_return):
    _add_unknown(return_rows, "C2", "NORTH", 11)  # U: 20 of 201 = 9.95%
    assert check_return(write_return(return_rows)).problems.is_empty()


def test_value_moved_more_than_the_set_amount(return_rows, write_return, check_return):
    for row in return_rows:
        if row["metric_code"] == "C8i" and row["locality_code"] == "SOUTH":
            row["numerator"] = "0"
    report = check_return(write_return(return_rows))
    problem = only(report, "large_movement")
    assert problem["severity"] == "warning"
    assert (problem["row"], problem["column"], problem["value"]) == (
        return_rows.source_row("C8i", "SOUTH"),
        "numerator",
        "0.0",
    )
    assert problem["message"] == (
        "C8i SOUTH: 0.0% this period against 86.8% in 2026-27 Q1, a move of more than 15.0 points: check the "
        "figures, or confirm them with a reason"
    )


def test_movement_threshold_is_a_setting(sample_store, return_rows, write_return):
    from kpi.contract.targets import set_setting

    data = write_return(return_rows).read_bytes()

    def checks():
        result = load_return(
            sample_store,
            data,
            "return.csv",
            council_code=COUNCIL_CODE,
            provider_code=PROVIDER_CODE,
            principal=local_principal("test"),
            check_only=True,
        )
        return {p["check"] for p in problems(result.report)}

    assert checks() == set()
    set_setting(
        sample_store,
        COUNCIL_CODE,
        "movement_warn_points",
        0.5,
        principal=local_principal("test"),
        reason="tighter",
    )
    set_setting(
        sample_store,
        COUNCIL_CODE,
        "unknown_decile_warn_pct",
        0.5,
        principal=local_principal("test"),
        reason="tighter",
    )
    assert checks() == {"large_movement", "unknown_decile_share"}


# ---- every problem at once ----------------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once(return_rows, write_return, check_return):
    set_cell(return_rows, ("C1", "CENTRAL", "1"), "numerator", "abc")
    set_cell(return_rows, ("C1", "CENTRAL", "2"), "numerator", "2.5")
    set_cell(return_rows, ("C1", "CENTRAL", "3"), "numerator", "-3")
    set_cell(return_rows, ("C3", "CENTRAL", "1"), "metric_code", "C99")
    set_cell(return_rows, ("C3", "SOUTH", "2"), "locality_code", "EAST")  # IoD2025: South has no 1
    set_cell(return_rows, ("C4", "WEST", "1"), "imd_decile", "11")
    set_cell(return_rows, ("C5", "WEST", "1"), "provider_code", "ZZ2")
    set_cell(return_rows, ("C5", "WEST", "3"), "period", "2026-27 Q1")  # IoD2025: West has no 2
    set_cell(return_rows, ("C2", "NORTH", "9"), "imd_decile", "10")  # North has none in 10
    set_cell(return_rows, ("FNP1", "ALL"), "locality_code", "NORTH")
    set_cell(return_rows, ("C8i", "SOUTH", "5"), "numerator", "999")
    set_cell(return_rows, ("C8ii", "WEST", "3"), "numerator", "0")  # decile rows no longer add up
    return_rows.append(dict(return_rows.row("C6i", "WEST", "3")))
    report = check_return(write_return(return_rows))
    checks = [p["check"] for p in problems(report)]
    assert set(checks) == {
        "not_a_number",
        "fraction",
        "negative",
        "unknown_metric",
        "unknown_locality",
        "bad_decile",
        "wrong_provider",
        "several_periods",
        "decile_without_lsoa",
        "breakdown_not_available",
        "numerator_over_denominator",
        "deciles_do_not_add_up",
        "duplicate_row",
    }, report.to_text()
    # one sum problem only: the metric x localities spoilt by other errors are not added up as well
    assert checks.count("deciles_do_not_add_up") == 1
    assert problems(report, "deciles_do_not_add_up")[0]["message"].startswith("C8ii WEST: ")
    text = report.to_text()
    assert f"{len(checks)} error(s), 0 warning(s)." in text
    assert text.count("\nERROR ") == len(report.grouped())


# ---- harmless variants ------------------------------------------------------------------------------------------


def _assert_clean(report, rows=656):
    assert report.ok and report.problems.is_empty(), report.to_text()
    assert report.rows_read == rows


def test_utf8_with_bom(return_rows, write_return, check_return):
    _assert_clean(check_return(write_return(return_rows, bom=True)))


def test_windows_1252(return_rows, write_return, check_return):
    return_rows.row("C2", "NORTH")["comment"] = "Café closed; £50 vouchers"
    report = check_return(write_return(return_rows, encoding="cp1252"))
    _assert_clean(report)
    assert report.notes == ["read as Windows-1252"]


def test_crlf_line_ends(return_rows, write_return, check_return):
    _assert_clean(check_return(write_return(return_rows, line_end="\r\n")))


def test_columns_in_another_order_and_case(return_rows, write_return, check_return):
    columns = list(reversed(HEADER.split(",")))
    path = write_return(return_rows, columns=columns)
    text = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(text[0].upper().replace("_", " ") + "\n" + text[1], encoding="utf-8")
    _assert_clean(check_return(path))


@pytest.mark.parametrize("spelling", ["2026/27 Q2", "2026-27Q2", "2026/27 q2"])
def test_other_period_spellings(return_rows, write_return, check_return, spelling):
    for row in return_rows:
        row["period"] = spelling
    _assert_clean(check_return(write_return(return_rows)))


def test_xlsx_with_a_return_sheet(return_rows, write_return, check_return):
    _assert_clean(check_return(write_return(return_rows, "return.xlsx")))


def test_blank_lines_keep_row_numbers(return_rows, write_return, check_return):
    path = write_return(return_rows)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(5, "")  # a blank line 6: every later row moves down one in a spreadsheet
    lines.insert(6, ",,,,,,,")
    row = return_rows.source_row("C2", "NORTH", "2") + 2
    lines[row - 1] = lines[row - 1].replace(",25,33,", ",abc,33,")
    problem = only(check_return("\n".join(lines).encode()), "not_a_number")
    assert problem["row"] == row


def test_windows_1252_comment_is_stored_as_written(sample_store, return_rows, write_return):
    return_rows.row("C2", "NORTH")["comment"] = "Café closed; £50 vouchers"
    data = write_return(return_rows, encoding="cp1252", line_end="\r\n").read_bytes()
    result = load_return(
        sample_store,
        data,
        "return.csv",
        council_code=COUNCIL_CODE,
        provider_code=PROVIDER_CODE,
        principal=local_principal("test"),
    )
    assert result.outcome == WRITTEN, result.report.to_text()
    stored = submission_rows(sample_store, result.submission_id, local_principal("test"))
    comment = stored.filter(
        (stored["kpi_code"] == "C2") & (stored["locality_code"] == "NORTH") & (stored["imd_decile"] == "ALL")
    )["comment"].item()
    assert comment == "Café closed; £50 vouchers"
