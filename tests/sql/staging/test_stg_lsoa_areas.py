"""stg_lsoa_areas: every LSOA code of either vintage with its decile on each index (as text; null when split across
deciles) and the council's locality in force at the as-at time, whichever vintage the lookup and the code are (null
for an LSOA outside the council's localities)."""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, given, rows


def test_deciles_on_each_index_and_the_current_localities_of_either_vintage(store):
    given(
        store,
        "lsoa_reference",
        dict(lsoa_code="E01000001", imd_decile=1),
        dict(lsoa_code="E01000002", imd_decile=10),
        dict(lsoa_code="E01000003", imd_decile=5),
        dict(lsoa_code="E01000004", imd_decile=3),
    )
    given(
        store,
        "lsoa21_reference",
        dict(lsoa_code="E01000001", imd_decile=2),  # unchanged
        dict(lsoa_code="E01000002", imd_decile=9),  # unchanged
        dict(lsoa_code="E01000003", imd_decile=5),  # unchanged
        dict(lsoa_code="E01035001", imd_decile=3),  # E01000004 split into two, in different deciles
        dict(lsoa_code="E01035002", imd_decile=4),
        idaci_decile=1,
    )
    given(
        store,
        "lsoa_changes",
        dict(lsoa11_code="E01000001", lsoa21_code="E01000001", change="U"),
        dict(lsoa11_code="E01000002", lsoa21_code="E01000002", change="U"),
        dict(lsoa11_code="E01000003", lsoa21_code="E01000003", change="U"),
        dict(lsoa11_code="E01000004", lsoa21_code="E01035001", change="S"),
        dict(lsoa11_code="E01000004", lsoa21_code="E01035002", change="S"),
    )
    given(
        store,
        "locality_loads",
        dict(locality_load_id=1, loaded_at=datetime(2025, 1, 1), superseded_at=datetime(2026, 1, 1)),
        dict(locality_load_id=2, loaded_at=datetime(2026, 1, 1)),
        council_code=COUNCIL,
    )
    given(
        store,
        "locality_lsoas",
        dict(locality_load_id=1, lsoa_code="E01000001", locality_code="OLD"),
        dict(locality_load_id=2, lsoa_code="E01000001", locality_code="NORTH"),
        dict(locality_load_id=2, lsoa_code="E01000002", locality_code="SOUTH"),
        dict(locality_load_id=2, lsoa_code="E01035001", locality_code="WEST"),  # the lookup on 2021 codes
        dict(locality_load_id=2, lsoa_code="E01035002", locality_code="WEST"),
        council_code=COUNCIL,
    )
    frame = store.run_sql("staging/stg_lsoa_areas", council_code=COUNCIL, as_at=datetime(2026, 6, 1))
    assert rows(frame, "lsoa_code", "imd_decile_iod2019", "imd_decile_iod2025", "locality_code") == [
        ("E01000001", "1", "2", "NORTH"),
        ("E01000002", "10", "9", "SOUTH"),
        ("E01000003", "5", "5", None),  # outside the council's localities
        ("E01000004", "3", None, "WEST"),  # a 2011 code: split across deciles on IoD2025, its parts' locality
        ("E01035001", "3", "3", "WEST"),  # 2021 codes: IoD2019 through the 2011 LSOA they came from
        ("E01035002", "3", "4", "WEST"),
    ]
    before = store.run_sql("staging/stg_lsoa_areas", council_code=COUNCIL, as_at=datetime(2025, 6, 1))
    assert rows(before, "locality_code")[0] == ("OLD",)
