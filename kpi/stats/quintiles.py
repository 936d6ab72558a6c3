"""Fingertips quintiles: rank areas' values into five groups.

Method: Fingertips' quintile categories (ukhsa-collaboration/fingertips-open, ``QuintilesCalculator``,
``ValueCategoriesCalculator`` and ``QuintilesComparer``):

1. with at least 5 valid values sorted ascending, bounds are [minimum, P20, P40, P60, P80, maximum], where the
   percentile Pf has rank h = (n − 1)·f + 1 and is interpolated linearly between the values at ranks ⌊h⌋
   and ⌊h⌋ + 1 (Hyndman & Fan 1996 type 7, numpy's "linear");
2. a value's raw category is the first c in 1..5 with value ≤ bound[c], so raw category 1 holds the lowest
   values and a value on a bound goes to the lower group;
3. here quintile 1 is always the *best* group: for high is good the raw category is reversed
   (quintile = 6 − raw, so quintile 1 holds the highest values); for low is good and for no judgement the
   raw category is kept (quintile 1 holds the lowest values).

Fingertips rounds each bound to 10 decimal places to hide floating-point artefacts; this module computes the
interpolation fraction exactly from whole numbers instead, which needs no rounding and keeps values with more
than 10 decimal places in the right group.

Reference: Hyndman RJ, Fan Y (1996). Sample quantiles in statistical packages. American Statistician
50:361-365.

"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from kpi.stats._inputs import SERIES, kind_of, normalise_polarity, to_floats

#: Fingertips needs at least this many valid values before it shows quintiles.
MIN_VALUES_FOR_QUINTILES = 5

_GROUPS = 5


def _bounds(sorted_values: np.ndarray) -> list[float]:
    n = sorted_values.size
    bounds = [float(sorted_values[0])]
    for i in range(1, _GROUPS):
        # h - 1 = (n - 1) * i / 5 exactly: whole part k (zero-based index) and remainder / 5.
        k, remainder = divmod((n - 1) * i, _GROUPS)
        low = float(sorted_values[k])
        if remainder == 0:
            bounds.append(low)
        else:
            bounds.append(low + (remainder / _GROUPS) * (float(sorted_values[k + 1]) - low))
    bounds.append(float(sorted_values[-1]))
    return bounds


def quintile_rank(values: Any, polarity: str) -> Any:
    """Fingertips quintile (1-5) of each value, with quintile 1 the best group.

    Method: Fingertips quintiles (fingertips-open ``QuintilesCalculator``): bounds at the 0.2/0.4/0.6/0.8
    percentiles with rank h = (n − 1)f + 1 and linear interpolation; a value on a bound joins the lower group.
    For polarity "high" quintile 1 holds the highest values; for "low" and "none" quintile 1 holds the lowest
    values (for "none" it is simply the lowest group, not a judgement).

    Args:
        values: a list/tuple, numpy array or polars Series of values; None/NaN/null are missing.
        polarity: "high", "low" or "none" (same words as :func:`kpi.stats.compare_with_benchmark`).

    Returns:
        A list of ints 1-5 (None for a missing value, and for every value when fewer than 5 are valid); a
        polars Int64 Series named "quintile" (null for missing) when given a Series.

    Raises:
        ValueError: unknown polarity, non-numeric values, or a single number instead of a column of values.

    Example:
        >>> quintile_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "high")
        [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
        >>> quintile_rank([1, 2, None, 4], "low")
        [None, None, None, None]

    """
    pol = normalise_polarity(polarity)
    kind = kind_of(values)
    data = to_floats(values, "value")
    if data.ndim == 0:
        raise ValueError("Quintiles need a column of values, one per area, not a single number.")
    valid = ~np.isnan(data)
    ranks: list[int | None] = [None] * data.size
    if int(valid.sum()) >= MIN_VALUES_FOR_QUINTILES:
        bounds = _bounds(np.sort(data[valid]))
        for i in np.flatnonzero(valid):
            raw = next(c for c in range(1, _GROUPS + 1) if data[i] <= bounds[c])
            ranks[i] = _GROUPS + 1 - raw if pol == "high" else raw
    if kind == SERIES:
        return pl.Series("quintile", ranks, dtype=pl.Int64)
    return ranks
