"""Statistical process control for a KPI time series: the XmR chart of NHS England's Making Data Count.

Method:
An XmR ("individuals and moving range") chart, as used by NHS England's Making Data Count (MDC)
programme and its spreadsheet tool, and by the NHS-R community package NHSRplotthedots:

- centre line: the mean of the baseline points (all points unless ``baseline`` is set);
- moving range: mR_t = |y_t - y_(t-1)| within the baseline;
- process limits: mean +/- 2.66 x mean(mR);
- two-sigma lines: mean +/- 1.7733 x mean(mR) (2/3 of the distance to the limits);
- optional screening (NHSRplotthedots, not the NHS England tool): moving ranges of at least
  3.267 x mean(mR) are left out and mean(mR) is worked out again from the rest. The centre line is
  not changed by screening.

Special-cause rules, each flagged on every point it concerns:

- outside the limits: a point strictly above the upper or strictly below the lower limit;
- shift: ``run_length`` (6 or 7, default 7) or more consecutive points strictly on the same side of
  the mean; a point equal to the mean ends the run;
- trend: ``run_length`` or more consecutive points each strictly higher (or each strictly lower)
  than the one before, i.e. ``run_length`` points and ``run_length - 1`` steps; two equal
  neighbours end the run;
- two of three: two or three of any three consecutive points strictly beyond the same two-sigma
  line (a point beyond the process limit counts, as NHS England's 2023 tool does); the points
  beyond that line are flagged.

A flagged point is an improvement or a concern according to the KPI's polarity (``improvement`` =
"increase" when higher is better, "decrease" when lower is better) and "neutral" when there is no
judgement (``improvement=None``). A point that is both an improvement and a concern is shown as an
improvement, as the NHS England tool does.

The variation icon is the latest point's type. The assurance icon compares a target with the
process limits: when higher is better, a target below the lower limit is consistently passed, a
target above the upper limit is consistently failed, anything else is hit and miss (reversed when
lower is better; none without a target or without a polarity).

Gaps (local rule, in the spirit of Making Data Count: never join neighbours that are not neighbours): when the
periods are given and one is missing (a quarter without a return), the point after the gap has no moving range
(it is left out of mean(mR)), and no run crosses the gap: a shift or a trend counts consecutive periods only, and a
two-of-three window must be three consecutive periods. The mean and limits still use every point present, and the
points are still counted for the 12-point rule.

Local rule (this project): with fewer than 12 points the chart is a run chart. The mean line is
shown and shifts and trends are flagged (they need no limits), but there are no limits, no
two-sigma lines, no "outside" or "two of three" flags and no variation or assurance icon.

References:
- NHS England, Making Data Count (2019, updated 2023), and its SPC tool.
- NHS-R community, NHSRplotthedots (``limit <- 2.66``, ``mr_screen <- 3.267``).
- Wheeler DJ. Understanding Variation: the key to managing chaos. SPC Press; 2000.

Example:
>>> chart = xmr([1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1], improvement="decrease")
>>> round(chart["mean"][0], 3), round(chart["upper_limit"][0], 2), round(chart["lower_limit"][0], 2)
(1.944, 6.95, -3.06)
>>> chart["outside_limits"].to_list()[4], chart["point_type"].to_list()[4]
(True, 'concern')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

__all__ = [
    "ASSURANCE_CODES",
    "DEFAULT_RUN_LENGTH",
    "LIMIT_SCALE",
    "MIN_POINTS_FOR_LIMITS",
    "MR_SCREEN_SCALE",
    "POINT_TYPES",
    "TWO_SIGMA_SCALE",
    "VARIATION_CODES",
    "assurance_code",
    "xmr",
]

#: Process limits sit this many average moving ranges from the mean (3 / d2, d2 = 1.128).
LIMIT_SCALE = 2.66
#: Two-sigma lines sit this many average moving ranges from the mean (2 / d2).
TWO_SIGMA_SCALE = 1.7733
#: Screening leaves out moving ranges at or above this many average moving ranges (D4 for n = 2).
MR_SCREEN_SCALE = 3.267
#: Local rule: fewer points than this give a run chart (no limits, no icons).
MIN_POINTS_FOR_LIMITS = 12
#: Default number of points in a shift or a trend.
DEFAULT_RUN_LENGTH = 7
#: Run lengths the NHS England tool offers.
ALLOWED_RUN_LENGTHS = (6, 7)

IMPROVEMENT = "improvement"
CONCERN = "concern"
NEUTRAL = "neutral"
COMMON_CAUSE = "common cause"
#: Values of the ``point_type`` column.
POINT_TYPES = (IMPROVEMENT, CONCERN, NEUTRAL, COMMON_CAUSE)

#: Values of the ``variation`` column (null for a run chart).
VARIATION_CODES = (
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neither_high",
    "neither_low",
)
#: Values of the ``assurance`` column (null without a target, a polarity or limits).
ASSURANCE_CODES = ("pass", "fail", "hit_and_miss")

_POLARITIES = ("increase", "decrease")


def _as_float_array(values: object) -> np.ndarray:
    """Turn the series into a float array, with plain-English errors for the commissioner."""
    if isinstance(values, str | bytes) or values is None:
        raise ValueError("The SPC chart needs a series of numbers, one for each period, not a single value.")
    if isinstance(values, pl.Series):
        items: Sequence[object] = values.to_list()
    elif isinstance(values, np.ndarray):
        items = values.tolist() if values.dtype.kind not in "fiu" else values
    elif isinstance(values, Iterable):
        items = list(values)
    else:
        raise ValueError("The SPC chart needs a series of numbers, one for each period, not a single value.")
    if isinstance(items, np.ndarray):
        array = items.astype(float)
    else:
        converted: list[float] = []
        for position, item in enumerate(items, start=1):
            if item is None:
                converted.append(math.nan)
                continue
            if isinstance(item, bool) or not isinstance(item, int | float | np.integer | np.floating):
                raise ValueError(
                    f"The SPC chart needs numbers only; point {position} is {item!r}, which is not a number."
                )
            converted.append(float(item))
        array = np.asarray(converted, dtype=float)
    if array.ndim != 1:
        raise ValueError("The SPC chart needs a single series of numbers (one value per period).")
    if array.size == 0:
        raise ValueError("The SPC chart needs at least one value; the series is empty.")
    missing = np.flatnonzero(~np.isfinite(array)) + 1
    if missing.size:
        shown = ", ".join(str(p) for p in missing[:10]) + (" ..." if missing.size > 10 else "")
        raise ValueError(
            f"The SPC chart cannot have gaps: point(s) {shown} are missing or not finite. "
            "Fill or remove them before charting (a gap would join unrelated periods in a moving range)."
        )
    return array


def _check_options(
    improvement: str | None,
    target: float | None,
    run_length: int,
    screen_outliers: bool,
    baseline: int | None,
    n_points: int,
) -> None:
    if improvement is not None and improvement not in _POLARITIES:
        raise ValueError(
            f"improvement must be 'increase' (higher is better), 'decrease' (lower is better) or None "
            f"(no judgement), not {improvement!r}."
        )
    if target is not None:
        if isinstance(target, bool) or not isinstance(target, int | float | np.integer | np.floating):
            raise ValueError(f"The target must be a number, not {target!r}.")
        if not math.isfinite(float(target)):
            raise ValueError("The target must be a finite number.")
    if isinstance(run_length, bool) or run_length not in ALLOWED_RUN_LENGTHS:
        raise ValueError(
            f"run_length must be 6 or 7 points (the Making Data Count settings), not {run_length!r}."
        )
    if not isinstance(screen_outliers, bool):
        raise ValueError(f"screen_outliers must be True or False, not {screen_outliers!r}.")
    if baseline is not None:
        if isinstance(baseline, bool) or not isinstance(baseline, int | np.integer):
            raise ValueError(f"baseline must be a whole number of points, not {baseline!r}.")
        if baseline < 2:
            raise ValueError(
                f"baseline must be at least 2 points (a moving range needs two), not {baseline}."
            )
        if baseline > n_points:
            raise ValueError(
                f"baseline is {baseline} points but the series has only {n_points}; "
                "choose a baseline no longer than the series."
            )


def _flag_runs(
    condition: np.ndarray, keys: np.ndarray, min_length: int, breaks: np.ndarray | None = None
) -> np.ndarray:
    """Flag every element of each run of equal, non-zero ``keys`` at least ``min_length`` long.

    ``condition`` marks elements that may be in a run, ``keys`` says which run (e.g. +1 above, -1
    below); a run is a maximal stretch of consecutive elements with the same non-zero key. An element
    with ``breaks`` set starts a new run (a gap in the periods comes before it).
    """
    flags = np.zeros(condition.size, dtype=bool)
    if breaks is None:
        breaks = np.zeros(condition.size, dtype=bool)
    start = 0
    while start < condition.size:
        if not condition[start]:
            start += 1
            continue
        end = start
        while (
            end + 1 < condition.size
            and condition[end + 1]
            and keys[end + 1] == keys[start]
            and not breaks[end + 1]
        ):
            end += 1
        if end - start + 1 >= min_length:
            flags[start : end + 1] = True
        start = end + 1
    return flags


def _shift(
    values: np.ndarray, mean: float, run_length: int, gap_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shift rule: ``run_length`` or more points strictly on one side of the mean; returns (flag, side).

    A point on the mean ends a run; so does a gap (the point after it starts a new run).
    """
    side = np.sign(values - mean)
    flags = _flag_runs(side != 0, side, run_length, gap_before)
    return flags, side


