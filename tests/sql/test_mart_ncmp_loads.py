"""mart_ncmp_loads: given NCMP loads and their parts in, every load of the council by the as-at time out.

A load lists the year groups it covers ('R, 6'); it is current while any of its parts is current at the as-at time,
and superseded_by names the load that replaced a part by then. Rows come latest academic year first, then by
dataset, newest load first.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
COLUMNS = ("load_id", "dataset", "academic_year", "school_years", "status", "superseded_by")


def load(store, load_id, dataset, year, loaded, *parts, council=COUNCIL):
    """A load and its parts, each (school_year, superseded_at, superseded_by)."""
    common = dict(
        load_id=load_id, council_code=council, dataset=dataset, academic_year=year, loaded_at=loaded
    )
    given(store, "ncmp_loads", common)
    given(
        store,
        "ncmp_load_parts",
        *(dict(school_year=s, superseded_at=at, superseded_by=by) for s, at, by in parts),
        **common,
    )


@pytest.fixture()
def history(store):
    load(
        store, 1, "ncmp", "2024/25", datetime(2025, 10, 1), ("R", datetime(2025, 12, 1), 3), ("6", None, None)
    )
    load(store, 2, "ncmp-eligible", "2024/25", datetime(2025, 10, 1), ("R", None, None))
    load(store, 3, "ncmp", "2024/25", datetime(2025, 12, 1), ("R", None, None))
    load(store, 4, "ncmp", "2023/24", datetime(2024, 10, 1), ("6", datetime(2025, 1, 1), 5))
    load(store, 5, "ncmp", "2023/24", datetime(2025, 1, 1), ("6", None, None))
    load(store, 6, "ncmp", "2025/26", datetime(2026, 11, 21), ("R", None, None))  # after the as-at time
    load(store, 7, "ncmp", "2024/25", datetime(2025, 10, 1), ("R", None, None), council=OTHER)
    return store


def mart(store, as_at=AT):
    return store.run_sql("marts/mart_ncmp_loads", council_code=COUNCIL, as_at=as_at)


def test_loads_with_their_year_groups_and_status(history):
    assert rows(mart(history), *COLUMNS) == [
        (3, "ncmp", "2024/25", "R", "current", None),
        (1, "ncmp", "2024/25", "R, 6", "current", 3),  # Reception replaced by load 3, Year 6 still current
        (2, "ncmp-eligible", "2024/25", "R", "current", None),
        (5, "ncmp", "2023/24", "6", "current", None),
        (4, "ncmp", "2023/24", "6", "superseded", 5),
    ]


def test_status_as_at_an_earlier_time(history):
    # before load 3 and before load 5: nothing superseded yet, and the later loads not listed
    assert rows(mart(history, as_at=datetime(2024, 12, 31)), *COLUMNS) == [
        (4, "ncmp", "2023/24", "6", "current", None),
    ]
    assert rows(mart(history, as_at=datetime(2025, 11, 1)), *COLUMNS) == [
        (1, "ncmp", "2024/25", "R, 6", "current", None),
        (2, "ncmp-eligible", "2024/25", "R", "current", None),
        (5, "ncmp", "2023/24", "6", "current", None),
        (4, "ncmp", "2023/24", "6", "superseded", 5),
    ]
    # superseded at the as-at time itself
    assert rows(mart(history, as_at=datetime(2025, 1, 1)), "load_id", "status") == [
        (5, "current"),
        (4, "superseded"),
    ]
