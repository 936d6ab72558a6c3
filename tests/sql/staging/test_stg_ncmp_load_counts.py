"""stg_ncmp_load_counts: given one load's children in, its counts per year group x school, home LSOA and ethnic group.

measured counts children (a duplicate row is not a second child); valid those in prevalence (neither |z| > 7 nor a
duplicate); the categories count valid children, severely obese within obese; excluded_z counts the children left out
for |z| > 7, duplicates the repeated rows. A child without a recorded LSOA is counted under a null LSOA.
"""

from __future__ import annotations

import pytest

from tests.sql.given import COUNCIL, given, rows

COLUMNS = (
    "school_year",
    "dimension",
    "dimension_value",
    "measured",
    "valid",
    "underweight",
    "healthy_weight",
    "overweight",
    "obese",
    "severely_obese",
    "excluded_z",
    "duplicates",
)


def child(school, lsoa, ethnic, category, *, severe=False, excluded=False, duplicate=False, year="R", load=1):
    return dict(
        load_id=load,
        school_urn=school,
        school_year=year,
        sex="F",
        ethnic_group=ethnic,
        lsoa_code=lsoa,
        bmi_category=category,
        is_severely_obese=severe,
        is_excluded=excluded or duplicate,
        is_duplicate=duplicate,
    )


@pytest.fixture()
def children(store):
    given(
        store,
        "ncmp_children",
        child("A", "L1", "White", "healthy weight"),
        child("A", "L1", "Asian", "obese", severe=True),
        child("A", None, "White", "obese"),
        child("B", "L2", "White", "underweight", excluded=True),  # |z| > 7
        child("B", "L2", "White", "healthy weight", duplicate=True),
        child("B", "L2", "White", "overweight"),
        child("A", "L1", "White", "healthy weight", year="6"),
        child("A", "L1", "White", "obese", load=2),  # another load
        council_code=COUNCIL,
        academic_year="2024/25",
    )
    return store


def test_counts_per_year_group_and_dimension(children):
    frame = children.run_sql("staging/stg_ncmp_load_counts", load_id=1)
    frame = frame.sort("school_year", "dimension", "dimension_value", nulls_last=False)
    assert rows(frame, *COLUMNS) == [
        ("6", "ethnic_group", "White", 1, 1, 0, 1, 0, 0, 0, 0, 0),
        ("6", "lsoa", "L1", 1, 1, 0, 1, 0, 0, 0, 0, 0),
        ("6", "school", "A", 1, 1, 0, 1, 0, 0, 0, 0, 0),
        ("R", "ethnic_group", "Asian", 1, 1, 0, 0, 0, 1, 1, 0, 0),
        ("R", "ethnic_group", "White", 4, 3, 0, 1, 1, 1, 0, 1, 1),
        ("R", "lsoa", None, 1, 1, 0, 0, 0, 1, 0, 0, 0),
        ("R", "lsoa", "L1", 2, 2, 0, 1, 0, 1, 1, 0, 0),
        ("R", "lsoa", "L2", 2, 1, 0, 0, 1, 0, 0, 1, 1),
        ("R", "school", "A", 3, 3, 0, 1, 0, 2, 1, 0, 0),
        ("R", "school", "B", 2, 1, 0, 0, 1, 0, 0, 1, 1),
    ]
    assert set(frame["load_id"]) == {1} and set(frame["academic_year"]) == {"2024/25"}
