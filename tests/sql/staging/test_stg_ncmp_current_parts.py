"""stg_ncmp_current_parts, stg_ncmp_counts and stg_ncmp_eligible: given NCMP load parts in, what is current out.

A part (dataset x academic year x year group of one load) is current at the as-at time when it was loaded by then and
not superseded by then. The counts and the eligible pupils are read from the current part of their own year group
only: a load whose Reception part was replaced still gives its Year 6 figures, never its old Reception ones.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
YEAR = "2024/25"


def load(store, load_id, dataset, loaded, *parts, year=YEAR, council=COUNCIL):
    """A load's parts, each (school_year, superseded_at)."""
    given(
        store,
        "ncmp_load_parts",
        *(dict(school_year=s, superseded_at=at) for s, at in parts),
        load_id=load_id,
        council_code=council,
        dataset=dataset,
        academic_year=year,
        loaded_at=loaded,
    )


def counts(store, load_id, school_year, measured, *, year=YEAR, council=COUNCIL):
    given(
        store,
        "ncmp_counts",
        dict(school_year=school_year, measured=measured, valid=measured - 1, obese=1),
        load_id=load_id,
        council_code=council,
        academic_year=year,
        dimension="school",
        dimension_value="100001",
    )


def eligible(store, load_id, school_year, pupils):
    given(
        store,
        "ncmp_eligible",
        dict(load_id=load_id, school_year=school_year, eligible_pupils=pupils),
        council_code=COUNCIL,
        academic_year=YEAR,
        school_urn="100001",
        school_name="North Primary",
        locality_code="NORTH",
    )


@pytest.fixture()
def loads(store):
    october, december, february = datetime(2025, 10, 1), datetime(2025, 12, 1), datetime(2026, 2, 1)
    load(store, 1, "ncmp", october, ("R", december), ("6", None))
    load(store, 2, "ncmp-eligible", october, ("R", None), ("6", february))
    load(store, 3, "ncmp", december, ("R", None))
    load(store, 4, "ncmp-eligible", february, ("6", None))
    load(store, 5, "ncmp", datetime(2026, 11, 21), ("R", None), year="2025/26")  # after the as-at time
    load(store, 6, "ncmp", october, ("R", None), council=OTHER)
    counts(store, 1, "R", 10)
    counts(store, 1, "6", 20)
    counts(store, 3, "R", 11)
    counts(store, 5, "R", 12, year="2025/26")
    counts(store, 6, "R", 99, council=OTHER)
    eligible(store, 2, "R", 30)
    eligible(store, 2, "6", 28)
    eligible(store, 4, "6", 29)
    return store


def run(store, relation, as_at=AT):
    """The relation sorted by its keys (its declared grain: dataset or not, academic year, year group, ...)."""
    frame = store.run_sql(f"staging/{relation}", council_code=COUNCIL, as_at=as_at)
    keys = [
        c
        for c in ("dataset", "academic_year", "school_year", "dimension", "school_urn")
        if c in frame.columns
    ]
    return frame.sort(keys)


def test_the_parts_current_at_the_as_at_time(loads):
    assert rows(
        run(loads, "stg_ncmp_current_parts"), "dataset", "academic_year", "school_year", "load_id"
    ) == [
        ("ncmp", YEAR, "6", 1),
        ("ncmp", YEAR, "R", 3),
        ("ncmp-eligible", YEAR, "6", 4),
        ("ncmp-eligible", YEAR, "R", 2),
    ]
    before = run(loads, "stg_ncmp_current_parts", as_at=datetime(2025, 11, 30))
    assert rows(before, "dataset", "school_year", "load_id") == [
        ("ncmp", "6", 1),
        ("ncmp", "R", 1),
        ("ncmp-eligible", "6", 2),
        ("ncmp-eligible", "R", 2),
    ]
    at_the_reload = run(loads, "stg_ncmp_current_parts", as_at=datetime(2025, 12, 1))
    assert rows(at_the_reload, "dataset", "school_year", "load_id")[:2] == [
        ("ncmp", "6", 1),
        ("ncmp", "R", 3),
    ]
    assert run(loads, "stg_ncmp_current_parts", as_at=datetime(2025, 9, 30)).is_empty()


def test_counts_come_from_each_year_groups_current_part(loads):
    frame = run(loads, "stg_ncmp_counts")
    assert rows(
        frame, "academic_year", "school_year", "dimension", "dimension_value", "measured", "valid"
    ) == [
        (YEAR, "6", "school", "100001", 20, 19),
        (YEAR, "R", "school", "100001", 11, 10),
    ]
    before = run(loads, "stg_ncmp_counts", as_at=datetime(2025, 11, 30))
    assert rows(before, "school_year", "measured") == [("6", 20), ("R", 10)]


def test_eligible_pupils_come_from_each_year_groups_current_part(loads):
    frame = run(loads, "stg_ncmp_eligible")
    assert rows(frame, "academic_year", "school_year", "school_urn", "eligible_pupils", "locality_code") == [
        (YEAR, "6", "100001", 29, "NORTH"),
        (YEAR, "R", "100001", 30, "NORTH"),
    ]
    before = run(loads, "stg_ncmp_eligible", as_at=datetime(2026, 1, 31))
    assert rows(before, "school_year", "eligible_pupils") == [("6", 28), ("R", 30)]
