"""BMI z-scores and weight categories for the National Child Measurement Programme (NCMP).

Method
------
BMI = weight (kg) / height (m)².  The BMI is turned into a z-score (standard deviation score) against the
UK 1990 reference for children (Cole, Freeman & Preece 1995, *Arch Dis Child* 73:25-29; reanalysed 2009) by
the LMS method (Cole & Green 1992, *Stat Med* 11:1305-1319)::

    z = ((BMI / M) ** L - 1) / (L * S)     when L != 0
    z = ln(BMI / M) / S                    when L == 0

L, M and S are read **at run time** from the ``rcpchgrowth`` package's ``data_tables/uk90_child.json``
(BMI rows, monthly from 4.0 to 20.0 years; :mod:`kpi.ncmp.uk90`).  The table is AGPL-licensed data of the RCPCH
and is never copied into this project.  The children's ages and other inputs are read by
:mod:`kpi.ncmp.measurements`.

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

from statistics import NormalDist
from typing import Any

import numpy as np
import polars as pl

from kpi.ncmp.measurements import (
    DAYS_PER_YEAR,
    age_in_days,
    as_float_array,
    broadcast,
    decimal_age,
    finish_float,
    kind_of,
    sex_codes,
)
from kpi.ncmp.uk90 import LmsTable, lms_exact, lms_month, lms_z, load_uk90_bmi_lms

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
#: The labels by index, then null (a missing z), as a polars column to gather from.
_CATEGORY_LABELS = pl.Series("bmi_category", [*CATEGORIES, None], dtype=pl.String)


def _check_age_method(age_method: str) -> None:
    if age_method not in AGE_METHODS:
        raise ValueError(f'age_method must be "exact" or "month", not {age_method!r}.')


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
    kind = kind_of(sex, age_years, bmi)
    codes = sex_codes(sex)
    age = as_float_array(age_years, "age_years")
    value = as_float_array(bmi, "bmi")
    codes, age, value = broadcast(("sex", "age_years", "bmi"), codes, age, value)

    lms_l, lms_m, lms_s = _lms_by_sex(codes, age, age_method)
    return finish_float(lms_z(value, lms_l, lms_m, lms_s), kind, "bmi_z")


def _lms_by_sex(
    codes: np.ndarray, age: np.ndarray, age_method: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L, M and S for each child (sex code 0 = M, 1 = F; decimal age); NaN outside the table or for a NaN age."""
    lms_l = np.full(age.shape, np.nan)
    lms_m = np.full(age.shape, np.nan)
    lms_s = np.full(age.shape, np.nan)
    lookup = lms_exact if age_method == "exact" else lms_month
    for code, table in enumerate((load_uk90_bmi_lms()["M"], load_uk90_bmi_lms()["F"])):
        # NaN ages compare False, so they stay missing.
        rows = np.flatnonzero((codes == code) & (age >= table.age_years[0]) & (age <= table.age_years[-1]))
        if rows.size:
            lms_l[rows], lms_m[rows], lms_s[rows] = lookup(table, age[rows])
    return lms_l, lms_m, lms_s


