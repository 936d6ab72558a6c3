"""stg_locality_load: the council's locality load in force at the as-at time (loaded by then, not yet superseded),
none before its first load; another council's loads never count."""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, OTHER, given, rows


def test_the_load_in_force_at_each_time(store):
    given(
        store,
        "locality_loads",
        dict(locality_load_id=1, loaded_at=datetime(2025, 1, 1), superseded_at=datetime(2026, 1, 1)),
        dict(locality_load_id=2, loaded_at=datetime(2026, 1, 1)),
        council_code=COUNCIL,
    )
    given(
        store, "locality_loads", dict(locality_load_id=3, loaded_at=datetime(2024, 1, 1)), council_code=OTHER
    )

    def in_force(at: datetime) -> list[tuple]:
        return rows(
            store.run_sql("staging/stg_locality_load", council_code=COUNCIL, as_at=at), "locality_load_id"
        )

    assert in_force(datetime(2024, 6, 1)) == []
    assert in_force(datetime(2025, 6, 1)) == [(1,)]
    assert in_force(datetime(2026, 1, 1)) == [(2,)]  # superseded at that moment: the new one is in force
    assert in_force(datetime(2026, 6, 1)) == [(2,)]
