"""Wilson score confidence interval for a proportion.

Method: Wilson (1927) score interval, in the form given by Newcombe (1998, method 3) and used by PHE/OHID
(PHEindicatormethods ``phe_proportion``, Fingertips) for proportions:

    limits = (2x + z² ∓ z·√(z² + 4x(1 − x/n))) / (2(n + z²)),  z = Φ⁻¹(1 − (1 − c)/2)

References:
    Wilson EB (1927). Probable inference, the law of succession, and statistical inference. JASA 22:209-212.
    Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of seven methods.
    Statistics in Medicine 17:857-872.
    ukhsa-collaboration/PHEindicatormethods, ``wilson_lower`` / ``wilson_upper``.

"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

from kpi.stats._inputs import as_kind, broadcast, kind_of, to_floats, where_message, z_for

#: Two-sided 95% standard normal quantile in full precision (1.959963984540054), for SQL macro authors who
#: cannot call :func:`z_for`. Never write 1.96.
Z95: float = NormalDist().inv_cdf(0.975)

#: Two-sided 99.8% standard normal quantile in full precision (3.090232306167813), for the outer funnel /
#: Fingertips 99.8% limits.
Z998: float = NormalDist().inv_cdf(0.999)


def wilson_ci(numerator: Any, denominator: Any, confidence: Any = 0.95) -> tuple[Any, Any]:
    """Wilson score confidence interval for ``numerator`` events out of ``denominator``, as proportions (0-1).

    Method: Wilson (1927) score interval as in Newcombe (1998) and PHEindicatormethods; z is computed in full
    precision (see :func:`z_for`). Multiply by 100 yourself for percentages.

    Args:
        numerator: events (x). A number, list/tuple, numpy array or polars Series. Need not be a whole number.
        denominator: people or cases at risk (n), same kinds; a scalar is broadcast against a column.
        confidence: a proportion strictly between 0 and 1 (0.95, 0.998) or a percentage from 90 up to but not
            including 100 (95, 99.8).

    Returns:
        ``(lower, upper)`` in the kind given: floats (None when missing) for scalars, lists (None for missing)
        for lists/tuples, float arrays (NaN for missing) for numpy arrays, Float64 Series (null for missing)
        for polars Series. A missing numerator or denominator, or a denominator of 0, gives missing limits.

    Raises:
        ValueError: a negative numerator or denominator, a numerator above its denominator, a confidence level
            outside the accepted ranges, or inputs of different lengths. The message says which row.

    Example:
        >>> lower, upper = wilson_ci(65, 100)
        >>> round(lower, 7), round(upper, 7)
        (0.5525444, 0.7363575)
        >>> wilson_ci([1, None], [100, 100])[1]
        [0.054486196178705294, None]

    """
    z = z_for(confidence)
    kind = kind_of(numerator, denominator)
    x, n = broadcast(
        [to_floats(numerator, "numerator"), to_floats(denominator, "denominator")],
        ["numerators", "denominators"],
    )
    with np.errstate(invalid="ignore"):
        negative_x = x < 0
        negative_n = n < 0
        too_big = x > n
    if negative_x.any():
        raise ValueError(
            where_message(
                negative_x,
                lambda: f"The numerator cannot be negative; got {float(x):g}.",
                "The numerator cannot be negative; check {rows}.",
            )
        )
    if negative_n.any():
        raise ValueError(
            where_message(
                negative_n,
                lambda: f"The denominator cannot be negative; got {float(n):g}.",
                "The denominator cannot be negative; check {rows}.",
            )
        )
    if too_big.any():
        raise ValueError(
            where_message(
                too_big,
                lambda: f"The numerator ({float(x):g}) cannot be larger than the denominator ({float(n):g}).",
                "The numerator cannot be larger than the denominator; check {rows}.",
            )
        )

    usable = ~np.isnan(x) & ~np.isnan(n) & (n > 0)
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    xs, ns = x[usable], n[usable]
    z2 = z * z
    spread = z * np.sqrt(z2 + 4.0 * xs * (1.0 - xs / ns))
    scale = 2.0 * (ns + z2)
    # At x = 0 and x = n the limits are exactly 0 and 1; set them so rounding cannot leave 0.9999999999999998.
    lower[usable] = np.where(xs == 0, 0.0, np.clip((2.0 * xs + z2 - spread) / scale, 0.0, 1.0))
    upper[usable] = np.where(xs == ns, 1.0, np.clip((2.0 * xs + z2 + spread) / scale, 0.0, 1.0))
    return as_kind(lower, kind, "lower_ci"), as_kind(upper, kind, "upper_ci")
