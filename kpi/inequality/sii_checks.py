"""The SII's input checks, in the order of PHEindicatormethods ``phe_sii`` (the first failure wins), then ours.

Each message is a ``MSG_*`` constant in plain English, asserted in tests/kpi/inequality/test_slope_index.py. The
package's two warnings (more than 10 quantiles; an area without data for every quantile, which is then not rated)
are :class:`~kpi.inequality.sii_inputs.SIIWarning`. Where this module goes beyond the package: values that cannot go
on the log/logit scale (a rate of 0, a proportion of exactly 0 or 1, a lower limit above the upper) are refused
with a message rather than giving missing or infinite limits. The method is in :mod:`kpi.inequality.slope_index`
(docs/methods.md section 5.3).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import polars as pl

from kpi.inequality.sii_inputs import (
    MAX_QUANTILES,
    MIN_QUANTILES,
    MIN_REPETITIONS,
    VALUE_TYPES,
    WARN_QUANTILES,
    Z_95,
    SIIData,
    SIIOptions,
    SIIWarning,
    as_floats,
    is_number,
)
from kpi.inequality.sii_simulation import forward, positions

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


def check_arguments(
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
) -> SIIOptions:
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
    reps = _checked_numbers(multiplier, repetitions, confidence, levels)
    if not isinstance(transform, bool | np.bool_):
        raise ValueError(MSG_TRANSFORM_FLAG.format(value=transform))
    if transform and value_type == "other":
        raise ValueError(MSG_TRANSFORM_OTHER)
    if transform and se is not None:
        raise ValueError(MSG_TRANSFORM_SE)
    normalised = _confidence_levels(levels, reps)
    if not is_number(multiplier) or not math.isfinite(float(multiplier)) or multiplier == 0:
        raise ValueError(MSG_MULTIPLIER.format(value=multiplier))
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
        raise ValueError(MSG_SEED.format(value=seed))
    if not isinstance(reliability_stat, bool | np.bool_):
        raise ValueError(MSG_FLAG.format(name="reliability_stat", value=reliability_stat))
    if value is None and value_type != "proportion":
        raise ValueError(MSG_COUNT_TYPE.format(value_type=value_type))
    return SIIOptions(
        value_type=value_type,
        transform=bool(transform),
        multiplier=float(multiplier),
        repetitions=reps,
        confidence=tuple(normalised),
        reliability_stat=bool(reliability_stat),
        seed=None if seed is None else int(seed),
        use_se=se is not None,
    )


def _checked_numbers(multiplier: object, repetitions: object, confidence: object, levels: list) -> int:
    """Multiplier, repetitions and confidence are numbers and repetitions a whole number from 1,000."""
    for name, item in (("multiplier", multiplier), ("repetitions", repetitions)):
        if not is_number(item):
            raise ValueError(MSG_NUMERIC.format(name=name, value=item))
    if not levels or not all(is_number(c) for c in levels):
        raise ValueError(MSG_NUMERIC.format(name="confidence", value=confidence))
    if not math.isfinite(float(repetitions)):  # type: ignore[arg-type]
        raise ValueError(MSG_REPETITIONS_WHOLE.format(value=repetitions))
    if repetitions < MIN_REPETITIONS:  # type: ignore[operator]
        raise ValueError(MSG_REPETITIONS.format(value=repetitions))
    if float(repetitions) != int(repetitions):  # type: ignore[arg-type, call-overload]
        raise ValueError(MSG_REPETITIONS_WHOLE.format(value=repetitions))
    return int(repetitions)  # type: ignore[call-overload]


def _confidence_levels(levels: list, reps: int) -> list[float]:
    """The levels as decimals, without repeats, each with enough repetitions for its limits."""
    normalised: list[float] = []
    for level in (float(c) for c in levels):
        if not (0.9 <= level < 1 or 90 <= level < 100):
            raise ValueError(MSG_CONFIDENCE.format(value=level))
        decimal = round(level / 100, 10) if level >= 90 else level
        if decimal not in normalised:
            normalised.append(decimal)
    for level in normalised:
        low, high = positions(reps, level)
        if low < 1 or high > reps:
            needed = math.ceil(0.5 / ((1 - level) / 2)) + 1
            raise ValueError(MSG_CONFIDENCE_REPS.format(repetitions=reps, level=level, needed=needed))
    return normalised


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
    out, i = as_floats(items)
    if i is not None:
        where = labels[i] if labels is not None and i < len(labels) else f"row {i + 1}"
        raise ValueError(MSG_NOT_NUMBERS.format(field=field, example=items[i], where=where))
    return out


def _fmt(x: float) -> str:
    return "missing" if math.isnan(x) else f"{x:g}"


def _first(bad: np.ndarray) -> int:
    return int(np.flatnonzero(bad)[0])


def label_rows(quantile_raw: Sequence[object], areas: Sequence[str] | None) -> list[str]:
    """How a message names each row: "quantile 3", or "area North, quantile 3" for grouped data."""

    def show(q: object) -> str:
        if isinstance(q, float) and q.is_integer():
            return str(int(q))
        return "missing" if q is None or (isinstance(q, float) and math.isnan(q)) else str(q)

    if areas is None:
        return [f"quantile {show(q)}" for q in quantile_raw]
    return [f"area {a}, quantile {show(q)}" for a, q in zip(areas, quantile_raw, strict=True)]


def check_data(
    opts: SIIOptions,
    *,
    quantile: object,
    population: object,
    value: object,
    count: object,
    lower_ci: object,
    upper_ci: object,
    se: object,
    labels: list[str],
) -> SIIData:
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
    _check_package_rules(opts, arrays, labels)
    # our checks: things the package would turn into missing or infinite results
    bad = np.isnan(q)
    if bad.any():
        raise ValueError(MSG_QUANTILE_MISSING.format(row=_first(bad) + 1))
    val, cnt = arrays["value"], arrays["count"]
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
    se_arr, lcl, ucl = arrays["se"], arrays["lower_ci"], arrays["upper_ci"]
    if opts.use_se:
        assert se_arr is not None
        sd = se_arr
    else:
        assert lcl is not None and ucl is not None
        bad = lcl > ucl
        if bad.any():
            raise ValueError(MSG_CL_ORDER.format(where=labels[_first(bad)]))
    _check_scale(opts, val, lcl, ucl, labels)
    if not opts.use_se:
        assert lcl is not None and ucl is not None
        g = forward(opts.value_type)
        sd = (g(ucl) - g(lcl)) / (2 * Z_95)
    return SIIData(quantile=q, population=pop, value=val, sd=sd, labels=labels)


def _check_package_rules(opts: SIIOptions, arrays: dict[str, np.ndarray | None], labels: list[str]) -> None:
    """The package's own data checks, in its order: populations, errors, proportions, number of quantiles."""
    q, pop = arrays["quantile"], arrays["population"]
    assert q is not None and pop is not None
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


def _check_scale(
    opts: SIIOptions, val: np.ndarray, lcl: np.ndarray | None, ucl: np.ndarray | None, labels: list[str]
) -> None:
    """Values (and limits) that can go on the log scale (rates) or the logit scale (proportions)."""
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


def check_area_quantiles(data: SIIData, n_quantiles: int | None) -> None:
    """One area's quantiles: each once and, with ``n_quantiles``, exactly 1..n_quantiles."""
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


def warn_many(n: int, stacklevel: int) -> None:
    """Warn (at the caller's ``stacklevel``) when there are more than 10 quantiles."""
    if n > WARN_QUANTILES:
        warnings.warn(MSG_WARN_MANY.format(n=n), SIIWarning, stacklevel=stacklevel)
