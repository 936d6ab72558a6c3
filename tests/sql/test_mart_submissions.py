"""mart_submissions: given submissions and their events in, every submission of the council out, with its review.

A superseded submission shows 'superseded' whatever its status column says. The review columns carry the latest
acceptance or query after the first event (a return accepted at once has no review); events in the same second are
ordered as written. Rows come newest period first, then by provider, latest arrival and id.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

INDEX = {"2026-27 Q1": 8104, "2026-27 Q2": 8105}


def submission(store, submission_id, provider, period, received, status, *events, superseded=None, **more):
    """A submission and its events, each (status, at, actor, comment)."""
    given(
        store,
        "submissions",
        dict(
            submission_id=submission_id,
            council_code=more.get("council", COUNCIL),
            provider_code=provider,
            dataset=more.get("dataset", "mandated-contacts"),
            period=period,
            period_index=INDEX[period],
            received_at=received,
            status=status,
            superseded_at=superseded,
        ),
    )
    given(
        store,
        "submission_events",
        *(dict(status=s, event_at=at, actor=actor, comment=comment) for s, at, actor, comment in events),
        submission_id=submission_id,
    )


def mart(store, provider=None):
    return store.run_sql("marts/mart_submissions", council_code=COUNCIL, provider_code=provider)


def day(d, hour=9):
    return datetime(2026, 11, d, hour)


@pytest.fixture()
def history(store):
    q1, q2 = "2026-27 Q1", "2026-27 Q2"
    submission(store, 1, "ZZ1", q2, day(1), "accepted", ("accepted", day(1), "cli", None))  # accepted at once
    submission(
        store,
        2,
        "ZZ1",
        q2,
        day(3),
        "accepted",
        ("submitted", day(3), "provider@zz1", None),
        ("queried", day(4), "commissioner", "row 12?"),
        ("accepted", day(6), "commissioner", "thanks"),
    )
    submission(
        store,
        3,
        "ZZ2",
        q2,
        day(2),
        "queried",
        ("submitted", day(2), "provider@zz2", None),
        ("accepted", day(5, 10), "commissioner", "first look"),
        ("queried", day(5, 10), "commissioner", "same second, written later"),
    )
    submission(store, 4, "ZZ1", q1, day(1), "accepted", ("accepted", day(1), "cli", None), superseded=day(3))
    submission(store, 5, "ZZ1", q1, day(3), "submitted", ("submitted", day(3), "provider@zz1", None))
    submission(store, 6, "ZZ1", q1, day(3), "accepted", ("accepted", day(3), "cli", None), dataset="ncmp")
    submission(store, 7, "ZZ1", q2, day(1), "accepted", ("accepted", day(1), "cli", None), council=OTHER)
    return store


COLUMNS = (
    "submission_id",
    "provider_code",
    "period",
    "status",
    "review_status",
    "reviewed_by",
    "review_comment",
)


def test_every_submission_with_its_status_and_latest_review(history):
    assert rows(mart(history), *COLUMNS) == [
        (2, "ZZ1", "2026-27 Q2", "accepted", "accepted", "commissioner", "thanks"),
        (1, "ZZ1", "2026-27 Q2", "accepted", None, None, None),
        (3, "ZZ2", "2026-27 Q2", "queried", "queried", "commissioner", "same second, written later"),
        (6, "ZZ1", "2026-27 Q1", "accepted", None, None, None),
        (5, "ZZ1", "2026-27 Q1", "submitted", None, None, None),
        (4, "ZZ1", "2026-27 Q1", "superseded", None, None, None),
    ]
    assert rows(mart(history).head(1), "reviewed_at", "dataset") == [(day(6), "mandated-contacts")]


def test_the_provider_scope(history):
    assert rows(mart(history, provider="ZZ2"), "submission_id") == [(3,)]
    assert mart(history, provider="ZZ9").is_empty()
