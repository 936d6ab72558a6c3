"""Byar's approximate confidence interval for a count (Poisson number of events).

Method: Byar's approximation to the exact Poisson limits (Breslow & Day 1987, p. 69), as PHEindicatormethods'
``byars_lower`` / ``byars_upper``:

    lower = x·(1 − 1/(9x) − z/(3√x))³
    upper = (x + 1)·(1 − 1/(9(x + 1)) + z/(3√(x + 1)))³,   z = Φ⁻¹(1 − (1 − c)/2)

This module implements plain Byar's for every count. PHEindicatormethods' ``phe_rate`` switches to exact
Poisson limits for counts below 10, where Byar's is poor; callers reporting small counts should do the same.

References:
    Breslow NE, Day NE (1987). Statistical Methods in Cancer Research, vol. II. IARC, Lyon, p. 69.
    ukhsa-collaboration/PHEindicatormethods, ``byars_lower`` / ``byars_upper``.

"""

from __future__ import annotations

from typing import Any

import numpy as np

from kpi.stats._inputs import as_kind, kind_of, to_floats, where_message, z_for


def byars_ci(count: Any, confidence: Any = 0.95) -> tuple[Any, Any]:
    """Byar's confidence interval for a count of events, in events (multiply by your rate's scale yourself).

    Method: Byar's approximation (Breslow & Day 1987) as in PHEindicatormethods, z in full precision.

    Two edge rules: a count of 0 has lower limit 0 (the exact Poisson lower limit for no events at any
    confidence); and where the approximation's lower bracket 1 − 1/(9x) − z/(3√x) is negative (a count of 1
    at 99.8%, or fractional counts below about 0.6 at 95%) the lower limit is missing, because Byar's does
    not apply there (PHEindicatormethods' test workbook leaves that cell blank). Use exact Poisson limits for
    counts below 10 when that matters.

    Args:
        count: observed events (x >= 0). A number, list/tuple, numpy array or polars Series.
        confidence: a proportion strictly between 0 and 1 or a percentage from 90 up to but not including 100.

    Returns:
        ``(lower, upper)`` in the kind given, missing where the count is missing (see
        :func:`kpi.stats.wilson_ci` for how each kind shows missing values).

    Raises:
        ValueError: a negative count or a confidence level outside the accepted ranges.

    Example:
        >>> lower, upper = byars_ci(65)
        >>> round(lower, 6), round(upper, 6)
        (50.163188, 82.849139)

    """
    z = z_for(confidence)
    kind = kind_of(count)
    x = to_floats(count, "count")
    with np.errstate(invalid="ignore"):
        negative = x < 0
    if negative.any():
        raise ValueError(
            where_message(
                negative,
                lambda: f"The count of events cannot be negative; got {float(x):g}.",
                "The count of events cannot be negative; check {rows}.",
            )
        )

    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    present = ~np.isnan(x)
    positive = present & (x > 0)

    xp = x[positive]
    bracket = 1.0 - 1.0 / (9.0 * xp) - z / (3.0 * np.sqrt(xp))
    lower[positive] = np.where(bracket >= 0.0, xp * bracket**3, np.nan)
    lower[present & (x == 0)] = 0.0

    x1 = x[present] + 1.0
    upper[present] = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    return as_kind(lower, kind, "lower_ci"), as_kind(upper, kind, "upper_ci")
