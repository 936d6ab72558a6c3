"""Fingertips goal comparison: compare_with_goal.

Expected outcomes worked by hand from docs/methods.md section 4 and the boundaries of fingertips-open's
SingleValueTargetComparer (better when value >= goal, or <= for low is good) and RangeTargetComparer
(high is good: worse below lower, better at or above upper; low is good: the same boundaries, outcomes
swapped).
"""

from __future__ import annotations

import numpy as np
import pytest

from kpi.stats import compare_with_goal

POLARITY_MESSAGE = (
    "The polarity must be 'high' (high is good), 'low' (low is good) or 'none' (no judgement); got {!r}."
)


@pytest.mark.parametrize(
    ("value", "goal", "polarity", "expected"),
    [
        (92.0, 90, "high", "better"),
        (90.0, 90, "high", "better"),  # on the goal meets it
        (89.9, 90, "high", "worse"),
        (7.5, 8, "low", "better"),
        (8.0, 8, "low", "better"),
        (8.1, 8, "low", "worse"),
        (np.float64(95.0), np.int64(95), "high", "better"),
    ],
)
def test_single_goal(value, goal, polarity, expected):
    assert compare_with_goal(value, goal, polarity) == expected


@pytest.mark.parametrize(
    ("value", "polarity", "expected"),
    [
        (79.9, "high", "worse"),
        (80.0, "high", "between"),
        (85.0, "high", "between"),
        (90.0, "high", "better"),
        (95.0, "high", "better"),
        (79.9, "low", "better"),
        (80.0, "low", "between"),
        (85.0, "low", "between"),
        (90.0, "low", "worse"),
        (95.0, "low", "worse"),
    ],
)
def test_range_goal(value, polarity, expected):
    assert compare_with_goal(value, (80, 90), polarity) == expected
    assert compare_with_goal(value, [80, 90], polarity) == expected


@pytest.mark.parametrize(
    ("value", "goal", "polarity"),
    [
        (None, 90, "high"),
        (float("nan"), 90, "high"),
        (92.0, None, "high"),
        (92.0, (None, 90), "low"),
        (92.0, (80, float("nan")), "high"),
        (92.0, 90, "none"),
        (85.0, (80, 90), "no judgement"),
    ],
)
def test_not_compared(value, goal, polarity):
    assert compare_with_goal(value, goal, polarity) == "not compared"


@pytest.mark.parametrize("goal", ["90%", (80,), (80, 85, 90), ("80", 90), {"lower": 80}])
def test_goal_must_be_a_number_or_a_pair(goal):
    with pytest.raises(ValueError) as err:
        compare_with_goal(85.0, goal, "high")
    assert str(err.value) == f"The goal must be a number or a (lower, upper) pair of numbers; got {goal!r}."


def test_goal_range_the_wrong_way_round():
    with pytest.raises(ValueError) as err:
        compare_with_goal(85.0, (90, 80), "high")
    assert str(err.value) == "The lower end of the goal range (90) is above the upper end (80)."


def test_unknown_polarity():
    with pytest.raises(ValueError) as err:
        compare_with_goal(85.0, 90, "good")
    assert str(err.value) == (POLARITY_MESSAGE.format("good"))


def test_value_must_be_a_number():
    with pytest.raises(ValueError) as err:
        compare_with_goal("85", 90, "high")
    assert str(err.value) == "The value must be a number; got '85'."
