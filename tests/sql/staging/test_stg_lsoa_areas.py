"""stg_lsoa_areas: every LSOA of the national lookup with its decile (as text) and the council's locality in force
at the as-at time (the current locality load; null for an LSOA outside the council's localities)."""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, given, rows


def test_deciles_and_the_current_localities(store):
    given(
        store,
        "lsoa_reference",
        dict(lsoa_code="E01000001", imd_decile=1),
        dict(lsoa_code="E01000002", imd_decile=10),
        dict(lsoa_code="E01000003", imd_decile=5),
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
        council_code=COUNCIL,
    )
    frame = store.run_sql("staging/stg_lsoa_areas", council_code=COUNCIL, as_at=datetime(2026, 6, 1))
    assert rows(frame, "lsoa_code", "imd_decile", "locality_code") == [
        ("E01000001", "1", "NORTH"),
        ("E01000002", "10", "SOUTH"),
        ("E01000003", "5", None),  # outside the council's localities
    ]
    before = store.run_sql("staging/stg_lsoa_areas", council_code=COUNCIL, as_at=datetime(2025, 6, 1))
    assert rows(before, "locality_code")[0] == ("OLD",)
