"""Slope and relative index of inequality (SII, RII) across deprivation quantiles, and quantile assignment.

Method:
The method of PHEindicatormethods ``phe_sii`` (Low & Low 2004), for one area at a time:

1. Quantiles are ordered from most to least deprived (quantile 1 = most deprived). Each has a
   population share a_i = pop_i / sum(pop) and a relative rank b_i = (share of all quantiles
   before it) + a_i / 2, the midpoint of its slice of the population.
2. Weighted least squares of the value y_i on b_i with weights a_i, fitted as y*sqrt(a) on sqrt(a)
   and b*sqrt(a) without an intercept: y = c0 + c1*b.
3. SII = c1 x multiplier (the fitted difference between the least and the most deprived ends);
   RII = (c0 + c1) / c0; a negative multiplier (to flip the polarity) inverts the RII. The
   intercept reported is c0.
4. With ``transform=True`` the fit is on the logit (proportions) or log (rates) scale, with g the
   transform: SII = (g^-1(c0 + c1) - g^-1(c0)) x multiplier, RII = g^-1(c0 + c1) / g^-1(c0) and the
   intercept reported is g^-1(c0) x |multiplier|.
5. Confidence limits by Monte Carlo simulation. Each quantile's value is drawn from a normal
   distribution with the value as mean and its standard error as SD, on the log scale for rates
   and the logit scale for proportions. The SE is the one given (taken to be on that scale), or
   (g(UCL) - g(LCL)) / (2 x 1.959964), the 95% z whatever the confidence level asked for. Without
   transform each draw is mapped back to natural units and refitted; the SII and RII of the draws
   are sorted and the limits are the draws at 1-based positions round(R x alpha/2) and
   round(R x (1 - alpha/2)). With transform the draws stay on the transformed scale, the slopes
   at those positions are turned back into natural units around the fitted value at rank 1/2
   (h = c0 + c1/2: top = g^-1(h + s/2), bottom = g^-1(h - s/2); SII = (top - bottom) x multiplier,
   RII = top / bottom), and with a negative multiplier the limits swap (the RII ones inverted).
   The draws are solved a block at a time: a (draws x quantiles) matrix times the 2 x quantiles
   least-squares projection (:mod:`kpi.inequality.sii_simulation`; for proportions without transform the
   inverse logit is worked out fast and made exact where the limits are read, :mod:`kpi.inequality.sii_exact_ranks`).
6. ``seed=None`` derives the seed from the inputs, so the same data always gives the same limits.
7. Many areas at once (:func:`sii_batch`): every area is checked and fitted, then the areas are simulated side by
   side on the cores, each from its own seed, so each area's limits are the ones it has on its own.

Checks follow the package's, in its order (first failure wins), with plain-English messages
(:mod:`kpi.inequality.sii_checks`); its two warnings (more than 10 quantiles; an area without data for
every quantile, which is then not rated) are :class:`SIIWarning`. Where this module differs on purpose:
an area missing a quantile is returned by :func:`sii_grouped` with missing values (the package leaves the row out) so a
dashboard can say "not rated"; rates with transform and a multiplier between 0 and 1 keep their
limits in order (the package swaps them); values that cannot go on the log/logit scale (a rate of
0, a proportion of exactly 0 or 1, a lower limit above the upper) are refused with a message rather
than giving missing or infinite limits.

:func:`~kpi.inequality.local_quantiles.quantiles` is PHEindicatormethods ``phe_quantile`` for small areas
(e.g. LSOAs): with N areas ranked 1..N (ties share the lowest rank), quantile = floor((q + 1) - ceil(((N + 1) - rank) /
(N / q))), 0 becomes 1, none when N < q.

References:
- Low A, Low A. Measuring the gap: quantifying and comparing local health inequalities. Journal of
  Public Health 2004;26:388-395.
- PHEindicatormethods (UKHSA), ``phe_sii`` and ``phe_quantile``; OHID technical guide "Assigning
  deprivation categories".

Example:
>>> pop = [34353, 32112, 27715, 25372, 23889, 23260, 23180, 24193, 23609, 24488]
>>> cases = [7287, 6881, 5656, 4868, 4176, 3876, 3617, 3546, 3314, 2960]
>>> share = [c / p for c, p in zip(cases, pop)]
>>> result = sii(range(1, 11), pop, share, value_type="proportion",
...              lower_ci=[s * 0.98 for s in share], upper_ci=[s * 1.02 for s in share],
...              repetitions=1000)
>>> round(result.sii, 7), round(result["rii"], 7)
(-0.1072003, 0.5334015)
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from kpi.inequality.local_quantiles import quantiles
from kpi.inequality.sii_checks import (
    MSG_COLUMN,
    MSG_FLAG,
    MSG_FRAME,
    MSG_N_QUANTILES_ARG,
    MSG_OUTPUT,
    MSG_WARN_DROPPED,
    check_area_quantiles,
    check_arguments,
    check_data,
    label_rows,
    warn_many,
)
from kpi.inequality.sii_fit import AreaFit, SIIResult, area_result, area_results, fit_area
from kpi.inequality.sii_inputs import (
    MAX_QUANTILES,
    MIN_QUANTILES,
    MIN_REPETITIONS,
    Z_95,
    SIIData,
    SIIOptions,
    SIIWarning,
)

__all__ = [
    "MAX_QUANTILES",
    "MIN_QUANTILES",
    "MIN_REPETITIONS",
    "SIIResult",
    "SIIWarning",
    "Z_95",
    "quantiles",
    "sii",
    "sii_batch",
    "sii_grouped",
]

#: The inputs that are data (one entry per row); the other arguments are options.
_DATA_ARGUMENTS = ("quantile", "population", "value", "count", "lower_ci", "upper_ci", "se")
#: The options :func:`kpi.inequality.sii_checks.check_arguments` checks besides the data.
_OPTION_ARGUMENTS = (
    "value_type",
    "transform",
    "multiplier",
    "confidence",
    "repetitions",
    "seed",
    "reliability_stat",
)


# --- the one path from arguments to results, for one area or many ----------------------------------------
def _options(arguments: Mapping[str, Any]) -> SIIOptions:
    """Check the arguments of :func:`sii` or :func:`sii_grouped` (their parameters by name)."""
    return check_arguments(**{name: arguments[name] for name in (*_DATA_ARGUMENTS, *_OPTION_ARGUMENTS)})


def _data(opts: SIIOptions, columns: Mapping[str, Any], areas: Sequence[str] | None) -> SIIData:
    """Check the data columns (one entry per row; ``areas`` names each row's area for the messages)."""
    raw_q = columns["quantile"]
    return check_data(
        opts, **{name: columns[name] for name in _DATA_ARGUMENTS}, labels=label_rows(raw_q, areas)
    )


def _results(
    data: SIIData, opts: SIIOptions, areas: Sequence[np.ndarray], n_quantiles: int | None, stacklevel: int
) -> list[SIIResult | None]:
    """Every area's SII (rows at the positions given), None for an area without every quantile of the data.

    Every area's quantiles are checked before any is fitted; more than 10 quantiles warns at ``stacklevel``
    (counted from the caller of this function).
    """
    all_quantiles = np.unique(data.quantile)
    parts = [data.take(rows) for rows in areas]
    for part in parts:
        check_area_quantiles(part, n_quantiles)
    warn_many(all_quantiles.size, stacklevel + 1)
    rated = [np.array_equal(np.unique(part.quantile), all_quantiles) for part in parts]
    results = iter(area_results([fit_area(part, opts) for part, ok in zip(parts, rated, strict=True) if ok]))
    return [next(results) if ok else None for ok in rated]


def sii(
    quantile: Sequence[float] | np.ndarray | pl.Series | None,
    population: Sequence[float] | np.ndarray | pl.Series | None,
    value: Sequence[float] | np.ndarray | pl.Series | None = None,
    *,
    count: Sequence[float] | np.ndarray | pl.Series | None = None,
    value_type: str = "other",
    lower_ci: Sequence[float] | np.ndarray | pl.Series | None = None,
    upper_ci: Sequence[float] | np.ndarray | pl.Series | None = None,
    se: Sequence[float] | np.ndarray | pl.Series | None = None,
    transform: bool = False,
    multiplier: float = 1,
    confidence: float | Sequence[float] = 0.95,
    repetitions: int = 100_000,
    seed: int | None = None,
    reliability_stat: bool = False,
    n_quantiles: int | None = None,
) -> SIIResult:
    """Slope and relative index of inequality for ONE area (PHEindicatormethods ``phe_sii``; Low & Low 2004).

    Args:
        quantile: quantile labels, numbers with 1 = most deprived (e.g. IMD deciles 1-10).
        population: population of each quantile (all above zero).
        value: the indicator value of each quantile. For a proportion it may be left out and
            ``count`` given instead (value = count / population).
        count: numerator of each quantile, used only for a proportion given without values.
        value_type: "other" (normal scale), "proportion" (0-1; logit scale) or "rate" (log scale).
        lower_ci: lower 95% confidence limit of each value (for the standard errors).
        upper_ci: upper 95% confidence limit of each value.
        se: standard errors instead of the limits, on the log scale for rates and the logit scale
            for proportions.
        transform: fit on the logit (proportion) or log (rate) scale; needs the limits, not ``se``.
        multiplier: scale of the SII (e.g. 100 for percentage points); negative flips the polarity
            and inverts the RII.
        confidence: level or list of levels (0.9 to below 1, or 90 to below 100).
        repetitions: Monte Carlo draws (at least 1,000).
        seed: seed of the draws; None derives it from the inputs (same data, same limits).
        reliability_stat: repeat the simulation 10 times and report the mean absolute difference of
            the limits of sets 2-10 from set 1 (``result.reliability``).
        n_quantiles: if given, the labels must be exactly 1..n_quantiles (a missing quantile is an
            error: an area missing a quantile is not rated).

    Returns:
        :class:`SIIResult` (attribute or item access).

    Raises:
        ValueError: with a plain-English message (see the ``MSG_*`` constants) when an input is
            missing, of the wrong kind or out of range.

    Warns:
        SIIWarning: when there are more than 10 quantiles.

    Example:
        >>> r = sii([1, 2, 3, 4, 5], [100, 100, 100, 100, 100], [10.0, 9.0, 8.0, 7.0, 6.0],
        ...         se=[0.5] * 5, repetitions=1000, seed=1)
        >>> round(r.sii, 6), round(r.rii, 6)  # fitted 10.5 at the most deprived end, 5.5 at the least
        (-5.0, 0.52381)
    """
    data, opts = _checked(locals(), stacklevel=3)
    return area_result(fit_area(data, opts))


def _checked(arguments: Mapping[str, Any], stacklevel: int) -> tuple[SIIData, SIIOptions]:
    """The checked data and options of one :func:`sii` call (its parameters by name); warns at ``stacklevel``."""
    opts = _options(arguments)
    n_quantiles, quantile = arguments["n_quantiles"], arguments["quantile"]
    if n_quantiles is not None and (
        isinstance(n_quantiles, bool)
        or not isinstance(n_quantiles, int | np.integer)
        or not MIN_QUANTILES <= n_quantiles <= MAX_QUANTILES
    ):
        raise ValueError(MSG_N_QUANTILES_ARG.format(value=n_quantiles))
    raw_q = quantile.to_list() if isinstance(quantile, pl.Series) else list(quantile)
    columns = {name: arguments[name] for name in _DATA_ARGUMENTS} | {"quantile": raw_q}
    data = _data(opts, columns, None)
    check_area_quantiles(data, n_quantiles)
    warn_many(np.unique(data.quantile).size, stacklevel + 1)
    return data, opts


def sii_batch(
    calls: Sequence[Mapping[str, Any]], *, n_workers: int | None = None
) -> list[SIIResult | ValueError]:
    """:func:`sii` for many areas at once: each call's keyword arguments as :func:`sii` takes them.

    Every call is checked first (a call that fails its checks gives its ``ValueError`` in its place, the others are
    still worked out); the areas are then simulated side by side on ``n_workers`` threads (default: one per core;
    :func:`kpi.inequality.sii_fit.area_results`). Each result is the one :func:`sii` gives for the same call, to
    the last digit: every area draws from its own seed.

    Example:
        >>> calls = [dict(quantile=[1, 2, 3, 4, 5], population=[100] * 5, value=v, se=[0.5] * 5,
        ...               repetitions=1000) for v in ([10.0, 9, 8, 7, 6], [6.0, 7, 8, 9, 10])]
        >>> [round(r.sii, 6) for r in sii_batch(calls)]
        [-5.0, 5.0]
        >>> sii_batch(calls)[1] == sii(**calls[1])
        True
    """
    signature = inspect.signature(sii)
    prepared: list[AreaFit | ValueError] = []
    for call in calls:
        bound = signature.bind(**call)
        bound.apply_defaults()
        try:
            prepared.append(fit_area(*_checked(bound.arguments, stacklevel=3)))
        except ValueError as exc:
            prepared.append(exc)
    results = iter(area_results([p for p in prepared if isinstance(p, AreaFit)], n_workers))
    return [next(results) if isinstance(p, AreaFit) else p for p in prepared]


def _level_tag(level: float) -> str:
    return f"{round(level * 100, 6):g}".replace(".", "_")


def sii_grouped(
    frame: pl.DataFrame,
    area_cols: str | Sequence[str] = (),
    *,
    quantile: str | None = "quantile",
    population: str | None = "population",
    value: str | None = "value",
    count: str | None = None,
    lower_ci: str | None = None,
    upper_ci: str | None = None,
    se: str | None = None,
    value_type: str = "other",
    transform: bool = False,
    multiplier: float = 1,
    confidence: float | Sequence[float] = 0.95,
    repetitions: int = 100_000,
    seed: int | None = None,
    rii: bool = True,
    intercept: bool = False,
    reliability_stat: bool = False,
    output: str = "standard",
) -> pl.DataFrame:
    """SII (and RII) for every area of a long polars DataFrame (one row per area and quantile).

    Like ``phe_sii`` on grouped data: the checks run over the whole frame first; the number of
    quantiles is counted over the whole frame (5-100; a warning above 10); an area without data
    for every one of those quantiles is not rated (its row has missing values, with a warning);
    each other area is worked out as by :func:`sii`, its draws seeded from its own data (or from
    ``seed``, the same for every area), so an area's limits do not depend on the other areas.

    Args:
        frame: the data.
        area_cols: column(s) naming the area; empty for a single area.
        quantile: column of quantile labels (numbers, 1 = most deprived).
        population: column of populations.
        value: column of values (None for a proportion worked out from ``count``).
        count: column of numerators (proportions given without values).
        lower_ci: column of lower 95% confidence limits (None when ``se`` is used).
        upper_ci: column of upper 95% confidence limits.
        se: column of standard errors (on the log/logit scale for rates/proportions).
        value_type: as :func:`sii`.
        transform: as :func:`sii`.
        multiplier: as :func:`sii`.
        confidence: as :func:`sii`.
        repetitions: as :func:`sii`.
        seed: as :func:`sii`; one seed for every area.
        reliability_stat: as :func:`sii`.
        rii: include the RII and its limits.
        intercept: include the intercept.
        output: "standard", or "full" to add the columns value_type, multiplier, transform,
            confidence and ci_method.

    Returns:
        One row per area, sorted by the area columns: the area columns, ``sii``, ``rii``, then per
        confidence level (tag ``95``, ``99_8``...) ``sii_lower_<tag>``, ``sii_upper_<tag>``,
        ``rii_lower_<tag>``, ``rii_upper_<tag>``, then ``sii_mad_<tag>``/``rii_mad_<tag>`` with
        reliability statistics, ``intercept`` and the "full" columns.

    Example:
        >>> frame = pl.DataFrame({"area": ["A"] * 5 + ["B"] * 5, "quantile": [1, 2, 3, 4, 5] * 2,
        ...     "population": [100] * 10, "value": [10.0, 9, 8, 7, 6, 5, 6, 7, 8, 9], "se": [0.5] * 10})
        >>> sii_grouped(frame, "area", se="se", repetitions=1000)["sii"].round(6).to_list()
        [-5.0, 5.0]
    """
    area_list = [area_cols] if isinstance(area_cols, str) else list(area_cols)
    opts = _options(locals())
    for name, flag in (("rii", rii), ("intercept", intercept)):
        if not isinstance(flag, bool):
            raise ValueError(MSG_FLAG.format(name=name, value=flag))
    if output not in ("standard", "full"):
        raise ValueError(MSG_OUTPUT.format(value=output))
    if not isinstance(frame, pl.DataFrame):
        raise ValueError(MSG_FRAME.format(kind=type(frame).__name__))
    names = {"quantile": quantile, "population": population, "value": value, "count": count}
    names.update(lower_ci=lower_ci, upper_ci=upper_ci, se=se)
    for name in [*area_list, *names.values()]:
        if name is not None and name not in frame.columns:
            raise ValueError(MSG_COLUMN.format(name=name, columns=", ".join(frame.columns)))

    frame = frame.with_row_index("__row")
    keys, group_rows = _areas(frame, area_list)
    data = _data(opts, {k: None if c is None else frame[c].to_list() for k, c in names.items()}, keys)
    results = _results(
        data, opts, [np.asarray(g["__row"], dtype=int) for g in group_rows], None, stacklevel=3
    )
    rows: list[dict[str, object]] = []
    dropped: list[str] = []
    for group, result in zip(group_rows, results, strict=True):
        if result is None:
            dropped.append(" / ".join(str(group[c]) for c in area_list) or "(all rows)")
        rows.append({c: group[c] for c in area_list} | _grouped_row(result, opts, rii, intercept, output))
    if dropped:
        n = np.unique(data.quantile).size
        warnings.warn(MSG_WARN_DROPPED.format(n=n, areas=", ".join(dropped)), SIIWarning, stacklevel=2)
    numeric = [
        k
        for k in rows[0]
        if k not in area_list and k not in ("value_type", "transform", "confidence", "ci_method")
    ]
    schema_overrides = {k: pl.Float64 for k in numeric}
    out = pl.DataFrame(rows, schema_overrides=schema_overrides, infer_schema_length=None)
    if area_list:
        out = out.with_columns([pl.col(c).cast(frame.schema[c]) for c in area_list])
    return out


def _areas(frame: pl.DataFrame, area_list: list[str]) -> tuple[list[str] | None, list[dict[str, Any]]]:
    """Each row's area in words (None for a single area), and the areas sorted with their rows' ``__row`` numbers."""
    keys = (
        frame.select(
            pl.concat_str(
                [pl.col(c).cast(pl.String).fill_null("(missing)") for c in area_list], separator=" / "
            )
        )
        .to_series()
        .to_list()
        if area_list
        else None
    )
    if area_list:
        groups = (
            frame.select([*area_list, "__row"]).group_by(area_list, maintain_order=True).agg(pl.col("__row"))
        )
        groups = groups.sort(area_list, nulls_last=True)
    else:
        groups = pl.DataFrame({"__row": [list(range(frame.height))]})
    return keys, list(groups.iter_rows(named=True))


def _grouped_row(
    result: SIIResult | None, opts: SIIOptions, rii: bool, intercept: bool, output: str
) -> dict[str, object]:
    """One area's columns of :func:`sii_grouped` (missing values for an area that is not rated)."""
    row: dict[str, object] = {"sii": None if result is None else result.sii}
    if rii:
        row["rii"] = None if result is None else result.rii
    tags = [_level_tag(level) for level in opts.confidence]
    for level, tag in zip(opts.confidence, tags, strict=True):
        lim = (None,) * 4 if result is None else result.limits[level]
        row[f"sii_lower_{tag}"], row[f"sii_upper_{tag}"] = lim[0], lim[1]
        if rii:
            row[f"rii_lower_{tag}"], row[f"rii_upper_{tag}"] = lim[2], lim[3]
    if opts.reliability_stat:
        for level, tag in zip(opts.confidence, tags, strict=True):
            mad = (None, None) if result is None or result.reliability is None else result.reliability[level]
            row[f"sii_mad_{tag}"] = mad[0]
            if rii:
                row[f"rii_mad_{tag}"] = mad[1]
    if intercept:
        row["intercept"] = None if result is None else result.intercept
    if output == "full":
        row["value_type"] = opts.value_type
        row["multiplier"] = opts.multiplier
        row["transform"] = opts.transform
        row["confidence"] = ", ".join(f"{round(level * 100, 6):g}%" for level in opts.confidence)
        row["ci_method"] = f"simulation, {opts.repetitions:,} repetitions"
    return row
