"""stg_spc_changes: given baselines, rebases and withdrawals in, the controls in force as at a time out.

The latest baseline per KPI and place is in force (one with neither points nor a range clears it); every rebase
recorded by the as-at time is in force unless a withdrawal recorded by then names it.
"""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)


def change(cid, kind, at, *, kpi="C2", place="ALL", points=None, first=None, withdraws=None, council=COUNCIL):
    return dict(
        change_id=cid,
        council_code=council,
        kpi_code=kpi,
        locality_code=place,
        kind=kind,
        baseline_points=points,
        first_period_index=first,
        withdraws=withdraws,
        reason=f"r{cid}",
        recorded_at=at,
    )


def staging(store, as_at=AT):
    return store.run_sql("staging/stg_spc_changes", council_code=COUNCIL, as_at=as_at)


def test_the_controls_in_force(store):
    given(
        store,
        "spc_changes",
        change(1, "baseline", datetime(2026, 9, 1), points=12),
        change(2, "baseline", datetime(2026, 10, 1), points=8),  # replaces 1
        change(3, "rebase", datetime(2026, 9, 1), first=8104),
        change(4, "rebase", datetime(2026, 9, 2), first=8105),
        change(5, "withdraw", datetime(2026, 10, 1), withdraws=4),
        change(6, "baseline", datetime(2026, 9, 1), kpi="C3", points=6),
        change(7, "baseline", datetime(2026, 10, 1), kpi="C3"),  # clears C3's baseline
        change(8, "rebase", datetime(2026, 11, 21), first=8106),  # after the as-at time
        change(9, "rebase", datetime(2026, 9, 1), first=8104, council=OTHER),
    )
    assert rows(staging(store), "change_id", "kpi_code", "kind", "baseline_points", "first_period_index") == [
        (2, "C2", "baseline", 8, None),
        (3, "C2", "rebase", None, 8104),
    ]
    september = staging(store, as_at=datetime(2026, 9, 15))
    assert rows(september, "change_id") == [(1,), (3,), (4,), (6,)]
