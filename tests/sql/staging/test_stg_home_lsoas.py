"""stg_home_lsoas: the council's LSOAs in force at the as-at time, of either vintage, each with its locality, name and
place in the council's order; a code of the other vintage than the lookup's takes the locality of the LSOAs the
exact-fit lookup links it to (the first in the council's order when they differ)."""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, OTHER, given, rows


def test_the_lookups_lsoas_and_those_of_the_other_vintage_each_in_one_locality(store):
    given(
        store,
        "lsoa_changes",
        dict(lsoa11_code="E01000001", lsoa21_code="E01000001", change="U"),
        dict(lsoa11_code="E01000004", lsoa21_code="E01035001", change="S"),  # split: both parts in WEST
        dict(lsoa11_code="E01000004", lsoa21_code="E01035002", change="S"),
        dict(lsoa11_code="E01000005", lsoa21_code="E01035009", change="M"),  # merged: parts in two localities
        dict(lsoa11_code="E01000006", lsoa21_code="E01035009", change="M"),
    )
    given(
        store,
        "locality_loads",
        dict(locality_load_id=1, loaded_at=datetime(2025, 1, 1), superseded_at=datetime(2026, 1, 1)),
        dict(locality_load_id=2, loaded_at=datetime(2026, 1, 1)),
        council_code=COUNCIL,
    )
    given(
        store, "locality_loads", dict(locality_load_id=3, loaded_at=datetime(2026, 1, 1)), council_code=OTHER
    )
    given(
        store,
        "localities",
        dict(locality_load_id=2, locality_code="NORTH", locality_name="North", sort_order=1),
        dict(locality_load_id=2, locality_code="SOUTH", locality_name="South", sort_order=2),
        dict(locality_load_id=2, locality_code="WEST", locality_name="West", sort_order=3),
        council_code=COUNCIL,
    )
    given(
        store,
        "locality_lsoas",
        dict(locality_load_id=1, lsoa_code="E01000001", locality_code="OLD"),  # superseded
        dict(locality_load_id=2, lsoa_code="E01000001", locality_code="NORTH"),
        dict(locality_load_id=2, lsoa_code="E01035001", locality_code="WEST"),  # the lookup on 2021 codes
        dict(locality_load_id=2, lsoa_code="E01035002", locality_code="WEST"),
        dict(locality_load_id=2, lsoa_code="E01000005", locality_code="SOUTH"),  # and on 2011 codes
        dict(locality_load_id=2, lsoa_code="E01000006", locality_code="NORTH"),
        council_code=COUNCIL,
    )
    given(
        store,
        "locality_lsoas",
        dict(locality_load_id=3, lsoa_code="E01099999", locality_code="ELSEWHERE"),
        council_code=OTHER,
    )
    frame = store.run_sql("staging/stg_home_lsoas", council_code=COUNCIL, as_at=datetime(2026, 6, 1))
    assert sorted(rows(frame, "lsoa_code", "locality_code", "locality_name", "sort_order")) == [
        ("E01000001", "NORTH", "North", 1),
        ("E01000004", "WEST", "West", 3),  # a 2011 code: the locality of its 2021 parts
        ("E01000005", "SOUTH", "South", 2),
        ("E01000006", "NORTH", "North", 1),
        ("E01035001", "WEST", "West", 3),
        ("E01035002", "WEST", "West", 3),
        ("E01035009", "NORTH", "North", 1),  # merged from two localities: the first in the council's order
    ]
    before = store.run_sql("staging/stg_home_lsoas", council_code=COUNCIL, as_at=datetime(2025, 6, 1))
    assert rows(before, "lsoa_code", "locality_code") == [("E01000001", "OLD")]
