"""stg_locality_cells: given a council's locality lookups in, its locality x IMD decile cells at the as-at time out.

A cell is a locality x decile holding at least one LSOA of the lookup current at the as-at time, with its LSOA count
and children aged 0-15 summed from the national reference; an LSOA missing from the reference is not counted.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
COLUMNS = ("council_code", "locality_code", "imd_decile", "lsoa_count", "children_0_15")


@pytest.fixture()
def lookups(store):
    given(
        store,
        "lsoa_reference",
        dict(lsoa_code="L1", imd_decile=1, children_0_15=100),
        dict(lsoa_code="L2", imd_decile=1, children_0_15=50),
        dict(lsoa_code="L3", imd_decile=3, children_0_15=70),
        dict(lsoa_code="L4", imd_decile=10, children_0_15=30),
        dict(lsoa_code="L6", imd_decile=5, children_0_15=99),
    )
    given(
        store,
        "locality_loads",
        dict(
            locality_load_id=1,
            council_code=COUNCIL,
            loaded_at=datetime(2020, 1, 1),
            superseded_at=datetime(2026, 1, 1),
        ),
        dict(locality_load_id=2, council_code=COUNCIL, loaded_at=datetime(2026, 1, 1)),
        dict(locality_load_id=3, council_code=OTHER, loaded_at=datetime(2020, 1, 1)),
    )
    given(
        store,
        "locality_lsoas",
        dict(locality_load_id=1, council_code=COUNCIL, lsoa_code="L1", locality_code="NORTH"),
        dict(locality_load_id=1, council_code=COUNCIL, lsoa_code="L3", locality_code="SOUTH"),
        dict(locality_load_id=2, council_code=COUNCIL, lsoa_code="L1", locality_code="NORTH"),
        dict(locality_load_id=2, council_code=COUNCIL, lsoa_code="L2", locality_code="NORTH"),
        dict(locality_load_id=2, council_code=COUNCIL, lsoa_code="L3", locality_code="NORTH"),
        dict(locality_load_id=2, council_code=COUNCIL, lsoa_code="L4", locality_code="SOUTH"),
        dict(
            locality_load_id=2, council_code=COUNCIL, lsoa_code="L5", locality_code="SOUTH"
        ),  # not in the reference
        dict(locality_load_id=3, council_code=OTHER, lsoa_code="L6", locality_code="WEST"),
    )
    return store


def staging(store, as_at=AT):
    return store.run_sql("staging/stg_locality_cells", council_code=COUNCIL, as_at=as_at)


def test_cells_of_the_current_lookup(lookups):
    assert rows(staging(lookups), *COLUMNS) == [
        (COUNCIL, "NORTH", 1, 2, 150),
        (COUNCIL, "NORTH", 3, 1, 70),
        (COUNCIL, "SOUTH", 10, 1, 30),
    ]


def test_cells_of_the_lookup_current_at_an_earlier_time(lookups):
    assert rows(staging(lookups, as_at=datetime(2025, 12, 31)), *COLUMNS) == [
        (COUNCIL, "NORTH", 1, 1, 100),
        (COUNCIL, "SOUTH", 3, 1, 70),
    ]
    # the new lookup counts from the moment it was loaded, the old one no longer
    assert rows(staging(lookups, as_at=datetime(2026, 1, 1)), *COLUMNS) == rows(staging(lookups), *COLUMNS)
    assert staging(lookups, as_at=datetime(2019, 12, 31)).is_empty()


def test_a_lookup_of_either_vintage_counts_each_index_on_its_own_lsoas(store):
    """A 2011 LSOA split in two (2021) in a lookup of 2011 codes: IoD2025 counts both parts, in its locality."""
    given(store, "lsoa_reference", dict(lsoa_code="A11", imd_decile=2, children_0_15=40))
    given(
        store,
        "lsoa21_reference",
        dict(lsoa_code="A21", imd_decile=4, idaci_decile=1),
        dict(lsoa_code="B21", imd_decile=2, idaci_decile=1),
    )
    given(
        store,
        "lsoa_changes",
        dict(lsoa11_code="A11", lsoa21_code="A21", change="S"),
        dict(lsoa11_code="A11", lsoa21_code="B21", change="S"),
    )
    given(
        store,
        "locality_loads",
        dict(locality_load_id=1, council_code=COUNCIL, loaded_at=datetime(2020, 1, 1)),
    )
    given(
        store,
        "localities",
        dict(locality_load_id=1, council_code=COUNCIL, locality_code="NORTH", sort_order=1),
    )
    for code in ("A11", "B21"):  # the same LSOA twice, once per vintage: counted once on each index
        given(
            store,
            "locality_lsoas",
            dict(locality_load_id=1, council_code=COUNCIL, lsoa_code=code, locality_code="NORTH"),
        )
    assert rows(
        staging(store), "index_code", "locality_code", "imd_decile", "lsoa_count", "children_0_15"
    ) == [
        ("IoD2019", "NORTH", 2, 1, 40),
        ("IoD2025", "NORTH", 2, 1, None),
        ("IoD2025", "NORTH", 4, 1, None),
    ]
