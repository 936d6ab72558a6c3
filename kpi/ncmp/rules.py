"""National Child Measurement Programme (NCMP): BMI classification and the validation rules of a child-level return.

Classification (re-exported from :mod:`kpi.ncmp.bmi`, where the method is documented): :func:`bmi_zscore` turns
sex, exact decimal age and BMI into a UK90 z-score by the LMS method (Cole & Green 1992; UK90 L, M and S read at run
time from ``rcpchgrowth``); :func:`bmi_category` and :func:`is_severely_obese` apply the population-monitoring
cut-offs Φ⁻¹(0.02), Φ⁻¹(0.85), Φ⁻¹(0.95) and Φ⁻¹(0.996) (Fingertips NCMP methods; docs/methods.md section 3).

Validation rules (docs/methods.md section 3, local rules where the national system's limits were not found):

* sex ``M``/``F``; ``male``/``female``, ``boy``/``girl`` and the NHS codes ``1``/``2`` are read and mapped;
* dates ISO ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (a spreadsheet's midnight time ``00:00:00`` is ignored); a date whose
  second number is above 12 (``04/13/2019``, US month/day order) and two-digit years are refused as ambiguous;
* a missing or impossible date, a measurement before birth, outside the academic year (1 September to 31 August),
  or after today is refused;
* age at measurement :data:`AGE_LIMITS_YEARS`: 4.0-6.5 years in Reception, 9.5-12.5 in Year 6 (decimal age =
  days / 365.25);
* height :data:`HEIGHT_LIMITS_CM` 70-220 cm, weight :data:`WEIGHT_LIMITS_KG` 8-200 kg, school URN 6 digits;
* a BMI z-score beyond ±:data:`Z_WARN` (4) is a warning the uploader confirms; beyond ±:data:`Z_EXCLUDE` (7) the
  child is excluded from prevalence and counted in data quality.

The expression builders below (:func:`sex_expr`, :func:`date_expr`, :func:`date_problem_expr`, ...) are polars
expressions, so a national file of 1.2 million children is checked without a Python loop.

Example:
    >>> import polars as pl
    >>> frame = pl.DataFrame({"sex": ["male", "2", "X"], "born": ["2019-04-03", "03/04/2019", "04/13/2019"]})
    >>> frame.select(sex_expr("sex"), date_problem_expr("born")).rows()
    [('M', None), ('F', None), (None, 'us_style')]
    >>> normalise_academic_year("2025-2026")
    '2025/26'

"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from kpi.ncmp.bmi import (
    AGE_METHODS,
    CATEGORIES,
    DAYS_PER_YEAR,
    OBESE_Z,
    OVERWEIGHT_Z,
    SEVERE_OBESITY_Z,
    UNDERWEIGHT_Z,
    age_in_days,
    bmi_category,
    bmi_zscore,
    classify,
    decimal_age,
    is_severely_obese,
    load_uk90_bmi_lms,
)

__all__ = [
    "AGE_LIMITS_YEARS",
    "AGE_METHODS",
    "CATEGORIES",
    "DAYS_PER_YEAR",
    "HEIGHT_LIMITS_CM",
    "OBESE_Z",
    "OVERWEIGHT_Z",
    "PREVALENCE_CATEGORIES",
    "SCHOOL_YEARS",
    "SEVERE_OBESITY_Z",
    "UNDERWEIGHT_Z",
    "WEIGHT_LIMITS_KG",
    "Z_EXCLUDE",
    "Z_WARN",
    "AcademicYearError",
    "academic_year_bounds",
    "academic_year_expr",
    "age_in_days",
    "bmi_category",
    "bmi_zscore",
    "classify",
    "current_academic_year",
    "date_expr",
    "date_problem_expr",
    "decimal_age",
    "is_severely_obese",
    "load_uk90_bmi_lms",
    "normalise_academic_year",
    "school_year_expr",
    "sex_expr",
    "urn_expr",
]

# --- Rules (docs/methods.md section 3; local rules) --------------------------------------------------------------
SCHOOL_YEARS = ("R", "6")
"""NCMP year groups: Reception and Year 6."""
SCHOOL_YEAR_NAMES = {"R": "Reception", "6": "Year 6"}
AGE_LIMITS_YEARS = {"R": (4.0, 6.5), "6": (9.5, 12.5)}
"""Age at measurement (decimal years, inclusive) a child of each year group may have (local rule)."""
HEIGHT_LIMITS_CM = (70.0, 220.0)
"""Heights outside this range (cm, inclusive limits) are refused (local rule)."""
WEIGHT_LIMITS_KG = (8.0, 200.0)
"""Weights outside this range (kg, inclusive limits) are refused (local rule)."""
Z_WARN = 4.0
"""|BMI z| above this is improbable: a warning the uploader confirms."""
Z_EXCLUDE = 7.0
"""|BMI z| above this is implausible: the child is excluded from prevalence and counted in data quality."""

#: Prevalence categories of the marts: code, label, whether lower is better ("low") for the England comparison.
#: Underweight and the excess-weight categories are "low is good" and healthy weight "high is good", as the
#: Fingertips NCMP indicators are rated.
PREVALENCE_CATEGORIES: dict[str, tuple[str, str]] = {
    "underweight": ("Underweight", "low"),
    "healthy_weight": ("Healthy weight", "high"),
    "overweight": ("Overweight", "low"),
    "obese": ("Obesity (including severe obesity)", "low"),
    "severely_obese": ("Severe obesity", "low"),
    "excess_weight": ("Excess weight (overweight and obesity)", "low"),
}

_SEX_WORDS = {"m": "M", "male": "M", "boy": "M", "1": "M", "f": "F", "female": "F", "girl": "F", "2": "F"}
_SCHOOL_YEAR_WORDS = {
    "r": "R",
    "yr": "R",
    "reception": "R",
    "year r": "R",
    "6": "6",
    "y6": "6",
    "yr6": "6",
    "year 6": "6",
    "06": "6",
}

_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_UK = r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$"
_TWO_DIGIT_YEAR = r"^[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2}$"
_MIDNIGHT = r"[ T]00:00(:00(\.0+)?)?$"


class AcademicYearError(ValueError):
    """An academic year that cannot be read; the message says how to write it."""


_YEAR = re.compile(r"^\s*([0-9]{4})\s*[/-]\s*([0-9]{2}|[0-9]{4})\s*$")


def normalise_academic_year(text: object) -> str:
    """An academic year as ``YYYY/YY`` from ``2025/26``, ``2025-26``, ``2025/2026`` or ``2025-2026``.

    Raises:
        AcademicYearError: anything else, or a second year that does not follow the first.

    Example:
        >>> normalise_academic_year("2025-26")
        '2025/26'

    """
    match = _YEAR.match(str(text or ""))
    if not match:
        raise AcademicYearError(f"'{text}' is not an academic year: write it like 2025/26")
    start, end = int(match[1]), match[2]
    following = start + 1
    if (len(end) == 2 and int(end) != following % 100) or (len(end) == 4 and int(end) != following):
        raise AcademicYearError(
            f"'{text}' is not an academic year: the second year must follow the first, like {start}/{following % 100:02d}"
        )
    return f"{start}/{following % 100:02d}"


def academic_year_expr(column: str | pl.Expr) -> pl.Expr:
    """Polars expression: the academic year as ``YYYY/YY`` (as :func:`normalise_academic_year`), null if unreadable."""
    text = (pl.col(column) if isinstance(column, str) else column).str.strip_chars()
    parts = text.str.extract_groups(r"^([0-9]{4})\s*[/-]\s*([0-9]{2}|[0-9]{4})$")
    start = parts.struct.field("1").cast(pl.Int32, strict=False)
    end = parts.struct.field("2")
    follows = (
        pl.when(end.str.len_chars() == 2)
        .then(end.cast(pl.Int32, strict=False) == (start + 1) % 100)
        .otherwise(end.cast(pl.Int32, strict=False) == start + 1)
    )
    return (
        pl.when(follows)
        .then(pl.format("{}/{}", start, ((start + 1) % 100).cast(pl.String).str.zfill(2)))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def academic_year_bounds(year: str) -> tuple[date, date]:
    """First and last day of an academic year (1 September to 31 August).

    Example:
        >>> academic_year_bounds("2025/26")
        (datetime.date(2025, 9, 1), datetime.date(2026, 8, 31))

    """
    start = int(normalise_academic_year(year)[:4])
    return date(start, 9, 1), date(start + 1, 8, 31)


def current_academic_year(day: date) -> str:
    """The academic year containing ``day``.

    Example:
        >>> current_academic_year(date(2026, 11, 23))
        '2026/27'

    """
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def sex_expr(column: str) -> pl.Expr:
    """Polars expression: ``"M"``/``"F"`` from M/F, male/female, boy/girl or 1/2 (any case); null otherwise."""
    return (
        pl.col(column)
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(_SEX_WORDS, default=None, return_dtype=pl.String)
    )


def school_year_expr(column: str) -> pl.Expr:
    """Polars expression: ``"R"`` or ``"6"`` from R, YR, Reception, 6, Y6, Year 6 (any case); null otherwise."""
    return (
        pl.col(column)
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .replace_strict(_SCHOOL_YEAR_WORDS, default=None, return_dtype=pl.String)
    )


def urn_expr(column: str) -> pl.Expr:
    """Polars expression: a school URN as 6 digits (a spreadsheet's ``123456.0`` is read); null otherwise."""
    text = pl.col(column).str.strip_chars().str.replace(r"\.0+$", "")
    return pl.when(text.str.contains(r"^[0-9]{6}$")).then(text).otherwise(pl.lit(None, dtype=pl.String))


def _date_text(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.replace(_MIDNIGHT, "")


def date_expr(column: str) -> pl.Expr:
    """Polars expression: the date from ISO ``YYYY-MM-DD`` or ``DD/MM/YYYY`` text; null when not exactly that.

    The shape is checked with a regular expression before parsing, because the parser alone is lenient (it reads
    ``03/04/19`` as the year 19).
    """
    text = _date_text(column)
    return (
        pl.when(text.str.contains(_ISO))
        .then(text.str.to_date("%Y-%m-%d", strict=False))
        .when(text.str.contains(_UK))
        .then(text.str.to_date("%d/%m/%Y", strict=False))
        .otherwise(pl.lit(None, dtype=pl.Date))
    )


def date_problem_expr(column: str) -> pl.Expr:
    """Polars expression: why a date cannot be read, or null when it can.

    Codes: ``missing``; ``us_style`` (``DD/MM/YYYY`` shape whose second number is above 12 while the first is
    not, i.e. month/day order); ``two_digit_year``; ``bad_format`` (neither ISO nor ``DD/MM/YYYY``);
    ``impossible`` (the right shape but no such day, e.g. 31/02/2019).
    """
    text = _date_text(column)
    uk = text.str.extract_groups(_UK)
    first = uk.struct.field("1").cast(pl.Int32, strict=False)
    second = uk.struct.field("2").cast(pl.Int32, strict=False)
    return (
        pl.when(text.is_null() | (text == ""))
        .then(pl.lit("missing"))
        .when(text.str.contains(_UK) & (second > 12) & (first <= 12))
        .then(pl.lit("us_style"))
        .when(text.str.contains(_TWO_DIGIT_YEAR))
        .then(pl.lit("two_digit_year"))
        .when(~text.str.contains(_ISO) & ~text.str.contains(_UK))
        .then(pl.lit("bad_format"))
        .when(date_expr(column).is_null())
        .then(pl.lit("impossible"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
