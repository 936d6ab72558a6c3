"""stg_hv_kpi_counts and mart_hv_reconciliation: derived counts of the current load beside the current return.

Given two loads of provider ZZ1 (the first superseded) and one of ZZ2, and ZZ1's accepted return: the staging
relation reads only each provider's current load; the mart sums the derived counts over ethnic groups, compares only
quarters and KPIs both sides hold, and shows a cell only one side has with zero on the other.
"""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, given, rows

AT = datetime(2026, 11, 23)
OLD, NEW = datetime(2026, 1, 1), datetime(2026, 6, 1)


def counts(store, load_id, provider, *cells):
    given(
        store,
        "hv_kpi_counts",
        *(
            dict(
                period=p,
                kpi_code=k,
                locality_code=loc,
                imd_decile=dec,
                ethnic_group=eth,
                numerator=n,
                denominator=d,
            )
            for p, k, loc, dec, eth, n, d in cells
        ),
        load_id=load_id,
        council_code=COUNCIL,
        provider_code=provider,
    )


def test_the_current_load_beside_the_current_return(store):
    given(
        store,
        "hv_loads",
        dict(load_id=1, loaded_at=OLD, superseded_at=NEW),
        council_code=COUNCIL,
        provider_code="ZZ1",
        dataset="hv-records",
    )
    given(store, "hv_loads", dict(load_id=2, loaded_at=NEW), dict(load_id=3, loaded_at=NEW, provider_code="ZZ2"), council_code=COUNCIL, provider_code="ZZ1", dataset="hv-records")  # fmt: skip
    counts(store, 1, "ZZ1", ("2026-27 Q1", "C2", "NORTH", "1", "White", 9, 9))  # superseded
    counts(
        store,
        2,
        "ZZ1",
        ("2026-27 Q1", "C2", "NORTH", "1", "White", 3, 4),
        ("2026-27 Q1", "C2", "NORTH", "1", "Mixed", 1, 1),
        ("2026-27 Q1", "C2", "UNKNOWN", "U", "Not stated", 0, 1),
        ("2026-27 Q2", "C2", "NORTH", "1", "White", 5, 5),  # no return for Q2: not compared
    )
    counts(store, 3, "ZZ2", ("2026-27 Q1", "C2", "NORTH", "1", "White", 1, 1))  # no return from ZZ2
    given(
        store,
        "submissions",
        dict(submission_id=7, provider_code="ZZ1", dataset="mandated-contacts", period="2026-27 Q1", status="accepted", accepted_at=OLD),
        council_code=COUNCIL,
    )  # fmt: skip
    given(
        store,
        "return_rows",
        dict(kpi_code="C2", locality_code="NORTH", imd_decile="1", numerator=4, denominator=5),
        dict(kpi_code="C2", locality_code="SOUTH", imd_decile="5", numerator=2, denominator=2),
        dict(kpi_code="C2", locality_code="NORTH", imd_decile="ALL", numerator=4, denominator=5),
        submission_id=7,
        council_code=COUNCIL,
        provider_code="ZZ1",
        period="2026-27 Q1",
    )
    staged = store.run_sql("staging/stg_hv_kpi_counts", council_code=COUNCIL, as_at=AT)
    assert sorted(set(staged["load_id"].to_list())) == [2, 3]
    mart = store.run_sql("marts/mart_hv_reconciliation", council_code=COUNCIL, as_at=AT)
    assert rows(
        mart,
        "provider_code", "period", "locality_code", "imd_decile", "derived_numerator", "derived_denominator",
        "returned_numerator", "returned_denominator", "numerator_difference", "denominator_difference",
    ) == [
        ("ZZ1", "2026-27 Q1", "NORTH", "1", 4, 5, 4, 5, 0, 0),
        ("ZZ1", "2026-27 Q1", "SOUTH", "5", 0, None, 2, 2, -2, -2),
        ("ZZ1", "2026-27 Q1", "UNKNOWN", "U", 0, 1, 0, None, 0, 1),
    ]  # fmt: skip
    assert mart["points_difference"].to_list() == [0.0, None, None]
