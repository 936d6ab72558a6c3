"""The children's measurements as the BMI functions read them: sex codes, numbers, dates and ages.

Each BMI function accepts scalars, lists, numpy arrays or polars Series and answers in the caller's kind
(:func:`kind_of`, :func:`finish_float`); text where numbers are needed, or numbers where dates are, is refused with a
message rather than parsed. Ages follow the RCPCH / Tim Cole convention: exact decimal age = whole days between
birth and measurement / 365.25 (:func:`decimal_age`; docs/methods.md section 3).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

__all__ = [
    "DAYS_PER_YEAR",
    "Kind",
    "age_in_days",
    "as_float_array",
    "broadcast",
    "decimal_age",
    "finish_float",
    "kind_of",
    "sex_codes",
]

DAYS_PER_YEAR = 365.25
"""Exact decimal age = days / 365.25 (RCPCH / Cole convention)."""

# --- Input helpers --------------------------------------------------------------------------------------
Kind = Literal["polars", "numpy", "list", "scalar"]
"""The kind of an input or an answer: a polars Series, a numpy array, a list or a scalar."""


def kind_of(*values: object) -> Kind:
    """Output kind: a polars Series wins, then a numpy array, then a list/tuple; otherwise scalars."""
    if any(isinstance(v, pl.Series) for v in values):
        return "polars"
    if any(isinstance(v, np.ndarray) and v.ndim > 0 for v in values):
        return "numpy"
    if any(isinstance(v, list | tuple) for v in values):
        return "list"
    return "scalar"


def as_float_array(values: object, name: str) -> np.ndarray:
    """1-D float64 array (missing → NaN); text is refused rather than silently parsed."""
    if isinstance(values, pl.Series):
        if values.dtype == pl.Null:
            return np.full(values.len(), np.nan)
        if not values.dtype.is_numeric():
            raise TypeError(f"{name} must be numbers, but the column holds {values.dtype} values.")
        return values.cast(pl.Float64).to_numpy().astype(np.float64, copy=False)
    raw = np.asarray(values)
    if raw.dtype.kind in "US" or (
        raw.dtype.kind == "O" and any(isinstance(v, str | bytes) for v in raw.flat)
    ):
        raise TypeError(f"{name} must be numbers, not text; convert the values to numbers first.")
    if raw.dtype.kind == "M" or raw.dtype.kind == "m":
        raise TypeError(f"{name} must be numbers, not dates or durations.")
    try:
        array = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numbers; could not read them as numbers ({err}).") from err
    if array.ndim > 1:
        raise ValueError(f"{name} must be a single value or a one-dimensional list, array or Series.")
    return np.atleast_1d(array)


def broadcast(names: Sequence[str], *arrays: np.ndarray) -> list[np.ndarray]:
    """Broadcast 1-D inputs of equal length or length 1; say which lengths disagree."""
    lengths = [a.shape[0] for a in arrays]
    longest = max(lengths)
    if any(n not in (1, longest) for n in lengths):
        listed = ", ".join(f"{name} {n}" for name, n in zip(names, lengths, strict=True))
        raise ValueError(
            f"{', '.join(names[:-1])} and {names[-1]} must have the same length (or be single values); "
            f"got {listed}."
        )
    return [np.broadcast_to(a, (longest,)) for a in arrays]


def _describe_bad(values: Iterable[object], limit: int = 10) -> str:
    """'X' (2 rows), 'Y' (1 row), missing (1 row), … for an error message: commonest first, missing last."""
    counts = Counter(values)
    shown = sorted(counts.items(), key=lambda item: (item[0] is None, -item[1], repr(item[0])))
    parts = [
        f"{'missing' if value is None else repr(value)} ({n} row{'s' if n != 1 else ''})"
        for value, n in shown[:limit]
    ]
    if len(shown) > limit:
        parts.append(f"and {len(shown) - limit} other value(s)")
    return ", ".join(parts)


def sex_codes(sex: object) -> np.ndarray:
    """0 for "M", 1 for "F"; anything else raises a ValueError listing the bad values."""
    if isinstance(sex, pl.Series):
        if sex.dtype in (pl.String, pl.Categorical) or isinstance(sex.dtype, pl.Enum):
            text = sex.cast(pl.String)
            is_m = (text == "M").fill_null(False).to_numpy()
            is_f = (text == "F").fill_null(False).to_numpy()
            if not (is_m | is_f).all():
                raise ValueError(_sex_message(text.filter(~pl.Series(is_m | is_f)).to_list()))
            return is_f.astype(np.int8)
        values = np.asarray(sex.to_list(), dtype=object)
    else:
        values = np.atleast_1d(np.asarray(sex)).ravel()
        if values.dtype.kind != "U":  # text arrays compare fast as they are; anything else as objects
            values = values.astype(object)
    is_m = values == "M"
    is_f = values == "F"
    good = is_m | is_f
    if not good.all():
        raise ValueError(_sex_message(values[~good].tolist()))
    return is_f.astype(np.int8)


def _sex_message(bad: list[object]) -> str:
    return f'Sex must be "M" or "F" for every child. Found: {_describe_bad(bad)}.'


def finish_float(values: np.ndarray, kind: Kind, name: str) -> Any:
    """Return floats in the caller's kind (polars: NaN → null)."""
    if kind == "polars":
        return pl.Series(name, values, dtype=pl.Float64).fill_nan(None)
    if kind == "numpy":
        return values
    if kind == "list":
        return values.tolist()
    return float(values[0])


