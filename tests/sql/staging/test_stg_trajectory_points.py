"""stg_trajectory_points: given trajectory versions and their points in, the points of the version in force out.

The version in force as at a time is the latest version recorded by then; a withdrawn latest version means no
trajectory; another council's rows are left out.
"""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)


def version(tid, v, at, *, kpi="C2", place="NORTH", withdrawn=False, council=COUNCIL):
    return dict(
        trajectory_id=tid,
        version=v,
        council_code=council,
        kpi_code=kpi,
        locality_code=place,
        decile_group="ALL",
        reason=f"v{v}",
        withdrawn=withdrawn,
        recorded_at=at,
    )


def point(tid, v, index, pct, council=COUNCIL):
    return dict(
        trajectory_id=tid,
        version=v,
        council_code=council,
        period=f"P{index}",
        period_index=index,
        planned_pct=pct,
    )


def staging(store, as_at=AT):
    return store.run_sql("staging/stg_trajectory_points", council_code=COUNCIL, as_at=as_at)


def _given(store):
    given(
        store,
        "trajectories",
        version(1, 1, datetime(2026, 9, 1)),
        version(1, 2, datetime(2026, 10, 1)),  # the revision: in force from 1 October
        version(1, 3, datetime(2026, 11, 21)),  # recorded after the as-at time
        version(2, 1, datetime(2026, 9, 1), kpi="C1", place="ALL"),
        version(2, 2, datetime(2026, 10, 5), kpi="C1", place="ALL", withdrawn=True),
        version(3, 1, datetime(2026, 9, 1), council=OTHER),
    )
    given(
        store,
        "trajectory_points",
        point(1, 1, 8106, 82.0),
        point(1, 1, 8107, 86.0),
        point(1, 2, 8106, 84.0),
        point(1, 2, 8107, 87.0),
        point(1, 2, 8108, 90.0),
        point(1, 3, 8106, 99.0),
        point(2, 1, 8106, 60.0),
        point(2, 2, 8106, 61.0),
        point(3, 1, 8106, 10.0, council=OTHER),
    )


def test_the_latest_version_recorded_by_the_as_at_time(store):
    _given(store)
    assert rows(staging(store), "trajectory_id", "version", "kpi_code", "period_index", "planned_pct") == [
        (1, 2, "C2", 8106, 84.0),
        (1, 2, "C2", 8107, 87.0),
        (1, 2, "C2", 8108, 90.0),
    ]


def test_earlier_as_at_times_see_the_earlier_versions(store):
    _given(store)
    september = staging(store, as_at=datetime(2026, 9, 15))
    assert rows(september, "trajectory_id", "version", "period_index", "planned_pct", "reason") == [
        (2, 1, 8106, 60.0, "v1"),
        (1, 1, 8106, 82.0, "v1"),
        (1, 1, 8107, 86.0, "v1"),
    ]
    assert staging(store, as_at=datetime(2026, 8, 1)).is_empty()
