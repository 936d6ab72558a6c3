"""The provider portal's submission lifecycle (issue 7): submit, query, resubmit, accept; and its reliability.

Runs against a copy of the sample database (clock 2026-11-23) with a second provider, ZZ2. The sample's accepted
2026-27 Q2 return is submission 17. Concurrency tests use threads against one shared :class:`Store`, as the app
does (one read-write connection per process, a cursor per query, writes under the store's lock).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kpi.access.principal import LOCAL_USER, Principal, local_principal
from kpi.core import periods as periods
from kpi.core.councils import add_provider
from kpi.returns import load as return_load
from kpi.returns import review as submissions
from kpi.returns.load import DUPLICATE, FAILED, WRITTEN
from kpi.returns.review import ReviewError
from kpi.sample import COUNCIL_CODE, SAMPLE_DIR

COMMISSIONER = Principal("commissioner@council.gov.uk", "commissioner")
ZZ1 = Principal("lead@zz1.nhs.uk", "provider", "ZZ1")
ZZ2 = Principal("lead@zz2.nhs.uk", "provider", "ZZ2")
Q2_SUBMISSION = 17
Q2 = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"


@pytest.fixture
def store(sample_store):
    add_provider(sample_store, COUNCIL_CODE, "ZZ2", "Second trust (synthetic)", "lot 2", principal=LOCAL_USER)
    return sample_store


def variant(number: int, provider: str = "ZZ1") -> bytes:
    """The sample's 2026-27 Q2 return as a new file (``number`` blank lines more), for ``provider``."""
    data = Q2.read_bytes().replace(b",ZZ1,", f",{provider},".encode())
    return data + b"\n" * number


def submit(store, who, data, name="return.csv", **options):
    return submissions.portal_load(store, who, data, name, council_code=COUNCIL_CODE, **options)


def status_of(store, sid):
    return (
        submissions.list_submissions(store, COUNCIL_CODE, LOCAL_USER)
        .filter(submission_id=sid)
        .row(0, named=True)
    )


def current_q2(store):
    frame = store.run_sql("staging/stg_return_rows", council_code=COUNCIL_CODE, as_at=periods.now())
    return frame.filter(period="2026-27 Q2", provider_code="ZZ1")["submission_id"].unique().to_list()


def actions(store, since_id=0):
    return store.query("select action from audit_log where audit_id > ? order by audit_id", [since_id])[
        "action"
    ].to_list()


def last_audit_id(store):
    return store.query("select max(audit_id) from audit_log").item()


def test_a_providers_upload_waits_for_review_and_stays_out_of_the_figures(store):
    result = submit(store, ZZ1, variant(1))
    assert result.outcome == WRITTEN
    assert (
        result.message
        == f"submitted as submission {result.submission_id}: it waits for the commissioner's review"
    )
    row = status_of(store, result.submission_id)
    assert (row["status"], row["source"], row["submitted_by"], row["accepted_at"]) == (
        "submitted",
        "portal",
        ZZ1.email,
        None,
    )
    assert current_q2(store) == [Q2_SUBMISSION]
    pending = store.run_sql(
        "marts/mart_pending_submissions", council_code=COUNCIL_CODE, as_at=row["received_at"]
    )
    assert pending.select("provider_code", "period", "waiting_count").rows() == [("ZZ1", "2026-27 Q2", 1)]


def test_a_check_writes_nothing_but_its_audit_entry(store, table_counts):
    before, mark = table_counts(store), last_audit_id(store)
    result = submit(store, ZZ1, variant(1), check_only=True)
    assert result.outcome == submissions.CHECKED and result.would_write
    assert result.message == "checked only, nothing was written: no errors, so the file can be submitted"
    after = table_counts(store)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"audit_log": 1}
    assert actions(store, mark) == ["return checked"]