def _trend(
    values: np.ndarray, run_length: int, gap_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trend rule: ``run_length`` points each strictly above (below) the one before.

    Works on the ``run_length - 1`` steps between points: a run of at least that many steps in the
    same direction flags both ends of every step in it. A step of zero (equal neighbours) ends a
    run, and so does a gap: the "step" across it is no step. Returns (flag, in a rising trend, in a falling trend); a point at the turn of a rise and a
    fall can be in both.
    """
    n = values.size
    rising = np.zeros(n, dtype=bool)
    falling = np.zeros(n, dtype=bool)
    if n >= 2:
        steps = np.sign(np.diff(values))
        steps[gap_before[1:]] = 0
        step_flags = _flag_runs(steps != 0, steps, run_length - 1)
        for i in np.flatnonzero(step_flags):
            target = rising if steps[i] > 0 else falling
            target[i] = target[i + 1] = True
    return rising | falling, rising, falling


def _two_of_three(
    values: np.ndarray, upper_two_sigma: float, lower_two_sigma: float, gap_before: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Two-of-three rule (windows of three consecutive periods only); returns (flag, flagged high, flagged low)."""
    n = values.size
    high = values > upper_two_sigma
    low = values < lower_two_sigma
    flag_high = np.zeros(n, dtype=bool)
    flag_low = np.zeros(n, dtype=bool)
    for start in range(max(n - 2, 0)):
        if gap_before[start + 1] or gap_before[start + 2]:
            continue
        window = slice(start, start + 3)
        if high[window].sum() >= 2:
            flag_high[window] |= high[window]
        if low[window].sum() >= 2:
            flag_low[window] |= low[window]
    return flag_high | flag_low, flag_high, flag_low


#: Columns of :func:`xmr` and their types.
_XMR_SCHEMA = {
    "value": pl.Float64,
    "mean": pl.Float64,
    "upper_limit": pl.Float64,
    "lower_limit": pl.Float64,
    "upper_two_sigma": pl.Float64,
    "lower_two_sigma": pl.Float64,
    "outside_limits": pl.Boolean,
    "shift": pl.Boolean,
    "trend": pl.Boolean,
    "two_of_three": pl.Boolean,
    "point_type": pl.String,
    "variation": pl.String,
    "assurance": pl.String,
    "limits_shown": pl.Boolean,
    "moving_range": pl.Float64,
    "after_gap": pl.Boolean,
}


def xmr(
    values: Sequence[float] | np.ndarray | pl.Series,
    *,
    improvement: str | None = None,
    target: float | None = None,
    run_length: int = DEFAULT_RUN_LENGTH,
    screen_outliers: bool = False,
    baseline: int | None = None,
    periods: Sequence[int] | np.ndarray | pl.Series | None = None,
    baseline_start: int = 0,
) -> pl.DataFrame:
    """Making Data Count XmR chart of a KPI series, one row per point, oldest first.

    Args:
        values: the KPI value of each period in time order. Missing values are refused (a gap would
            make a moving range between unrelated periods): fill or remove them first.
        improvement: "increase" when higher is better, "decrease" when lower is better, None (the
            default) when no judgement is made (special causes are then "neutral").
        target: optional target, for the assurance icon.
        run_length: points in a shift or a trend, 6 or 7 (default 7).
        screen_outliers: leave out moving ranges of at least 3.267 x mean(mR) and work out mean(mR)
            again (NHSRplotthedots; the NHS England tool does not screen).
        baseline: the number of first points the mean and limits are worked out from (default: all).
        periods: optional whole-number position of each point in time, strictly increasing, where consecutive
            periods differ by one (e.g. :attr:`kpi.core.periods.Period.index`). A step of more than one is a gap:
            the point after it has no moving range, and no shift, trend or two-of-three window crosses it.
            Without ``periods`` the points are taken as consecutive.
        baseline_start: the position of the baseline's first point (default 0, the first point): with
            ``baseline`` the mean and limits come from the points ``baseline_start`` up to (not including)
            ``baseline``; the moving ranges are those within the baseline.

    Returns:
        A polars DataFrame with columns ``value, mean, upper_limit, lower_limit, upper_two_sigma,
        lower_two_sigma, outside_limits, shift, trend, two_of_three, point_type`` and the constant
        columns ``variation`` (one of :data:`VARIATION_CODES`), ``assurance`` (one of
        :data:`ASSURANCE_CODES`) and ``limits_shown``, then ``moving_range`` (null for the first point
        and for a point after a gap) and ``after_gap``. With fewer than 12 points (run chart) the
        limits and two-sigma lines are null, ``limits_shown`` is False, ``variation`` and
        ``assurance`` are null, and only shifts and trends are flagged.

    Raises:
        ValueError: with a plain-English message for an empty series, non-numbers, missing values,
            a run length other than 6 or 7, an unknown polarity, a non-numeric target or a baseline
            shorter than 2 points or longer than the series.

    Example:
        >>> chart = xmr([5] * 6 + [9] * 8, improvement="increase")
        >>> chart["point_type"].to_list()[-1], chart["variation"][0]
        ('improvement', 'improvement_high')
    """
    array = _as_float_array(values)
    n = array.size
    _check_options(improvement, target, run_length, screen_outliers, baseline, n)
    start = int(baseline_start)
    end = baseline if baseline is not None else n
    if start and not 0 < start <= end - 2:
        raise ValueError(
            f"the baseline must hold at least 2 points: it starts at point {start} and ends before {end}."
        )
    gap_before = _gaps(periods, n)

    every_mr = np.full(n, np.nan)
    every_mr[1:] = np.abs(np.diff(array))
    every_mr[gap_before] = np.nan
    base_mr = every_mr[start + 1 : end]
    moving_ranges = base_mr[~np.isnan(base_mr)]
    mean = float(array[start:end].mean())
    limits_shown = n >= MIN_POINTS_FOR_LIMITS and moving_ranges.size > 0

    shift_flag, side = _shift(array, mean, run_length, gap_before)
    trend_flag, rising, falling = _trend(array, run_length, gap_before)
    high = (shift_flag & (side > 0)) | rising
    low = (shift_flag & (side < 0)) | falling

    if limits_shown:
        mean_mr = float(moving_ranges.mean())
        if screen_outliers:
            kept = moving_ranges[moving_ranges < MR_SCREEN_SCALE * mean_mr]
            mean_mr = float(kept.mean()) if kept.size else mean_mr
        upper, lower = mean + LIMIT_SCALE * mean_mr, mean - LIMIT_SCALE * mean_mr
        upper_two, lower_two = mean + TWO_SIGMA_SCALE * mean_mr, mean - TWO_SIGMA_SCALE * mean_mr
        above, below = array > upper, array < lower
        outside = above | below
        two_flag, two_high, two_low = _two_of_three(array, upper_two, lower_two, gap_before)
        high |= above | two_high
        low |= below | two_low
    else:
        upper = lower = upper_two = lower_two = None
        outside = np.zeros(n, dtype=bool)
        two_flag = np.zeros(n, dtype=bool)

    point_type = _point_types(high, low, improvement)

    variation = assurance = None
    if limits_shown:
        variation = _variation_code(
            point_type[-1], improvement, bool(high[-1]), bool(low[-1]), array[-1] >= mean
        )
        assurance = assurance_code(improvement, target, upper, lower)

    return pl.DataFrame(
        {
            "value": array,
            "mean": np.full(n, mean),
            "upper_limit": [upper] * n,
            "lower_limit": [lower] * n,
            "upper_two_sigma": [upper_two] * n,
            "lower_two_sigma": [lower_two] * n,
            "outside_limits": outside,
            "shift": shift_flag,
            "trend": trend_flag,
            "two_of_three": two_flag,
            "point_type": point_type.tolist(),
            "variation": [variation] * n,
            "assurance": [assurance] * n,
            "limits_shown": [limits_shown] * n,
            "moving_range": [None if math.isnan(m) else float(m) for m in every_mr],
            "after_gap": gap_before,
        },
        schema=_XMR_SCHEMA,
    )


def _point_types(high: np.ndarray, low: np.ndarray, improvement: str | None) -> np.ndarray:
    """Each point's type: a special cause high or low is improvement, concern or neutral by the polarity.

    Where a point is both improvement and concern, improvement is shown (NHS England tool).
    """
    n = high.size
    if improvement is None:
        good, bad = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    elif improvement == "increase":
        good, bad = high, low
    else:
        good, bad = low, high
    point_type = np.where(
        high | low,
        np.where(improvement is None, NEUTRAL, np.where(good, IMPROVEMENT, CONCERN)),
        COMMON_CAUSE,
    ).astype(object)
    point_type[good & bad] = IMPROVEMENT
    return point_type


def _gaps(periods: object, n: int) -> np.ndarray:
    """Which points have a gap before them (their period is more than one after the previous point's)."""
    if periods is None:
        return np.zeros(n, dtype=bool)
    items = periods.to_list() if isinstance(periods, pl.Series) else list(periods)
    if len(items) != n:
        raise ValueError(
            f"The SPC chart has {n} values but {len(items)} periods: give one period for each value."
        )
    for position, item in enumerate(items, start=1):
        if isinstance(item, bool) or not isinstance(item, int | np.integer):
            raise ValueError(
                f"The periods must be whole numbers (consecutive periods differ by one); point {position} is "
                f"{item!r}."
            )
    steps = np.diff(np.asarray(items, dtype=np.int64))
    if (steps < 1).any():
        position = int(np.flatnonzero(steps < 1)[0]) + 2
        raise ValueError(
            f"The periods must be in time order, each once: point {position} does not come after the one "
            "before it."
        )
    return np.concatenate([[False], steps > 1])


def _variation_code(
    point_type: str, improvement: str | None, high: bool, low: bool, on_or_above_mean: bool
) -> str:
    """The variation icon code of the latest point."""
    if point_type == COMMON_CAUSE:
        return "common_cause"
    if point_type == IMPROVEMENT:
        return "improvement_high" if improvement == "increase" else "improvement_low"
    if point_type == CONCERN:
        return "concern_low" if improvement == "increase" else "concern_high"
    # neutral: the side of the special cause; if it is both, the side of the mean
    is_high = high if high != low else on_or_above_mean
    return "neither_high" if is_high else "neither_low"


def assurance_code(improvement: str | None, target: float | None, upper: float, lower: float) -> str | None:
    """The assurance icon code: where the target sits against the process limits (docs/methods.md section 5.5).

    >>> assurance_code("increase", 80.0, 95.0, 85.0), assurance_code("decrease", 80.0, 95.0, 85.0)
    ('pass', 'fail')
    """
    if target is None or improvement is None:
        return None
    if lower < target < upper or target in (lower, upper):
        return "hit_and_miss"
    target_below = target < lower
    if improvement == "increase":
        return "pass" if target_below else "fail"
    return "fail" if target_below else "pass"
