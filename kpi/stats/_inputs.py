"""Shared input handling for :mod:`kpi.stats`.

Every statistical function in this package accepts Python scalars, lists or tuples, numpy arrays and
polars Series alike, and answers in the same kind. This module turns those inputs into float64 numpy arrays
(NaN marks a missing value), checks confidence levels and polarity words, and turns results back into the
caller's kind.

Error messages are written for commissioners: they say what is wrong in plain words and, for a column of
figures, which row (counting from 1) is at fault.

Example:
    >>> to_floats([1, None, 2.5], "numerator")
    array([1. , nan, 2.5])

"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import numpy as np
import polars as pl

SCALAR = "scalar"
LIST = "list"
ARRAY = "array"
SERIES = "series"

#: Polarity words accepted everywhere (after trimming and lower-casing), mapped to the three canonical
#: words. Fingertips' own metadata wording ("RAG - High is good" ...) is included so exports can be passed
#: straight in.
POLARITY_WORDS: dict[str, str] = {
    "high": "high",
    "high is good": "high",
    "high-is-good": "high",
    "rag - high is good": "high",
    "low": "low",
    "low is good": "low",
    "low-is-good": "low",
    "rag - low is good": "low",
    "none": "none",
    "no judgement": "none",
    "not applicable": "none",
    "bob - blue orange blue": "none",
}

#: Confidence levels are accepted as a proportion strictly inside (0, 1), or as a percentage from this floor
#: up to (but not including) 100, as PHEindicatormethods accepts percentages.
PERCENT_CONFIDENCE_FLOOR = 90.0


def kind_of(*inputs: Any) -> str:
    """Return the container kind the answer should take: series, array, list or scalar (in that priority)."""
    kinds = set()
    for item in inputs:
        if isinstance(item, pl.Series):
            kinds.add(SERIES)
        elif isinstance(item, np.ndarray) and item.ndim > 0:
            kinds.add(ARRAY)
        elif isinstance(item, list | tuple):
            kinds.add(LIST)
    for kind in (SERIES, ARRAY, LIST):
        if kind in kinds:
            return kind
    return SCALAR


def _one_float(item: Any, what: str, row: int | None) -> float:
    where = f" (row {row})" if row is not None else ""
    if item is None:
        return math.nan
    if isinstance(item, bool | np.bool_) or not isinstance(item, numbers.Real | Decimal):
        raise ValueError(f"The {what} must be a number{where}; got {item!r}.")
    value = float(item)
    if math.isinf(value):
        raise ValueError(f"The {what} must be a finite number{where}; got {item!r}.")
    return value


def to_floats(item: Any, what: str) -> np.ndarray:
    """Turn a scalar, list, tuple, numpy array or polars Series into a float64 array with NaN for missing.

    A scalar becomes a 0-d array. ``what`` names the input in error messages ("numerator", "count" ...).
    """
    if isinstance(item, pl.Series):
        if item.dtype == pl.Null:
            return np.full(len(item), np.nan)
        if not (item.dtype.is_numeric() or item.dtype == pl.Decimal):
            raise ValueError(f"The {what} column must hold numbers; it holds {item.dtype} values.")
        out = item.cast(pl.Float64).to_numpy().astype(np.float64, copy=True)
        _reject_infinite(out, what)
        return out
    if isinstance(item, np.ndarray) and item.ndim > 1:
        raise ValueError(f"The {what} must be a single column of figures, not a table.")
    if isinstance(item, np.ndarray) and item.dtype.kind in "iuf":
        out = item.astype(np.float64, copy=True)
        if out.ndim:
            _reject_infinite(out, what)
        elif math.isinf(float(out)):
            raise ValueError(f"The {what} must be a finite number; got {float(out)!r}.")
        return out
    if isinstance(item, np.ndarray) and item.ndim == 0:
        return np.asarray(_one_float(item.item(), what, None))
    if isinstance(item, list | tuple | np.ndarray):
        return np.array([_one_float(v, what, i + 1) for i, v in enumerate(item)], dtype=np.float64)
    return np.asarray(_one_float(item, what, None))


def _reject_infinite(values: np.ndarray, what: str) -> None:
    bad = np.flatnonzero(np.isinf(values))
    if bad.size:
        raise ValueError(f"The {what} must be finite numbers; {rows_phrase(bad)} {_is_are(bad)} infinite.")


def _is_are(rows: np.ndarray) -> str:
    return "is" if rows.size == 1 else "are"


def rows_phrase(positions: Iterable[int], limit: int = 5) -> str:
    """Describe zero-based positions as 1-based rows: 'row 3' or 'rows 1, 4 and 7' (first few only)."""
    rows = [int(p) + 1 for p in positions]
    shown = rows[:limit]
    more = len(rows) - len(shown)
    if len(shown) == 1:
        text = f"row {shown[0]}"
    else:
        text = "rows " + ", ".join(str(r) for r in shown[:-1]) + f" and {shown[-1]}"
    if more:
        text += f" (and {more} more)"
    return text


def broadcast(arrays: list[np.ndarray], names: list[str]) -> list[np.ndarray]:
    """Broadcast 0-d arrays against 1-d ones of equal length; unequal lengths raise a plain message."""
    lengths = {name: a.shape[0] for a, name in zip(arrays, names, strict=True) if a.ndim}
    if len(set(lengths.values())) > 1:
        parts = [f"{n} {name}" for name, n in lengths.items()]
        described = ", ".join(parts[:-1]) + f" and {parts[-1]}"
        raise ValueError(f"The inputs must have the same number of rows; got {described}.")
    if not lengths:
        return arrays
    size = next(iter(lengths.values()))
    return [np.broadcast_to(a, (size,)).astype(np.float64, copy=True) if not a.ndim else a for a in arrays]


def where_message(mask: np.ndarray, scalar_text: Callable[[], str], rows_text: str) -> str:
    """Pick the scalar wording (built lazily) or the per-row wording for an error found where ``mask``."""
    if mask.ndim == 0:
        return scalar_text()
    return rows_text.format(rows=rows_phrase(np.flatnonzero(mask)))


def as_kind(values: np.ndarray, kind: str, name: str) -> Any:
    """Return float results in the caller's kind: None/null for missing in scalars, lists and Series."""
    if kind == SCALAR:
        value = float(values)
        return None if math.isnan(value) else value
    if kind == LIST:
        return [None if math.isnan(v) else float(v) for v in values.tolist()]
    if kind == SERIES:
        return pl.Series(name, values, dtype=pl.Float64).fill_nan(None)
    return values