def test_query_then_resubmit_then_accept_leaves_a_consistent_history(store):
    first = submit(store, ZZ1, variant(1), "first.csv").submission_id
    with pytest.raises(ReviewError, match="a query needs a comment"):
        submissions.query_submission(store, COMMISSIONER, first, "  ")
    message = submissions.query_submission(store, COMMISSIONER, first, "NORTH's C2 looks low: please check")
    assert message == f"submission {first} (ZZ1 2026-27 Q2) queried: the provider will see your comment"
    seen = (
        submissions.list_submissions(store, COUNCIL_CODE, ZZ1).filter(submission_id=first).row(0, named=True)
    )
    assert (seen["status"], seen["review_comment"], seen["reviewed_by"]) == (
        "queried",
        "NORTH's C2 looks low: please check",
        COMMISSIONER.email,
    )
    second = submit(store, ZZ1, variant(2), "second.csv").submission_id
    message = submissions.accept_submission(store, COMMISSIONER, second, "thanks")
    assert message == (
        f"submission {second} (ZZ1 2026-27 Q2) accepted; it supersedes submission {Q2_SUBMISSION}, which stays in "
        "the history"
    )
    assert current_q2(store) == [second]
    assert status_of(store, second)["status"] == "accepted"
    assert status_of(store, Q2_SUBMISSION)["superseded_by"] == second
    assert status_of(store, first)["status"] == "superseded"  # the queried file is replaced too
    events = submissions.submission_history(store, ZZ1, first)
    assert events.select("status", "actor", "comment").rows() == [
        ("submitted", ZZ1.email, None),
        ("queried", COMMISSIONER.email, "NORTH's C2 looks low: please check"),
    ]
    with pytest.raises(ReviewError, match="has been superseded by a newer return"):
        submissions.accept_submission(store, COMMISSIONER, first)
    with pytest.raises(ReviewError, match="has already been accepted"):
        submissions.accept_submission(store, COMMISSIONER, second)
    assert submissions.submission_rows(store, Q2_SUBMISSION, LOCAL_USER).height == 656  # nothing lost


def test_an_older_submission_cannot_replace_a_newer_accepted_one(store):
    older = submit(store, ZZ1, variant(1)).submission_id
    newer = submit(store, ZZ1, variant(2)).submission_id
    submissions.accept_submission(store, COMMISSIONER, newer)
    assert status_of(store, older)["status"] == "superseded"
    with pytest.raises(ReviewError, match="has been superseded by a newer return"):
        submissions.accept_submission(store, COMMISSIONER, older)


def test_a_waiting_upload_cannot_replace_a_newer_return_loaded_by_an_analyst(store):
    waiting = submit(store, ZZ1, variant(1)).submission_id
    loaded = submissions.load_return(
        store,
        variant(2),
        "cli.csv",
        council_code=COUNCIL_CODE,
        provider_code="ZZ1",
        principal=local_principal("analyst"),
    )
    assert status_of(store, loaded.submission_id)["status"] == "accepted"
    with pytest.raises(ReviewError) as raised:
        submissions.accept_submission(store, COMMISSIONER, waiting)
    assert str(raised.value) == (
        f"a newer return for ZZ1 2026-27 Q2 (submission {loaded.submission_id}) is already accepted: submission "
        f"{waiting} cannot replace it"
    )
    submissions.query_submission(store, COMMISSIONER, waiting, "superseded by the analyst's load")
    assert current_q2(store) == [loaded.submission_id]


def test_the_same_file_uploaded_twice_is_recognised(store, table_counts):
    first = submit(store, ZZ1, variant(1))
    before = table_counts(store)
    again = submit(store, ZZ1, variant(1), "renamed.csv")
    assert (again.outcome, again.submission_id) == (DUPLICATE, first.submission_id)
    assert (
        again.message
        == f"this file was already received as submission {first.submission_id}: nothing changed"
    )
    after = table_counts(store)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"audit_log": 1}
    assert actions(store, last_audit_id(store) - 1) == ["return already received"]


