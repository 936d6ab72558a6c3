"""Submissions (docs/operations.md, "How data is stored"): one transaction per load, idempotence, supersession and history.

Loads run against a copy of the sample database with the clock at 2026-11-23; the sample's own 2026-27 Q2 return
is submission 17, so a changed 2026-27 Q2 file is "a newer file for the same provider and period".
"""

import hashlib
import json
from datetime import date, datetime

import pytest

from kpi.access.principal import LOCAL_USER, local_principal
from kpi.returns.load import (
    CHECKED,
    DUPLICATE,
    REJECTED,
    UNCONFIRMED,
    WRITTEN,
    load_return,
)
from kpi.returns.review import list_submissions, submission_report, submission_rows
from kpi.sample import COUNCIL_CODE, PROVIDER_CODE, SAMPLE_DIR

SAMPLE_Q2_SUBMISSION = 17
SAMPLE_Q2_RETURN = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"


def load(store, data, name="return.csv", **options):
    return load_return(
        store,
        data,
        name,
        council_code=COUNCIL_CODE,
        provider_code=PROVIDER_CODE,
        principal=local_principal("tester"),
        **options,
    )


def changed_q2(return_rows, write_return, comment="resent after a query"):
    """The sample's 2026-27 Q2 return with one comment changed: valid, new bytes."""
    return_rows.row("C1", "CENTRAL", "1")["comment"] = comment
    return write_return(return_rows).read_bytes()


def audit(store):
    return store.query("select action, actor, subject, detail_json from audit_log order by audit_id")


def changed_tables(before, after):
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


