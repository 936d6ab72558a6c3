"""stg_ncmp_home_areas: given the home LSOAs met in the current NCMP counts, each child's home area out.

An LSOA in the council's locality lookup current at the as-at time is in that locality; another English LSOA (in the
national reference) is 'OUTSIDE' the borough; a missing or unrecognised one is 'UNKNOWN'. The national IMD decile is
the reference's, 'U' when unknown. Only LSOAs of the current load parts are listed, each once.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, given, rows

AT = datetime(2026, 11, 20, 9, 0)
COLUMNS = (
    "lsoa_code",
    "home_locality_code",
    "home_locality_name",
    "home_sort_order",
    "imd_decile",
    "imd_edition",
)


@pytest.fixture()
def homes(store):
    given(
        store,
        "lsoa_reference",
        dict(lsoa_code="L1", imd_decile=2, imd_edition="IMD2019"),
        dict(lsoa_code="L9", imd_decile=7, imd_edition="IMD2019"),
    )
    given(
        store,
        "locality_loads",
        dict(locality_load_id=1, loaded_at=datetime(2020, 1, 1), superseded_at=datetime(2026, 1, 1)),
        dict(locality_load_id=2, loaded_at=datetime(2026, 1, 1)),
        council_code=COUNCIL,
    )
    given(
        store,
        "localities",
        dict(locality_load_id=1, locality_code="SOUTH", locality_name="South", sort_order=2),
        dict(locality_load_id=2, locality_code="NORTH", locality_name="North", sort_order=1),
        council_code=COUNCIL,
    )
    given(
        store,
        "locality_lsoas",
        dict(locality_load_id=1, locality_code="SOUTH"),
        dict(locality_load_id=2, locality_code="NORTH"),
        council_code=COUNCIL,
        lsoa_code="L1",
    )
    given(
        store,
        "ncmp_load_parts",
        dict(load_id=1, school_year="R"),
        dict(load_id=1, school_year="6"),
        # an earlier load of Year 6, replaced by load 1
        dict(load_id=0, school_year="6", loaded_at=datetime(2024, 10, 1), superseded_at=datetime(2025, 1, 1)),
        council_code=COUNCIL,
        dataset="ncmp",
        academic_year="2024/25",
        loaded_at=datetime(2025, 1, 1),
    )
    given(
        store,
        "ncmp_counts",
        dict(load_id=1, school_year="R", dimension="lsoa", dimension_value="L1"),
        dict(load_id=1, school_year="R", dimension="lsoa", dimension_value="L9"),
        dict(load_id=1, school_year="R", dimension="lsoa", dimension_value=None),  # not recorded
        dict(load_id=1, school_year="R", dimension="lsoa", dimension_value="BAD"),  # not a known LSOA
        dict(load_id=1, school_year="R", dimension="school", dimension_value="100001"),
        dict(load_id=1, school_year="6", dimension="lsoa", dimension_value="L1"),  # met again: listed once
        dict(load_id=0, school_year="6", dimension="lsoa", dimension_value="OLD"),  # a superseded part
        council_code=COUNCIL,
        academic_year="2024/25",
    )
    return store


def staging(store, as_at=AT):
    frame = store.run_sql("staging/stg_ncmp_home_areas", council_code=COUNCIL, as_at=as_at)
    return frame.sort("lsoa_code", nulls_last=False)


def test_home_locality_outside_or_unknown_with_the_national_decile(homes):
    assert rows(staging(homes), *COLUMNS) == [
        (None, "UNKNOWN", "Home LSOA not recorded", 901, "U", None),
        ("BAD", "UNKNOWN", "Home LSOA not recorded", 901, "U", None),
        ("L1", "NORTH", "North", 1, "2", "IMD2019"),
        ("L9", "OUTSIDE", "Outside the borough", 900, "7", "IMD2019"),
    ]


def test_the_locality_lookup_current_at_the_as_at_time(homes):
    earlier = staging(homes, as_at=datetime(2025, 12, 31))
    assert rows(earlier.filter(earlier["lsoa_code"] == "L1"), *COLUMNS) == [
        ("L1", "SOUTH", "South", 2, "2", "IMD2019"),
    ]
    assert rows(staging(homes, as_at=datetime(2024, 12, 31)), *COLUMNS) == [
        (
            "OLD",
            "UNKNOWN",
            "Home LSOA not recorded",
            901,
            "U",
            None,
        ),  # only the earlier load was current then
    ]


def test_a_code_of_either_vintage_finds_its_locality_and_the_year_index_decile(homes):
    """L1 (2011) was split into M1 and M2 (2021); a child's code of either vintage finds L1's locality, and its
    decile is on the index of the year (2024/25: IoD2019, 2025/26: IoD2025; docs/methods.md section 7.1)."""
    given(
        homes,
        "lsoa21_reference",
        dict(lsoa_code="M1", imd_decile=4),
        dict(lsoa_code="M2", imd_decile=5),
        idaci_decile=1,
    )
    given(
        homes,
        "lsoa_changes",
        dict(lsoa11_code="L1", lsoa21_code="M1", change="S"),
        dict(lsoa11_code="L1", lsoa21_code="M2", change="S"),
    )
    given(homes, "ncmp_load_parts", dict(load_id=2, school_year="R"), council_code=COUNCIL, dataset="ncmp",
          academic_year="2025/26", loaded_at=datetime(2026, 1, 1))  # fmt: skip
    given(
        homes,
        "ncmp_counts",
        dict(dimension_value="L1"),
        dict(dimension_value="M1"),
        load_id=2,
        school_year="R",
        dimension="lsoa",
        council_code=COUNCIL,
        academic_year="2025/26",
    )
    given(homes, "ncmp_counts", dict(dimension_value="M2"), load_id=1, school_year="R", dimension="lsoa",
          council_code=COUNCIL, academic_year="2024/25")  # fmt: skip
    got = {
        (r["academic_year"], r["lsoa_code"]): (
            r["home_locality_code"],
            r["imd_decile"],
            r["deprivation_index"],
        )
        for r in staging(homes).iter_rows(named=True)
        if r["lsoa_code"] in ("L1", "M1", "M2")
    }
    assert got == {
        ("2024/25", "L1"): ("NORTH", "2", "IoD2019"),
        ("2024/25", "M2"): ("NORTH", "2", "IoD2019"),  # mapped back to L1
        ("2025/26", "L1"): ("NORTH", "U", "IoD2025"),  # split across deciles 4 and 5
        ("2025/26", "M1"): ("NORTH", "4", "IoD2025"),
    }
