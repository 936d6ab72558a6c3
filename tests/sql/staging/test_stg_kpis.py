"""stg_kpis: given catalogue versions in, the runs of periods each version is in force for, as known at the as-at time.

For each start period the latest-set version wins (the higher id on a tie); a version runs until the next start
(until_index, null: no end); a retired version ends the run before it and has no row of its own; versions set after
the as-at time are not known yet. current_name and current_sort_order are those of the KPI's latest start.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
FIRST = datetime(1900, 1, 1)
COLUMNS = (
    "kpi_code",
    "effective_from_index",
    "until_index",
    "kpi_name",
    "min_denominator",
    "sort_order",
    "current_name",
    "current_sort_order",
)


def version(version_id, kpi, start, name, set_at, *, minimum=10.0, sort=1, retired=False, council=COUNCIL):
    return dict(
        kpi_version_id=version_id,
        council_code=council,
        kpi_code=kpi,
        effective_from_index=start,
        is_retired=retired,
        kpi_name=name,
        min_denominator=minimum,
        sort_order=sort,
        set_at=set_at,
        value_kind="proportion",
        polarity="high",
        breakdown="locality",
    )


@pytest.fixture()
def catalogue(store):
    given(
        store,
        "kpi_versions",
        version(1, "C2", 8000, "Old name", FIRST, sort=5),
        version(2, "C2", 8104, "New name", datetime(2026, 5, 1), minimum=20.0, sort=4),
        version(
            3, "C2", 8104, "Newer name", datetime(2026, 6, 1), minimum=25.0, sort=3
        ),  # same start, set later
        version(
            4, "C2", 8106, "Not known yet", datetime(2026, 12, 1), minimum=30.0
        ),  # set after the as-at time
        version(5, "C9", 8000, "Dropped", FIRST, sort=9),
        version(6, "C9", 8105, "Dropped", datetime(2026, 9, 1), sort=9, retired=True),
        version(7, "C7", 8000, "Paused", FIRST, sort=7),
        version(8, "C7", 8104, "Paused", datetime(2026, 3, 1), sort=7, retired=True),
        version(9, "C7", 8106, "Back", datetime(2026, 10, 1), sort=2),
        version(11, "C5", 8000, "Higher id", FIRST, sort=6),  # a tie on set_at: the higher id wins
        version(10, "C5", 8000, "Lower id", FIRST, sort=6),
        version(12, "C2", 8000, "Another council", FIRST, council=OTHER),
    )
    return store


def staging(store, as_at=AT):
    frame = store.run_sql("staging/stg_kpis", council_code=COUNCIL, as_at=as_at)
    return frame.sort("kpi_code", "effective_from_index")


def test_runs_of_periods_as_known_at_the_as_at_time(catalogue):
    assert rows(staging(catalogue), *COLUMNS) == [
        ("C2", 8000, 8104, "Old name", 10.0, 5, "Newer name", 3),
        ("C2", 8104, None, "Newer name", 25.0, 3, "Newer name", 3),
        ("C5", 8000, None, "Higher id", 10.0, 6, "Higher id", 6),
        ("C7", 8000, 8104, "Paused", 10.0, 7, "Back", 2),
        ("C7", 8106, None, "Back", 10.0, 2, "Back", 2),
        ("C9", 8000, 8105, "Dropped", 10.0, 9, "Dropped", 9),
    ]


def test_an_earlier_as_at_time_knows_fewer_versions(catalogue):
    assert rows(staging(catalogue, as_at=datetime(2026, 5, 15)), *COLUMNS) == [
        ("C2", 8000, 8104, "Old name", 10.0, 5, "New name", 4),
        ("C2", 8104, None, "New name", 20.0, 4, "New name", 4),
        ("C5", 8000, None, "Higher id", 10.0, 6, "Higher id", 6),
        ("C7", 8000, 8104, "Paused", 10.0, 7, "Paused", 7),
        ("C9", 8000, None, "Dropped", 10.0, 9, "Dropped", 9),
    ]
    later = staging(catalogue, as_at=datetime(2026, 12, 1))
    assert rows(
        later.filter(later["kpi_code"] == "C2"), "effective_from_index", "until_index", "current_name"
    ) == [
        (8000, 8104, "Not known yet"),
        (8104, 8106, "Not known yet"),
        (8106, None, "Not known yet"),
    ]