# --- Ages -----------------------------------------------------------------------------------------------
def _as_day_array(values: object, name: str) -> np.ndarray:
    """1-D ``datetime64[D]`` array (missing → NaT) from dates, datetimes or ISO ``YYYY-MM-DD`` text."""
    if isinstance(values, pl.Series):
        if values.dtype == pl.Null:
            return np.full(values.len(), np.datetime64("NaT"), dtype="datetime64[D]")
        if values.dtype == pl.Datetime:
            values = values.dt.date()
        if values.dtype != pl.Date:
            raise TypeError(
                f"{name} must be dates, but the column holds {values.dtype} values; "
                "convert it to dates first."
            )
        return values.to_numpy().astype("datetime64[D]", copy=False)
    raw = np.asarray(values)
    if raw.ndim > 1:
        raise ValueError(f"{name} must be a single date or a one-dimensional list, array or Series of dates.")
    if raw.dtype.kind in "biufcm" or (
        raw.dtype.kind == "O"
        and not all(v is None or isinstance(v, _dt.date | np.datetime64 | str) for v in raw.flat)
    ):
        raise TypeError(f"{name} must be dates (or ISO YYYY-MM-DD text), not numbers or other values.")
    try:
        days = raw.astype("datetime64[D]")
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must be dates (or ISO YYYY-MM-DD text); could not read them ({err})."
        ) from err
    return np.atleast_1d(days).ravel()


def _day_differences(date_of_birth: object, date_of_measurement: object) -> np.ndarray:
    """Whole days from birth to measurement as float64 (NaN where either date is missing)."""
    birth = _as_day_array(date_of_birth, "date_of_birth")
    measured = _as_day_array(date_of_measurement, "date_of_measurement")
    birth, measured = broadcast(("date_of_birth", "date_of_measurement"), birth, measured)
    delta = measured - birth
    missing = np.isnat(delta)
    days = delta.astype(np.int64).astype(np.float64)
    days[missing] = np.nan
    return days


def age_in_days(date_of_birth: Any, date_of_measurement: Any) -> Any:
    """Age at measurement in whole days (measurement date − birth date), vectorised.

    Inputs may be ``datetime.date`` scalars, lists of dates, numpy ``datetime64`` arrays or polars
    ``Date``/``Datetime`` Series (a datetime counts as its date); ISO ``YYYY-MM-DD`` text is also read.
    One input may be a single date broadcast against the other.  A measurement before birth gives a
    negative age (the NCMP loader rejects such rows); a missing date gives a missing age.

    Returns:
        The caller's kind: polars ``Int64`` Series named ``age_days`` (null where missing); numpy
        ``float64`` array of whole days (``NaN`` where missing, since integers cannot hold it); list of
        ``int``/``None``; or ``int``/``None`` for two scalars.

    Example:
        >>> from datetime import date
        >>> age_in_days(date(2013, 1, 20), date(2017, 8, 12))
        1665

    """
    kind = kind_of(date_of_birth, date_of_measurement)
    days = _day_differences(date_of_birth, date_of_measurement)
    if kind == "polars":
        return pl.Series("age_days", days, dtype=pl.Float64).fill_nan(None).cast(pl.Int64)
    if kind == "numpy":
        return days
    as_ints = [None if math.isnan(d) else int(d) for d in days.tolist()]
    return as_ints if kind == "list" else as_ints[0]


def decimal_age(date_of_birth: Any, date_of_measurement: Any) -> Any:
    """Exact decimal age in years = whole days between the dates / 365.25, vectorised.

    Method: the RCPCH / Tim Cole convention (``rcpchgrowth.chronological_decimal_age``), with
    :data:`DAYS_PER_YEAR` = 365.25.  Inputs as for :func:`age_in_days`.

    Returns:
        The caller's kind: polars ``Float64`` Series named ``decimal_age`` (null where missing), numpy
        array or list of floats (``NaN`` where missing), or a ``float`` for two scalars.

    Example:
        >>> from datetime import date
        >>> round(decimal_age(date(2013, 1, 20), date(2017, 8, 12)), 6)
        4.558522

    """
    kind = kind_of(date_of_birth, date_of_measurement)
    years = _day_differences(date_of_birth, date_of_measurement) / DAYS_PER_YEAR
    return finish_float(years, kind, "decimal_age")
