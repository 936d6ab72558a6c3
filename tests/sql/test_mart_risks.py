"""mart_risks: given risk versions in, each risk's latest version by the as-at time out, rated and banded.

Rating = likelihood x impact; bands on the NPSA 5 x 5 matrix: 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme. Who
raised a risk and when is its first version's; updated_at/by its latest's. A review is overdue when an open risk's
review date is before the as-at date (not on it; never for a closed risk or one without a date). Open risks come
first, then the highest rating, then the risk id.
"""

from __future__ import annotations

from datetime import date, datetime

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)


def risk(
    risk_id, version, likelihood, impact, recorded, *, status="open", review=None, by="owner", council=COUNCIL
):
    return dict(
        risk_id=risk_id,
        version=version,
        council_code=council,
        risk=f"risk {risk_id}",
        likelihood=likelihood,
        impact=impact,
        review_date=review,
        status=status,
        recorded_at=recorded,
        recorded_by=by,
    )


def mart(store, as_at=AT):
    return store.run_sql("marts/mart_risks", council_code=COUNCIL, as_at=as_at)


def test_ratings_and_bands_at_every_edge_highest_first(store):
    grid = [(1, 1, 3), (2, 2, 2), (3, 2, 3), (4, 2, 4), (5, 3, 4), (6, 3, 5), (7, 5, 5)]
    given(store, "risks", *(risk(i, 1, li, im, datetime(2026, 10, 1)) for i, li, im in grid))
    assert rows(mart(store), "risk_id", "rating", "rating_band") == [
        (7, 25, "extreme"),
        (6, 15, "extreme"),
        (5, 12, "high"),
        (4, 8, "high"),
        (3, 6, "moderate"),
        (2, 4, "moderate"),
        (1, 3, "low"),
    ]


def test_latest_version_raised_and_updated_by_and_review_overdue(store):
    given(
        store,
        "risks",
        risk(1, 1, 2, 2, datetime(2026, 9, 1), by="raiser", review=date(2026, 10, 1)),
        risk(1, 2, 3, 3, datetime(2026, 10, 2), by="updater", review=date(2026, 11, 19)),
        risk(1, 3, 5, 5, datetime(2026, 11, 21), by="later"),  # after the as-at time
        # due on the as-at date: not overdue
        risk(2, 1, 4, 4, datetime(2026, 9, 1), review=date(2026, 11, 20)),
        risk(3, 1, 1, 1, datetime(2026, 9, 1)),  # no review date
        risk(4, 1, 5, 5, datetime(2026, 9, 1), status="closed", review=date(2026, 10, 1)),
        risk(5, 1, 5, 5, datetime(2026, 12, 1)),  # raised after the as-at time
        risk(6, 1, 5, 5, datetime(2026, 9, 1), council=OTHER),
    )
    columns = ("risk_id", "version", "rating", "status", "raised_at", "raised_by", "updated_at", "updated_by")
    assert rows(mart(store), *columns) == [
        (2, 1, 16, "open", datetime(2026, 9, 1), "owner", datetime(2026, 9, 1), "owner"),
        (1, 2, 9, "open", datetime(2026, 9, 1), "raiser", datetime(2026, 10, 2), "updater"),
        (3, 1, 1, "open", datetime(2026, 9, 1), "owner", datetime(2026, 9, 1), "owner"),
        (4, 1, 25, "closed", datetime(2026, 9, 1), "owner", datetime(2026, 9, 1), "owner"),
    ]
    assert rows(mart(store), "risk_id", "is_review_overdue") == [
        (2, False),
        (1, True),
        (3, False),
        (4, False),
    ]
    later = mart(store, as_at=datetime(2026, 11, 21, 12))  # version 3 (no review date) counts from midnight
    latest = rows(later, "risk_id", "version", "rating", "raised_by", "updated_by")
    assert latest[0] == (1, 3, 25, "raiser", "later")
    assert rows(later, "risk_id", "is_review_overdue")[:2] == [(1, False), (2, True)]