def test_a_failure_half_way_leaves_nothing_but_the_audit_entry(store, table_counts, monkeypatch):
    def broken(cur, rows, sid, council_code, provider_code, period):
        cur.register("half", rows.head(10))
        cur.execute(
            "insert into return_rows select ?, ?, ?, ?, ?, kpi_code, locality_code, imd_decile, numerator, "
            "denominator, comment, source_row, is_warning_row from half",
            [sid, council_code, provider_code, period.code, period.index],
        )
        raise OSError("the disk went away")

    monkeypatch.setattr(return_load, "insert_rows", broken)  # the writer the portal upload runs
    before, mark = table_counts(store), last_audit_id(store)
    result = submit(store, ZZ1, variant(1))
    assert result.outcome == FAILED
    assert result.message.startswith("the return could not be stored because of a problem on our side")
    after = table_counts(store)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"audit_log": 1}
    assert actions(store, mark) == ["return submission failed"]


def test_two_providers_uploading_at_the_same_moment_lose_nothing(store):
    barrier = threading.Barrier(2)

    def upload(who):
        barrier.wait()
        return submit(store, who, variant(1, who.provider_code), f"{who.provider_code}.csv")

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(upload, [ZZ1, ZZ2]))
    assert [r.outcome for r in results] == [WRITTEN, WRITTEN], [r.report.to_text() for r in results]
    ids = {r.submission_id for r in results}
    assert len(ids) == 2
    for result, provider in zip(results, ["ZZ1", "ZZ2"], strict=True):
        row = status_of(store, result.submission_id)
        assert (row["provider_code"], row["row_count"], row["status"]) == (provider, 656, "submitted")
        assert submissions.submission_rows(store, result.submission_id, LOCAL_USER).height == 656
    zz2 = submissions.list_submissions(store, COUNCIL_CODE, ZZ2)
    assert zz2["submission_id"].to_list() == [results[1].submission_id]  # and ZZ2 sees only its own


def test_the_same_file_uploaded_twice_at_the_same_moment_is_stored_once(store):
    barrier = threading.Barrier(4)

    def upload(_):
        barrier.wait()
        return submit(store, ZZ1, variant(3))

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(upload, range(4)))
    assert sorted(r.outcome for r in results) == [DUPLICATE, DUPLICATE, DUPLICATE, WRITTEN]
    assert len({r.submission_id for r in results}) == 1
    stored = store.query("select count(*) from submissions where file_sha256 = ?", [results[0].report.sha256])
    assert stored.item() == 1


@pytest.mark.parametrize("round_", range(3))
def test_a_resubmission_while_the_commissioner_accepts_loses_nothing(store, round_):
    waiting = submit(store, ZZ1, variant(1)).submission_id
    barrier = threading.Barrier(2)

    def accept():
        barrier.wait()
        return submissions.accept_submission(store, COMMISSIONER, waiting)

    def resubmit():
        barrier.wait()
        return submit(store, ZZ1, variant(2))

    with ThreadPoolExecutor(2) as pool:
        accepted, resubmitted = pool.submit(accept), pool.submit(resubmit)
        accepted, resubmitted = accepted.result(), resubmitted.result()
    assert resubmitted.outcome == WRITTEN
    newer = resubmitted.submission_id
    assert status_of(store, waiting)["status"] == "accepted"
    assert status_of(store, newer)["status"] == "submitted"
    assert status_of(store, Q2_SUBMISSION)["superseded_by"] == waiting
    assert current_q2(store) == [waiting]
    # then the newer one is accepted and supersedes the first: every file is still there
    submissions.accept_submission(store, COMMISSIONER, newer)
    assert status_of(store, waiting)["superseded_by"] == newer
    assert current_q2(store) == [newer]
    for sid in (Q2_SUBMISSION, waiting, newer):
        assert submissions.submission_rows(store, sid, LOCAL_USER).height == 656
    heads = store.query(
        "select count(*) from submissions where provider_code = 'ZZ1' and period = '2026-27 Q2' "
        "and status = 'accepted' and superseded_at is null"
    ).item()
    assert heads == 1
