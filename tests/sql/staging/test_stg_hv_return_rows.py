"""stg_hv_return_rows: the counts of each provider's current records load for the catalogue KPIs whose source is
'hv-records', in the shape of return rows: decile rows summed over ethnic groups, each locality's all-deciles total,
and the children whose LSOA is unknown in one borough row (locality ALL, decile ALL); KPIs from the return left out.
"""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, given, rows

AT = datetime(2026, 11, 23)


def test_derived_counts_as_return_rows(store):
    given(
        store,
        "kpi_versions",
        dict(kpi_code="A3", source="hv-records"),
        dict(kpi_code="C2", source="return"),
        council_code=COUNCIL,
        effective_from_index=8000,
        set_at=datetime(1900, 1, 1),
        value_kind="proportion",
        polarity="high",
        breakdown="locality_decile",
    )
    given(store, "hv_loads", dict(load_id=1, loaded_at=datetime(2026, 1, 1)), council_code=COUNCIL, provider_code="ZZ1", dataset="hv-records")  # fmt: skip
    given(
        store,
        "hv_kpi_counts",
        *(
            dict(kpi_code=k, locality_code=loc, imd_decile=dec, ethnic_group=eth, numerator=n, denominator=d)
            for k, loc, dec, eth, n, d in [
                ("A3", "NORTH", "1", "White", 3, 4),
                ("A3", "NORTH", "1", "Mixed", 1, 1),
                ("A3", "NORTH", "2", "White", 2, 2),
                ("A3", "UNKNOWN", "U", "Not stated", 1, 3),
                ("C2", "NORTH", "1", "White", 9, 9),  # from the return: left out
            ]
        ),
        load_id=1,
        council_code=COUNCIL,
        provider_code="ZZ1",
        period="2026-27 Q2",
    )
    frame = store.run_sql("staging/stg_hv_return_rows", council_code=COUNCIL, as_at=AT).sort(
        "locality_code", "imd_decile"
    )
    assert rows(
        frame, "kpi_code", "period_index", "locality_code", "imd_decile", "numerator", "denominator"
    ) == [
        ("A3", 8105, "ALL", "ALL", 1.0, 3.0),  # the child whose LSOA is unknown: the borough only
        ("A3", 8105, "NORTH", "1", 4.0, 5.0),
        ("A3", 8105, "NORTH", "2", 2.0, 2.0),
        ("A3", 8105, "NORTH", "ALL", 6.0, 7.0),
    ]
