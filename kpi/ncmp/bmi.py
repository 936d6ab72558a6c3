"""BMI z-scores and weight categories for the National Child Measurement Programme (NCMP).

Method
------
BMI = weight (kg) / height (m)².  The BMI is turned into a z-score (standard deviation score) against the
UK 1990 reference for children (Cole, Freeman & Preece 1995, *Arch Dis Child* 73:25-29; reanalysed 2009) by
the LMS method (Cole & Green 1992, *Stat Med* 11:1305-1319)::

    z = ((BMI / M) ** L - 1) / (L * S)     when L != 0
    z = ln(BMI / M) / S                    when L == 0

L, M and S are read **at run time** from the ``rcpchgrowth`` package's ``data_tables/uk90_child.json``
(BMI rows, monthly from 4.0 to 20.0 years).  The table is AGPL-licensed data of the RCPCH and is never
copied into this project.

Age convention (domain guide, section 3)
----------------------------------------
``age_method="exact"`` (the default) follows the RCPCH / Tim Cole (LMSgrowth) convention used by
``rcpchgrowth``:

* exact decimal age = days between birth and measurement / 365.25;
* an age equal to a tabulated age when both are rounded to 4 decimal places uses that row's L, M and S;
* otherwise L, M and S are interpolated with a 4-point cubic Lagrange polynomial through the two tabulated
  ages below and the two above the child's age;
* where there is no second point on one side (between the first two or the last two tabulated ages,
  i.e. 4.0-4.083 and 19.917-20.0 years) the interpolation is linear between the neighbouring two ages.

The UK-WHO chart joins the WHO 2006 table (2-4 years) and UK90 (4-20 years); ``rcpchgrowth`` keeps them as
separate tables that both contain age 4.0 and, for ages of 4 years and over, uses only the UK90 table.  So an
interpolation never mixes rows from the two references: just above 4.0 years it is linear because UK90 has no
row below 4.0.  We use the UK90 table alone, which reproduces this; ages under 4.0 or over 20.0 years give
``NaN`` (missing).

This agrees with ``rcpchgrowth.sds_for_measurement("uk-who", age, "bmi", bmi, sex)`` to about 1e-14 at
every whole-day age from 4 to 20 years.  Tim Cole's own values in rcpchgrowth's validation file differ from
both by up to 1.2e-4 (e.g. 0.319804 against 0.319754 for the first worked example in docs/methods.md section 8),
so a difference of that size is not a difference of convention.

``age_method="month"`` (the local option) uses the age in completed months, ``floor(decimal age × 12)`` (i.e.
whole multiples of 365.25 / 12 = 30.4375 days, not calendar months), and the L, M and S tabulated at that
month, without interpolation.

Weight categories: population monitoring, not clinical
------------------------------------------------------
NCMP prevalence (Fingertips NCMP methods) uses the UK90 *centiles* 2nd, 85th, 95th and 99.6th:
underweight ≤ 2nd; healthy weight > 2nd and < 85th; overweight ≥ 85th and < 95th; obese ≥ 95th (includes
severe obesity); severe obesity ≥ 99.6th.  The category is decided on z against the cut-off z values
Φ⁻¹(0.02), Φ⁻¹(0.85), Φ⁻¹(0.95) and Φ⁻¹(0.996), never on a rounded centile.  The *clinical* cut-offs used for
feedback to an individual family are different (overweight z ≥ 4/3, i.e. the 91st centile, and obesity
z ≥ 2, the 98th centile) and must not be used for these population figures.

Example:
    >>> from datetime import date
    >>> import polars as pl
    >>> age = decimal_age(date(2013, 1, 20), date(2017, 8, 12))
    >>> round(bmi_zscore("F", age, 16.0104), 6)  # Tim Cole's LMSgrowth: 0.319804
    0.319754
    >>> bmi_category(0.319754)
    'healthy weight'
    >>> classify(pl.DataFrame({"sex": ["F"], "age_days": [1665], "height_cm": [110.0], "weight_kg": [25.0]}))[
    ...     "bmi_category"
    ... ].to_list()
    ['obese']

"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib.util
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from statistics import NormalDist
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

import numpy as np
import polars as pl

__all__ = [
    "AGE_METHODS",
    "CATEGORIES",
    "DAYS_PER_YEAR",
    "OBESE_Z",
    "OVERWEIGHT_Z",
    "SEVERE_OBESITY_Z",
    "UNDERWEIGHT_Z",
    "LmsTable",
    "age_in_days",
    "bmi_category",
    "bmi_zscore",
    "classify",
    "decimal_age",
    "is_severely_obese",
    "load_uk90_bmi_lms",
]

# --- Reference data -------------------------------------------------------------------------------------
UK90_PACKAGE = "rcpchgrowth.data_tables"
"""Package whose data folder holds the UK90 table (read at run time, never copied)."""
UK90_FILE = "uk90_child.json"
"""UK 1990 child reference, 4-20 years, as shipped by rcpchgrowth."""
_SEX_KEYS = {"M": "male", "F": "female"}

# --- Age conventions ------------------------------------------------------------------------------------
DAYS_PER_YEAR = 365.25
"""Exact decimal age = days / 365.25 (RCPCH / Cole convention)."""
EXACT_AGE_DECIMALS = 4
"""An age matches a tabulated age when both agree rounded to this many decimal places (as rcpchgrowth)."""
MONTH_FLOOR_TOLERANCE = 1e-9
"""Months added before flooring so that e.g. 487 days (16 × 30.4375) is 16 completed months, not 15.99…."""
MAX_DAY_TABLE = 20_000
"""Widest spread of ages (days) for which :func:`classify` looks L, M, S up in a table of every day of age."""
AGE_METHODS = ("exact", "month")
"""``exact``: interpolated at exact decimal age (default); ``month``: tabulated value at completed month."""

# --- Population-monitoring cut-offs (z), full precision -----------------------------------------------
_STANDARD_NORMAL = NormalDist()
UNDERWEIGHT_Z = _STANDARD_NORMAL.inv_cdf(0.02)
"""z at the 2nd UK90 centile (≈ −2.0537): underweight is z ≤ this."""
OVERWEIGHT_Z = _STANDARD_NORMAL.inv_cdf(0.85)
"""z at the 85th UK90 centile (≈ 1.0364): overweight is z ≥ this and below the obese cut-off."""
OBESE_Z = _STANDARD_NORMAL.inv_cdf(0.95)
"""z at the 95th UK90 centile (≈ 1.6449): obese (including severe obesity) is z ≥ this."""
SEVERE_OBESITY_Z = _STANDARD_NORMAL.inv_cdf(0.996)
"""z at the 99.6th UK90 centile (≈ 2.6521): severe obesity (a subset of obese) is z ≥ this."""
CATEGORIES = ("underweight", "healthy weight", "overweight", "obese")
"""Category labels, lightest first."""
_CATEGORY_ARRAY = np.array(CATEGORIES, dtype=object)


class LmsTable(NamedTuple):
    """L, M and S by age for one sex (read-only numpy arrays of equal length, ages strictly increasing)."""

    age_years: np.ndarray
    L: np.ndarray
    M: np.ndarray
    S: np.ndarray


def _lms_from_rows(rows: Sequence[dict[str, Any]], label: str) -> LmsTable:
    """Build a validated :class:`LmsTable` from the table's rows (dicts with decimal_age, L, M, S)."""
    try:
        data = np.array([[r["decimal_age"], r["L"], r["M"], r["S"]] for r in rows], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as err:
        raise RuntimeError(
            f"The UK90 BMI table for {label} in rcpchgrowth's {UK90_FILE} is not in the expected form "
            f"(rows of decimal_age, L, M and S): {err}."
        ) from err
    if data.shape[0] < 4:
        raise RuntimeError(
            f"The UK90 BMI table for {label} has {data.shape[0]} rows; at least 4 are needed to interpolate."
        )
    if not np.isfinite(data).all() or (data[:, 2] <= 0).any() or (data[:, 3] <= 0).any():
        raise RuntimeError(f"The UK90 BMI table for {label} has missing, infinite or non-positive values.")
    data = data[np.argsort(data[:, 0], kind="stable")]
    steps = np.diff(data[:, 0])
    if (steps <= 0).any():
        repeated = sorted({float(a) for a in data[1:, 0][steps <= 0]})
        raise RuntimeError(
            f"The UK90 BMI table for {label} repeats the age(s) {repeated}; one row per age is needed "
            "so that interpolation never mixes two references."
        )
    columns = [np.ascontiguousarray(data[:, i]) for i in range(4)]
    for column in columns:
        column.setflags(write=False)
    return LmsTable(*columns)


def _uk90_source() -> Path:
    """Where the installed rcpchgrowth keeps the UK90 table, found without importing rcpchgrowth.

    ``importlib.resources.files("rcpchgrowth.data_tables")`` would run rcpchgrowth's ``__init__``, which imports
    scipy.stats and takes 1.5-3 s; only the data file is needed, so the package's folder is located from its import
    spec instead (the same file, read in place).
    """
    spec = importlib.util.find_spec(UK90_PACKAGE.split(".")[0])
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("rcpchgrowth")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder.joinpath(*UK90_PACKAGE.split(".")[1:], UK90_FILE)


@functools.lru_cache(maxsize=1)
def load_uk90_bmi_lms() -> Mapping[str, LmsTable]:
    """Return the UK90 BMI L, M and S by age for each sex, read from the installed ``rcpchgrowth``.

    Reference: UK 1990 growth reference (Cole, Freeman & Preece 1995; reanalysed 2009), in
    ``rcpchgrowth/data_tables/uk90_child.json`` (``measurement → bmi → male|female``), located from the
    package's import spec (without running rcpchgrowth's own imports) and read once per process (``functools.lru_cache``).  The mapping and
    its arrays are read-only because they are shared between callers.

    Returns:
        A read-only mapping ``{"M": LmsTable, "F": LmsTable}`` with ``age_years``, ``L``, ``M`` and ``S``
        arrays.

    Example:
        >>> table = load_uk90_bmi_lms()["F"]
        >>> float(table.age_years[0]), float(table.age_years[-1]), len(table.age_years)
        (4.0, 20.0, 193)

    """
    try:
        source = _uk90_source()
        with source.open("r", encoding="utf-8") as handle:
            document = json.load(handle)
    except ModuleNotFoundError as err:
        raise RuntimeError(
            "The UK90 BMI reference comes from the rcpchgrowth package, which is not installed. "
            "Install the project's dependencies (uv sync) and try again."
        ) from err
    except (FileNotFoundError, json.JSONDecodeError) as err:
        raise RuntimeError(
            f"Could not read {UK90_FILE} from the installed rcpchgrowth package ({err}). "
            "Reinstall the project's dependencies (uv sync)."
        ) from err
    try:
        bmi = document["measurement"]["bmi"]
        tables = {code: _lms_from_rows(bmi[key], key) for code, key in _SEX_KEYS.items()}
    except (KeyError, TypeError) as err:
        raise RuntimeError(
            f"rcpchgrowth's {UK90_FILE} has no BMI table for both sexes (missing {err}); "
            "the installed rcpchgrowth version may have changed its data format."
        ) from err
    return MappingProxyType(tables)


# --- Input helpers --------------------------------------------------------------------------------------
_Kind = Literal["polars", "numpy", "list", "scalar"]


def _kind_of(*values: object) -> _Kind:
    """Output kind: a polars Series wins, then a numpy array, then a list/tuple; otherwise scalars."""
    if any(isinstance(v, pl.Series) for v in values):
        return "polars"
    if any(isinstance(v, np.ndarray) and v.ndim > 0 for v in values):
        return "numpy"
    if any(isinstance(v, list | tuple) for v in values):
        return "list"
    return "scalar"


def _as_float_array(values: object, name: str) -> np.ndarray:
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


def _broadcast(names: Sequence[str], *arrays: np.ndarray) -> list[np.ndarray]:
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


def _sex_codes(sex: object) -> np.ndarray:
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


def _check_age_method(age_method: str) -> None:
    if age_method not in AGE_METHODS:
        raise ValueError(f'age_method must be "exact" or "month", not {age_method!r}.')


def _finish_float(values: np.ndarray, kind: _Kind, name: str) -> Any:
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
    birth, measured = _broadcast(("date_of_birth", "date_of_measurement"), birth, measured)
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
    kind = _kind_of(date_of_birth, date_of_measurement)
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
    kind = _kind_of(date_of_birth, date_of_measurement)
    years = _day_differences(date_of_birth, date_of_measurement) / DAYS_PER_YEAR
    return _finish_float(years, kind, "decimal_age")


# --- LMS lookup -----------------------------------------------------------------------------------------
def _lms_exact(table: LmsTable, age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L, M, S at exact ages inside the table (the rcpchgrowth / Cole interpolation convention)."""
    ages = table.age_years
    n = ages.size
    rounded_table = np.round(ages, EXACT_AGE_DECIMALS)
    rounded_age = np.round(age, EXACT_AGE_DECIMALS)
    match = np.minimum(np.searchsorted(rounded_table, rounded_age), n - 1)
    exact = rounded_table[match] == rounded_age

    # Index of the last tabulated age strictly below the child's age (first row at or below 4.0 → 0).
    below = np.clip(np.searchsorted(ages, age, side="left") - 1, 0, n - 2)
    cubic = (below >= 1) & (below <= n - 3)

    # Four-point Lagrange weights through ages[first .. first + 3]; used only where `cubic`.
    first = np.clip(below - 1, 0, n - 4)
    t0, t1, t2, t3 = ages[first], ages[first + 1], ages[first + 2], ages[first + 3]
    d0, d1, d2, d3 = age - t0, age - t1, age - t2, age - t3
    w0 = d1 * d2 * d3 / ((t0 - t1) * (t0 - t2) * (t0 - t3))
    w1 = d0 * d2 * d3 / ((t1 - t0) * (t1 - t2) * (t1 - t3))
    w2 = d0 * d1 * d3 / ((t2 - t0) * (t2 - t1) * (t2 - t3))
    w3 = d0 * d1 * d2 / ((t3 - t0) * (t3 - t1) * (t3 - t2))
    # Linear weight between ages[below] and ages[below + 1]; used at the table's two edges.
    fraction = (age - ages[below]) / (ages[below + 1] - ages[below])

    out = []
    for values in (table.L, table.M, table.S):
        cubic_value = (
            w0 * values[first] + w1 * values[first + 1] + w2 * values[first + 2] + w3 * values[first + 3]
        )
        linear_value = values[below] + fraction * (values[below + 1] - values[below])
        out.append(np.where(exact, values[match], np.where(cubic, cubic_value, linear_value)))
    return out[0], out[1], out[2]


def _lms_month(table: LmsTable, age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L, M, S tabulated at the completed month of age (no interpolation); NaN if that month is absent."""
    months = np.floor(age * 12.0 + MONTH_FLOOR_TOLERANCE)
    target = np.round(months / 12.0, EXACT_AGE_DECIMALS)
    rounded_table = np.round(table.age_years, EXACT_AGE_DECIMALS)
    match = np.minimum(np.searchsorted(rounded_table, target), rounded_table.size - 1)
    found = rounded_table[match] == target
    return tuple(np.where(found, values[match], np.nan) for values in (table.L, table.M, table.S))


def _lms_z(value: np.ndarray, lms_l: np.ndarray, lms_m: np.ndarray, lms_s: np.ndarray) -> np.ndarray:
    """LMS z-score: ((X/M)^L − 1)/(L·S), or ln(X/M)/S when L = 0; NaN for a missing or non-positive X."""
    with np.errstate(all="ignore"):
        ratio = value / lms_m
        z = np.where(lms_l == 0, np.log(ratio) / lms_s, (ratio**lms_l - 1.0) / (lms_l * lms_s))
    return np.where(np.isfinite(value) & (value > 0) & np.isfinite(z), z, np.nan)


def bmi_zscore(sex: Any, age_years: Any, bmi: Any, *, age_method: str = "exact") -> Any:
    """BMI z-score against the UK90 reference by the LMS method, vectorised over children.

    Method: z = ((BMI/M)^L − 1)/(L·S) (L = 0: ln(BMI/M)/S) with UK90 BMI L, M, S from ``rcpchgrowth``
    (Cole, Freeman & Preece 1995; Cole & Green 1992).  ``age_method="exact"`` (default) interpolates L, M, S
    at the exact decimal age by the RCPCH / Cole convention (4-point cubic Lagrange, linear at the table's
    edges, tabulated values when the age matches a table age to 4 decimal places), agreeing with
    ``rcpchgrowth.sds_for_measurement("uk-who", age, "bmi", bmi, sex)`` from 4 years.  ``"month"`` uses
    the values tabulated at the completed month ``floor(age × 12)``.  See the module notes.

    Args:
        sex: ``"M"`` or ``"F"`` per child (or one value for all).
        age_years: exact decimal age in years (see :func:`decimal_age`).
        bmi: body mass index in kg/m².
        age_method: ``"exact"`` or ``"month"``.

    Each argument may be a scalar, list/tuple, numpy array or polars Series; scalars broadcast.

    Returns:
        z in the caller's kind (polars Series named ``bmi_z`` if any input is a Series, else a numpy array
        if any is an array, else a list if any is a list, else a ``float``).  The z is missing (``NaN``;
        null in polars) when the age is missing or outside the table (4.0-20.0 years) or the BMI is
        missing, infinite or not positive.

    Raises:
        ValueError: a sex other than "M"/"F" (the message lists the bad values), an unknown
            ``age_method``, or inputs of different lengths.
        TypeError: ages or BMIs given as text or dates.

    Example:
        >>> round(bmi_zscore("M", 1541 / 365.25, 17.3461), 6)  # rcpchgrowth 4.6.5 agrees; Cole: 1.220071
        1.220127
        >>> bmi_zscore(["F", "M"], [3.5, 11.3], [16.0, 15.4])[0]
        nan

    """
    _check_age_method(age_method)
    kind = _kind_of(sex, age_years, bmi)
    codes = _sex_codes(sex)
    age = _as_float_array(age_years, "age_years")
    value = _as_float_array(bmi, "bmi")
    codes, age, value = _broadcast(("sex", "age_years", "bmi"), codes, age, value)

    lms_l, lms_m, lms_s = _lms_by_sex(codes, age, age_method)
    return _finish_float(_lms_z(value, lms_l, lms_m, lms_s), kind, "bmi_z")


def _lms_by_sex(
    codes: np.ndarray, age: np.ndarray, age_method: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L, M and S for each child (sex code 0 = M, 1 = F; decimal age); NaN outside the table or for a NaN age."""
    lms_l = np.full(age.shape, np.nan)
    lms_m = np.full(age.shape, np.nan)
    lms_s = np.full(age.shape, np.nan)
    lookup = _lms_exact if age_method == "exact" else _lms_month
    for code, table in enumerate((load_uk90_bmi_lms()["M"], load_uk90_bmi_lms()["F"])):
        # NaN ages compare False, so they stay missing.
        rows = np.flatnonzero((codes == code) & (age >= table.age_years[0]) & (age <= table.age_years[-1]))
        if rows.size:
            lms_l[rows], lms_m[rows], lms_s[rows] = lookup(table, age[rows])
    return lms_l, lms_m, lms_s


def _z_from_whole_days(sex: pl.Series, days: pl.Series, bmi: pl.Series, age_method: str) -> pl.Series:
    """:func:`bmi_zscore` for ages in whole days, with L, M and S looked up in a table of every day of age.

    The children of an NCMP file are a few thousand days apart in age at most, however many there are, so L, M and S
    are interpolated once per sex and day between the youngest and the oldest child and each child's are then read
    by index: a national file's 1.2 million interpolations become a few thousand. The same L, M, S (at the same
    decimal age, days / 365.25) and the same formula as :func:`bmi_zscore`, so the z-scores agree with it to
    floating-point rounding (differences below 1e-10 from numpy's vectorised powers).
    """
    codes = _sex_codes(sex).astype(np.int64)
    whole = days.cast(pl.Int64)
    known = whole.is_not_null().to_numpy()
    values = whole.fill_null(0).to_numpy()
    if not known.any():
        return _finish_float(np.full(len(values), np.nan), "polars", "bmi_z")
    first, last = int(values[known].min()), int(values[known].max())
    if last - first > MAX_DAY_TABLE:  # ages far apart (not an NCMP file): interpolate per child
        return bmi_zscore(sex, whole.cast(pl.Float64) / DAYS_PER_YEAR, bmi, age_method=age_method)
    span = last - first + 1
    grid_age = np.arange(first, last + 1, dtype=np.float64) / DAYS_PER_YEAR
    table = _lms_by_sex(np.repeat(np.array([0, 1]), span), np.tile(grid_age, 2), age_method)
    index = codes * span + np.where(known, values - first, 0)
    lms = [np.where(known, column[index], np.nan) for column in table]
    return _finish_float(_lms_z(_as_float_array(bmi, "bmi"), *lms), "polars", "bmi_z")


# --- Categories -----------------------------------------------------------------------------------------
def _category_expr(z: pl.Expr) -> pl.Expr:
    """Polars expression: category label from z (null/NaN → null)."""
    z = z.cast(pl.Float64).fill_nan(None)
    return (
        pl.when(z <= UNDERWEIGHT_Z)
        .then(pl.lit("underweight"))
        .when(z < OVERWEIGHT_Z)
        .then(pl.lit("healthy weight"))
        .when(z < OBESE_Z)
        .then(pl.lit("overweight"))
        .when(z >= OBESE_Z)
        .then(pl.lit("obese"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _severe_expr(z: pl.Expr) -> pl.Expr:
    """Polars expression: z ≥ the 99.6th-centile cut-off (null/NaN → null)."""
    return z.cast(pl.Float64).fill_nan(None) >= SEVERE_OBESITY_Z


def _as_z_series(z: pl.Series) -> pl.Series:
    if z.dtype != pl.Null and not z.dtype.is_numeric():
        raise TypeError(f"z must be numbers, but the column holds {z.dtype} values.")
    return z


def bmi_category(z: Any) -> Any:
    """NCMP population-monitoring weight category for BMI z-scores, vectorised.

    Method (Fingertips NCMP methods, UK90 centiles): ``"underweight"`` z ≤ Φ⁻¹(0.02); ``"healthy weight"``
    Φ⁻¹(0.02) < z < Φ⁻¹(0.85); ``"overweight"`` Φ⁻¹(0.85) ≤ z < Φ⁻¹(0.95); ``"obese"`` z ≥ Φ⁻¹(0.95)
    (including severe obesity).  Cut-offs are :data:`UNDERWEIGHT_Z`, :data:`OVERWEIGHT_Z` and
    :data:`OBESE_Z`.  These are **not** the clinical cut-offs (overweight z ≥ 4/3, obesity z ≥ 2).

    Returns:
        Labels in the caller's kind: polars ``String`` Series named ``bmi_category``, numpy object array,
        list, or a single ``str``; a missing or ``NaN`` z gives ``None`` (null).

    Example:
        >>> bmi_category([-2.1, 0.0, 1.2, 1.7, float("nan")])
        ['underweight', 'healthy weight', 'overweight', 'obese', None]

    """
    kind = _kind_of(z)
    if kind == "polars":
        series = _as_z_series(z)
        return pl.select(_category_expr(pl.lit(series)).alias("bmi_category")).to_series()
    values = _as_float_array(z, "z")
    index = (values > UNDERWEIGHT_Z).astype(np.intp) + (values >= OVERWEIGHT_Z) + (values >= OBESE_Z)
    labels = _CATEGORY_ARRAY[index]
    labels[np.isnan(values)] = None
    if kind == "numpy":
        return labels
    return labels.tolist() if kind == "list" else labels[0]


def is_severely_obese(z: Any) -> Any:
    """True where z is at or above the 99.6th UK90 centile (severe obesity, a subset of obese), vectorised.

    Method: z ≥ :data:`SEVERE_OBESITY_Z` = Φ⁻¹(0.996) (NCMP / Fingertips population-monitoring definition).

    Returns:
        The caller's kind: polars ``Boolean`` Series named ``severe_obesity`` (null where z is missing),
        numpy ``bool`` array, list of ``bool``, or ``bool``; outside polars a ``NaN`` z gives ``False``
        (use :func:`bmi_category` to tell missing from not severe).

    Example:
        >>> is_severely_obese([2.0, 2.7])
        [False, True]

    """
    kind = _kind_of(z)
    if kind == "polars":
        series = _as_z_series(z)
        return pl.select(_severe_expr(pl.lit(series)).alias("severe_obesity")).to_series()
    values = _as_float_array(z, "z")
    flags = values >= SEVERE_OBESITY_Z  # NaN compares False
    if kind == "numpy":
        return flags
    return flags.tolist() if kind == "list" else bool(flags[0])


# --- Frames ---------------------------------------------------------------------------------------------
_MEASURE_COLUMNS = ("sex", "height_cm", "weight_kg")
_DATE_COLUMNS = ("date_of_birth", "date_of_measurement")


def classify(frame: pl.DataFrame, *, age_method: str = "exact") -> pl.DataFrame:
    """Add BMI, BMI z-score, weight category and severe-obesity flag to a frame of measured children.

    Method: ``bmi`` = weight_kg / (height_cm / 100)² (kg/m², unrounded; null unless height and weight
    are positive and the BMI is finite and positive); ``bmi_z`` by :func:`bmi_zscore` (UK90, LMS, age
    convention ``age_method``); ``bmi_category`` and ``severe_obesity`` by the population-monitoring
    cut-offs of :func:`bmi_category` and :func:`is_severely_obese`.  Age comes from ``age_days`` (decimal
    age = days / 365.25) when present, otherwise from ``date_of_birth`` and ``date_of_measurement``.
    Existing columns of the same names are replaced; rows keep their order.

    Args:
        frame: polars DataFrame with ``sex`` ("M"/"F"), ``height_cm``, ``weight_kg`` and either
            ``age_days`` or both ``date_of_birth`` and ``date_of_measurement``.
        age_method: ``"exact"`` (default) or ``"month"``.

    Returns:
        The frame with ``bmi`` (Float64), ``bmi_z`` (Float64), ``bmi_category`` (String) and
        ``severe_obesity`` (Boolean) added; the last three are null where the z cannot be computed.

    Raises:
        TypeError: ``frame`` is not a polars DataFrame, or a measurement column is not numeric.
        ValueError: required columns are missing (all are listed), a bad sex, or a bad ``age_method``.

    Example:
        >>> import polars as pl
        >>> out = classify(pl.DataFrame({"sex": ["M"], "age_days": [1541], "height_cm": [110.0],
        ...                              "weight_kg": [20.99]}))
        >>> out.select("bmi_category", "severe_obesity").row(0)
        ('overweight', False)

    """
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"classify needs a polars DataFrame, not {type(frame).__name__}.")
    _check_age_method(age_method)
    missing = [c for c in _MEASURE_COLUMNS if c not in frame.columns]
    has_dates = all(c in frame.columns for c in _DATE_COLUMNS)
    if "age_days" not in frame.columns and not has_dates:
        absent_dates = [c for c in _DATE_COLUMNS if c not in frame.columns]
        missing.append(f"age_days (or {' and '.join(absent_dates)})")
    if missing:
        raise ValueError(
            "classify needs the columns sex, height_cm, weight_kg and either age_days or both "
            f"date_of_birth and date_of_measurement; missing: {', '.join(missing)}."
        )
    for column in ("height_cm", "weight_kg", "age_days"):
        if (
            column in frame.columns
            and frame[column].dtype != pl.Null
            and not frame[column].dtype.is_numeric()
        ):
            raise TypeError(f"{column} must be numbers, but the column holds {frame[column].dtype} values.")

    if "age_days" in frame.columns:
        age = frame["age_days"].cast(pl.Float64) / DAYS_PER_YEAR
    else:
        age = decimal_age(frame["date_of_birth"], frame["date_of_measurement"])

    height_m = pl.col("height_cm").cast(pl.Float64) / 100.0
    weight = pl.col("weight_kg").cast(pl.Float64)
    bmi = weight / (height_m * height_m)
    measurable = (height_m > 0) & (weight > 0) & bmi.is_finite() & (bmi > 0)
    bmis = frame.select(pl.when(measurable).then(bmi).otherwise(None).alias("bmi")).to_series()

    if "age_days" in frame.columns and frame["age_days"].dtype.is_integer():
        z = _z_from_whole_days(frame["sex"], frame["age_days"], bmis, age_method)
    else:
        z = bmi_zscore(frame["sex"], age, bmis, age_method=age_method)
    return frame.with_columns(bmis, z).with_columns(
        _category_expr(pl.col("bmi_z")).alias("bmi_category"),
        _severe_expr(pl.col("bmi_z")).alias("severe_obesity"),
    )