def _z_from_whole_days(sex: pl.Series, days: pl.Series, bmi: np.ndarray, age_method: str) -> np.ndarray:
    """:func:`bmi_zscore` for ages in whole days, with L, M and S looked up in a table of every day of age.

    The children of an NCMP file are a few thousand days apart in age at most, however many there are, so L, M and S
    are interpolated once per sex and day between the youngest and the oldest child and each child's are then read
    by index: a national file's 1.2 million interpolations become a few thousand. The same L, M, S (at the same
    decimal age, days / 365.25) and the same formula as :func:`bmi_zscore`, so the z-scores agree with it to
    floating-point rounding (differences below 1e-10 from numpy's vectorised powers). The product L x S is taken
    once per day of the table (the same number as per child), and each step works in place on one array.
    ``bmi`` is NaN where missing; returns z, NaN where missing.
    """
    codes = sex_codes(sex).astype(np.int64)
    whole = days.cast(pl.Int64)
    known = whole.is_not_null().to_numpy()
    values = whole.fill_null(0).to_numpy()
    if not known.any():
        return np.full(len(values), np.nan)
    first, last = int(values[known].min()), int(values[known].max())
    if last - first > MAX_DAY_TABLE:  # ages far apart (not an NCMP file): interpolate per child
        z = bmi_zscore(sex, whole.cast(pl.Float64) / DAYS_PER_YEAR, bmi, age_method=age_method)
        return z.fill_null(np.nan).to_numpy()
    span = last - first + 1
    grid_age = np.arange(first, last + 1, dtype=np.float64) / DAYS_PER_YEAR
    lms_l, lms_m, lms_s = (
        np.append(column, np.nan)  # the last row, NaN, is read for a missing age
        for column in _lms_by_sex(np.repeat(np.array([0, 1]), span), np.tile(grid_age, 2), age_method)
    )
    index = codes * span + values - first
    index[~known] = 2 * span
    child_l = lms_l[index]
    with np.errstate(all="ignore"):
        z = np.divide(bmi, lms_m[index])
        ratio = z.copy() if (child_l == 0).any() else None
        np.power(z, child_l, out=z)
        z -= 1.0
        z /= (lms_l * lms_s)[index]
        if ratio is not None:  # L = 0: ln(BMI/M)/S, as lms_z
            zero = child_l == 0
            z[zero] = np.log(ratio[zero]) / lms_s[index][zero]
    z[~(np.isfinite(bmi) & (bmi > 0) & np.isfinite(z))] = np.nan
    return z


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
    kind = kind_of(z)
    if kind == "polars":
        series = _as_z_series(z)
        return pl.select(_category_expr(pl.lit(series)).alias("bmi_category")).to_series()
    values = as_float_array(z, "z")
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
    kind = kind_of(z)
    if kind == "polars":
        series = _as_z_series(z)
        return pl.select(_severe_expr(pl.lit(series)).alias("severe_obesity")).to_series()
    values = as_float_array(z, "z")
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

    bmi = _bmi(frame["height_cm"], frame["weight_kg"])
    if "age_days" in frame.columns and frame["age_days"].dtype.is_integer():
        z = _z_from_whole_days(frame["sex"], frame["age_days"], bmi, age_method)
    else:
        z = bmi_zscore(frame["sex"], age, bmi, age_method=age_method).fill_null(np.nan).to_numpy()
    z_series = pl.Series("bmi_z", z, dtype=pl.Float64).fill_nan(None)
    return frame.with_columns(
        pl.Series("bmi", bmi, dtype=pl.Float64).fill_nan(None),
        z_series,
        _categories(z),
        (z_series >= SEVERE_OBESITY_Z).alias("severe_obesity"),
    )


def _bmi(height_cm: pl.Series, weight_kg: pl.Series) -> np.ndarray:
    """BMI = weight / (height / 100)², NaN unless height and weight are positive and the BMI finite and positive."""
    # height x (1 / 100): the metres polars worked out for this BMI (it divides by a constant so), to the last digit
    height_m = height_cm.cast(pl.Float64).to_numpy() * (1.0 / 100.0)
    weight = weight_kg.cast(pl.Float64).to_numpy()
    with np.errstate(all="ignore"):
        bmi = weight / (height_m * height_m)
        bmi[~((height_m > 0) & (weight > 0) & np.isfinite(bmi) & (bmi > 0))] = np.nan
    return bmi


def _categories(z: np.ndarray) -> pl.Series:
    """The category of each z (NaN: null), as :func:`bmi_category`: each label read by its index from one list."""
    index = (z > UNDERWEIGHT_Z).astype(np.uint32)
    index += z >= OVERWEIGHT_Z
    index += z >= OBESE_Z
    index[np.isnan(z)] = len(CATEGORIES)
    return _CATEGORY_LABELS.gather(index)
