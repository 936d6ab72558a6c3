"""mart_pending_submissions: given submissions and their events in, what waits for a decision at the as-at time out.

A submission waits when its latest event recorded by the as-at time says 'submitted' (events in the same second are
ordered as written), it had arrived by then and no accepted return had superseded it by then. Waiting submissions
are counted per provider x dataset x period, with the latest arrival; newest period first.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
COLUMNS = ("provider_code", "dataset", "period", "period_index", "latest_received_at", "waiting_count")
MC = "mandated-contacts"
INDEX = {"2026-27 Q1": 8104, "2026-27 Q2": 8105}


def submission(store, submission_id, provider, period, received, *events, superseded=None, council=COUNCIL):
    """A submission and its events, each (status, at); the first is its arrival."""
    given(
        store,
        "submissions",
        dict(
            submission_id=submission_id,
            council_code=council,
            provider_code=provider,
            dataset=MC,
            period=period,
            period_index=INDEX[period],
            received_at=received,
            status=events[-1][0],
            superseded_at=superseded,
        ),
    )
    given(
        store,
        "submission_events",
        *(dict(status=s, event_at=at) for s, at in events),
        submission_id=submission_id,
    )


def mart(store, as_at=AT, provider=None):
    frame = store.run_sql(
        "marts/mart_pending_submissions", council_code=COUNCIL, as_at=as_at, provider_code=provider
    )
    assert frame["period_index"].is_sorted(descending=True)  # newest period first
    return frame.sort(["period_index", "provider_code", "dataset"], descending=[True, False, False])


def day(d, hour=9):
    return datetime(2026, 11, d, hour)


@pytest.fixture()
def history(store):
    submission(store, 1, "ZZ1", "2026-27 Q2", day(1), ("submitted", day(1)))
    submission(store, 2, "ZZ1", "2026-27 Q2", day(3), ("submitted", day(3)))
    aug = datetime(2026, 8, 1)
    submission(
        store, 3, "ZZ1", "2026-27 Q1", aug, ("submitted", aug), ("accepted", day(21))
    )  # accepted since
    submission(store, 4, "ZZ2", "2026-27 Q2", day(2), ("submitted", day(2)), ("queried", day(5)))
    submission(store, 5, "ZZ2", "2026-27 Q1", aug, ("submitted", aug), superseded=day(10))
    submission(store, 6, "ZZ2", "2026-27 Q1", aug, ("submitted", aug), superseded=day(25))  # superseded since
    submission(store, 7, "ZZ3", "2026-27 Q2", day(21), ("submitted", day(21)))  # arrived after the as-at time
    same_second = day(4, 10)
    submission(
        store, 8, "ZZ3", "2026-27 Q1", same_second, ("submitted", same_second), ("accepted", same_second)
    )
    submission(store, 9, "ZZ1", "2026-27 Q2", day(1), ("submitted", day(1)), council=OTHER)
    return store


def test_waiting_at_the_as_at_time_counted_per_provider_dataset_and_period(history):
    assert rows(mart(history), *COLUMNS) == [
        ("ZZ1", MC, "2026-27 Q2", 8105, datetime(2026, 11, 3, 9), 2),
        ("ZZ1", MC, "2026-27 Q1", 8104, datetime(2026, 8, 1), 1),
        ("ZZ2", MC, "2026-27 Q1", 8104, datetime(2026, 8, 1), 1),
    ]


def test_earlier_and_later_as_at_times(history):
    earlier = mart(history, as_at=datetime(2026, 11, 2, 12))
    assert rows(earlier, "provider_code", "period", "waiting_count", "latest_received_at") == [
        ("ZZ1", "2026-27 Q2", 1, datetime(2026, 11, 1, 9)),
        ("ZZ2", "2026-27 Q2", 1, datetime(2026, 11, 2, 9)),  # queried on the 5th
        ("ZZ1", "2026-27 Q1", 1, datetime(2026, 8, 1)),
        ("ZZ2", "2026-27 Q1", 2, datetime(2026, 8, 1)),  # neither superseded yet
    ]
    later = mart(history, as_at=datetime(2026, 11, 21, 12))
    assert rows(later, "provider_code", "period", "waiting_count") == [
        ("ZZ1", "2026-27 Q2", 2),
        ("ZZ3", "2026-27 Q2", 1),
        ("ZZ2", "2026-27 Q1", 1),
    ]


def test_the_provider_scope(history):
    assert rows(mart(history, provider="ZZ2"), "provider_code", "period") == [("ZZ2", "2026-27 Q1")]
    assert mart(history, provider="ZZ3").is_empty()
    assert mart(history, as_at=datetime(2026, 7, 31, 23, 59)).is_empty()  # nothing had arrived
