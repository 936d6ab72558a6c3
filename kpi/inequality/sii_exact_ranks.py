"""The simulated SII and RII of proportions, fitted fast and made exact where the limits are read.

Method (docs/methods.md section 5.3, the limits without transform of a proportion): every draw is mapped back from
the logit scale (inverse logit, ``scipy.special.expit``) and refitted, and the limits are the draws at fixed ranks.
The inverse logit is the costliest step. Here each draw's weighted value sqrt(a) x expit(x) is first worked out as
sqrt(a) / (1 + exp(-x)) with numpy's vectorised exponential, within 4.5e-16 of the exact value, so every refitted
coefficient is within a bound ``eps`` of the exact one (1e-12 x the sum of the projection's absolute weights: well
over the sum of the errors of the terms and of the roundings of the product). If every approximation u_i is within
``eps`` of the exact value v_i, and t_lo <= u_(r) <= t_hi (the approximation at rank r, bracketed on a sample of the
draws and checked on all of them), the exact value at rank r lies in [t_lo - eps, t_hi + eps]; a draw with
u_i < t_lo - 2 eps is certainly below it and one with u_i > t_hi + 2 eps certainly above. Only the draws between
those two (a few hundred at most) are refitted with the exact ``expit``, by the same BLAS product as before (rows of
at least two, fitted the same way whatever the other rows): the value at rank r is the one at rank r - (draws
certainly below) among them. The limits are therefore the same, to the last digit, as refitting every draw exactly;
where the bound cannot be used (a value that is not finite, an intercept too close to zero for the RII's bound, too
many draws in the window) every draw is refitted exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit

__all__ = ["fast_weighted_expit", "natural_limits_of_proportions"]

#: Bound on |fast - exact| of a refitted coefficient, per unit of the projection's absolute weights.
_EPS_PER_WEIGHT = 1e-12
#: Draws in the window around a rank above which every draw is refitted exactly instead.
_MAX_WINDOW = 20_000
#: Every this many draws is sampled to bracket a rank before the window is taken.
_SAMPLE_STEP = 16

Limits = tuple[float, float, float, float]


def fast_weighted_expit(negated: np.ndarray, weight: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Weight / (1 + exp(x)) for the negated draws x, with numpy's vectorised exponential.

    Within 4.5e-16 of ``expit(-x) * weight`` for weights up to 1 (a share's square root), the exact path's value.
    """
    with np.errstate(over="ignore"):
        np.exp(negated, out=out)
    out += 1
    return np.divide(weight, out, out=out)


def _exact_coefficients(
    negated: np.ndarray, rows: np.ndarray, sqrt_a: np.ndarray, projection: np.ndarray
) -> np.ndarray:
    """The coefficients of these rows of draws refitted with the exact inverse logit (the draws are kept negated)."""
    picked = np.negative(
        negated[np.repeat(rows, 2) if rows.size == 1 else rows]
    )  # one row: BLAS's vector path
    expit(picked, out=picked)
    picked *= sqrt_a
    return (picked @ projection.T)[: rows.size]


def _bracket(approx: np.ndarray, r: int) -> tuple[float, float] | None:
    """Two values t_lo <= t_hi with fewer than ``r`` approximations below t_lo and at least ``r`` at or below t_hi.

    Found on every :data:`_SAMPLE_STEP`-th value, a few standard deviations of the sample's rank either side of the
    rank, and checked on every value; None when the check fails (the caller then partitions every value).
    """
    sample = approx[::_SAMPLE_STEP]
    m, n = sample.size, approx.size
    centre = (r - 0.5) / n * m
    spread = 4 * (m * (r / n) * (1 - r / n)) ** 0.5 + 2
    lo, hi = max(0, int(centre - spread)), min(m - 1, int(centre + spread) + 1)
    ordered = np.partition(sample, [lo, hi])
    t_lo, t_hi = float(ordered[lo]), float(ordered[hi])
    if np.count_nonzero(approx < t_lo) < r <= np.count_nonzero(approx <= t_hi):
        return t_lo, t_hi
    return None


