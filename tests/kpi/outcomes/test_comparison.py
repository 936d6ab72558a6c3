"""The council against similar councils (kpi/outcomes/comparison.py), checked against figures worked by hand.

Fixture: five neighbours A-E and the council T, proportions as counts of denominators:

| area | count / denominator | value |
|---|---|---|
| A | 45 / 50 | 90% |
| B | 80 / 100 | 80% |
| C | 140 / 200 | 70% |
| D | 60 / 100 | 60% |
| E | 25 / 50 | 50% |
| T (the council) | 170 / 200 | 85% |

By hand:

* pooled average of A-E: (45 + 80 + 140 + 60 + 25) / (50 + 100 + 200 + 100 + 50) = 350 / 500 = 70.0% (the mean of
  their values is also 70%, so a second group, A, B and F (66%, no counts), shows the mean: (90 + 80 + 66) / 3 =
  78.667%);
* rank of T among A-E and T, high is good: 90, **85**, 80, 70, 60, 50 -> 2nd of 6; low is good -> 5th of 6;
* quintile (Fingertips: sorted 50, 60, 70, 80, 85, 90; n = 6; the bound at fraction f has rank (n - 1)f + 1 = 2, 3,
  4, 5 for f = 0.2 ... 0.8, so the bounds are 50 | 60, 70, 80, 85 | 90): T = 85 is on the fourth bound, so the raw
  group is 4 (a value on a bound joins the lower group); high is good -> quintile 6 - 4 = 2; low is good -> 4;
* significance: T's Wilson 99.8% interval for 170/200 (z = 3.0902) is about 76.4% to 90.6%, and 70.0% lies below it:
  better (high is good) at 99.8%.
"""

from __future__ import annotations

import polars as pl
import pytest

from kpi.outcomes.comparison import ALL_CODE, MEAN, POOLED, REGION_CODE, Group, compare, comparison_groups
from kpi.stats import wilson_ci

TOLERANCE = 1e-9

VALUES = pl.DataFrame(
    {
        "area_code": ["A", "B", "C", "D", "E", "F", "T"],
        "area_name": ["A", "B", "C", "D", "E", "F", "T"],
        "value": [
            90.0,
            80.0,
            70.0,
            60.0,
            50.0,
            66.0,
            10.0,
        ],  # T's published row is replaced by its own figure
        "count": [45.0, 80.0, 140.0, 60.0, 25.0, None, 1.0],
        "denominator": [50.0, 100.0, 200.0, 100.0, 50.0, None, 10.0],
    }
)
GROUPS = [
    Group("sn", "Neighbours", "comparator", tuple("ABCDE")),
    Group("own", "Own", "comparator", tuple("ABF")),
]


def council() -> dict:
    lo95, hi95 = wilson_ci(170, 200, 0.95)
    lo998, hi998 = wilson_ci(170, 200, 0.998)
    return {
        "area_code": "T",
        "area_name": "T",
        "value": 85.0,
        "lower_ci_95": lo95 * 100,
        "upper_ci_95": hi95 * 100,
        "lower_ci_998": lo998 * 100,
        "upper_ci_998": hi998 * 100,
        "count": 170.0,
        "denominator": 200.0,
    }


def by_group(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["group_code"]: row for row in frame.iter_rows(named=True)}


def test_group_average_rank_and_quintile_match_the_hand_worked_figures():
    rows = by_group(compare(VALUES, council(), GROUPS, "high"))
    sn = rows["sn"]
    assert sn["average"] == pytest.approx(70.0, abs=TOLERANCE)
    assert sn["method"] == POOLED
    assert (sn["n_members"], sn["n_valued"]) == (5, 5)
    assert (sn["rank"], sn["n_ranked"], sn["quintile"]) == (2, 6, 2)
    assert (sn["outcome"], sn["significance"]) == ("better", "99.8")
    assert sn["council_value"] == 85.0
    assert rows["own"]["average"] == pytest.approx(236.0 / 3, abs=TOLERANCE)
    assert rows["own"]["method"] == MEAN
    assert rows["own"]["average_lower_ci"] is None
    # A 90, T 85, B 80, F 66: 2nd of 4, and fewer than 5 values: no quintile
    assert (rows["own"]["rank"], rows["own"]["n_ranked"], rows["own"]["quintile"]) == (2, 4, None)


def test_low_is_good_reverses_rank_quintile_and_judgement():
    sn = by_group(compare(VALUES, council(), GROUPS, "low"))["sn"]
    assert (sn["rank"], sn["n_ranked"], sn["quintile"]) == (5, 6, 4)
    assert (sn["outcome"], sn["significance"]) == ("worse", "99.8")


def test_the_pooled_average_carries_wilson_limits():
    sn = by_group(compare(VALUES, council(), GROUPS, "high"))["sn"]
    lower, upper = wilson_ci(350, 500, 0.95)
    assert sn["average_lower_ci"] == pytest.approx(lower * 100, abs=TOLERANCE)
    assert sn["average_upper_ci"] == pytest.approx(upper * 100, abs=TOLERANCE)


def test_a_group_average_inside_the_council_s_interval_is_similar():
    near = {**council(), "value": 71.0, "lower_ci_95": 65.0, "upper_ci_95": 77.0}
    near.update(lower_ci_998=None, upper_ci_998=None)
    assert by_group(compare(VALUES, near, GROUPS, "high"))["sn"]["outcome"] == "similar"


def test_figures_too_old_are_shown_but_not_ranked_or_compared():
    sn = by_group(compare(VALUES, council(), GROUPS, "high", current=False))["sn"]
    assert sn["average"] == pytest.approx(70.0, abs=TOLERANCE)
    assert (sn["rank"], sn["quintile"], sn["outcome"], sn["significance"]) == (
        None,
        None,
        "not compared",
        None,
    )


def test_a_council_without_a_value_is_not_ranked():
    blank = {"area_code": "T", "value": None}
    sn = by_group(compare(VALUES, blank, GROUPS, "high"))["sn"]
    assert (sn["rank"], sn["quintile"], sn["outcome"]) == (None, None, "not compared")
    assert sn["n_ranked"] == 5


def test_the_groups_are_the_chosen_ones_in_order_then_region_then_all():
    groups = pl.DataFrame(
        {
            "group_code": ["dfe-sn", "dfe-sn", "nhse-peers"],
            "group_name": ["DfE", "DfE", "NHSE"],
            "member_code": ["E10000015", "E08000007", "E08000002"],
        }
    )
    found = comparison_groups(groups, ["nhse-peers", "missing", "dfe-sn"], "E08000009")
    assert [g.code for g in found] == ["nhse-peers", "dfe-sn", REGION_CODE, ALL_CODE]
    assert found[1].members == ("E10000015", "E08000007")
    assert found[2].name == "North West councils" and len(found[2].members) == 24
    assert len(found[3].members) == 153
