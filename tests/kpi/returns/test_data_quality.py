"""Data quality, the return template and the audit log reader, on the sample database (clock 2026-11-23).

Expected values come from the sample's manifest (sample_data/provider_returns/manifest.csv): 2025-26 Q2 was due on
28 October 2025 (20 working days after 30 September) and received on 11 November 2025; 2026-27 Q1 was returned
twice; every sample return was loaded with its warnings confirmed as "sample data: synthetic return".
"""

import csv
import io
from datetime import date, datetime

import openpyxl

from kpi.access import audit as audit_log
from kpi.access.principal import LOCAL_USER, Principal, local_principal
from kpi.contract.targets import set_setting
from kpi.core.councils import add_provider
from kpi.returns import template as return_template
from kpi.returns import timeliness as data_quality
from kpi.returns.load import CHECKED, load_return
from kpi.sample import COUNCIL_CODE

ZZ1 = Principal("lead@zz1.nhs.uk", "provider", "ZZ1")


def test_late_and_missing_returns_against_the_due_date_setting(sample_store):
    add_provider(sample_store, COUNCIL_CODE, "ZZ2", "Second trust (synthetic)", "lot 2", principal=LOCAL_USER)
    frame = data_quality.return_timeliness(sample_store, LOCAL_USER, COUNCIL_CODE)
    late = frame.filter(timeliness=data_quality.LATE)
    assert late.select("provider_code", "period", "due_date", "days_late").rows() == [
        ("ZZ1", "2025-26 Q2", date(2025, 10, 28), 14)
    ]
    missing = frame.filter(timeliness=data_quality.MISSING)
    # ZZ2 has returned nothing: its latest ended quarter (2026-27 Q2, due 28 October 2026) is missing
    assert missing.select("provider_code", "period", "due_date", "days_late").rows() == [
        ("ZZ2", "2026-27 Q2", date(2026, 10, 28), 26)
    ]
    assert frame.filter(provider_code="ZZ1").height == 16  # 2022-23 Q3 to 2026-27 Q2

    # a tighter due date (10 working days) makes more returns late
    set_setting(sample_store, COUNCIL_CODE, "return_due_working_days", 10, principal=LOCAL_USER)
    tighter = data_quality.return_timeliness(sample_store, LOCAL_USER, COUNCIL_CODE)
    assert tighter.filter(timeliness=data_quality.LATE).height > late.height


def test_resubmissions_and_confirmed_warnings(sample_ro_store):
    resubmitted = data_quality.resubmissions(sample_ro_store, LOCAL_USER, COUNCIL_CODE)
    assert resubmitted.select("period", "files").rows() == [("2026-27 Q1", 2)]
    assert (
        "(superseded)" in resubmitted["submissions"].item()
        and "(accepted)" in resubmitted["submissions"].item()
    )
    warned = data_quality.confirmed_warnings(sample_ro_store, LOCAL_USER, COUNCIL_CODE)
    assert not warned.is_empty()
    assert set(warned["warnings_reason"]) == {"sample data: synthetic return"}


def test_open_periods_are_the_last_four_ended_quarters():
    assert return_template.open_periods(date(2026, 11, 23)) == [
        "2026-27 Q2",
        "2026-27 Q1",
        "2025-26 Q4",
        "2025-26 Q3",
    ]


