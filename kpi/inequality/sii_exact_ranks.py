"""The simulated SII and RII of proportions, fitted fast and made exact where the limits are read.

Method (docs/methods.md section 5.3, the limits without transform of a proportion): every draw is mapped back from
the logit scale (inverse logit, ``scipy.special.expit``) and refitted, and the limits are the draws at fixed ranks.
The inverse logit is the costliest step. Here it is first worked out with numpy's vectorised exponential, which is
within 2.3e-16 of ``expit`` (4 units in the last place at most), so every refitted coefficient is within a bound
``eps`` of the exact one (1e-12 x the sum of the projection's absolute weights: well over the sum of the errors of
the terms and of the roundings of the product). If every approximation u_i is within ``eps`` of the exact value v_i,
the exact value at rank r is within ``eps`` of the approximation at rank r (a); a draw with u_i < a - 2 eps is
certainly below it and one with u_i > a + 2 eps certainly above. Only the draws between those two (usually one) are
refitted with the exact ``expit``, by the same BLAS product as before (rows of at least two, fitted the same way
whatever the other rows): the value at rank r is the one at rank r - (draws certainly below) among them. The limits
are therefore the same, to the last digit, as refitting every draw exactly; where the bound cannot be used (a value
that is not finite, an intercept too close to zero for the RII's bound, too many draws in the window) every draw
is refitted exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit

__all__ = ["fast_expit", "natural_limits_of_proportions"]

#: Bound on |fast - exact| of a refitted coefficient, per unit of the projection's absolute weights.
_EPS_PER_WEIGHT = 1e-12
#: Draws in the window around a rank above which every draw is refitted exactly instead.
_MAX_WINDOW = 2_000

Limits = tuple[float, float, float, float]


def fast_expit(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) with numpy's vectorised exponential: within 2.3e-16 of ``scipy.special.expit``."""
    with np.errstate(over="ignore"):
        np.negative(x, out=out)
        np.exp(out, out=out)
    out += 1
    return np.divide(1.0, out, out=out)


def _exact_coefficients(
    draws: np.ndarray, rows: np.ndarray, sqrt_a: np.ndarray, projection: np.ndarray
) -> np.ndarray:
    """The coefficients of these rows of draws (logit scale) refitted with the exact inverse logit."""
    picked = draws[np.repeat(rows, 2) if rows.size == 1 else rows]  # one row would take BLAS's vector path
    expit(picked, out=picked)
    picked *= sqrt_a
    return (picked @ projection.T)[: rows.size]


def _at_ranks(
    approx: np.ndarray, eps: float, ranks: list[int], exact_of: Callable[[np.ndarray], np.ndarray]
) -> dict[int, float] | None:
    """The exact values at these 1-based ranks, from approximations within ``eps``; None when that cannot be used."""
    if not (np.isfinite(eps) and np.isfinite(approx).all()):
        return None
    ordered = np.partition(approx, sorted({r - 1 for r in ranks}))
    out: dict[int, float] = {}
    for r in ranks:
        a = ordered[r - 1]
        below = approx < a - 2 * eps
        window = np.flatnonzero(~below & (approx <= a + 2 * eps))
        at = r - 1 - int(np.count_nonzero(below))
        if window.size > _MAX_WINDOW or not 0 <= at < window.size:
            return None
        exact = exact_of(window)
        if not np.isfinite(exact).all():
            return None
        out[r] = float(np.partition(exact, at)[at])
    return out


def _rii(c0: np.ndarray, c1: np.ndarray, mult: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        rii = (c0 + c1) / c0
        return 1 / rii if mult < 0 else rii


def _rii_bound(coef: np.ndarray, eps0: float, eps1: float, mult: float) -> float:
    """A bound on |fast - exact| of every draw's RII, from the coefficients' bounds (inf when there is none)."""
    c0, c1 = coef[:, 0], coef[:, 1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        least = np.abs(c0) - eps0
        ratio = np.abs((c0 + c1) / c0)
        bound = (eps0 + eps1) / least + np.abs(c0 + c1) * eps0 / (least * np.abs(c0)) + 1e-15 * ratio
        if mult < 0:
            bound = bound / ((ratio - bound) * ratio) + 1e-15 / ratio
        if (least <= 0).any() or (mult < 0 and (ratio <= bound).any()):
            return np.inf
    return 2 * float(bound.max())


def natural_limits_of_proportions(
    draws: np.ndarray,
    approx: np.ndarray,
    sqrt_a: np.ndarray,
    projection: np.ndarray,
    where: list[tuple[int, int]],
    mult: float,
) -> list[Limits] | None:
    """Limits of each level from the fast coefficients ``approx`` of the ``draws`` (logit scale, draws x quantiles).

    The SII and RII at each rank exactly as from coefficients refitted with ``expit`` throughout; None when the
    bound cannot be used (the caller then refits every draw exactly).
    """
    eps0, eps1 = (_EPS_PER_WEIGHT * np.abs(projection).sum(axis=1)).tolist()
    ranks = sorted({rank for pair in where for rank in pair})
    sii = _at_ranks(
        approx[:, 1] * mult,
        eps1 * abs(mult),
        ranks,
        lambda rows: _exact_coefficients(draws, rows, sqrt_a, projection)[:, 1] * mult,
    )
    if sii is None:
        return None

    def exact_rii(rows: np.ndarray) -> np.ndarray:
        coef = _exact_coefficients(draws, rows, sqrt_a, projection)
        return _rii(coef[:, 0], coef[:, 1], mult)

    rii = _at_ranks(
        _rii(approx[:, 0], approx[:, 1], mult), _rii_bound(approx, eps0, eps1, mult), ranks, exact_rii
    )
    if rii is None:
        return None
    return [(sii[lo], sii[hi], rii[lo], rii[hi]) for lo, hi in where]
