"""One area's SII fit and its result, and the limits of many areas' fits worked out side by side.

Method (docs/methods.md section 5.3; steps 1-4 and 6 of :mod:`kpi.inequality.slope_index`): the quantiles in
order from most to least deprived, shares a_i and ranks b_i, the weighted least-squares projection of the fit, the
point estimates, and the seed (derived from the inputs in quantile order when none is given). The limits
(step 5) are simulated by :mod:`kpi.inequality.sii_simulation`.

Many areas (:func:`area_results`): each area's draws come from its own generator, seeded as for one area, so an
area's limits are the same to the last digit whether it is worked out alone or with others, and in whatever order.
The areas are simulated on a pool of threads, one per core: drawing the normals, the inverse transform, the
products and the partial sorts all run in numpy and BLAS outside the interpreter lock, so the cores work on
different areas at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np

from kpi.inequality.sii_inputs import SIIData, SIIOptions
from kpi.inequality.sii_simulation import Limits, derived_seed, forward, inverse, simulated_limits

__all__ = ["AreaFit", "SIIResult", "area_result", "area_results", "fit_area", "workers"]


@dataclass(frozen=True)
class SIIResult:
    """SII, RII and their confidence limits for one area.

    ``sii_lower`` ... ``rii_upper`` are for the first confidence level; ``limits`` maps every level
    (as a decimal, e.g. 0.95) to ``(sii_lower, sii_upper, rii_lower, rii_upper)``; ``reliability``
    maps each level to ``(sii_mad, rii_mad)`` when reliability statistics were asked for. Item
    access works too: ``result["sii"]``.
    """

    sii: float
    rii: float
    intercept: float
    sii_lower: float
    sii_upper: float
    rii_lower: float
    rii_upper: float
    limits: Mapping[float, tuple[float, float, float, float]]
    reliability: Mapping[float, tuple[float, float]] | None
    confidence: tuple[float, ...]
    value_type: str
    transform: bool
    multiplier: float
    repetitions: int
    n_quantiles: int
    seed: int

    def __getitem__(self, key: str) -> Any:
        """Item access to the fields, e.g. ``result["rii_upper"]``."""
        if key not in {f.name for f in fields(self)}:
            raise KeyError(key)
        return getattr(self, key)


@dataclass(frozen=True)
class AreaFit:
    """One area's fit: what its simulation needs (in quantile order) and its point estimates."""

    opts: SIIOptions
    seed: int
    value: np.ndarray
    sd: np.ndarray
    projection: np.ndarray  # 2 x k
    sqrt_a: np.ndarray
    c0: float
    c1: float
    sii: float
    rii: float
    intercept: float


def fit_area(data: SIIData, opts: SIIOptions) -> AreaFit:
    """The fit of one area whose data has passed the checks (rows in any order)."""
    order = np.argsort(data.quantile, kind="stable")
    pop, value, sd = data.population[order], data.value[order], data.sd[order]
    share = pop / pop.sum()
    rank = np.cumsum(share) - share / 2
    sqrt_a = np.sqrt(share)
    design = np.column_stack([sqrt_a, rank * sqrt_a])
    projection = np.linalg.solve(design.T @ design, design.T)  # 2 x k

    g, g_inv = forward(opts.value_type), inverse(opts.value_type)
    mult = opts.multiplier
    fit_scale = g(value) if opts.transform else value
    c0, c1 = projection @ (fit_scale * sqrt_a)
    if opts.transform:
        top, bottom = float(g_inv(c0 + c1)), float(g_inv(c0))
        sii_point, rii_point, intercept = (top - bottom) * mult, top / bottom, bottom * abs(mult)
    else:
        sii_point, rii_point, intercept = c1 * mult, (c0 + c1) / c0, c0
    if mult < 0:
        rii_point = 1 / rii_point

    if opts.seed is not None:
        seed = opts.seed
    else:  # from the data in quantile order, so the row order does not change the limits
        seed = derived_seed(SIIData(data.quantile[order], pop, value, sd, []), opts)
    return AreaFit(opts, seed, value, sd, projection, sqrt_a, c0, c1, sii_point, rii_point, intercept)


def _limits(fit: AreaFit) -> tuple[dict[float, Limits], dict[float, tuple[float, float]] | None]:
    return simulated_limits(
        fit.opts,
        seed=fit.seed,
        value=fit.value,
        sd=fit.sd,
        projection=fit.projection,
        sqrt_a=fit.sqrt_a,
        c0=fit.c0,
        c1=fit.c1,
    )


def area_result(
    fit: AreaFit,
    limits: dict[float, Limits] | None = None,
    reliability: dict[float, tuple[float, float]] | None = None,
) -> SIIResult:
    """The result of one fit, with its simulated limits (simulated here when not given)."""
    if limits is None:
        limits, reliability = _limits(fit)
    opts = fit.opts
    first = limits[opts.confidence[0]]
    return SIIResult(
        sii=float(fit.sii),
        rii=float(fit.rii),
        intercept=float(fit.intercept),
        sii_lower=first[0],
        sii_upper=first[1],
        rii_lower=first[2],
        rii_upper=first[3],
        limits=MappingProxyType(limits),
        reliability=None if reliability is None else MappingProxyType(reliability),
        confidence=opts.confidence,
        value_type=opts.value_type,
        transform=opts.transform,
        multiplier=opts.multiplier,
        repetitions=opts.repetitions,
        n_quantiles=fit.value.size,
        seed=fit.seed,
    )


def workers() -> int:
    """Threads that simulate areas side by side: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not every platform has affinity
        return max(1, os.cpu_count() or 1)


def area_results(fits: Sequence[AreaFit], n_workers: int | None = None) -> list[SIIResult]:
    """The results of many fits, in their order, simulated side by side on ``n_workers`` threads (default: the cores).

    Each area is simulated from its own seed exactly as :func:`area_result` does on its own, so the results do not
    depend on the number of threads or on the other areas.
    """
    n = min(len(fits), n_workers or workers())
    if n <= 1:
        return [area_result(fit) for fit in fits]
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="sii") as pool:
        return list(pool.map(area_result, fits))
