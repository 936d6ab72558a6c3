"""The NCMP child-level return and eligible pupils: every rejection and warning, data minimisation, one transaction,
supersession with history, the column mapping and the command line (the purge itself: test_purge.py).

Checks run against the sample database (read-only) with the clock at 2026-11-23; writes against a copy of it. The
expected messages are the loader's documented wording (README "The NCMP return"); the personal-data test scans
every text column of every table for the names, NHS numbers, UPNs, postcodes and dates of birth it loaded.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from datetime import datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi.access.principal import local_principal
from kpi.cli import main
from kpi.core import periods as periods
from kpi.ncmp.checks import MappingError, read_mapping
from kpi.ncmp.load import load_ncmp, load_ncmp_eligible
from kpi.returns.load import CHECKED, DUPLICATE, REJECTED, UNCONFIRMED, WRITTEN
from kpi.sample import COUNCIL_CODE, SAMPLE_DIR

COLUMNS = [
    "pupil_name",
    "nhs_number",
    "upn",
    "postcode",
    "academic_year",
    "school_urn",
    "school_year",
    "sex",
    "date_of_birth",
    "date_of_measurement",
    "height_cm",
    "weight_kg",
    "lsoa_code",
    "ethnic_group",
]
TRAFFORD_SOUTH_LSOA = "E01006074"  # in the sample's SOUTH locality
MANCHESTER_LSOA = "E01005066"  # an English LSOA outside Trafford


def child(i: int = 1, **changes: str) -> dict:
    """A valid Reception girl of 2024/25 (5.2 years old, BMI 15.7) with identifying columns."""
    row = {
        "pupil_name": f"Zebedee Quintrell{i}",
        "nhs_number": f"99977{i:05d}",
        "upn": f"Q8{i:011d}",
        "postcode": f"QQ9{i % 10} 8XZ",
        "academic_year": "2024/25",
        "school_urn": "990101",
        "school_year": "R",
        "sex": "F",
        "date_of_birth": "2019-11-20",
        "date_of_measurement": "2025-01-15",
        "height_cm": f"{110 + i % 7}.0",
        "weight_kg": f"{19 + i % 5}.0",
        "lsoa_code": TRAFFORD_SOUTH_LSOA,
        "ethnic_group": "White",
    }
    row.update(changes)
    return row


def to_csv(rows: list[dict], columns: list[str] | None = None) -> bytes:
    text = io.StringIO()
    names = columns or list(rows[0])
    writer = csv.DictWriter(text, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()


@pytest.fixture
def check(sample_ro_store, hcp_today):
    """Validate NCMP bytes against the sample database, writing nothing; returns the report."""

    def run(data: bytes, name: str = "ncmp.csv", **options):
        result = load_ncmp(
            sample_ro_store,
            data,
            name,
            council_code=COUNCIL_CODE,
            principal=local_principal("test"),
            check_only=True,
            **options,
        )
        assert result.outcome == CHECKED
        return result.report

    return run


def only(report, check_name: str) -> dict:
    found = report.problems.filter(pl.col("check") == check_name)
    assert found.height == 1, report.to_text()
    return found.row(0, named=True)


def test_a_valid_extract_checks_clean_and_lists_the_columns_it_drops(check):
    report = check(to_csv([child(1), child(2, sex="male"), child(3, sex="2", date_of_birth="20/11/2019")]))
    assert report.ok and report.warnings.is_empty(), report.to_text()
    assert (
        "columns outside the NCMP return were dropped before anything was stored: pupil_name, postcode"
        in report.notes
    )
    assert (
        "nhs_number, upn used in memory to find duplicate children, then dropped (never stored)"
        in report.notes
    )


REJECTIONS = [
    (
        {"lsoa_code": "E01999999"},
        "unknown_lsoa",
        "lsoa_code",
        "'E01999999' is not an English LSOA code of 2011 (IoD2019) or 2021 (IoD2025): check it, or leave it blank "
        "if the child's LSOA is not known (the decile and home locality are then unknown)",
    ),
    (
        {"sex": "X"},
        "bad_sex",
        "sex",
        "'X' is not a sex the NCMP return records: write M or F (male/female and 1/2 are also read)",
    ),
    ({"sex": ""}, "bad_sex", "sex", "the sex is blank: write M or F (male/female and 1/2 are also read)"),
    (
        {"date_of_birth": "04/13/2019"},
        "date_us_style",
        "date_of_birth",
        "the date of birth looks like month/day/year (US style: its second number is above 12): write dates as "
        "DD/MM/YYYY or YYYY-MM-DD",
    ),
    (
        {"date_of_birth": "20/11/19"},
        "date_two_digit_year",
        "date_of_birth",
        "the date of birth has a two-digit year, which is ambiguous: write DD/MM/YYYY or YYYY-MM-DD",
    ),
    (
        {"date_of_measurement": "15 January 2025"},
        "date_bad_format",
        "date_of_measurement",
        "the date of measurement is not written as DD/MM/YYYY or YYYY-MM-DD: write it in one of those forms",
    ),
    (
        {"date_of_birth": "31/02/2019"},
        "date_impossible",
        "date_of_birth",
        "the date of birth is not a real date (such as 31/02/2019): check it",
    ),
    (
        {"date_of_birth": ""},
        "date_missing",
        "date_of_birth",
        "the date of birth is blank: every child needs one",
    ),
    (
        {"date_of_measurement": ""},
        "date_missing",
        "date_of_measurement",
        "the date of measurement is blank: every child needs one",
    ),
    (
        {"date_of_birth": "2025-02-01", "date_of_measurement": "2025-01-15"},
        "measured_before_birth",
        "date_of_measurement",
        "the date of measurement is before the date of birth: check both dates",
    ),
    (
        {"date_of_measurement": "2024-08-20"},
        "measured_outside_year",
        "date_of_measurement",
        "the date of measurement is outside academic year 2024/25 (1 September 2024 to 31 August 2025): check the "
        "date or the academic year",
    ),
    (
        {"date_of_birth": "2017-11-20"},
        "age_out_of_range",
        "date_of_birth",
        "the child was 7.2 years old when measured: Reception children must be 4.0 to 6.5 years old; check the "
        "dates and the year group",
    ),
    (
        {"date_of_birth": "2021-03-01"},
        "age_out_of_range",
        "date_of_birth",
        "the child was 3.9 years old when measured: Reception children must be 4.0 to 6.5 years old; check the "
        "dates and the year group",
    ),
    (
        {"school_year": "6"},
        "age_out_of_range",
        "date_of_birth",
        "the child was 5.2 years old when measured: Year 6 children must be 9.5 to 12.5 years old; check the "
        "dates and the year group",
    ),
    (
        {"school_year": "Year 6", "date_of_birth": "2011-11-20"},
        "age_out_of_range",
        "date_of_birth",
        "the child was 13.2 years old when measured: Year 6 children must be 9.5 to 12.5 years old; check the "
        "dates and the year group",
    ),
    (
        {"height_cm": "1.10"},
        "measure_out_of_range",
        "height_cm",
        "1.10 cm is outside 70-220 cm: check the height in centimetres",
    ),
    (
        {"height_cm": "221"},
        "measure_out_of_range",
        "height_cm",
        "221 cm is outside 70-220 cm: check the height in centimetres",
    ),
    (
        {"height_cm": ""},
        "missing_measure",
        "height_cm",
        "the height is blank: every child measured has a height in centimetres",
    ),
    (
        {"weight_kg": "n/a"},
        "not_a_number",
        "weight_kg",
        "'n/a' is not a number: write the weight in kilograms as digits, with a decimal point if needed",
    ),
    (
        {"weight_kg": "7.9"},
        "measure_out_of_range",
        "weight_kg",
        "7.9 kg is outside 8-200 kg: check the weight in kilograms",
    ),
    (
        {"weight_kg": "200.5"},
        "measure_out_of_range",
        "weight_kg",
        "200.5 kg is outside 8-200 kg: check the weight in kilograms",
    ),
    (
        {"school_urn": "12345"},
        "bad_urn",
        "school_urn",
        "'12345' is not a school URN: a URN is the school's 6-digit Unique Reference Number",
    ),
    (
        {"school_urn": "\u0669\u0669\u0660\u0661\u0660\u0661"},  # Arabic-Indic digits are not a URN
        "bad_urn",
        "school_urn",
        "'\u0669\u0669\u0660\u0661\u0660\u0661' is not a school URN: a URN is the school's 6-digit Unique "
        "Reference Number",
    ),
    (
        {"height_cm": "\u0661\u0661\u0660"},
        "not_a_number",
        "height_cm",
        "'\u0661\u0661\u0660' is not a number: write the height in centimetres as digits, with a decimal point if "
        "needed",
    ),
    (
        {"school_urn": ""},
        "bad_urn",
        "school_urn",
        "the school URN is blank: give the school's 6-digit Unique Reference Number",
    ),
    (
        {"school_year": "3"},
        "bad_school_year",
        "school_year",
        "'3' is not an NCMP year group: write R (Reception) or 6 (Year 6)",
    ),
    (
        {"academic_year": "2024/26"},
        "bad_academic_year",
        "academic_year",
        "'2024/26' is not an academic year: write it like 2025/26 (the second year follows the first)",
    ),
    (
        {"academic_year": ""},
        "bad_academic_year",
        "academic_year",
        "the academic year is blank: write it like 2025/26",
    ),
]


@pytest.mark.parametrize(("change", "check_name", "column", "message"), REJECTIONS)
def test_every_rejection_names_row_column_and_what_to_do(check, change, check_name, column, message):
    report = check(to_csv([child(1), child(2, **change), child(3)]))
    problem = only(report, check_name)
    assert problem["severity"] == "error"
    assert (problem["row"], problem["column"], problem["message"]) == (3, column, message)
    assert report.errors.height == 1, report.to_text()


def test_a_measurement_after_today_is_refused(check):
    this_year = {
        "academic_year": "2026/27",
        "date_of_birth": "2021-10-01",
        "date_of_measurement": "2026-11-02",
    }
    rows = [child(1, **this_year), child(2, **dict(this_year, date_of_measurement="2026-12-01"))]
    problem = only(check(to_csv(rows)), "measured_in_future")
    assert (problem["row"], problem["message"]) == (
        3,
        "the date of measurement is after today (23 November 2026): check it",
    )


def test_date_values_never_appear_in_the_report(check):
    report = check(to_csv([child(1, date_of_birth="30/02/2019"), child(2, date_of_birth="2017-11-20")]))
    text = report.to_json()
    assert "30/02/2019" not in text and "2017-11-20" not in text
    assert report.errors.height == 2


def test_limits_are_inclusive(check):
    rows = [
        child(1, height_cm="70", weight_kg="8"),
        child(2, date_of_birth="2021-01-15"),  # exactly 4.0 years on 2025-01-15
        child(3, date_of_measurement="2024-09-01"),
        child(4, date_of_measurement="2025-08-31", date_of_birth="2020-01-10"),
    ]
    report = check(to_csv(rows))
    assert report.ok, report.to_text()


def test_a_file_of_several_academic_years_is_refused(check):
    rows = [child(1), child(2), child(3, academic_year="2023/24", date_of_measurement="2024-01-15")]
    problem = only(check(to_csv(rows)), "several_academic_years")
    assert problem["row"] == 4
    assert problem["message"] == (
        "the file holds 2 academic years (2023/24, 2024/25): load one academic year per file "
        "(most rows are for 2024/25)"
    )


def test_missing_columns_and_empty_files_are_refused(check):
    columns = [c for c in COLUMNS if c != "height_cm"]
    problem = only(check(to_csv([child(1)], columns)), "missing_column")
    assert problem["message"].startswith(
        "the column 'height_cm' is missing: add it, or map the extract's column to it with a mapping file (--mapping)"
    )
    header_only = ",".join(COLUMNS).encode() + b"\n"
    assert only(check(header_only), "empty")["message"] == (
        "the file has a header but no data rows: add the children's rows"
    )
    assert only(check(b""), "unreadable")["message"] == (
        "the file is empty: export the return again with its header row and data"
    )


WARNINGS = [
    (
        [child(1), child(2, weight_kg="33.0")],
        "z_improbable",
        3,
        r"BMI z-score 4\.\d is beyond ±4 \(improbable\): check the height and weight, or confirm them",
    ),
    (
        [child(1), child(2, weight_kg="9.0")],
        "z_implausible",
        3,
        r"BMI z-score -1\d\.\d is beyond ±7 \(implausible\): if confirmed, the child is excluded from prevalence "
        r"and counted in data quality; check the height and weight",
    ),
    (
        [child(1), child(2, nhs_number=child(1)["nhs_number"])],
        "duplicate_child",
        3,
        r"this child appears more than once \(same NHS number as row 2\): only the first row is counted; remove "
        r"the repeat, or confirm",
    ),
    (
        [child(1), child(2), child(3, nhs_number="", upn="", height_cm="112.0", weight_kg="21.0")],
        "duplicate_child",
        4,
        r"this child appears more than once \(same date of birth, sex, school, measurement date, height and weight "
        r"as row 3\): only the first row is counted; remove the repeat, or confirm",
    ),
    (
        [
            child(1),
            child(2, lsoa_code="E01033879"),
        ],  # 2021: merged from 2011 LSOAs in IoD2019 deciles 1 and 2
        "split_lsoa",
        3,
        r"LSOA E01033879 \(2021\) matches IoD2019 LSOAs in different deciles \(1, 2\): the child's decile will be "
        r"unknown \(docs/methods.md section 7.1\); give the child's 2011 LSOA code, or confirm",
    ),
]


@pytest.mark.parametrize(("rows", "check_name", "row", "pattern"), WARNINGS)
def test_every_warning_names_the_row_and_needs_confirming(check, rows, check_name, row, pattern):
    report = check(to_csv(rows))
    assert report.ok, report.to_text()
    problem = only(report, check_name)
    assert problem["severity"] == "warning" and problem["row"] == row
    assert re.fullmatch(pattern, problem["message"]), problem["message"]


def test_missing_optional_columns_are_warnings(check):
    columns = [c for c in COLUMNS if c not in ("lsoa_code", "ethnic_group")]
    report = check(to_csv([child(1)], columns))
    messages = report.warnings.filter(pl.col("check") == "optional_column_missing")["message"].to_list()
    assert messages == [
        "the file has no lsoa_code column: every child's deprivation decile and home locality will be unknown; "
        "add it, or confirm",
        "the file has no ethnic_group column: every child's ethnic group will be 'Not stated'; add it, or confirm",
    ]


def test_title_case_headers_gzip_xlsx_and_windows_1252_are_read(check, tmp_path):
    rows = [child(1, pupil_name="Zoë Brontë"), child(2)]
    titled = to_csv(rows).replace(b"date_of_birth", b"Date Of Birth").replace(b"school_urn", b"School URN")
    assert check(titled).ok
    assert check(gzip.compress(to_csv(rows)), "ncmp.csv.gz").ok
    assert check(to_csv(rows).decode().encode("cp1252")).notes[0] == "read as Windows-1252"
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Return")
    sheet.write_row(0, 0, COLUMNS)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, [row[c] for c in COLUMNS])
    workbook.close()
    assert check(buffer.getvalue(), "ncmp.xlsx").ok


def test_a_mapping_file_renames_an_extracts_headers(check):
    renames = {"date_of_birth": "DOB", "nhs_number": "NHS No", "school_urn": "URN"}
    rows = [{renames.get(k, k): v for k, v in child(i).items()} for i in (1, 2)]
    unmapped = check(to_csv(rows))
    assert {"date_of_birth", "school_urn"} <= set(unmapped.errors["column"].to_list())
    mapping = read_mapping(
        b"source_column,target_column\nDOB,date_of_birth\nNHS No,nhs_number\nURN,school_urn\n", "mapping.csv"
    )
    assert mapping == {"dob": "date_of_birth", "nhs_no": "nhs_number", "urn": "school_urn"}
    report = check(to_csv(rows), mapping=mapping)
    assert report.ok and report.warnings.is_empty(), report.to_text()
    with pytest.raises(MappingError, match="'surname' .* is not a column of the NCMP return"):
        read_mapping(b"source_column,target_column\nName,surname\n")
    with pytest.raises(MappingError, match="two extract columns are mapped to 'sex'"):
        read_mapping(b"source_column,target_column\nGender,sex\nSex code,sex\n")
    missing = check(to_csv(rows), mapping={"d_o_b": "date_of_birth"})
    assert only(missing, "unreadable")["message"].startswith(
        "the mapping names column(s) d_o_b, which the file does not have"
    )


# ---- writes ---------------------------------------------------------------------------------------------------


def write(store, data: bytes, name: str = "ncmp.csv", **options):
    return load_ncmp(
        store, data, name, council_code=COUNCIL_CODE, principal=local_principal("tester"), **options
    )


def text_values(store) -> list[str]:
    """Every text value of every text column of every table (and every table's BLOBs decoded)."""
    values = []
    columns = store.query(
        "select table_name, column_name, data_type from duckdb_columns() where not internal"
    ).iter_rows()
    for table, column, kind in columns:
        if kind in ("VARCHAR", "BLOB", "JSON") or kind.endswith("[]"):
            frame = store.query(f'select distinct cast("{column}" as varchar) as v from "{table}"')
            values += [v for v in frame["v"].to_list() if v]
    return values


def test_names_nhs_numbers_and_dates_of_birth_reach_no_table(sample_store, table_counts):
    rows = [
        child(i, date_of_birth=f"2019-{9 + i % 3:02d}-{10 + i:02d}", pupil_name=f"Zebedee Quintrell{i}")
        for i in range(1, 13)
    ]
    rows.append(child(20, nhs_number=rows[0]["nhs_number"], weight_kg="33.0"))  # warnings, confirmed
    before = table_counts(sample_store)
    result = write(sample_store, to_csv(rows), accept_warnings=True, reason="checked with the school")
    assert result.outcome == WRITTEN, result.report.to_text()
    assert table_counts(sample_store)["ncmp_children"] == before["ncmp_children"] + len(rows)
    everything = "\n".join(text_values(sample_store))
    for row in rows:
        for secret in (row["pupil_name"], row["nhs_number"], row["upn"], row["postcode"]):
            assert secret not in everything, secret
        born = datetime.strptime(row["date_of_birth"], "%Y-%m-%d")
        for written in (row["date_of_birth"], f"{born:%d/%m/%Y}", born.strftime("%Y%m%d")):
            assert written not in everything, written
    assert "Quintrell" not in everything  # the surname, in any form
    stored = sample_store.query(
        "select * from ncmp_children where load_id = ? order by age_days", [result.submission_id]
    )
    assert "date_of_birth" not in stored.columns and "date_of_measurement" not in stored.columns
    assert set(stored["measurement_month"].to_list()) == {"2025-01"}
    load = sample_store.query("select * from ncmp_loads where load_id = ?", [result.submission_id]).row(
        0, named=True
    )
    assert load["file_bytes"] is None and load["dropped_columns"] == "pupil_name, postcode"


def test_errors_write_nothing_but_an_audit_entry(sample_store, table_counts):
    before = table_counts(sample_store)
    result = write(sample_store, to_csv([child(1), child(2, sex="X")]))
    assert result.outcome == REJECTED and result.exit_code == 1
    after = table_counts(sample_store)
    assert after.pop("audit_log") == before.pop("audit_log") + 1
    assert after == before
    audit = sample_store.query(
        "select action, detail_json from audit_log order by audit_id desc limit 1"
    ).row(0)
    assert audit[0] == "NCMP return rejected" and json.loads(audit[1])["errors"] == 1


def test_warnings_need_confirming_with_a_reason_then_rows_are_flagged(sample_store, table_counts):
    data = to_csv([child(1), child(2, weight_kg="9.0"), child(3, nhs_number=child(1)["nhs_number"])])
    before = table_counts(sample_store)
    unconfirmed = write(sample_store, data)
    assert unconfirmed.outcome == UNCONFIRMED and unconfirmed.exit_code == 1
    assert "--accept-warnings --reason" in unconfirmed.message
    no_reason = write(sample_store, data, accept_warnings=True, reason="  ")
    assert no_reason.outcome == REJECTED
    assert only(no_reason.report, "reason_needed")["message"] == (
        'confirming warnings needs a reason: add --reason "..."'
    )
    after = table_counts(sample_store)
    assert after.pop("audit_log") == before.pop("audit_log") + 1
    assert after == before
    done = write(sample_store, data, accept_warnings=True, reason="measurements re-checked")
    assert done.outcome == WRITTEN
    stored = sample_store.query(
        "select is_warning_row, is_duplicate, is_excluded, flags from ncmp_children where load_id = ? "
        "order by is_excluded, is_duplicate",
        [done.submission_id],
    ).rows()
    assert stored == [
        (False, False, False, None),
        (True, False, True, "z beyond 7"),
        (True, True, True, "duplicate"),
    ]
    counts = sample_store.query(
        "select measured, valid, excluded_z, duplicates from ncmp_counts where load_id = ? and dimension = 'school'",
        [done.submission_id],
    ).row(0)
    assert counts == (2, 1, 1, 1)


def test_the_same_file_twice_changes_nothing(sample_store, table_counts):
    data = to_csv([child(1), child(2)])
    first = write(sample_store, data)
    assert first.outcome == WRITTEN
    before = table_counts(sample_store)
    again = write(sample_store, data)
    assert again.outcome == DUPLICATE and again.exit_code == 0
    assert (
        again.message == f"this file was already loaded as NCMP load {first.submission_id}: nothing changed"
    )
    assert table_counts(sample_store) == before


def prevalence(store, year, group, as_at=None):
    frame = store.run_sql(
        "marts/mart_ncmp_prevalence", council_code=COUNCIL_CODE, as_at=as_at or periods.now()
    )
    return frame.filter(
        pl.col("academic_year") == year,
        pl.col("school_year") == group,
        pl.col("breakdown") == "borough",
        pl.col("category") == "obese",
    ).row(0, named=True)


def test_a_reload_of_the_year_supersedes_and_history_stays(sample_store):
    sample_2024 = prevalence(sample_store, "2024/25", "R")
    assert sample_2024["measured"] > 2000  # the sample's 2024/25 Reception children
    before = datetime(2026, 11, 22, 0, 0)
    result = write(sample_store, to_csv([child(i) for i in range(1, 6)]), loaded_at=datetime(2026, 11, 22, 9))
    assert result.outcome == WRITTEN
    assert "it supersedes load" in result.message
    assert prevalence(sample_store, "2024/25", "R")["measured"] == 5
    assert prevalence(sample_store, "2024/25", "6")["measured"] > 2000  # Year 6 untouched
    assert prevalence(sample_store, "2024/25", "R", as_at=before)["measured"] == sample_2024["measured"]
    history = sample_store.run_sql("marts/mart_ncmp_loads", council_code=COUNCIL_CODE, as_at=periods.now())
    year = history.filter(pl.col("academic_year") == "2024/25", pl.col("dataset") == "ncmp")
    assert sorted(year["status"].to_list()) == ["current", "current"]  # the old load still holds Year 6
    assert (
        sample_store.query(
            "select count(*) from ncmp_load_parts where superseded_by = ? and school_year = 'R'",
            [result.submission_id],
        ).item()
        == 1
    )


def test_children_living_outside_the_borough_are_counted_in_their_own_group(sample_store):
    rows = [child(1), child(2, lsoa_code=MANCHESTER_LSOA), child(3, lsoa_code="")]
    assert write(sample_store, to_csv(rows)).outcome == WRITTEN
    frame = sample_store.run_sql(
        "marts/mart_ncmp_prevalence", council_code=COUNCIL_CODE, as_at=periods.now()
    ).filter(
        pl.col("academic_year") == "2024/25",
        pl.col("school_year") == "R",
        pl.col("breakdown") == "home_locality",
        pl.col("category") == "obese",
    )
    groups = dict(zip(frame["group_code"].to_list(), frame["measured"].to_list(), strict=True))
    assert groups == {"SOUTH": 1, "OUTSIDE": 1, "UNKNOWN": 1}
    names = dict(zip(frame["group_code"].to_list(), frame["group_name"].to_list(), strict=True))
    assert names["OUTSIDE"] == "Outside the borough"


# ---- eligible pupils ------------------------------------------------------------------------------------------


def test_eligible_pupils_are_checked_and_supersede(sample_store):
    header = "academic_year,school_urn,school_name,school_year,eligible_pupils,locality_code\n"
    bad = header + (
        "2024/25,990101,Sample Central Primary 01,R,50,CENTRAL\n"
        "2024/25,990101,Sample Central Primary 01,R,51,CENTRAL\n"
        "2024/25,990102,Sample Central Primary 02,R,lots,MIDDLE\n"
    )
    result = load_ncmp_eligible(
        sample_store, bad.encode(), "eligible.csv", council_code=COUNCIL_CODE, principal=local_principal("t")
    )
    assert result.outcome == REJECTED
    messages = set(result.report.errors["message"].to_list())
    assert messages == {
        "school 990101 year group R appears more than once: give one row per school and year group",
        "'lots' is not a number of pupils: write a whole number (0 or more)",
        "'MIDDLE' is not one of the council's localities: use CENTRAL, NORTH, SOUTH, WEST",
    }
    good = header + "2024/25,990101,Sample Central Primary 01,R,60,CENTRAL\n"
    unconfirmed = load_ncmp_eligible(
        sample_store, good.encode(), "eligible.csv", council_code=COUNCIL_CODE, principal=local_principal("t")
    )
    # the list now leaves out schools whose children were measured: a warning to confirm, not a silent change
    assert unconfirmed.outcome == UNCONFIRMED
    assert all("is not in this list" in m for m in unconfirmed.report.warnings["message"].to_list())
    done = load_ncmp_eligible(
        sample_store,
        good.encode(),
        "eligible.csv",
        council_code=COUNCIL_CODE,
        principal=local_principal("t"),
        accept_warnings=True,
        reason="test: one school only",
    )
    assert done.outcome == WRITTEN and "supersedes" in done.message
    part = sample_store.run_sql(
        "marts/mart_ncmp_participation", council_code=COUNCIL_CODE, as_at=periods.now()
    ).filter(pl.col("academic_year") == "2024/25", pl.col("school_year") == "R", pl.col("level") == "borough")
    assert part["eligible"].item() == 60  # only the reloaded school is eligible now


# ---- command line ---------------------------------------------------------------------------------------------


def test_command_line_load_check_classify_and_purge(sample_db_copy, hcp_today, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HCP_DB", str(sample_db_copy))
    bad = SAMPLE_DIR / "ncmp" / "ncmp_bad_examples.csv"
    assert main(["load", "ncmp", str(bad), "--check"]) == 1
    assert "a load would be rejected" in capsys.readouterr().out
    warnings = SAMPLE_DIR / "ncmp" / "ncmp_warning_examples.csv"
    assert main(["load", "ncmp", str(warnings), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["outcome"] == UNCONFIRMED and report["warnings"] == 5
    assert main(["load", "ncmp", str(warnings), "--accept-warnings", "--reason", "examples"]) == 0
    assert "3 excluded from prevalence" in capsys.readouterr().out
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("source_column,target_column\nDOB,date_of_birth\n")
    extract = tmp_path / "extract.csv"
    extract.write_bytes(to_csv([{("DOB" if k == "date_of_birth" else k): v for k, v in child(1).items()}]))
    assert main(["load", "ncmp", str(extract), "--mapping", str(mapping), "--check"]) == 0
    assert "a load would be accepted" in capsys.readouterr().out

    source = tmp_path / "children.csv"
    source.write_text(
        "id,sex,date_of_birth,date_of_measurement,height_cm,weight_kg\n"
        "a,F,2013-01-20,2017-08-12,100,16.0104\n"
        "b,X,2013-01-20,2017-08-12,100,16.0104\n"
    )
    out = tmp_path / "classified.csv"
    assert main(["ncmp", "classify", str(source), str(out)]) == 0
    assert "classified 1 of 2 children (1 could not be classified)" in capsys.readouterr().out
    classified = pl.read_csv(out)
    assert classified.columns[-6:] == [
        "age_years",
        "bmi",
        "bmi_z",
        "bmi_category",
        "severe_obesity",
        "problem",
    ]
    # docs/methods.md section 8: female born 2013-01-20 measured 2017-08-12, BMI 16.0104 -> z 0.319804 (Cole)
    assert classified["bmi_z"][0] == pytest.approx(0.319804, abs=1e-3)
    assert classified["bmi_category"].to_list() == ["healthy weight", None]
    assert classified["problem"].to_list() == [None, "sex is not M or F"]

    assert main(["ncmp", "purge", "--before", "2024/25"]) == 2
    assert "inside the retention period" in capsys.readouterr().err
    assert main(["ncmp", "purge", "--before", "2022/23"]) == 0
    assert "no child-level NCMP rows from before 2022/23" in capsys.readouterr().out


def test_the_sample_bad_examples_trip_every_rejection(check):
    report = check((SAMPLE_DIR / "ncmp" / "ncmp_bad_examples.csv").read_bytes(), "ncmp_bad_examples.csv")
    expected = {
        "bad_sex",
        "date_us_style",
        "date_two_digit_year",
        "date_bad_format",
        "date_impossible",
        "date_missing",
        "measured_before_birth",
        "measured_outside_year",
        "age_out_of_range",
        "measure_out_of_range",
        "not_a_number",
        "bad_urn",
        "bad_school_year",
        "bad_academic_year",
        "unknown_lsoa",
    }
    assert set(report.errors["check"].to_list()) == expected
    source = pl.read_csv(SAMPLE_DIR / "ncmp" / "ncmp_bad_examples.csv", infer_schema_length=0)
    assert report.errors["row"].n_unique() == source.height - 1  # every row but the first (valid) one


def test_the_sample_loads_without_warnings(sample_ro_store):
    loads = sample_ro_store.query("select dataset, warning_count, rows_excluded from ncmp_loads")
    assert loads.height == 8
    assert loads["warning_count"].sum() == 0 and loads["rows_excluded"].sum() == 0


def test_months_option_is_recorded(sample_store):
    result = write(sample_store, to_csv([child(1)]), age_method="month")
    assert result.outcome == WRITTEN
    method = sample_store.query(
        "select age_method from ncmp_loads where load_id = ?", [result.submission_id]
    ).item()
    assert method == "month"


def test_identifier_columns_are_not_required(check):
    columns = [c for c in COLUMNS if c not in ("pupil_name", "nhs_number", "upn", "postcode")]
    report = check(to_csv([child(1), child(2)], columns))
    assert report.ok and report.notes == []


CELL = st.one_of(
    st.sampled_from(
        ["", " ", "R", "6", "M", "F", "2024/25", "990101", "110", "19.5", "01/02/2020", "2020-02-01"]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=len(COLUMNS), max_size=len(COLUMNS)), min_size=1, max_size=6))
def test_no_input_crashes_the_reader_or_writes_part_of_a_file(sample_store, table_counts, cells):
    """Any cell values: a report comes back, and either the whole file is written or nothing but an audit entry."""
    rows = [dict(zip(COLUMNS, values, strict=True)) for values in cells]
    before = table_counts(sample_store)
    result = write(sample_store, to_csv(rows), accept_warnings=True, reason="property test")
    after = table_counts(sample_store)
    if result.outcome == WRITTEN:
        assert after["ncmp_children"] == before["ncmp_children"] + len(rows)
    else:
        assert result.outcome in (REJECTED, DUPLICATE)
        assert after["ncmp_children"] == before["ncmp_children"]
        assert after["ncmp_loads"] == before["ncmp_loads"]


def test_identifiers_match_whatever_their_spacing_and_case(check):
    rows = [
        child(1, nhs_number="999 770 0001", upn="q80000000001"),
        child(2, nhs_number="9997700001"),
        child(3, upn="Q80000000001"),
        child(4, nhs_number=" ", upn=""),
        child(5, nhs_number=" ", upn=""),
    ]
    report = check(to_csv(rows))
    duplicates = report.warnings.filter(pl.col("check") == "duplicate_child").sort("row")
    assert duplicates["row"].to_list() == [3, 4]  # blank identifiers never match
    assert duplicates["message"].to_list() == [
        "this child appears more than once (same NHS number as row 2): only the first row is counted; remove the "
        "repeat, or confirm",
        "this child appears more than once (same UPN as row 2): only the first row is counted; remove the repeat, "
        "or confirm",
    ]
