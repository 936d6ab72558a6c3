"""stg_targets: given dated targets in, the target in force for each period of the range, as known at the as-at time.

For a period the target in force is the one with the greatest effective_from_index not after it, the latest set
among those (the higher id on a tie), among targets set by the as-at time. A null target ("no target") is a row
like any other; a period before a KPI's first target has no row.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
COLUMNS = ("kpi_code", "period_index", "target_pct", "amber_margin_pct", "effective_from")


def target(target_id, kpi, start, pct, set_at, *, margin=5.0, council=COUNCIL):
    code = {8103: "2025-26 Q4", 8104: "2026-27 Q1", 8105: "2026-27 Q2"}[start]
    return dict(
        target_id=target_id,
        council_code=council,
        kpi_code=kpi,
        effective_from=code,
        effective_from_index=start,
        target_pct=pct,
        amber_margin_pct=margin,
        set_at=set_at,
    )


@pytest.fixture()
def targets(store):
    given(
        store,
        "targets",
        target(1, "C2", 8103, 90.0, datetime(2026, 1, 1)),
        target(2, "C2", 8105, 80.0, datetime(2026, 9, 1)),
        target(3, "C2", 8105, 85.0, datetime(2026, 10, 1)),  # same start, set later: wins
        target(4, "C2", 8104, 70.0, datetime(2026, 11, 21)),  # set after the as-at time
        target(6, "C1", 8104, None, datetime(2026, 1, 1), margin=None),  # no target from Q1
        target(5, "C1", 8104, 50.0, datetime(2026, 1, 1)),  # same start and time: the higher id wins
        target(7, "C2", 8103, 10.0, datetime(2026, 1, 1), council=OTHER),
    )
    return store


def staging(store, as_at=AT, first=8102, last=8106):
    frame = store.run_sql(
        "staging/stg_targets",
        council_code=COUNCIL,
        as_at=as_at,
        first_period_index=first,
        last_period_index=last,
    )
    return frame.sort("kpi_code", "period_index")


def test_the_target_in_force_for_each_period(targets):
    assert rows(staging(targets), *COLUMNS) == [
        ("C1", 8104, None, None, "2026-27 Q1"),
        ("C1", 8105, None, None, "2026-27 Q1"),
        ("C1", 8106, None, None, "2026-27 Q1"),
        ("C2", 8103, 90.0, 5.0, "2025-26 Q4"),
        ("C2", 8104, 90.0, 5.0, "2025-26 Q4"),
        ("C2", 8105, 85.0, 5.0, "2026-27 Q2"),
        ("C2", 8106, 85.0, 5.0, "2026-27 Q2"),
    ]


def test_as_known_at_other_times_and_within_the_range_asked_for(targets):
    later = staging(targets, as_at=datetime(2026, 11, 21), first=8104, last=8104)
    assert rows(later, *COLUMNS) == [
        ("C1", 8104, None, None, "2026-27 Q1"),
        ("C2", 8104, 70.0, 5.0, "2026-27 Q1"),
    ]
    september = staging(targets, as_at=datetime(2026, 9, 1), first=8105, last=8105)
    assert rows(september, "kpi_code", "target_pct", "set_at") == [
        ("C1", None, datetime(2026, 1, 1)),
        ("C2", 80.0, datetime(2026, 9, 1)),
    ]
    assert staging(targets, as_at=datetime(2025, 12, 31)).is_empty()
