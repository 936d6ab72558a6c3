"""Compare a value with a goal (a single target value or a target range), Fingertips style.

Method: Fingertips' goal comparison (ukhsa-collaboration/fingertips-open, ``SingleValueTargetComparer`` and
``RangeTargetComparer``), a plain comparison with no confidence interval:

* single goal g: high is good → "better" if value ≥ g, else "worse"; low is good → "better" if value ≤ g,
  else "worse";
* range goal (lower, upper): high is good → "worse" below lower, "better" at or above upper, "between"
  (Fingertips' amber) otherwise; low is good → the outcomes are swapped on the same boundaries: "better"
  below lower, "worse" at or above upper, "between" otherwise;
* "not compared" when the value or the goal is missing, or the measure has no judgement (polarity "none").

"""

from __future__ import annotations

from typing import Any

from kpi.stats._inputs import normalise_polarity, optional_float

GOAL_OUTCOMES: tuple[str, ...] = ("better", "between", "worse", "not compared")

_GOAL_SHAPE = "The goal must be a number or a (lower, upper) pair of numbers; got {goal!r}."


def compare_with_goal(value: Any, goal: Any, polarity: str) -> str:
    """Rate a value against a goal: "better", "between", "worse" or "not compared".

    Method: Fingertips' single-value and range goal comparers (see the module docstring for the exact
    boundaries). A value exactly on a single goal meets it.

    Args:
        value: the value to rate (None or NaN means missing).
        goal: a number, or a ``(lower, upper)`` pair for a goal range.
        polarity: "high", "low" or "none" (same words as :func:`kpi.stats.compare_with_benchmark`).

    Returns:
        One of :data:`GOAL_OUTCOMES`.

    Raises:
        ValueError: unknown polarity, a goal that is neither a number nor a pair, or a range whose lower end
            is above its upper end.

    Example:
        >>> compare_with_goal(92.0, 90, "high")
        'better'
        >>> compare_with_goal(85.0, (80, 90), "high")
        'between'
        >>> compare_with_goal(7.5, 8, "low")
        'better'

    """
    pol = normalise_polarity(polarity)
    v = optional_float(value, "value")
    if isinstance(goal, list | tuple):
        if len(goal) != 2:
            raise ValueError(_GOAL_SHAPE.format(goal=goal))
        try:
            lower = optional_float(goal[0], "lower end of the goal range")
            upper = optional_float(goal[1], "upper end of the goal range")
        except ValueError:
            raise ValueError(_GOAL_SHAPE.format(goal=goal)) from None
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(
                f"The lower end of the goal range ({lower:g}) is above the upper end ({upper:g})."
            )
        if v is None or lower is None or upper is None or pol == "none":
            return "not compared"
        if v < lower:
            return "worse" if pol == "high" else "better"
        if v >= upper:
            return "better" if pol == "high" else "worse"
        return "between"

    try:
        target = optional_float(goal, "goal")
    except ValueError:
        raise ValueError(_GOAL_SHAPE.format(goal=goal)) from None
    if v is None or target is None or pol == "none":
        return "not compared"
    if pol == "high":
        return "better" if v >= target else "worse"
    return "better" if v <= target else "worse"
