"""stg_return_rows: given submissions and their rows in, the rows of the returns current at the as-at time out.

A return counts when it is a mandated-contacts return accepted by the as-at time and not superseded by then. A
locality's all-deciles row the provider left out is added up from its decile rows (unknown decile included; a sum of
missing denominators stays missing); a row the provider gave is kept as given.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
INDEX = {"2026-27 Q1": 8104, "2026-27 Q2": 8105}
COLUMNS = ("provider_code", "period", "kpi_code", "locality_code", "imd_decile", "numerator", "denominator")


def submission(store, submission_id, provider, period, accepted, *lines, superseded=None, **more):
    """A submission and its rows, each 'kpi,locality,decile,numerator,denominator' (empty: no denominator)."""
    common = dict(
        submission_id=submission_id,
        council_code=more.get("council", COUNCIL),
        provider_code=provider,
        period=period,
        period_index=INDEX[period],
    )
    given(
        store,
        "submissions",
        dict(
            dataset=more.get("dataset", "mandated-contacts"),
            status=more.get("status", "accepted"),
            received_at=accepted,
            accepted_at=accepted,
            superseded_at=superseded,
        ),
        **common,
    )
    written = []
    for number, line in enumerate(lines, start=2):
        kpi, locality, decile, numerator, denominator = line.split(",")
        written.append(
            dict(
                kpi_code=kpi,
                locality_code=locality,
                imd_decile=decile,
                numerator=float(numerator),
                denominator=float(denominator) if denominator else None,
                source_row=number,
            )
        )
    given(store, "return_rows", *written, **common)


def nov(day):
    return datetime(2026, 11, day)


@pytest.fixture()
def returns(store):
    q1, q2 = "2026-27 Q1", "2026-27 Q2"
    submission(
        store,
        1,
        "ZZ1",
        q2,
        nov(1),
        "C2,NORTH,1,40,60",
        "C2,NORTH,2,20,30",
        "C2,NORTH,U,5,10",
        "C2,SOUTH,1,10,20",
        "C2,SOUTH,ALL,12,22",  # given: kept as given, not replaced by the sum
        "C1,NORTH,1,3,",
        "C1,NORTH,2,4,",
        "HVVAC,ALL,ALL,6.4,58.2",
    )
    submission(store, 2, "ZZ1", q1, datetime(2026, 8, 1), "C2,NORTH,ALL,60,100", superseded=nov(10))
    submission(store, 3, "ZZ1", q1, nov(10), "C2,NORTH,ALL,70,100")
    submission(store, 4, "ZZ1", q2, nov(2), "C2,EAST,ALL,1,2", status="submitted")
    submission(store, 5, "ZZ2", q2, nov(2), "C2,EAST,ALL,3,4")
    submission(store, 6, "ZZ1", q2, nov(2), "C2,WEST,ALL,5,6", dataset="ncmp")
    submission(store, 7, "ZZ3", q2, nov(21), "C2,EAST,ALL,7,8")  # accepted after the as-at time
    submission(store, 8, "ZZ1", q2, nov(1), "C2,NORTH,ALL,9,10", council=OTHER)
    return store


def staging(store, as_at=AT, provider=None):
    frame = store.run_sql(
        "staging/stg_return_rows", council_code=COUNCIL, as_at=as_at, provider_code=provider
    )
    return frame.sort("provider_code", "period", "kpi_code", "locality_code", "imd_decile")


def test_rows_of_the_current_returns_with_derived_locality_totals(returns):
    frame = staging(returns)
    assert rows(frame, *COLUMNS) == [
        ("ZZ1", "2026-27 Q1", "C2", "NORTH", "ALL", 70.0, 100.0),
        ("ZZ1", "2026-27 Q2", "C1", "NORTH", "1", 3.0, None),
        ("ZZ1", "2026-27 Q2", "C1", "NORTH", "2", 4.0, None),
        ("ZZ1", "2026-27 Q2", "C1", "NORTH", "ALL", 7.0, None),
        ("ZZ1", "2026-27 Q2", "C2", "NORTH", "1", 40.0, 60.0),
        ("ZZ1", "2026-27 Q2", "C2", "NORTH", "2", 20.0, 30.0),
        ("ZZ1", "2026-27 Q2", "C2", "NORTH", "ALL", 65.0, 100.0),
        ("ZZ1", "2026-27 Q2", "C2", "NORTH", "U", 5.0, 10.0),
        ("ZZ1", "2026-27 Q2", "C2", "SOUTH", "1", 10.0, 20.0),
        ("ZZ1", "2026-27 Q2", "C2", "SOUTH", "ALL", 12.0, 22.0),
        ("ZZ1", "2026-27 Q2", "HVVAC", "ALL", "ALL", 6.4, 58.2),
        ("ZZ2", "2026-27 Q2", "C2", "EAST", "ALL", 3.0, 4.0),
    ]
    derived = frame.filter(frame["source_row"].is_null())
    assert rows(derived, "kpi_code", "locality_code", "is_warning_row", "received_at") == [
        ("C1", "NORTH", False, datetime(2026, 11, 1)),
        ("C2", "NORTH", False, datetime(2026, 11, 1)),
    ]
    assert rows(frame.head(1), "source_row", "received_at") == [(2, datetime(2026, 11, 10))]


def test_as_at_an_earlier_time_and_for_one_provider(returns):
    earlier = staging(returns, as_at=datetime(2026, 11, 5))
    assert rows(earlier.filter(earlier["period"] == "2026-27 Q1"), "numerator") == [
        (60.0,)
    ]  # not yet superseded
    assert rows(staging(returns, as_at=datetime(2026, 11, 21)).tail(1), "provider_code", "numerator") == [
        ("ZZ3", 7.0)
    ]
    assert rows(staging(returns, provider="ZZ2"), *COLUMNS) == [
        ("ZZ2", "2026-27 Q2", "C2", "EAST", "ALL", 3.0, 4.0)
    ]
    assert staging(returns, as_at=datetime(2026, 7, 31)).is_empty()
