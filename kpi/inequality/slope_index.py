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
   All draws are solved at once: a (repetitions x quantiles) matrix times the 2 x quantiles
   least-squares projection.
6. ``seed=None`` derives the seed from the inputs, so the same data always gives the same limits.

Checks follow the package's, in its order (first failure wins), with plain-English messages; its
two warnings (more than 10 quantiles; an area without data for every quantile, which is then not
rated) are :class:`SIIWarning`. Where this module differs on purpose: an area missing a quantile is
returned by :func:`sii_grouped` with missing values (the package leaves the row out) so a
dashboard can say "not rated"; rates with transform and a multiplier between 0 and 1 keep their
limits in order (the package swaps them); values that cannot go on the log/logit scale (a rate of
0, a proportion of exactly 0 or 1, a lower limit above the upper) are refused with a message rather
than giving missing or infinite limits.

:func:`quantiles` is PHEindicatormethods ``phe_quantile`` for small areas (e.g. LSOAs): with N
areas ranked 1..N (ties share the lowest rank), quantile = floor((q + 1) - ceil(((N + 1) - rank) /
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

import hashlib
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from statistics import NormalDist
from types import MappingProxyType
from typing import Any

import numpy as np
import polars as pl
from scipy.special import expit, logit

__all__ = [
    "MAX_QUANTILES",
    "MIN_QUANTILES",
    "MIN_REPETITIONS",
    "SIIResult",
    "SIIWarning",
    "Z_95",
    "quantiles",
    "sii",
    "sii_grouped",
]

#: The package fixes the 95% z when it turns confidence limits into a standard error.
Z_95 = NormalDist().inv_cdf(0.975)
MIN_QUANTILES = 5
MAX_QUANTILES = 100
#: More quantiles than this gives a warning: small values make the SII unstable.
WARN_QUANTILES = 10
MIN_REPETITIONS = 1000
#: Reliability statistics repeat the simulation this many times.
RELIABILITY_SETS = 10
VALUE_TYPES = ("other", "proportion", "rate")
#: Largest number of normal draws held in memory at once (rows x quantiles).
_CHUNK_ELEMENTS = 4_000_000


class SIIWarning(UserWarning):
    """A data-quality warning from the SII (the result is still returned)."""


# --- messages (each asserted in tests/kpi/inequality/test_inequality.py) ----------------------------------------
MSG_REQUIRED = "The SII needs the quantile and the population of each quantile; {missing} not given."
MSG_VALUE = (
    "The SII needs a value for each quantile (or, for a proportion, a count to divide by the "
    "population); neither was given."
)
MSG_ERRORS = (
    "The SII needs either both confidence limits (lower_ci and upper_ci) or the standard errors "
    "(se) of the values; {given}."
)
MSG_VALUE_TYPE = "value_type must be 'other', 'proportion' or 'rate', not {value_type!r}."
MSG_COUNT_TYPE = (
    "A count can stand in for the value only for a proportion (value = count / population); "
    "with value_type {value_type!r} give the values."
)
MSG_NUMERIC = "multiplier, repetitions and confidence must be numbers; {name} was {value!r}."
MSG_REPETITIONS = "repetitions must be at least 1,000 (the default is 100,000); {value!r} was asked for."
MSG_REPETITIONS_WHOLE = "repetitions must be a whole number, not {value!r}."
MSG_MULTIPLIER = "The multiplier must be a finite number other than zero, not {value!r}."
MSG_TRANSFORM_FLAG = "transform must be True or False, not {value!r}."
MSG_TRANSFORM_OTHER = (
    "transform=True fits on the logit scale for a proportion or the log scale for a rate; "
    "it cannot be used with value_type 'other'."
)
MSG_TRANSFORM_SE = (
    "With transform=True the standard errors are worked out from the confidence limits: give "
    "lower_ci and upper_ci, not se."
)
MSG_CONFIDENCE = (
    "Confidence levels must be from 0.9 up to (not including) 1, or from 90 up to 100 as "
    "percentages, e.g. 0.95 or 99.8; {value!r} cannot be used."
)
MSG_CONFIDENCE_REPS = (
    "{repetitions:,} repetitions are too few for {level:g} confidence limits; use at least {needed:,}."
)
MSG_SEED = "seed must be a whole number of zero or more, or None; not {value!r}."
MSG_NOT_NUMBERS = "The {field} must be numbers only; {example!r} ({where}) is not a number."
MSG_LENGTHS = "The quantile, population and value lists must be the same length; {lengths}."
MSG_EMPTY = "The SII needs data for at least 5 quantiles; no rows were given."
MSG_POPULATION = "Every quantile needs a population above zero; {where} has {value}."
MSG_SE = "Standard errors must be zero or more and none may be missing; {where} has {value}."
MSG_CL_MISSING = "A lower or upper confidence limit is missing (or not a finite number) for {where}."
MSG_PROPORTION = "Proportions must be between 0 and 1; {where} has {value}."
MSG_PROPORTION_CL = "Confidence limits of a proportion must be between 0 and 1; {where} has {value}."
MSG_COUNT = "Counts must be above zero when the value is worked out from the count; {where} has {value}."
MSG_N_QUANTILES = "The SII needs between 5 and 100 quantiles; {n} {verb} given."
MSG_QUANTILE_MISSING = "A quantile label is missing in row {row} of the data; every row needs one."
MSG_QUANTILE_TWICE = "Each quantile may appear only once per area; {where} appears more than once."
MSG_QUANTILE_GAP = (
    "Quantile(s) {missing} missing: the SII needs every one of the {n} quantiles "
    "(an area missing a quantile is not rated)."
)
MSG_QUANTILE_EXTRA = "With n_quantiles={n} the quantile labels must be 1 to {n}; {label} is not."
MSG_VALUE_MISSING = "A value is missing (or not a finite number) for {where}."
MSG_LOG_SCALE = (
    "{what} must be above zero for a rate, because the simulation works on the log scale; "
    "{where} has {value}."
)
MSG_LOGIT_SCALE = (
    "{what} of exactly 0 or 1 cannot be used for a proportion, because the simulation works on the "
    "logit scale; {where} has {value}."
)
MSG_CL_ORDER = "The lower confidence limit is above the upper one for {where}."
MSG_WARN_MANY = (
    "Small values can make the SII unstable when there are many quantiles: {n} were given (more than 10)."
)
MSG_WARN_DROPPED = (
    "Some areas were not rated because they lack data for one or more of the {n} quantiles: {areas}. "
    "Their SII is shown as missing."
)
MSG_FRAME = "sii_grouped needs a polars DataFrame, not {kind}."
MSG_COLUMN = "The data has no column {name!r} (it has: {columns})."
MSG_OUTPUT = "output must be 'standard' or 'full', not {value!r}."
MSG_FLAG = "{name} must be True or False, not {value!r}."
MSG_N_QUANTILES_ARG = "n_quantiles must be a whole number from 5 to 100, or None; not {value!r}."
MSG_Q_VALUES = "quantiles() needs numbers (IMD ranks or scores); {example!r} is not a number."
MSG_Q_N = "The number of quantiles must be a whole number of 2 or more, not {value!r}."
MSG_Q_DIRECTION = "most_deprived_first must be True or False, not {value!r}."
MSG_Q_TOO_FEW = (
    "Too few small areas to assign {q} quantiles: {n} have a value, at least {q} are needed. "
    "No quantiles were assigned."
)


# --- result ---------------------------------------------------------------------------------------------
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
class _Options:
    value_type: str
    transform: bool
    multiplier: float
    repetitions: int
    confidence: tuple[float, ...]
    reliability_stat: bool
    seed: int | None
    use_se: bool


# --- argument checks ------------------------------------------------------------------------------------
def _is_number(x: object) -> bool:
    return not isinstance(x, bool) and isinstance(x, int | float | np.integer | np.floating)


def _check_arguments(
    *,
    quantile: object,
    population: object,
    value: object,
    count: object,
    lower_ci: object,
    upper_ci: object,
    se: object,
    value_type: object,
    transform: object,
    multiplier: object,
    confidence: object,
    repetitions: object,
    seed: object,
    reliability_stat: object,
) -> _Options:
    """Argument checks in the package's order; the first failure wins."""
    missing = [name for name, given in (("quantile", quantile), ("population", population)) if given is None]
    if missing:
        raise ValueError(
            MSG_REQUIRED.format(missing=" and ".join(missing) + (" was" if len(missing) == 1 else " were"))
        )
    if value is None and count is None:
        raise ValueError(MSG_VALUE)
    if se is None and (lower_ci is None or upper_ci is None):
        given = (
            "only the lower limit was given"
            if lower_ci is not None
            else "only the upper limit was given"
            if upper_ci is not None
            else "none of them was given"
        )
        raise ValueError(MSG_ERRORS.format(given=given))
    if not isinstance(value_type, str) or value_type not in VALUE_TYPES:
        raise ValueError(MSG_VALUE_TYPE.format(value_type=value_type))
    levels = list(confidence) if isinstance(confidence, list | tuple | np.ndarray) else [confidence]
    for name, item in (("multiplier", multiplier), ("repetitions", repetitions)):
        if not _is_number(item):
            raise ValueError(MSG_NUMERIC.format(name=name, value=item))
    if not levels or not all(_is_number(c) for c in levels):
        raise ValueError(MSG_NUMERIC.format(name="confidence", value=confidence))
    if not math.isfinite(float(repetitions)):
        raise ValueError(MSG_REPETITIONS_WHOLE.format(value=repetitions))
    if repetitions < MIN_REPETITIONS:
        raise ValueError(MSG_REPETITIONS.format(value=repetitions))
    if float(repetitions) != int(repetitions):
        raise ValueError(MSG_REPETITIONS_WHOLE.format(value=repetitions))
    if not isinstance(transform, bool | np.bool_):
        raise ValueError(MSG_TRANSFORM_FLAG.format(value=transform))
    if transform and value_type == "other":
        raise ValueError(MSG_TRANSFORM_OTHER)
    if transform and se is not None:
        raise ValueError(MSG_TRANSFORM_SE)
    normalised: list[float] = []
    for level in (float(c) for c in levels):
        if not (0.9 <= level < 1 or 90 <= level < 100):
            raise ValueError(MSG_CONFIDENCE.format(value=level))
        decimal = round(level / 100, 10) if level >= 90 else level
        if decimal not in normalised:
            normalised.append(decimal)
    reps = int(repetitions)
    for level in normalised:
        low, high = _positions(reps, level)
        if low < 1 or high > reps:
            needed = math.ceil(0.5 / ((1 - level) / 2)) + 1
            raise ValueError(MSG_CONFIDENCE_REPS.format(repetitions=reps, level=level, needed=needed))
    if not _is_number(multiplier) or not math.isfinite(float(multiplier)) or multiplier == 0:
        raise ValueError(MSG_MULTIPLIER.format(value=multiplier))
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
        raise ValueError(MSG_SEED.format(value=seed))
    if not isinstance(reliability_stat, bool | np.bool_):
        raise ValueError(MSG_FLAG.format(name="reliability_stat", value=reliability_stat))
    if value is None and value_type != "proportion":
        raise ValueError(MSG_COUNT_TYPE.format(value_type=value_type))
    return _Options(
        value_type=value_type,
        transform=bool(transform),
        multiplier=float(multiplier),
        repetitions=reps,
        confidence=tuple(normalised),
        reliability_stat=bool(reliability_stat),
        seed=None if seed is None else int(seed),
        use_se=se is not None,
    )


def _positions(repetitions: int, level: float) -> tuple[int, int]:
    """1-based positions of the lower and upper limits among the sorted draws (R's round: half to even)."""
    upper_tail = level + (1 - level) / 2
    return round(repetitions * (1 - upper_tail)), round(repetitions * upper_tail)


# --- data checks ----------------------------------------------------------------------------------------
def _to_float(data: object, field: str, labels: Sequence[str] | None) -> np.ndarray:
    """Convert a column to floats (None/NaN stay missing) with a message naming the first non-number."""
    if isinstance(data, pl.Series):
        data = data.to_list()
    elif isinstance(data, np.ndarray) and data.dtype.kind in "fiu":
        return data.astype(float).ravel()
    if isinstance(data, str | bytes) or not hasattr(data, "__iter__"):
        raise ValueError(MSG_NOT_NUMBERS.format(field=field, example=data, where="the whole argument"))
    items = list(data)  # type: ignore[call-overload]
    out = np.empty(len(items), dtype=float)
    for i, item in enumerate(items):
        if item is None:
            out[i] = math.nan
        elif _is_number(item):
            out[i] = float(item)
        else:
            where = labels[i] if labels is not None and i < len(labels) else f"row {i + 1}"
            raise ValueError(MSG_NOT_NUMBERS.format(field=field, example=item, where=where))
    return out


def _fmt(x: float) -> str:
    return "missing" if math.isnan(x) else f"{x:g}"


def _first(bad: np.ndarray) -> int:
    return int(np.flatnonzero(bad)[0])


def _label_rows(quantile_raw: Sequence[object], areas: Sequence[str] | None) -> list[str]:
    def show(q: object) -> str:
        if isinstance(q, float) and q.is_integer():
            return str(int(q))
        return "missing" if q is None or (isinstance(q, float) and math.isnan(q)) else str(q)

    if areas is None:
        return [f"quantile {show(q)}" for q in quantile_raw]
    return [f"area {a}, quantile {show(q)}" for a, q in zip(areas, quantile_raw, strict=True)]


@dataclass
class _Data:
    quantile: np.ndarray
    population: np.ndarray
    value: np.ndarray  # natural scale (count / population when worked out)
    sd: np.ndarray  # SD of the draws, on the log/logit scale for rates/proportions
    labels: list[str]


def _check_data(
    opts: _Options,
    *,
    quantile: object,
    population: object,
    value: object,
    count: object,
    lower_ci: object,
    upper_ci: object,
    se: object,
    labels: list[str],
) -> _Data:
    """Data checks in the package's order, then ours; returns the arrays ready to fit."""
    arrays: dict[str, np.ndarray | None] = {}
    for field, data in (
        ("quantile", quantile),
        ("population", population),
        ("value", value),
        ("count", count if value is None else None),
        ("lower_ci", lower_ci),
        ("upper_ci", upper_ci),
        ("se", se),
    ):
        arrays[field] = None if data is None else _to_float(data, field.replace("_", " "), labels)
    lengths = {k: v.size for k, v in arrays.items() if v is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(MSG_LENGTHS.format(lengths=", ".join(f"{k} has {n}" for k, n in lengths.items())))
    q, pop = arrays["quantile"], arrays["population"]
    assert q is not None and pop is not None
    if q.size == 0:
        raise ValueError(MSG_EMPTY)

    bad = ~((pop > 0) & np.isfinite(pop))
    if bad.any():
        i = _first(bad)
        raise ValueError(MSG_POPULATION.format(where=labels[i], value=_fmt(pop[i])))
    se_arr, lcl, ucl = arrays["se"], arrays["lower_ci"], arrays["upper_ci"]
    if se_arr is not None:
        bad = ~((se_arr >= 0) & np.isfinite(se_arr))
        if bad.any():
            i = _first(bad)
            raise ValueError(MSG_SE.format(where=labels[i], value=_fmt(se_arr[i])))
    if lcl is not None and ucl is not None:
        bad = ~(np.isfinite(lcl) & np.isfinite(ucl))
        if bad.any():
            raise ValueError(MSG_CL_MISSING.format(where=labels[_first(bad)]))
    val, cnt = arrays["value"], arrays["count"]
    if opts.value_type == "proportion":
        if val is not None:
            bad = (val < 0) | (val > 1)
            if bad.any():
                i = _first(bad)
                raise ValueError(MSG_PROPORTION.format(where=labels[i], value=_fmt(val[i])))
        if lcl is not None and ucl is not None:
            bad = (lcl < 0) | (lcl > 1) | (ucl < 0) | (ucl > 1)
            if bad.any():
                i = _first(bad)
                shown = lcl[i] if not 0 <= lcl[i] <= 1 else ucl[i]
                raise ValueError(MSG_PROPORTION_CL.format(where=labels[i], value=_fmt(shown)))
        if val is None:
            assert cnt is not None
            bad = cnt <= 0
            if bad.any():
                i = _first(bad)
                raise ValueError(MSG_COUNT.format(where=labels[i], value=_fmt(cnt[i])))
    n_distinct = np.unique(q[~np.isnan(q)]).size
    if not MIN_QUANTILES <= n_distinct <= MAX_QUANTILES:
        raise ValueError(MSG_N_QUANTILES.format(n=n_distinct, verb="was" if n_distinct == 1 else "were"))

    # our checks: things the package would turn into missing or infinite results
    bad = np.isnan(q)
    if bad.any():
        raise ValueError(MSG_QUANTILE_MISSING.format(row=_first(bad) + 1))
    if val is None:
        assert cnt is not None
        val = cnt / pop
        bad = val > 1
        if bad.any():
            i = _first(bad)
            raise ValueError(MSG_PROPORTION.format(where=labels[i], value=_fmt(val[i])))
    bad = ~np.isfinite(val)
    if bad.any():
        raise ValueError(MSG_VALUE_MISSING.format(where=labels[_first(bad)]))
    if opts.use_se:
        assert se_arr is not None
        sd = se_arr
    else:
        assert lcl is not None and ucl is not None
        bad = lcl > ucl
        if bad.any():
            raise ValueError(MSG_CL_ORDER.format(where=labels[_first(bad)]))
    if opts.value_type == "rate":
        checks = [("Values", val)] + ([] if opts.use_se else [("Confidence limits", lcl)])
        for what, arr in checks:
            assert arr is not None
            bad = arr <= 0
            if bad.any():
                i = _first(bad)
                raise ValueError(MSG_LOG_SCALE.format(what=what, where=labels[i], value=_fmt(arr[i])))
    elif opts.value_type == "proportion":
        checks = [("Values", val)] + (
            [] if opts.use_se else [("Confidence limits", lcl), ("Confidence limits", ucl)]
        )
        for what, arr in checks:
            assert arr is not None
            bad = (arr <= 0) | (arr >= 1)
            if bad.any():
                i = _first(bad)
                raise ValueError(MSG_LOGIT_SCALE.format(what=what, where=labels[i], value=_fmt(arr[i])))
    if not opts.use_se:
        assert lcl is not None and ucl is not None
        g = _forward(opts.value_type)
        sd = (g(ucl) - g(lcl)) / (2 * Z_95)
    return _Data(quantile=q, population=pop, value=val, sd=sd, labels=labels)


# --- the calculation ------------------------------------------------------------------------------------
def _forward(value_type: str) -> Callable[[Any], Any]:
    """The scale the draws are made on: log for rates, logit for proportions, as is otherwise."""
    return {"rate": np.log, "proportion": logit}.get(value_type, lambda x: np.asarray(x, dtype=float))


def _inverse(value_type: str) -> Callable[[Any], Any]:
    """Back from the draw scale: exp for rates, inverse logit for proportions."""
    return {"rate": np.exp, "proportion": expit}.get(value_type, lambda x: np.asarray(x, dtype=float))


def _derived_seed(data: _Data, opts: _Options) -> int:
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


def _simulated_coefficients(
    rng: np.random.Generator,
    mean: np.ndarray,
    sd: np.ndarray,
    projection: np.ndarray,
    sqrt_a: np.ndarray,
    back: Any,
    n_draws: int,
) -> np.ndarray:
    """Fit every draw at once: (draws x quantiles) values times the (quantiles x 2) projection."""
    k = mean.size
    chunk = max(1, _CHUNK_ELEMENTS // k)
    out = np.empty((n_draws, 2))
    for start in range(0, n_draws, chunk):
        rows = min(chunk, n_draws - start)
        draws = mean + rng.standard_normal((rows, k)) * sd
        if back is not None:
            draws = back(draws)
        out[start : start + rows] = (draws * sqrt_a) @ projection.T
    return out


def _compute(data: _Data, opts: _Options) -> SIIResult:
    """SII for one area whose data has passed the checks (rows in any order)."""
    order = np.argsort(data.quantile, kind="stable")
    pop, value, sd = data.population[order], data.value[order], data.sd[order]
    k = pop.size
    share = pop / pop.sum()
    rank = np.cumsum(share) - share / 2
    sqrt_a = np.sqrt(share)
    design = np.column_stack([sqrt_a, rank * sqrt_a])
    projection = np.linalg.solve(design.T @ design, design.T)  # 2 x k

    g, g_inv = _forward(opts.value_type), _inverse(opts.value_type)
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
        seed = _derived_seed(
            _Data(data.quantile[order], pop, value, sd, []),
            opts,
        )
    rng = np.random.default_rng(seed)
    reps = opts.repetitions
    draw_mean = g(value) if opts.value_type != "other" else value
    back = None if opts.transform or opts.value_type == "other" else g_inv
    n_sets = RELIABILITY_SETS if opts.reliability_stat else 1
    positions = [_positions(reps, level) for level in opts.confidence]
    # set_limits[s][j] = (sii_lower, sii_upper, rii_lower, rii_upper) for set s, level j
    set_limits: list[list[tuple[float, float, float, float]]] = []
    h = c0 + c1 / 2
    for _ in range(n_sets):
        coef = _simulated_coefficients(rng, draw_mean, sd, projection, sqrt_a, back, reps)
        per_level: list[tuple[float, float, float, float]] = []
        if opts.transform:
            slopes = np.sort(coef[:, 1])
            for lo, hi in positions:
                ends = []
                for s in (slopes[lo - 1], slopes[hi - 1]):
                    t, b = float(g_inv(h + s / 2)), float(g_inv(h - s / 2))
                    ends.append(((t - b) * mult, t / b))
                (s_lo, r_lo), (s_hi, r_hi) = ends
                if mult < 0:
                    s_lo, s_hi, r_lo, r_hi = s_hi, s_lo, 1 / r_hi, 1 / r_lo
                per_level.append((s_lo, s_hi, r_lo, r_hi))
        else:
            sii_draws = np.sort(coef[:, 1] * mult)
            with np.errstate(divide="ignore", invalid="ignore"):
                rii_draws = (coef[:, 0] + coef[:, 1]) / coef[:, 0]
                if mult < 0:
                    rii_draws = 1 / rii_draws
            rii_draws = np.sort(rii_draws)
            for lo, hi in positions:
                per_level.append(
                    (
                        float(sii_draws[lo - 1]),
                        float(sii_draws[hi - 1]),
                        float(rii_draws[lo - 1]),
                        float(rii_draws[hi - 1]),
                    )
                )
        set_limits.append(per_level)

    limits = {level: set_limits[0][j] for j, level in enumerate(opts.confidence)}
    reliability = None
    if opts.reliability_stat:
        arr = np.asarray(set_limits)  # sets x levels x 4
        diffs = np.abs(arr[1:] - arr[0])  # 9 x levels x 4
        reliability = {
            level: (float(diffs[:, j, 0:2].mean()), float(diffs[:, j, 2:4].mean()))
            for j, level in enumerate(opts.confidence)
        }
    first = limits[opts.confidence[0]]
    return SIIResult(
        sii=float(sii_point),
        rii=float(rii_point),
        intercept=float(intercept),
        sii_lower=first[0],
        sii_upper=first[1],
        rii_lower=first[2],
        rii_upper=first[3],
        limits=MappingProxyType(limits),
        reliability=None if reliability is None else MappingProxyType(reliability),
        confidence=opts.confidence,
        value_type=opts.value_type,
        transform=opts.transform,
        multiplier=mult,
        repetitions=reps,
        n_quantiles=k,
        seed=seed,
    )


def _check_area_quantiles(data: _Data, n_quantiles: int | None) -> None:
    unique, counts = np.unique(data.quantile, return_counts=True)
    if (counts > 1).any():
        twice = unique[counts > 1][0]
        i = int(np.flatnonzero(data.quantile == twice)[0])
        raise ValueError(MSG_QUANTILE_TWICE.format(where=data.labels[i]))
    if n_quantiles is not None:
        wanted = set(range(1, n_quantiles + 1))
        extra = [q for q in unique if not (float(q).is_integer() and int(q) in wanted)]
        if extra:
            raise ValueError(MSG_QUANTILE_EXTRA.format(n=n_quantiles, label=f"{extra[0]:g}"))
        missing = sorted(wanted - {int(q) for q in unique})
        if missing:
            shown = ", ".join(str(m) for m in missing) + (" are" if len(missing) > 1 else " is")
            raise ValueError(MSG_QUANTILE_GAP.format(missing=shown, n=n_quantiles))


def _warn_many(n: int) -> None:
    if n > WARN_QUANTILES:
        warnings.warn(MSG_WARN_MANY.format(n=n), SIIWarning, stacklevel=3)


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
    opts = _check_arguments(
        quantile=quantile,
        population=population,
        value=value,
        count=count,
        lower_ci=lower_ci,
        upper_ci=upper_ci,
        se=se,
        value_type=value_type,
        transform=transform,
        multiplier=multiplier,
        confidence=confidence,
        repetitions=repetitions,
        seed=seed,
        reliability_stat=reliability_stat,
    )
    if n_quantiles is not None and (
        isinstance(n_quantiles, bool)
        or not isinstance(n_quantiles, int | np.integer)
        or not MIN_QUANTILES <= n_quantiles <= MAX_QUANTILES
    ):
        raise ValueError(MSG_N_QUANTILES_ARG.format(value=n_quantiles))
    raw_q = quantile.to_list() if isinstance(quantile, pl.Series) else list(quantile)  # type: ignore[arg-type]
    data = _check_data(
        opts,
        quantile=raw_q,
        population=population,
        value=value,
        count=count,
        lower_ci=lower_ci,
        upper_ci=upper_ci,
        se=se,
        labels=_label_rows(raw_q, None),
    )
    _check_area_quantiles(data, n_quantiles)
    _warn_many(np.unique(data.quantile).size)
    return _compute(data, opts)


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
    opts = _check_arguments(
        quantile=quantile,
        population=population,
        value=value,
        count=count,
        lower_ci=lower_ci,
        upper_ci=upper_ci,
        se=se,
        value_type=value_type,
        transform=transform,
        multiplier=multiplier,
        confidence=confidence,
        repetitions=repetitions,
        seed=seed,
        reliability_stat=reliability_stat,
    )
    for name, flag in (("rii", rii), ("intercept", intercept)):
        if not isinstance(flag, bool):
            raise ValueError(MSG_FLAG.format(name=name, value=flag))
    if output not in ("standard", "full"):
        raise ValueError(MSG_OUTPUT.format(value=output))
    if not isinstance(frame, pl.DataFrame):
        raise ValueError(MSG_FRAME.format(kind=type(frame).__name__))
    for name in [*area_list, quantile, population, value, count, lower_ci, upper_ci, se]:
        if name is not None and name not in frame.columns:
            raise ValueError(MSG_COLUMN.format(name=name, columns=", ".join(frame.columns)))

    frame = frame.with_row_index("__row")
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
    raw_q = frame[quantile].to_list()

    def column(name: str | None) -> list[object] | None:
        return None if name is None else frame[name].to_list()

    data = _check_data(
        opts,
        quantile=raw_q,
        population=column(population),
        value=column(value),
        count=column(count),
        lower_ci=column(lower_ci),
        upper_ci=column(upper_ci),
        se=column(se),
        labels=_label_rows(raw_q, keys),
    )
    all_quantiles = np.unique(data.quantile)
    _warn_many(all_quantiles.size)

    tags = [_level_tag(level) for level in opts.confidence]
    if area_list:
        groups = (
            frame.select([*area_list, "__row"]).group_by(area_list, maintain_order=True).agg(pl.col("__row"))
        )
        groups = groups.sort(area_list, nulls_last=True)
    else:
        groups = pl.DataFrame({"__row": [list(range(frame.height))]})
    rows: list[dict[str, object]] = []
    dropped: list[str] = []
    for group in groups.iter_rows(named=True):
        idx = np.asarray(group["__row"], dtype=int)
        area_data = _Data(
            quantile=data.quantile[idx],
            population=data.population[idx],
            value=data.value[idx],
            sd=data.sd[idx],
            labels=[data.labels[i] for i in idx],
        )
        _check_area_quantiles(area_data, None)
        row: dict[str, object] = {c: group[c] for c in area_list}
        if np.array_equal(np.unique(area_data.quantile), all_quantiles):
            result: SIIResult | None = _compute(area_data, opts)
        else:
            result = None
            dropped.append(" / ".join(str(group[c]) for c in area_list) or "(all rows)")
        row["sii"] = None if result is None else result.sii
        if rii:
            row["rii"] = None if result is None else result.rii
        for level, tag in zip(opts.confidence, tags, strict=True):
            lim = (None,) * 4 if result is None else result.limits[level]
            row[f"sii_lower_{tag}"], row[f"sii_upper_{tag}"] = lim[0], lim[1]
            if rii:
                row[f"rii_lower_{tag}"], row[f"rii_upper_{tag}"] = lim[2], lim[3]
        if opts.reliability_stat:
            for level, tag in zip(opts.confidence, tags, strict=True):
                mad = (
                    (None, None)
                    if result is None or result.reliability is None
                    else result.reliability[level]
                )
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
        rows.append(row)
    if dropped:
        warnings.warn(
            MSG_WARN_DROPPED.format(n=all_quantiles.size, areas=", ".join(dropped)), SIIWarning, stacklevel=2
        )
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


# --- quantiles --------------------------------------------------------------------------------------------
def quantiles(
    imd_rank_or_score: Sequence[float] | np.ndarray | pl.Series,
    n_quantiles: int,
    *,
    most_deprived_first: bool = True,
) -> pl.Series:
    """Assign small areas (e.g. a council's LSOAs) to local deprivation quantiles (``phe_quantile``).

    The N areas with a value are ranked 1..N from most to least deprived (ties share the lowest
    rank) and get quantile = floor((q + 1) - ceil(((N + 1) - rank) / (N / q))), 0 becoming 1, so
    quantile 1 is the most deprived. Areas without a value get none; with N < q none are assigned
    (with a warning).

    Args:
        imd_rank_or_score: one value per small area.
        n_quantiles: q, e.g. 5 for quintiles or 10 for deciles.
        most_deprived_first: True when the smallest value is the most deprived (IMD rank, where 1 is
            the most deprived LSOA in England); False when the largest is (IMD score).

    Returns:
        A polars Int64 Series named "quantile", in the input order, null where none is assigned.

    Raises:
        ValueError: for non-numeric values, a quantile count below 2 or a non-boolean direction.

    Warns:
        SIIWarning: when there are fewer areas with a value than quantiles.

    Example:
        >>> quantiles([7, 1, 4, 2, 6, 3, 5], 5).to_list()
        [5, 1, 3, 1, 4, 2, 3]
    """
    if isinstance(n_quantiles, bool) or not isinstance(n_quantiles, int | np.integer) or n_quantiles < 2:
        raise ValueError(MSG_Q_N.format(value=n_quantiles))
    if not isinstance(most_deprived_first, bool):
        raise ValueError(MSG_Q_DIRECTION.format(value=most_deprived_first))
    items = (
        imd_rank_or_score.to_list() if isinstance(imd_rank_or_score, pl.Series) else list(imd_rank_or_score)
    )
    values = np.empty(len(items), dtype=float)
    for i, item in enumerate(items):
        if item is None:
            values[i] = math.nan
        elif _is_number(item):
            values[i] = float(item)
        else:
            raise ValueError(MSG_Q_VALUES.format(example=item))
    has_value = ~np.isnan(values)
    n = int(has_value.sum())
    q = int(n_quantiles)
    out: list[int | None] = [None] * values.size
    if n < q:
        if values.size:
            warnings.warn(MSG_Q_TOO_FEW.format(q=q, n=n), SIIWarning, stacklevel=2)
        return pl.Series("quantile", out, dtype=pl.Int64)
    ordered = values[has_value] if most_deprived_first else -values[has_value]
    from scipy.stats import rankdata  # imported here: scipy.stats takes seconds to import

    ranks = rankdata(ordered, method="min")
    assigned = np.floor((q + 1) - np.ceil(((n + 1) - ranks) / (n / q)))
    assigned[assigned == 0] = 1
    for i, quantile_no in zip(np.flatnonzero(has_value), assigned, strict=True):
        out[int(i)] = int(quantile_no)
    return pl.Series("quantile", out, dtype=pl.Int64)
