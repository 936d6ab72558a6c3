"""mart_exception_narratives: given narrative versions in, the one in force at the as-at time per KPI x locality out.

The narrative in force is the latest version recorded by the as-at time (a tie on recorded_at goes to the version
recorded last, the higher row id); an agreement is a version of its own. The scope is the council and, when given,
one provider; rows come newest period first, then by provider, KPI and locality.
"""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
COLUMNS = ("provider_code", "kpi_code", "period", "locality_code", "explanation", "agreed", "agreed_by")


def version(
    row_id, provider, kpi, locality, explanation, recorded, *, period="2026-27 Q2", agreed_by=None, **more
):
    return dict(
        narrative_row_id=row_id,
        council_code=more.pop("council", COUNCIL),
        provider_code=provider,
        kpi_code=kpi,
        period=period,
        period_index={"2026-27 Q1": 8104, "2026-27 Q2": 8105}[period],
        locality_code=locality,
        explanation=explanation,
        agreed=agreed_by is not None,
        agreed_by=agreed_by,
        recorded_at=recorded,
        **more,
    )


def mart(store, as_at=AT, provider=None):
    return store.run_sql(
        "marts/mart_exception_narratives", council_code=COUNCIL, as_at=as_at, provider_code=provider
    )


def test_the_latest_version_by_the_as_at_time_wins(store):
    given(
        store,
        "exception_narratives",
        version(1, "ZZ1", "C2", "NORTH", "first draft", datetime(2026, 11, 1)),
        version(2, "ZZ1", "C2", "NORTH", "second draft", datetime(2026, 11, 5)),
        version(3, "ZZ1", "C2", "NORTH", "second draft", datetime(2026, 11, 6), agreed_by="commissioner"),
        version(4, "ZZ1", "C2", "NORTH", "rewritten after the as-at time", datetime(2026, 11, 21)),
        version(5, "ZZ1", "C2", "ALL", "borough", datetime(2026, 11, 2)),
        version(6, "ZZ1", "C2", "NORTH", "last quarter", datetime(2026, 8, 1), period="2026-27 Q1"),
        version(7, "ZZ2", "C1", "SOUTH", "other provider", datetime(2026, 11, 3)),
        version(8, "ZZ1", "C2", "NORTH", "another council", datetime(2026, 11, 3), council=OTHER),
        version(9, "ZZ1", "C3", "ALL", "written after the as-at time", datetime(2026, 11, 20, 9, 1)),
    )
    assert rows(mart(store), *COLUMNS) == [
        ("ZZ1", "C2", "2026-27 Q2", "ALL", "borough", False, None),
        ("ZZ1", "C2", "2026-27 Q2", "NORTH", "second draft", True, "commissioner"),
        ("ZZ2", "C1", "2026-27 Q2", "SOUTH", "other provider", False, None),
        ("ZZ1", "C2", "2026-27 Q1", "NORTH", "last quarter", False, None),
    ]
    before_agreement = mart(store, as_at=datetime(2026, 11, 5, 12))
    assert rows(before_agreement.head(2), "locality_code", "explanation", "agreed") == [
        ("ALL", "borough", False),
        ("NORTH", "second draft", False),
    ]


def test_a_tie_on_recorded_at_goes_to_the_higher_row_id(store):
    same_second = datetime(2026, 11, 5, 10, 0, 0)
    given(
        store,
        "exception_narratives",
        version(11, "ZZ1", "C2", "NORTH", "row 11", same_second),  # written here first: the row id decides
        version(10, "ZZ1", "C2", "NORTH", "row 10", same_second),
    )
    assert rows(mart(store), "explanation") == [("row 11",)]


def test_the_provider_scope(store):
    given(
        store,
        "exception_narratives",
        version(1, "ZZ1", "C2", "NORTH", "one", datetime(2026, 11, 1)),
        version(2, "ZZ2", "C2", "NORTH", "two", datetime(2026, 11, 1)),
    )
    assert rows(mart(store, provider="ZZ2"), "provider_code", "explanation") == [("ZZ2", "two")]
    assert rows(mart(store), "provider_code") == [("ZZ1",), ("ZZ2",)]
    assert mart(store, as_at=datetime(2026, 10, 31)).is_empty()