def test_the_csv_template_filled_in_passes_the_checks(sample_ro_store, return_rows, hcp_today):
    data = return_template.template_csv(sample_ro_store, ZZ1, COUNCIL_CODE, "ZZ1", "2026-27 Q2")
    template = list(csv.DictReader(io.StringIO(data.decode())))
    keys = [(r["metric_code"], r["locality_code"], r["imd_decile"]) for r in template]
    assert keys == [(r["metric_code"], r["locality_code"], r["imd_decile"]) for r in return_rows]
    assert {r["period"] for r in template} == {"2026-27 Q2"} and {r["provider_code"] for r in template} == {
        "ZZ1"
    }
    # filled in with the sample's figures, the template is a valid return
    for row, figures in zip(template, return_rows, strict=True):
        row.update(numerator=figures["numerator"], denominator=figures["denominator"])
    text = io.StringIO()
    # kept as downloaded: the template's kpi_name and what_to_count columns are ignored by the checks
    assert list(template[0]) == return_template.TEMPLATE_COLUMNS
    assert template[0]["kpi_name"] == "Antenatal contacts at 28+ weeks"
    writer = csv.DictWriter(text, fieldnames=return_template.TEMPLATE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(template)
    result = load_return(
        sample_ro_store,
        text.getvalue().encode(),
        "filled.csv",
        council_code=COUNCIL_CODE,
        provider_code="ZZ1",
        principal=local_principal("test"),
        check_only=True,
    )
    assert result.outcome == CHECKED and result.report.ok, result.report.to_text()


def test_the_xlsx_template_has_drop_down_lists(sample_ro_store, hcp_today):
    data = return_template.template_xlsx(sample_ro_store, ZZ1, COUNCIL_CODE, "ZZ1", "2026-27 Q2")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Return", "Lists", "Guidance"]
    sheet = book["Return"]
    assert [c.value for c in sheet[1]] == return_template.TEMPLATE_COLUMNS
    assert [c.value for c in sheet[2]][:5] == ["2026-27 Q2", "ZZ1", "C1", "CENTRAL", "1"]
    assert sheet["I2"].value == "IoD2025"  # the quarter's deprivation index (docs/methods.md section 7.1)
    assert sheet["J2"].value == "Antenatal contacts at 28+ weeks" and sheet["K2"].value.startswith("Count: ")
    # the header row is frozen and no column is narrower than its name
    assert sheet.freeze_panes == "D2"
    for cell in sheet[1]:
        assert sheet.column_dimensions[cell.column_letter].width >= len(cell.value)
    # each all-deciles row adds up the decile rows above it; a count (C1) has no denominator to add
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    all_deciles = [
        (n, r) for n, r in enumerate(rows, start=2) if r[4] is None and r[3] != "ALL" and r[2] in ("C1", "C2")
    ]
    c1_number, c1_row = all_deciles[0]
    first = next(n for n, r in enumerate(rows, start=2) if r[2] == "C1" and r[3] == c1_row[3])
    assert c1_row[5] == f"=SUM(F{first}:F{c1_number - 1})" and c1_row[6] is None
    assert c1_row[10] == return_template.ALL_DECILES_NOTE
    c2_number, c2_row = next((n, r) for n, r in all_deciles if r[2] == "C2")
    assert (
        c2_row[5].startswith("=SUM(F")
        and c2_row[6].startswith("=SUM(G")
        and c2_row[6].endswith(f"{c2_number - 1})")
    )
    guidance = [row for row in book["Guidance"].iter_rows(values_only=True)]
    assert guidance[0][0] == "How to fill in this return"
    kpi_rows = {row[0]: row for row in guidance if row[0] in ("C1", "C2", "FNP1")}
    assert kpi_rows["C2"][1] == "New birth visits within 14 days" and kpi_rows["C2"][3].startswith(
        "Numerator: "
    )
    assert kpi_rows["FNP1"][2] == "borough only (locality ALL)"
    validations = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert validations == {
        "A2": "Lists!$A$2:$A$5",
        "C2": f"Lists!$B$2:$B${1 + len(list(book['Lists'].iter_rows(min_col=2, max_col=2, min_row=2)))}",
        "D2": "Lists!$C$2:$C$6",
        "E2": "Lists!$D$2:$D$12",
    }
    assert [c.value for c in book["Lists"]["A"][1:5]] == [
        "2026-27 Q2",
        "2026-27 Q1",
        "2025-26 Q4",
        "2025-26 Q3",
    ]
    assert [c.value for c in book["Lists"]["C"][1:6]] == ["CENTRAL", "NORTH", "SOUTH", "WEST", "ALL"]


def test_the_audit_log_reader_filters(sample_store):
    set_setting(sample_store, COUNCIL_CODE, "movement_warn_points", 20, principal=LOCAL_USER, reason="wider")
    entries = audit_log.audit_entries(
        sample_store, LOCAL_USER, council_code=COUNCIL_CODE, action="setting changed"
    )
    assert entries.select("actor", "subject").rows() == [("local user", "movement_warn_points")]
    assert "setting changed" in audit_log.audit_actions(sample_store, LOCAL_USER)
    later = audit_log.audit_entries(sample_store, LOCAL_USER, since=datetime(2100, 1, 1))
    assert later.is_empty()


def test_the_xlsx_template_filled_in_passes_the_checks(sample_ro_store, return_rows, hcp_today):
    # numbers typed into the decile rows; the all-deciles rows keep their formulas with the sums cached, as Excel
    # saves them (openpyxl writes no cached value, so the sums are written as numbers here)
    data = return_template.template_xlsx(sample_ro_store, ZZ1, COUNCIL_CODE, "ZZ1", "2026-27 Q2")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Return"]
    for number, figures in enumerate(return_rows, start=2):
        for column, name in (("F", "numerator"), ("G", "denominator")):
            value = figures[name]
            sheet[f"{column}{number}"] = int(value) if value.isdigit() else (value or None)
    out = io.BytesIO()
    book.save(out)
    result = load_return(
        sample_ro_store,
        out.getvalue(),
        "filled.xlsx",
        council_code=COUNCIL_CODE,
        provider_code="ZZ1",
        principal=local_principal("test"),
        check_only=True,
    )
    assert result.outcome == CHECKED and result.report.ok, result.report.to_text()