def _at_ranks(
    approx: np.ndarray, eps: float, ranks: list[int], exact_of: Callable[[np.ndarray], np.ndarray]
) -> dict[int, float] | None:
    """The exact values at these 1-based ranks, from approximations within ``eps``; None when that cannot be used.

    For each rank r: t_lo <= u_(r) <= t_hi (the approximation at rank r), so the exact value there is within
    [t_lo - eps, t_hi + eps]; a draw with u < t_lo - 2 eps is certainly below it and one with u > t_hi + 2 eps
    certainly above, and the exact value at rank r is the one at rank r - (draws certainly below) in the window.
    """
    if not (np.isfinite(eps) and np.isfinite(approx).all()):
        return None
    out: dict[int, float] = {}
    ordered = None
    for r in ranks:
        bounds = _bracket(approx, r) if approx.size >= 64 * _SAMPLE_STEP else None
        if bounds is None:
            if ordered is None:
                ordered = np.partition(approx, sorted({q - 1 for q in ranks}))
            bounds = (float(ordered[r - 1]), float(ordered[r - 1]))
        t_lo, t_hi = bounds[0] - 2 * eps, bounds[1] + 2 * eps
        below = np.count_nonzero(approx < t_lo)
        window = np.flatnonzero((approx >= t_lo) & (approx <= t_hi))
        at = r - 1 - below
        if window.size > _MAX_WINDOW or not 0 <= at < window.size:
            return None
        exact = exact_of(window)
        if not np.isfinite(exact).all():
            return None
        out[r] = float(np.partition(exact, at)[at])
    return out


def _ratio(c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (c0 + c1) / c0


def _rii(ratio: np.ndarray, mult: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 1 / ratio if mult < 0 else ratio


def _rii_bound(coef: np.ndarray, ratio: np.ndarray, eps0: float, eps1: float, mult: float) -> float:
    """A bound on |fast - exact| of every draw's RII, from the coefficients' bounds (inf when there is none).

    With |c0| >= m > eps0, |c0 + c1| <= s and |ratio| within [q, Q] over the draws: the ratio moves by at most
    (eps0 + eps1) / (m - eps0) + s eps0 / ((m - eps0) m) plus its rounding, and its inverse by at most that
    / ((q - that) q) plus its rounding; doubled for safety.
    """
    least = float(np.abs(coef[:, 0]).min())
    if not least > eps0:
        return np.inf
    total = float(np.abs(coef[:, 0] + coef[:, 1]).max())
    sizes = np.abs(ratio)
    small, large = float(sizes.min()), float(sizes.max())
    bound = (eps0 + eps1) / (least - eps0) + total * eps0 / ((least - eps0) * least) + 1e-15 * large
    if mult < 0:
        if not small > bound:
            return np.inf
        bound = bound / ((small - bound) * small) + 1e-15 / small
    return 2 * bound


def natural_limits_of_proportions(
    negated: np.ndarray,
    approx: np.ndarray,
    sqrt_a: np.ndarray,
    projection: np.ndarray,
    where: list[tuple[int, int]],
    mult: float,
) -> list[Limits] | None:
    """Limits of each level from the fast coefficients ``approx`` of the draws (negated, logit scale).

    The SII and RII at each rank exactly as from coefficients refitted with ``expit`` throughout; None when the
    bound cannot be used (the caller then refits every draw exactly).
    """
    eps0, eps1 = (_EPS_PER_WEIGHT * np.abs(projection).sum(axis=1)).tolist()
    ranks = sorted({rank for pair in where for rank in pair})
    sii = _at_ranks(
        approx[:, 1] * mult,
        eps1 * abs(mult),
        ranks,
        lambda rows: _exact_coefficients(negated, rows, sqrt_a, projection)[:, 1] * mult,
    )
    if sii is None:
        return None

    def exact_rii(rows: np.ndarray) -> np.ndarray:
        coef = _exact_coefficients(negated, rows, sqrt_a, projection)
        return _rii(_ratio(coef[:, 0], coef[:, 1]), mult)

    ratio = _ratio(approx[:, 0], approx[:, 1])
    bound = _rii_bound(approx, ratio, eps0, eps1, mult) if np.isfinite(ratio).all() else np.inf
    rii = _at_ranks(_rii(ratio, mult), bound, ranks, exact_rii)
    if rii is None:
        return None
    return [(sii[lo], sii[hi], rii[lo], rii[hi]) for lo, hi in where]
