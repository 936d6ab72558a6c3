"""mart_ncmp_england: given the borough's counts and England's figures in, each borough figure beside England's.

England's figure is that of the same academic year when published, otherwise the latest earlier one (never a later
year), as current at the as-at time (a reloaded figure replaces the older from its load); another area's figure is
not England's, and a category England has no figure for is left without one. (tests/sql/test_mart_ncmp.py covers
the national deciles and the comparison built on this relation.)
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
EARLY, RELOAD = datetime(2025, 1, 1), datetime(2026, 1, 1)
COLUMNS = (
    "academic_year",
    "category",
    "numerator",
    "denominator",
    "england_year",
    "england_pct",
    "is_same_year",
)


def england(year, category, pct, *, loaded=EARLY, superseded=None, area="E92000001", council=COUNCIL):
    return dict(
        council_code=council,
        academic_year=year,
        school_year="R",
        category=category,
        area_code=area,
        area_name="England" if area == "E92000001" else "North West",
        value_pct=pct,
        source="test",
        loaded_at=loaded,
        superseded_at=superseded,
    )


@pytest.fixture()
def figures(store):
    for load_id, year in ((1, "2023/24"), (2, "2024/25")):
        given(
            store,
            "ncmp_load_parts",
            dict(load_id=load_id, academic_year=year, loaded_at=EARLY),
            council_code=COUNCIL,
            dataset="ncmp",
            school_year="R",
        )
        given(
            store,
            "ncmp_counts",
            dict(load_id=load_id, academic_year=year, dimension_value="100001"),
            council_code=COUNCIL,
            school_year="R",
            dimension="school",
            measured=100,
            valid=100,
            healthy_weight=88,
            underweight=2,
            obese=10,
            severely_obese=3,
        )
    given(
        store,
        "ncmp_benchmarks",
        england("2022/23", "obese", 9.0),
        england("2023/24", "obese", 9.5, superseded=RELOAD),
        england("2023/24", "obese", 9.6, loaded=RELOAD),
        england("2025/26", "obese", 10.0),  # a later year: never beside an earlier one
        england("2024/25", "obese", 50.0, area="E12000002"),  # a region, not England
        england("2024/25", "obese", 60.0, council=OTHER),
        england("2024/25", "obese", 70.0, loaded=datetime(2026, 11, 21)),  # after the as-at time
    )
    return store


def borough(store, as_at=AT):
    frame = store.run_sql("marts/mart_ncmp_england", council_code=COUNCIL, as_at=as_at)
    return frame.filter(pl.col("imd_decile").is_null(), pl.col("category").is_in(["obese", "underweight"]))


def test_the_same_year_or_the_latest_earlier_one_current_at_the_as_at_time(figures):
    assert rows(borough(figures), *COLUMNS) == [
        ("2023/24", "obese", 10, 100, "2023/24", 9.6, True),
        ("2023/24", "underweight", 2, 100, None, None, None),
        ("2024/25", "obese", 10, 100, "2023/24", 9.6, False),
        ("2024/25", "underweight", 2, 100, None, None, None),
    ]
    before_the_reload = borough(figures, as_at=datetime(2025, 12, 31))
    assert rows(before_the_reload.filter(pl.col("category") == "obese"), "academic_year", "england_pct") == [
        ("2023/24", 9.5),
        ("2024/25", 9.5),
    ]
    later = borough(figures, as_at=datetime(2026, 11, 21))
    assert rows(
        later.filter(pl.col("category") == "obese"), "academic_year", "england_year", "england_pct"
    ) == [
        ("2023/24", "2023/24", 9.6),
        ("2024/25", "2024/25", 70.0),
    ]
