"""Confidence limits of the SII and RII by Monte Carlo simulation (PHEindicatormethods ``phe_sii``).

Method (docs/methods.md section 5.3; steps 5 and 6 of :mod:`kpi.inequality.slope_index`): each quantile's value is
drawn from a normal distribution with the value as mean and its standard error as SD, on the log scale for rates and
the logit scale for proportions. Without transform each draw is mapped back to natural units and refitted; the SII and RII of the
draws are sorted and the limits are the draws at 1-based positions round(R x alpha/2) and round(R x (1 - alpha/2))
(R's round, half to even). With transform the draws stay on the transformed scale, and the slopes at those
positions are turned back into natural units around the fitted value at rank 1/2 (h = c0 + c1/2: top =
g^-1(h + s/2), bottom = g^-1(h - s/2); SII = (top - bottom) x multiplier, RII = top / bottom); with a negative
multiplier the limits swap (the RII ones inverted). The draws are solved a block at a time (a block of draws
small enough for the core's cache): a (draws x quantiles) matrix times the 2 x quantiles least-squares projection.
A proportion without transform is refitted with a fast inverse logit and made exact where the limits are read
(:mod:`kpi.inequality.sii_exact_ranks`): the same limits, to the last digit. ``seed=None`` derives the seed from the inputs, so the
same data always gives the same limits. Reliability statistics repeat the simulation
:data:`~kpi.inequality.sii_inputs.RELIABILITY_SETS` times and report the mean absolute difference of the limits of
sets 2-10 from set 1.

Reference: PHEindicatormethods (UKHSA), ``phe_sii``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit, logit

from kpi.inequality.sii_exact_ranks import fast_weighted_expit, natural_limits_of_proportions
from kpi.inequality.sii_inputs import RELIABILITY_SETS, SIIData, SIIOptions

__all__ = ["derived_seed", "forward", "inverse", "positions", "simulated_limits"]

#: Blocks of draws of this many elements (rows x quantiles) made a row of one: see :func:`_blocks`.
_CHUNK_ELEMENTS = 4_000_000
#: Normal draws worked on at once (rows x quantiles): 320 KB, within a core's cache.
_BLOCK_ELEMENTS = 40_960

#: Limits of one confidence level: (sii_lower, sii_upper, rii_lower, rii_upper).
Limits = tuple[float, float, float, float]


def forward(value_type: str) -> Callable[[Any], Any]:
    """The scale the draws are made on: log for rates, logit for proportions, as is otherwise."""
    return {"rate": np.log, "proportion": logit}.get(value_type, lambda x: np.asarray(x, dtype=float))


def inverse(value_type: str) -> Callable[[Any], Any]:
    """Back from the draw scale: exp for rates, inverse logit for proportions."""
    return {"rate": np.exp, "proportion": expit}.get(value_type, lambda x: np.asarray(x, dtype=float))


def positions(repetitions: int, level: float) -> tuple[int, int]:
    """1-based positions of the lower and upper limits among the sorted draws (R's round: half to even)."""
    upper_tail = level + (1 - level) / 2
    return round(repetitions * (1 - upper_tail)), round(repetitions * upper_tail)


def derived_seed(data: SIIData, opts: SIIOptions) -> int:
    """A seed from the data (in quantile order) and the options: the same inputs always give the same limits."""
    digest = hashlib.sha256()
    for arr in (data.quantile, data.population, data.value, data.sd):
        digest.update(np.round(arr, 10).astype("<f8").tobytes())
    digest.update(
        repr(
            (
                opts.value_type,
                opts.transform,
                opts.multiplier,
                opts.repetitions,
                opts.confidence,
                opts.reliability_stat,
            )
        ).encode()
    )
    return int.from_bytes(digest.digest()[:8], "little")


def _blocks(n_draws: int, k: int) -> list[tuple[int, int]]:
    """(start, stop) of the blocks of draws, each small enough to stay in the core's cache while it is worked on.

    A product of one row takes BLAS's matrix-vector path, whose rounding is not the matrix-matrix one: a last block
    of one row joins the block before it, and a row that blocks of :data:`_CHUNK_ELEMENTS` leave on its own (the
    limits have always been worked out that way) stays on its own, so every row is fitted exactly as before.
    """
    alone = n_draws > 1 and n_draws % max(1, _CHUNK_ELEMENTS // k) == 1
    end = n_draws - 1 if alone else n_draws
    rows = max(2, _BLOCK_ELEMENTS // k)
    blocks = [(start, min(start + rows, end)) for start in range(0, end, rows)]
    if len(blocks) > 1 and blocks[-1][1] - blocks[-1][0] == 1:
        blocks[-2:] = [(blocks[-2][0], end)]
    return [*blocks, (end, n_draws)] if alone else blocks


def _simulated_coefficients(
    rng: np.random.Generator,
    mean: np.ndarray,
    sd: np.ndarray,
    projection: np.ndarray,
    sqrt_a: np.ndarray,
    back: Any,
    n_draws: int,
) -> np.ndarray:
    """Fit every draw: (draws x quantiles) values times the (quantiles x 2) projection, a block at a time.

    Each step works in place on one block of draws (``mean + z * sd``, back-transformed, weighted) held in one
    buffer small enough to stay in cache: the same numbers, bit for bit, as with a new array per step (the normals
    come from the generator in the same order, and BLAS fits each row of at least two the same way).
    """
    k = mean.size
    blocks = _blocks(n_draws, k)
    out = np.empty((n_draws, 2))
    rows = max(stop - start for start, stop in blocks)
    buffer = np.empty((rows, k))
    # the per-quantile factors as whole blocks: the same products and sums, without broadcasting row by row
    sd_block, mean_block, sqrt_a_block = (np.tile(v, (rows, 1)) for v in (sd, mean, sqrt_a))
    for start, stop in blocks:
        n = stop - start
        draws = buffer[:n]
        rng.standard_normal(out=draws)
        draws *= sd_block[:n]
        draws += mean_block[:n]
        if isinstance(back, np.ufunc):
            back(draws, out=draws)
        elif back is not None:
            draws = back(draws)
        draws *= sqrt_a_block[:n]
        np.matmul(draws, projection.T, out=out[start:stop])
    return out


def _logit_draws(
    rng: np.random.Generator,
    mean: np.ndarray,
    sd: np.ndarray,
    projection: np.ndarray,
    sqrt_a: np.ndarray,
    n_draws: int,
) -> tuple[np.ndarray, np.ndarray]:
    """A proportion's draws on the logit scale, negated (draws x quantiles), and their fast coefficients.

    The draws are the same numbers, in the same blocks, as :func:`_simulated_coefficients` makes, kept negated
    (z x (-sd) + (-mean) is exactly -(z x sd + mean)) for the exponential; the coefficients, from
    sqrt(a) / (1 + exp(-draw)), are within the bound of :mod:`kpi.inequality.sii_exact_ranks` of the exact ones.
    """
    k = mean.size
    blocks = _blocks(n_draws, k)
    negated = np.empty((n_draws, k))
    approx = np.empty((n_draws, 2))
    rows = max(stop - start for start, stop in blocks)
    buffer = np.empty((rows, k))
    minus_sd, minus_mean, sqrt_a_block = (np.tile(v, (rows, 1)) for v in (-sd, -mean, sqrt_a))
    for start, stop in blocks:
        n = stop - start
        block, mapped = negated[start:stop], buffer[:n]
        rng.standard_normal(out=block)
        block *= minus_sd[:n]
        block += minus_mean[:n]
        fast_weighted_expit(block, sqrt_a_block[:n], out=mapped)
        np.matmul(mapped, projection.T, out=approx[start:stop])
    return negated, approx


def _refitted(negated: np.ndarray, projection: np.ndarray, sqrt_a: np.ndarray) -> np.ndarray:
    """Every draw (negated, logit scale) refitted with the exact inverse logit, as :func:`_simulated_coefficients`.

    The same blocks and steps, so the same coefficients to the last digit.
    """
    out = np.empty((negated.shape[0], 2))
    for start, stop in _blocks(*negated.shape):
        block = expit(np.negative(negated[start:stop]))
        block *= sqrt_a
        np.matmul(block, projection.T, out=out[start:stop])
    return out


def _ranked(values: np.ndarray, where: list[tuple[int, int]]) -> np.ndarray:
    """``values`` with the ranks the limits read (1-based ``lo`` and ``hi`` of each level) in sorted position.

    A partial sort (``np.partition``): the same order statistics as a full sort, NaN last as there, in linear time.
    """
    return np.partition(values, sorted({rank - 1 for pair in where for rank in pair}))


def _transformed_limits(
    coef: np.ndarray, where: list[tuple[int, int]], h: float, g_inv: Any, mult: float
) -> list[Limits]:
    """Limits from the sorted slopes on the transformed scale, back in natural units around rank 1/2."""
    slopes = _ranked(coef[:, 1], where)
    per_level: list[Limits] = []
    for lo, hi in where:
        ends = []
        for s in (slopes[lo - 1], slopes[hi - 1]):
            t, b = float(g_inv(h + s / 2)), float(g_inv(h - s / 2))
            ends.append(((t - b) * mult, t / b))
        (s_lo, r_lo), (s_hi, r_hi) = ends
        if mult < 0:
            s_lo, s_hi, r_lo, r_hi = s_hi, s_lo, 1 / r_hi, 1 / r_lo
        per_level.append((s_lo, s_hi, r_lo, r_hi))
    return per_level


def _natural_limits(coef: np.ndarray, where: list[tuple[int, int]], mult: float) -> list[Limits]:
    """Limits from the sorted SII and RII of the refitted draws."""
    sii_draws = _ranked(coef[:, 1] * mult, where)
    with np.errstate(divide="ignore", invalid="ignore"):
        rii_draws = (coef[:, 0] + coef[:, 1]) / coef[:, 0]
        if mult < 0:
            rii_draws = 1 / rii_draws
    rii_draws = _ranked(rii_draws, where)
    return [
        (
            float(sii_draws[lo - 1]),
            float(sii_draws[hi - 1]),
            float(rii_draws[lo - 1]),
            float(rii_draws[hi - 1]),
        )
        for lo, hi in where
    ]


def simulated_limits(
    opts: SIIOptions,
    *,
    seed: int,
    value: np.ndarray,
    sd: np.ndarray,
    projection: np.ndarray,
    sqrt_a: np.ndarray,
    c0: float,
    c1: float,
) -> tuple[dict[float, Limits], dict[float, tuple[float, float]] | None]:
    """Limits per confidence level and, when asked for, reliability statistics (sii_mad, rii_mad) per level.

    ``value`` and ``sd`` are in quantile order, ``projection`` and ``sqrt_a`` those of the fit, ``c0`` and ``c1``
    its coefficients (on the transformed scale with transform).
    """
    g, g_inv = forward(opts.value_type), inverse(opts.value_type)
    rng = np.random.default_rng(seed)
    reps = opts.repetitions
    draw_mean = g(value) if opts.value_type != "other" else value
    back = None if opts.transform or opts.value_type == "other" else g_inv
    n_sets = RELIABILITY_SETS if opts.reliability_stat else 1
    where = [positions(reps, level) for level in opts.confidence]
    # set_limits[s][j] = (sii_lower, sii_upper, rii_lower, rii_upper) for set s, level j
    set_limits: list[list[Limits]] = []
    for _ in range(n_sets):
        if back is expit:  # a proportion without transform: fitted fast, exact where the limits are read
            negated, approx = _logit_draws(rng, draw_mean, sd, projection, sqrt_a, reps)
            per_level = natural_limits_of_proportions(
                negated, approx, sqrt_a, projection, where, opts.multiplier
            )
            if per_level is None:
                per_level = _natural_limits(_refitted(negated, projection, sqrt_a), where, opts.multiplier)
            set_limits.append(per_level)
            continue
        coef = _simulated_coefficients(rng, draw_mean, sd, projection, sqrt_a, back, reps)
        if opts.transform:
            set_limits.append(_transformed_limits(coef, where, c0 + c1 / 2, g_inv, opts.multiplier))
        else:
            set_limits.append(_natural_limits(coef, where, opts.multiplier))
    limits = {level: set_limits[0][j] for j, level in enumerate(opts.confidence)}
    if not opts.reliability_stat:
        return limits, None
    arr = np.asarray(set_limits)  # sets x levels x 4
    diffs = np.abs(arr[1:] - arr[0])  # 9 x levels x 4
    reliability = {
        level: (float(diffs[:, j, 0:2].mean()), float(diffs[:, j, 2:4].mean()))
        for j, level in enumerate(opts.confidence)
    }
    return limits, reliability