def normalise_confidence(confidence: Any) -> float:
    """Return the confidence level as a proportion: 0 < c < 1 as given, 90 <= c < 100 read as a percentage."""
    message = (
        "The confidence level must be a proportion between 0 and 1 (such as 0.95) or a percentage from 90 "
        f"up to but not including 100 (such as 95 or 99.8); got {confidence!r}."
    )
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real | Decimal):
        raise ValueError(message)
    level = float(confidence)
    if 0.0 < level < 1.0:
        return level
    if PERCENT_CONFIDENCE_FLOOR <= level < 100.0:
        return level / 100.0
    raise ValueError(message)


def z_for(confidence: Any) -> float:
    """Two-sided standard normal quantile for a confidence level, in full double precision.

    Method: z = Φ⁻¹(1 − (1 − c)/2), with Φ⁻¹ from :class:`statistics.NormalDist` (Wichura's AS241 algorithm,
    accurate to about 1e-16), never a rounded constant such as 1.96. ``confidence`` may be a proportion
    (0.95) or a percentage from 90 (95, 99.8).

    Example:
        >>> round(z_for(0.95), 10)
        1.9599639845
        >>> round(z_for(99.8), 10)
        3.0902323062

    """
    level = normalise_confidence(confidence)
    return NormalDist().inv_cdf(1.0 - (1.0 - level) / 2.0)


def normalise_polarity(polarity: Any) -> str:
    """Map a polarity word to "high" (high is good), "low" (low is good) or "none" (no judgement)."""
    if isinstance(polarity, str):
        word = " ".join(polarity.split()).lower()
        if word in POLARITY_WORDS:
            return POLARITY_WORDS[word]
    raise ValueError(
        "The polarity must be 'high' (high is good), 'low' (low is good) or 'none' (no judgement); "
        f"got {polarity!r}."
    )


def optional_float(item: Any, what: str) -> float | None:
    """A single figure as a float, or None when it is missing (None or NaN); non-numbers raise."""
    value = _one_float(item.item() if isinstance(item, np.ndarray) and item.ndim == 0 else item, what, None)
    return None if math.isnan(value) else value
