"""A pack rebuilt for the same as-at time gives the same figures, after a resubmission and a target change.

Build and circulate the pack as at 20 November 2026 09:00; then (on 23 November) the provider resubmits 2026-27 Q2
with more of North's new birth visits, the commissioner raises the C2 target to 95% from 2026-27 Q1 and adds an
action; rebuild for the old time: every figure read back from the PDF and the DOCX is the same, and so is the data
version. Built for now, the new figures show and the data version changes.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import polars as pl
import pytest

from kpi import reports
from kpi.access.principal import LOCAL_USER, local_principal
from kpi.contract import meetings as meetings
from kpi.contract.targets import set_target
from kpi.core import periods as periods
from kpi.returns.load import WRITTEN, load_return
from kpi.sample import SAMPLE_DIR
from tests.kpi.reports.documents import AS_AT, COUNCIL, PERIOD, docx_tables, docx_text, pdf_text

EXTRA_VISITS = 8


def _resubmission() -> bytes:
    path = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    for row in rows:
        if (row["metric_code"], row["locality_code"]) == ("C2", "NORTH") and row["imd_decile"] in ("", "4"):
            assert int(row["numerator"]) + EXTRA_VISITS <= int(row["denominator"])
            row["numerator"] = str(int(row["numerator"]) + EXTRA_VISITS)
        # the visits were recorded late (C3): C2 + C3 cannot exceed their shared denominator
        if (row["metric_code"], row["locality_code"]) == ("C3", "NORTH") and row["imd_decile"] in ("", "4"):
            row["numerator"] = str(int(row["numerator"]) - EXTRA_VISITS)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()


def _figures(content_pdf: bytes, content_docx: bytes) -> dict:
    """What a reader of each file sees, less the line that says when the file was built."""
    text = re.sub(r"Built \d+ \w+ \d{4} \d\d:\d\d", "Built …", pdf_text(content_pdf))
    tables = [t for t in docx_tables(content_docx) if t[0][:2] != ["Item", "Detail"]]
    cover = [row for row in docx_tables(content_docx)[0] if row[0] != "Built"]
    return {"pdf": text, "tables": tables, "cover": cover}


@pytest.fixture(scope="module")
def rebuilt(reports_store):
    first = reports.build(reports_store, "pack", PERIOD, AS_AT, principal=LOCAL_USER)
    first_pdf, pack_id = reports.circulate(
        reports_store, first, "pdf", sent_to="Contract board", principal=LOCAL_USER
    )
    first_docx = reports.render(first.document, "docx")
    result = load_return(
        reports_store,
        _resubmission(),
        "mandated_contacts_2026-27_Q2_resubmitted.csv",
        council_code=COUNCIL,
        provider_code="ZZ1",
        principal=local_principal("trust"),
        accept_warnings=True,
        reason="test: corrected North figures",
    )
    assert result.outcome == WRITTEN and result.superseded_id is not None
    set_target(
        reports_store,
        COUNCIL,
        "C2",
        target_pct=95,
        amber_margin_pct=5,
        effective_from="2026-27 Q1",
        principal=local_principal("commissioner"),
        reason="test: higher target",
    )
    meetings.add_action(
        reports_store, COUNCIL, what="New action after the pack", owner="Commissioner", principal=LOCAL_USER
    )
    again = reports.build(reports_store, "pack", PERIOD, AS_AT, principal=LOCAL_USER)
    now = reports.build(reports_store, "pack", PERIOD, periods.now(), principal=LOCAL_USER)
    return {
        "first": first,
        "pack_id": pack_id,
        "before": _figures(first_pdf, first_docx),
        "again": again,
        "after": _figures(reports.render(again.document, "pdf"), reports.render(again.document, "docx")),
        "now": now,
    }


def test_rebuilding_for_the_same_time_gives_the_same_figures(rebuilt):
    assert rebuilt["again"].data_version == rebuilt["first"].data_version
    assert rebuilt["after"]["tables"] == rebuilt["before"]["tables"]
    assert rebuilt["after"]["cover"] == rebuilt["before"]["cover"]
    assert rebuilt["after"]["pdf"] == rebuilt["before"]["pdf"]
    assert "New action after the pack" not in rebuilt["after"]["pdf"]


def test_the_pack_is_recorded_with_its_data_version_and_as_at(rebuilt, reports_store):
    frame = meetings.packs(reports_store, COUNCIL, principal=LOCAL_USER)
    row = next(r for r in frame.to_dicts() if r["pack_id"] == rebuilt["pack_id"])
    assert row["as_at"] == AS_AT and row["data_version"] == rebuilt["first"].data_version
    assert row["period"] == PERIOD and row["format"] == "pdf" and len(row["sha256"]) == 64


def test_building_for_now_shows_the_new_figures(rebuilt):
    assert rebuilt["now"].data_version != rebuilt["first"].data_version
    c2 = rebuilt["now"].data.summary.filter(pl.col("kpi_code") == "C2").row(0, named=True)
    assert (c2["numerator"], c2["denominator"], c2["target_pct"]) == (715 + EXTRA_VISITS, 789, 95)
    before = next(row for row in rebuilt["before"]["tables"][0] if row[0].startswith("C2 "))
    assert before[1] == f"{100 * 715 / 789:.1f}%" and before[2] == "≥ 90%"
    assert (
        rebuilt["now"].data.cover.previous_pack["as_at"] == AS_AT
    )  # the circulated pack is the previous one
    assert rebuilt["now"].data.cover.since == AS_AT
    assert datetime.fromisoformat("2026-11-23") <= rebuilt["now"].as_at


def test_the_next_pack_says_what_changed_since_the_circulated_one(rebuilt):
    changes = rebuilt["now"].data.changes
    assert changes.previous["as_at"] == AS_AT
    c2 = changes.targets.filter(pl.col("kpi_code") == "C2").row(0, named=True)
    assert (c2["target_before"], c2["target_now"]) == (90, 95)
    document = rebuilt["now"].document
    for text in (pdf_text(reports.render(document, "pdf")), docx_text(reports.render(document, "docx"))):
        assert "What changed since the last pack" in text
        assert "C2 New birth visits within 14 days: target 90% → 95%" in text
        assert re.search(r"\d+ late and [1-9]\d* resubmitted return", text)
