"""Fingertips "recent trend" marker over the last five periods.

Method (ukhsa-collaboration/fingertips-open, ``TrendMarkerCalculator`` and ``TrendRequest``):

* the series is read oldest period first, one entry per consecutive period; the trend uses the most recent
  **unbroken** run of valid points and needs at least 5 of them (a missing value, count or CI among the last
  five, as Fingertips' ``GetValidDataList`` treats it, means "Could not be calculated"); the last 5 are used
  with period scores t = 1..5;
* **proportions** (numerators and denominators given): the χ² test for linear trend in proportions
  (Cochran 1954; Armitage 1955), χ² = N(N·Σxₜt − X·Σnₜt)² / (X(N − X)(N·Σnₜt² − (Σnₜt)²)), with N = Σnₜ and
  X = Σxₜ; the slope is the change in proportion per period from the same weighted least-squares fit of
  xₜ/nₜ on t with weights nₜ (the fit behind R's ``prop.trend.test``);
* **other values** (95% limits given): weighted linear regression of value on period with weights 1/SEₜ²,
  SEₜ = (UCLₜ − LCLₜ)/3.92, and χ² = (slope / SE(slope))²;
* significant when χ² exceeds the 99.8% point of χ² on 1 degree of freedom (9.5495, computed here from
  ``scipy.stats.chi2.ppf(0.998, 1)``), **and** the slope keeps the same sign when each of the five points is
  left out in turn (Fingertips' outlier check); otherwise "No significant change";
* "Could not be calculated" also when the statistic is undefined: a proportion with no events at all or with
  every case an event across the five points, or a confidence interval of zero width (no standard error).

Difference from Fingertips, on purpose: for proportions Fingertips' leave-one-out check fits an unweighted
line to the log-odds ln(x/(n − x)), which fails when a count is 0 or equals its denominator; here the
leave-one-out fits use the same n-weighted slope as the test itself. A slope of exactly 0 in any fit counts
as a change of sign.

References:
    Cochran WG (1954). Some methods for strengthening the common χ² tests. Biometrics 10:417-451.
    Armitage P (1955). Tests for linear trends in proportions and frequencies. Biometrics 11:375-386.
    Public Health England. Fingertips recent trends: technical guidance.

"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from kpi.stats._inputs import broadcast, normalise_polarity, rows_phrase, to_floats

#: Number of most recent points the trend marker uses.
TREND_POINTS = 5

#: 99.8% point of χ² with 1 degree of freedom (9.549535706...); Fingertips hard-codes 9.54953570608324.
#: chi-square (1 df) at 99.8%: the square of the normal quantile at 1 - 0.002 / 2 (the same number as
#: ``scipy.stats.chi2.ppf(0.998, 1)``, without importing scipy.stats, which takes seconds).
CHI_SQUARE_998_1DF: float = NormalDist().inv_cdf(0.999) ** 2

#: Width of a 95% confidence interval in standard errors, as Fingertips uses it: SE = (UCL − LCL) / 3.92.
CI95_WIDTH_IN_SE = 3.92

INCREASING_BETTER = "Increasing and getting better"
INCREASING_WORSE = "Increasing and getting worse"
DECREASING_BETTER = "Decreasing and getting better"
DECREASING_WORSE = "Decreasing and getting worse"
INCREASING = "Increasing"
DECREASING = "Decreasing"
NO_SIGNIFICANT_CHANGE = "No significant change"
COULD_NOT_BE_CALCULATED = "Could not be calculated"


@dataclass(frozen=True)
class TrendResult:
    """Result of :func:`recent_trend`.

    Attributes:
        label: one of the Fingertips trend labels ("Increasing and getting better" ... "Could not be
            calculated").
        direction: "increasing" or "decreasing" when the trend is significant, otherwise None.
        chi_square: the χ² statistic over the last 5 points, or None when it could not be calculated.
        slope: change per period over the last 5 points (in the values' units, or in proportion 0-1 for
            proportions), or None when it could not be calculated.
        significant: whether the trend passed both the χ² test and the leave-one-out check.

    """

    label: str
    direction: str | None
    chi_square: float | None
    slope: float | None
    significant: bool


_NOT_CALCULATED = TrendResult(COULD_NOT_BE_CALCULATED, None, None, None, False)


def _proportion_fit(x: np.ndarray, n: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    """Cochran-Armitage χ² and the n-weighted slope of x/n on t (NaN when undefined)."""
    big_n, big_x = n.sum(), x.sum()
    sum_nt, sum_nt2, sum_xt = (n * t).sum(), (n * t * t).sum(), (x * t).sum()
    score_spread = big_n * sum_nt2 - sum_nt**2
    difference = big_n * sum_xt - big_x * sum_nt
    if score_spread <= 0:  # fewer than two distinct scores
        return math.nan, math.nan
    slope = difference / score_spread
    variance = big_x * (big_n - big_x)
    chi_square = big_n * difference**2 / (variance * score_spread) if variance > 0 else math.nan
    return float(chi_square), float(slope)


def _weighted_fit(y: np.ndarray, se: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    """χ² = (slope / SE(slope))² and slope of the 1/SE²-weighted least-squares line of y on t."""
    w = 1.0 / se**2
    s_w, s_wt, s_wt2, s_wy, s_wty = (
        w.sum(),
        (w * t).sum(),
        (w * t * t).sum(),
        (w * y).sum(),
        (w * t * y).sum(),
    )
    spread = s_w * s_wt2 - s_wt**2
    if spread <= 0:
        return math.nan, math.nan
    slope = (s_w * s_wty - s_wt * s_wy) / spread
    slope_variance = s_w / spread
    return float(slope**2 / slope_variance), float(slope)


def cochran_armitage_chi2(numerators: Any, denominators: Any, scores: Any = None) -> float:
    """Cochran-Armitage χ² statistic (1 df) for a linear trend in proportions x/n across ordered groups.

    Method: Cochran (1954), Armitage (1955), in the form of R's ``prop.trend.test`` (variance from the pooled
    proportion with N, not N − 1): χ² = N(N·Σxs − X·Σns)² / (X(N − X)(N·Σns² − (Σns)²)).

    Args:
        numerators: events in each group (x).
        denominators: group sizes (n > 0).
        scores: group scores s (default 1, 2, 3, ...).

    Returns:
        The χ² statistic; NaN when it is undefined (no events at all, or every case an event).

    Raises:
        ValueError: missing, negative or inconsistent counts, fewer than 2 groups, or unequal lengths.

    Example:
        >>> round(cochran_armitage_chi2([83, 90, 129, 70], [86, 93, 136, 82]), 4)
        8.2249

    """
    x = to_floats(numerators, "numerator")
    n = to_floats(denominators, "denominator")
    if x.ndim == 0 or n.ndim == 0:
        raise ValueError("The trend test needs a column of numerators and a column of denominators.")
    s = np.arange(1.0, x.size + 1.0) if scores is None else to_floats(scores, "score")
    x, n, s = broadcast([x, n, s], ["numerators", "denominators", "scores"])
    if x.size < 2:
        raise ValueError("The trend test needs at least 2 groups.")
    missing = np.isnan(x) | np.isnan(n) | np.isnan(s)
    if missing.any():
        raise ValueError(
            f"The trend test needs every count and score; {rows_phrase(np.flatnonzero(missing))} "
            "is missing one."
        )
    _check_counts(x, n)
    if (n <= 0).any():
        raise ValueError(f"Every denominator must be above 0; check {rows_phrase(np.flatnonzero(n <= 0))}.")
    return _proportion_fit(x, n, s)[0]


def _check_counts(x: np.ndarray, n: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):
        if (x < 0).any():
            raise ValueError(f"The numerator cannot be negative; check {rows_phrase(np.flatnonzero(x < 0))}.")
        if (n < 0).any():
            raise ValueError(
                f"The denominator cannot be negative; check {rows_phrase(np.flatnonzero(n < 0))}."
            )
        if (x > n).any():
            raise ValueError(
                "The numerator cannot be larger than the denominator; "
                f"check {rows_phrase(np.flatnonzero(x > n))}."
            )


def _label(direction: str, polarity: str) -> str:
    if polarity == "none":
        return INCREASING if direction == "increasing" else DECREASING
    better = (direction == "increasing") == (polarity == "high")
    if direction == "increasing":
        return INCREASING_BETTER if better else INCREASING_WORSE
    return DECREASING_BETTER if better else DECREASING_WORSE


def recent_trend(
    values: Any,
    *,
    numerators: Any = None,
    denominators: Any = None,
    lower_ci: Any = None,
    upper_ci: Any = None,
    polarity: str,
) -> TrendResult:
    """Fingertips recent-trend marker for a series, oldest period first.

    Method: last 5 points of the most recent unbroken run of valid points; Cochran-Armitage χ² for
    proportions, otherwise 1/SE²-weighted regression with SE = (UCL − LCL)/3.92; significant when
    χ² > 9.5495 (99.8%, 1 df) and the slope keeps its sign with each point left out (Fingertips
    ``TrendMarkerCalculator``; Cochran 1954, Armitage 1955). See the module docstring for details.

    Args:
        values: the series of values, one per consecutive period, oldest first (None/NaN where missing; a
            missing value marks the point invalid even for proportions, as it suggests suppression).
        numerators: for proportions, the events per period (give with ``denominators``).
        denominators: for proportions, the people per period.
        lower_ci: for other values, the lower 95% limits per period (give with ``upper_ci``).
        upper_ci: for other values, the upper 95% limits per period.
        polarity: "high", "low" or "none" (same words as :func:`kpi.stats.compare_with_benchmark`).

    Returns:
        A :class:`TrendResult`. When both counts and limits are given, the counts are used.

    Raises:
        ValueError: unknown polarity; neither counts nor limits, or only half of a pair; inputs of different
            lengths; negative counts, numerators above denominators, or a lower limit above its upper limit.

    Example:
        >>> recent_trend([50.0, 52.0, 55.0, 57.0, 60.0], numerators=[500, 520, 550, 570, 600],
        ...              denominators=[1000] * 5, polarity="high").label
        'Increasing and getting better'
        >>> recent_trend([50.0, None, 55.0], lower_ci=[48, None, 53], upper_ci=[52, None, 57],
        ...              polarity="low").label
        'Could not be calculated'

    """
    pol = normalise_polarity(polarity)
    counts = numerators is not None or denominators is not None
    limits = lower_ci is not None or upper_ci is not None
    if counts and (numerators is None or denominators is None):
        raise ValueError("For a proportion give both the numerators and the denominators.")
    if not counts and limits and (lower_ci is None or upper_ci is None):
        raise ValueError("Give both the lower and the upper 95% confidence limits.")
    if not counts and not limits:
        raise ValueError(
            "A recent trend needs either numerators and denominators (for a proportion) or lower and upper "
            "95% confidence limits (for other values)."
        )

    y = to_floats(values, "value")
    if y.ndim == 0:
        raise ValueError("A recent trend needs a series of values, one per period, oldest first.")
    if counts:
        x = to_floats(numerators, "numerator")
        n = to_floats(denominators, "denominator")
        y, x, n = broadcast([y, x, n], ["values", "numerators", "denominators"])
        _check_counts(x, n)
        valid = ~np.isnan(y) & ~np.isnan(x) & ~np.isnan(n) & (n > 0)
    else:
        lo = to_floats(lower_ci, "lower 95% confidence limit")
        hi = to_floats(upper_ci, "upper 95% confidence limit")
        y, lo, hi = broadcast([y, lo, hi], ["values", "lower limits", "upper limits"])
        with np.errstate(invalid="ignore"):
            backwards = lo > hi
            valid = ~np.isnan(y) & ~np.isnan(lo) & ~np.isnan(hi) & (hi > lo)
        if backwards.any():
            raise ValueError(
                "The lower 95% confidence limit is above the upper limit in "
                f"{rows_phrase(np.flatnonzero(backwards))}."
            )

    run = 0
    for ok in valid[::-1]:
        if not ok:
            break
        run += 1
    if run < TREND_POINTS:
        return _NOT_CALCULATED

    last = slice(y.size - TREND_POINTS, y.size)
    t = np.arange(1.0, TREND_POINTS + 1.0)
    if counts:
        xs, ns = x[last], n[last]

        def fit(keep: np.ndarray) -> tuple[float, float]:
            return _proportion_fit(xs[keep], ns[keep], t[keep])
    else:
        ys, ses = y[last], (hi[last] - lo[last]) / CI95_WIDTH_IN_SE

        def fit(keep: np.ndarray) -> tuple[float, float]:
            return _weighted_fit(ys[keep], ses[keep], t[keep])

    chi_square, slope = fit(np.ones(TREND_POINTS, dtype=bool))
    if math.isnan(chi_square) or math.isnan(slope):
        return _NOT_CALCULATED

    signs = {np.sign(slope)}
    for left_out in range(TREND_POINTS):
        keep = np.arange(TREND_POINTS) != left_out
        signs.add(np.sign(fit(keep)[1]))
    steady = len(signs) == 1 and 0 not in signs

    if chi_square > CHI_SQUARE_998_1DF and steady:
        direction = "increasing" if slope > 0 else "decreasing"
        return TrendResult(_label(direction, pol), direction, chi_square, slope, True)
    return TrendResult(NO_SIGNIFICANT_CHANGE, None, chi_square, slope, False)