def test_a_load_writes_one_accepted_submission(
    sample_store, return_rows, write_return, table_counts, hcp_today
):
    data = changed_q2(return_rows, write_return)
    before = table_counts(sample_store)
    result = load(sample_store, data, "mandated_contacts_2026-27_Q2_v2.csv")
    assert result.outcome == WRITTEN and result.exit_code == 0, result.report.to_text()
    sid = result.submission_id
    assert sid == SAMPLE_Q2_SUBMISSION + 1
    assert result.message == (
        f"loaded as submission {sid} (2026-27 Q2, 656 rows, accepted); it supersedes submission "
        f"{SAMPLE_Q2_SUBMISSION}, which stays in the history"
    )
    row = sample_store.query("select * from submissions where submission_id = ?", [sid]).to_dicts()[0]
    assert row["status"] == "accepted"
    assert (row["council_code"], row["provider_code"], row["dataset"], row["period"]) == (
        COUNCIL_CODE,
        PROVIDER_CODE,
        "mandated-contacts",
        "2026-27 Q2",
    )
    assert row["file_bytes"] == data
    assert row["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert row["file_size_bytes"] == len(data)
    assert row["file_name"] == "mandated_contacts_2026-27_Q2_v2.csv"
    assert row["submitted_by"] == "tester" and row["source"] == "cli"
    assert row["received_at"].date() == hcp_today and row["accepted_at"] == row["received_at"]
    assert row["row_count"] == 656 and row["warning_count"] == 0 and row["warnings_reason"] is None
    assert row["superseded_at"] is None
    assert json.loads(row["report_json"])["errors"] == 0
    assert submission_report(sample_store, sid, LOCAL_USER)["rows_read"] == 656
    rows = submission_rows(sample_store, sid, LOCAL_USER)
    assert rows.height == 656 and not rows["is_warning_row"].any()
    assert rows.filter(
        rows["kpi_code"] == "C2", rows["locality_code"] == "NORTH", rows["imd_decile"] == "ALL"
    )[["numerator", "denominator"]].row(0) == (153.0, 190.0)
    assert rows.filter(rows["kpi_code"] == "FNP1")["locality_code"].to_list() == ["ALL"]
    assert changed_tables(before, table_counts(sample_store)) == {
        "submissions": 1,
        "return_rows": 656,
        "submission_events": 1,
        "audit_log": 1,
    }
    assert audit(sample_store)["action"].to_list()[-1] == "return loaded"
    events = sample_store.query("select status, actor from submission_events where submission_id = ?", [sid])
    assert events.rows() == [("accepted", "tester")]


def test_the_same_file_twice_changes_nothing_and_says_so(sample_store, table_counts):
    data = SAMPLE_Q2_RETURN.read_bytes()  # loaded by the sample as submission 17
    before = table_counts(sample_store)
    result = load(sample_store, data, "copy.csv")
    assert result.outcome == DUPLICATE and result.exit_code == 0
    assert result.submission_id == SAMPLE_Q2_SUBMISSION
    assert (
        result.message
        == f"this file was already loaded as submission {SAMPLE_Q2_SUBMISSION}: nothing changed"
    )
    assert table_counts(sample_store) == before


def test_a_new_file_loaded_twice(sample_store, return_rows, write_return, table_counts):
    data = changed_q2(return_rows, write_return)
    first = load(sample_store, data)
    assert first.outcome == WRITTEN
    after_first = table_counts(sample_store)
    second = load(sample_store, data)
    assert (second.outcome, second.submission_id) == (DUPLICATE, first.submission_id)
    assert table_counts(sample_store) == after_first


def test_a_newer_file_supersedes_the_older_which_stays_in_history(sample_store, return_rows, write_return):
    return_rows.row("C2", "NORTH", "2")["numerator"] = "24"
    return_rows.row("C2", "NORTH")["numerator"] = "152"
    result = load(sample_store, write_return(return_rows).read_bytes())
    assert result.outcome == WRITTEN and result.superseded_id == SAMPLE_Q2_SUBMISSION
    new = result.submission_id

    history = list_submissions(sample_store, COUNCIL_CODE, LOCAL_USER).filter(period="2026-27 Q2")
    by_id = {row["submission_id"]: row for row in history.to_dicts()}
    assert set(by_id) == {SAMPLE_Q2_SUBMISSION, new}
    assert by_id[SAMPLE_Q2_SUBMISSION]["status"] == "superseded"
    assert by_id[SAMPLE_Q2_SUBMISSION]["superseded_by"] == new
    assert by_id[new]["status"] == "accepted" and by_id[new]["superseded_by"] is None
    # the old return keeps its rows
    assert submission_rows(sample_store, SAMPLE_Q2_SUBMISSION, LOCAL_USER).height == 656

    def c2_north(as_at):
        frame = sample_store.run_sql("staging/stg_return_rows", council_code=COUNCIL_CODE, as_at=as_at)
        return frame.filter(period="2026-27 Q2", kpi_code="C2", locality_code="NORTH", imd_decile="ALL")[
            ["submission_id", "numerator"]
        ].rows()

    # as at now the newer return is current; as at 1 November 2026 the older one still was
    assert c2_north(datetime(2026, 11, 23, 23, 59)) == [(new, 152.0)]
    assert c2_north(datetime(2026, 11, 1)) == [(SAMPLE_Q2_SUBMISSION, 153.0)]


def test_a_third_file_supersedes_the_second(sample_store, return_rows, write_return):
    second = load(sample_store, changed_q2(return_rows, write_return, "second"))
    third = load(sample_store, changed_q2(return_rows, write_return, "third"))
    assert third.superseded_id == second.submission_id
    current = sample_store.query(
        "select submission_id from submissions where period = '2026-27 Q2' and superseded_at is null"
    )
    assert current["submission_id"].to_list() == [third.submission_id]


def test_errors_write_nothing_but_one_audit_entry(sample_store, return_rows, write_return, table_counts):
    return_rows.row("C2", "NORTH", "2")["numerator"] = "n/a"
    before = table_counts(sample_store)
    result = load(sample_store, write_return(return_rows).read_bytes(), "bad.csv")
    assert result.outcome == REJECTED and result.exit_code == 1
    assert result.message == "the file was rejected: nothing was written"
    assert changed_tables(before, table_counts(sample_store)) == {"audit_log": 1}
    entry = audit(sample_store).row(-1, named=True)
    assert (entry["action"], entry["actor"], entry["subject"]) == ("return rejected", "tester", "bad.csv")
    assert json.loads(entry["detail_json"])["errors"] == 1


def test_an_unreadable_file_writes_nothing_but_one_audit_entry(sample_store, table_counts):
    before = table_counts(sample_store)
    result = load(sample_store, b"", "empty.csv")
    assert result.outcome == REJECTED
    assert changed_tables(before, table_counts(sample_store)) == {"audit_log": 1}


def _with_warning(return_rows):
    """Raise C5 NORTH's unknown-decile share to 18.8% (one warning on the U row).

    C5, not C2: C2's denominator is shared with C3 (an error if they differ), and C5's rate may rise freely.
    """
    for key in (("C5", "NORTH", "U"), ("C5", "NORTH", "")):
        row = return_rows.row(*key)
        row["numerator"] = str(int(row["numerator"]) + 40)
        row["denominator"] = str(int(row["denominator"]) + 40)
    return return_rows.source_row("C5", "NORTH", "U")


def test_unconfirmed_warnings_write_nothing_but_an_audit_entry(
    sample_store, return_rows, write_return, table_counts
):
    _with_warning(return_rows)
    before = table_counts(sample_store)
    result = load(sample_store, write_return(return_rows).read_bytes())
    assert result.outcome == UNCONFIRMED and result.exit_code == 1
    assert result.message == (
        'the file has warnings: check them, then load again with --accept-warnings --reason "..." to confirm; '
        "nothing was written"
    )
    assert changed_tables(before, table_counts(sample_store)) == {"audit_log": 1}
    entry = audit(sample_store).row(-1, named=True)
    assert entry["action"] == "return warnings unconfirmed"
    assert json.loads(entry["detail_json"])["warnings"] == 1


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_accepting_warnings_without_a_reason_is_refused(
    sample_store, return_rows, write_return, table_counts, reason
):
    _with_warning(return_rows)
    before = table_counts(sample_store)
    result = load(sample_store, write_return(return_rows).read_bytes(), accept_warnings=True, reason=reason)
    assert result.outcome == REJECTED and result.exit_code == 1
    assert result.message == "warnings can only be confirmed with a reason"
    assert [p["message"] for p in result.report.problems.to_dicts()] == [
        'confirming warnings needs a reason: add --reason "..."'
    ]
    assert table_counts(sample_store) == before


def test_accepted_warnings_are_written_with_their_rows_flagged(sample_store, return_rows, write_return):
    warned_row = _with_warning(return_rows)
    reason = "provider confirmed: new estate postcodes not yet in the lookup"
    result = load(sample_store, write_return(return_rows).read_bytes(), accept_warnings=True, reason=reason)
    assert result.outcome == WRITTEN and result.exit_code == 0
    sid = result.submission_id
    row = sample_store.query(
        "select warning_count, warnings_reason, row_count from submissions where submission_id = ?", [sid]
    ).row(0)
    assert row == (1, reason, 656)
    rows = submission_rows(sample_store, sid, LOCAL_USER)
    flagged = rows.filter(rows["is_warning_row"])
    assert flagged[["kpi_code", "locality_code", "imd_decile", "source_row"]].rows() == [
        ("C5", "NORTH", "U", warned_row)
    ]
    detail = json.loads(audit(sample_store)["detail_json"].to_list()[-1])
    assert (detail["reason"], detail["warnings_confirmed"]) == (reason, 1)


def test_accepted_missing_rows_are_written(sample_store, return_rows, write_return):
    kept = [r for r in return_rows if not (r["metric_code"] == "SN2" and r["locality_code"] == "WEST")]
    result = load(
        sample_store,
        write_return(kept).read_bytes(),
        accept_warnings=True,
        reason="school nursing WEST not reported this quarter",
    )
    assert result.outcome == WRITTEN
    rows = submission_rows(sample_store, result.submission_id, LOCAL_USER)
    assert rows.height == 655 and not rows["is_warning_row"].any()


@pytest.mark.parametrize("variant", ["clean", "errors", "warnings", "already loaded"])
def test_check_only_writes_nothing_at_all(sample_store, return_rows, write_return, table_counts, variant):
    if variant == "errors":
        return_rows.row("C2", "NORTH", "2")["numerator"] = "n/a"
    elif variant == "warnings":
        _with_warning(return_rows)
    else:
        return_rows.row("C1", "CENTRAL", "1")["comment"] = "checked"
    data = (
        SAMPLE_Q2_RETURN.read_bytes()
        if variant == "already loaded"
        else write_return(return_rows).read_bytes()
    )
    before = table_counts(sample_store)
    assert set(before) >= {
        "submissions",
        "return_rows",
        "submission_events",
        "audit_log",
        "targets",
        "settings",
    }
    result = load(sample_store, data, check_only=True)
    assert result.outcome == CHECKED
    assert table_counts(sample_store) == before
    expected_exit = {"clean": 0, "errors": 1, "warnings": 1, "already loaded": 0}[variant]
    assert result.exit_code == expected_exit
    verdict = {
        "clean": "a load would be accepted",
        "errors": "a load would be rejected",
        "warnings": 'a load would stop at the warnings unless confirmed with --accept-warnings --reason "..."',
        "already loaded": f"this file was already loaded as submission {SAMPLE_Q2_SUBMISSION}: a load would change "
        "nothing",
    }[variant]
    assert result.message == f"checked only: nothing was written; {verdict}"


def test_check_only_with_confirmed_warnings_would_write(
    sample_store, return_rows, write_return, table_counts
):
    _with_warning(return_rows)
    before = table_counts(sample_store)
    result = load(
        sample_store,
        write_return(return_rows).read_bytes(),
        check_only=True,
        accept_warnings=True,
        reason="known",
    )
    assert (result.outcome, result.exit_code) == (CHECKED, 0)
    assert result.message == "checked only: nothing was written; a load would be accepted"
    assert table_counts(sample_store) == before


def test_the_samples_late_return_is_the_only_late_one(sample_ro_store):
    history = list_submissions(sample_ro_store, COUNCIL_CODE, LOCAL_USER)
    assert history.height == 17
    late = history.filter(timeliness="late")
    assert late["period"].to_list() == ["2025-26 Q2"]
    # due 20 working days after 30 September 2025; received 11 November 2025
    assert late["due_date"].to_list() == [date(2025, 10, 28)]
    assert late["received_at"].dt.date().to_list() == [date(2025, 11, 11)]
    assert set(history.filter(timeliness="on time")["period"]) == set(history["period"]) - {"2025-26 Q2"}


def test_the_samples_resubmission_is_in_the_history(sample_ro_store):
    history = list_submissions(sample_ro_store, COUNCIL_CODE, LOCAL_USER).filter(period="2026-27 Q1")
    statuses = dict(zip(history["file_name"], history["status"], strict=True))
    assert statuses == {
        "mandated_contacts_2026-27_Q1.csv": "superseded",
        "mandated_contacts_2026-27_Q1_resubmitted.csv": "accepted",
    }
    first = history.filter(status="superseded").row(0, named=True)
    assert first["superseded_by"] == history.filter(status="accepted")["submission_id"].item()
