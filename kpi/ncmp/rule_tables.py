"""The NCMP returns' checks, declared: one :class:`kpi.ingest.rules.Rule` per check and message.

Row checks run over the file's rows with the columns :mod:`kpi.ncmp.checks` adds (``year_value``, ``urn``,
``group``, ``sex_code``, ``born``, ``measured``, ``age_years``, ``lsoa``, ``ethnicity``, the measures' values);
the warnings after classification (:data:`FLAG_RULES`) over the classified rows. File-level problems
(:data:`FILE_RULES`) are raised once each. No message repeats a date (the report is stored). The list in
docs/formats/ncmp.md is :func:`all_rules` (docs/methods.md section 3).
"""

from __future__ import annotations

import polars as pl

from kpi.ingest.rules import Rule
from kpi.ncmp import rules as ncmp
from kpi.ncmp.schema import LSOA_PATTERN, POSTCODE_PATTERN

_NO_VALUE = pl.lit(None, dtype=pl.String)

FILE_RULES = (
    Rule(
        "missing_column",
        "error",
        None,
        None,
        "the column '{name}' is missing: add it, or map the extract's column to it with a mapping file "
        "(--mapping); the return's columns are {header}",
    ),
    Rule("empty", "error", None, None, "the file has a header but no data rows: add the children's rows"),
    Rule(
        "optional_column_missing",
        "warning",
        None,
        None,
        "the file has no {name} column: every child's {effect}; add it, or confirm",
    ),
)
MISSING_COLUMN, EMPTY, OPTIONAL_COLUMN_MISSING = FILE_RULES


def blank(column: str) -> pl.Expr:
    """A cell that is empty or only spaces."""
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def _blank_or_bad(
    check: str, column: str, code: str, blank_message: str, bad_message: str
) -> tuple[Rule, Rule]:
    """Two rules for a code that could not be read: one message when the cell is blank, one naming its value."""
    unread = pl.col(code).is_null()
    return (
        Rule(check, "error", column, unread & blank(column), blank_message),
        Rule(check, "error", column, unread & ~blank(column), bad_message),
    )


YEAR_RULES = (
    Rule(
        "bad_academic_year",
        "error",
        "academic_year",
        pl.col("academic_year").is_null(),
        "the academic year is blank: write it like 2025/26",
    ),
    Rule(
        "bad_academic_year",
        "error",
        "academic_year",
        pl.col("academic_year").is_not_null() & pl.col("year_value").is_null(),
        "'{academic_year}' is not an academic year: write it like 2025/26 (the second year follows the first)",
    ),
)
#: Added when the file holds several academic years (parameters ``main``, ``count``, ``years``).
SEVERAL_YEARS = Rule(
    "several_academic_years",
    "error",
    "academic_year",
    lambda p: pl.col("year_value").is_not_null() & (pl.col("year_value") != p["main"]),
    "the file holds {count} academic years ({years}): load one academic year per file (most rows are for {main})",
)

SCHOOL_RULES = (
    *_blank_or_bad(
        "bad_urn",
        "school_urn",
        "urn",
        "the school URN is blank: give the school's 6-digit Unique Reference Number",
        "'{school_urn}' is not a school URN: a URN is the school's 6-digit Unique Reference Number",
    ),
    *_blank_or_bad(
        "bad_school_year",
        "school_year",
        "group",
        "the year group is blank: write R (Reception) or 6 (Year 6)",
        "'{school_year}' is not an NCMP year group: write R (Reception) or 6 (Year 6)",
    ),
)

_LSOA = pl.col("lsoa")
_BAD_LSOA = _LSOA.is_not_null() & ~_LSOA.str.contains(LSOA_PATTERN)
_POSTCODE = _LSOA.str.contains(POSTCODE_PATTERN)
#: A postcode shows its outward half only.
_MASKED = pl.format("{} ***", _LSOA.str.extract(POSTCODE_PATTERN, 1))

#: lsoa_code must be an English LSOA code of 2011 or 2021 (docs/methods.md section 7.1) and ethnic_group an NHS ethnic
#: category; neither value is ever repeated in full
#: (the report is shown, downloaded and stored).
AREA_RULES = (
    Rule(
        "lsoa_is_postcode",
        "error",
        "lsoa_code",
        _BAD_LSOA & _POSTCODE,
        "lsoa_code looks like a postcode ({masked}): give the child's LSOA code (E01 and six digits, such as "
        "E01006074), never a postcode; postcodes are not stored",
        args={"masked": _MASKED},
        value=_MASKED,
    ),
    Rule(
        "bad_lsoa",
        "error",
        "lsoa_code",
        _BAD_LSOA & ~_POSTCODE,
        "lsoa_code is not an LSOA code (E01, or W01 for Wales, and six digits, such as E01006074): give the child's "
        "LSOA code, or leave it blank if it is not known",
        value=_NO_VALUE,
    ),
    Rule(
        "unknown_lsoa",
        "error",
        "lsoa_code",
        lambda p: (
            _LSOA.is_not_null() & _LSOA.str.contains(LSOA_PATTERN) & ~_LSOA.is_in(p["known_lsoas"].implode())
        ),
        "'{lsoa_code}' is not an English LSOA code of 2011 (IoD2019) or 2021 (IoD2025): check it, or leave it blank "
        "if the child's LSOA is not known (the decile and home locality are then unknown)",
    ),
    Rule(
        "bad_ethnic_group",
        "error",
        "ethnic_group",
        pl.col("_ethnic_given") & pl.col("ethnicity").is_null(),
        "ethnic_group is not an NHS ethnic category: write the code (A to H, J to N, P, R, S, Z, or 99 for not "
        "known) or the group (White, Mixed, Asian or Asian British, Black or Black British, Any other ethnic group, "
        "Not stated), or leave it blank",
        value=_NO_VALUE,
    ),
)

_DATE_MESSAGES = {
    "missing": "the {label} is blank: every child needs one",
    "us_style": "the {label} looks like month/day/year (US style: its second number is above 12): write dates as "
    "DD/MM/YYYY or YYYY-MM-DD",
    "two_digit_year": "the {label} has a two-digit year, which is ambiguous: write DD/MM/YYYY or YYYY-MM-DD",
    "bad_format": "the {label} is not written as DD/MM/YYYY or YYYY-MM-DD: write it in one of those forms",
    "impossible": "the {label} is not a real date (such as 31/02/2019): check it",
}
_MEASURED = pl.col("measured")

#: Date values are never put in a message or the report's value column: the report is stored.
DATE_RULES = (
    *(
        Rule(
            f"date_{code}",
            "error",
            column,
            pl.col(f"{column}_problem") == code,
            text.format(label=label),
            value=_NO_VALUE,
        )
        for column, label in (
            ("date_of_birth", "date of birth"),
            ("date_of_measurement", "date of measurement"),
        )
        for code, text in _DATE_MESSAGES.items()
    ),
    Rule(
        "measured_before_birth",
        "error",
        "date_of_measurement",
        pl.col("born").is_not_null() & _MEASURED.is_not_null() & (_MEASURED < pl.col("born")),
        "the date of measurement is before the date of birth: check both dates",
        value=_NO_VALUE,
    ),
    Rule(
        "measured_in_future",
        "error",
        "date_of_measurement",
        lambda p: _MEASURED > pl.lit(p["today_date"]),
        "the date of measurement is after today ({today}): check it",
        value=_NO_VALUE,
    ),
    Rule(
        "measured_outside_year",
        "error",
        "date_of_measurement",
        lambda p: (
            (_MEASURED < pl.lit(p["first_date"])) | (_MEASURED > pl.lit(p["last_date"]))
            if p.get("first_date")
            else pl.lit(False)
        ),
        "the date of measurement is outside academic year {year} ({first} to {last}): check the date or the "
        "academic year",
        value=_NO_VALUE,
    ),
    *(
        Rule(
            "age_out_of_range",
            "error",
            "date_of_birth",
            (pl.col("group") == group)
            & (_MEASURED >= pl.col("born"))
            & ((pl.col("age_years") < low) | (pl.col("age_years") > high)),
            f"the child was {{age}} years old when measured: {ncmp.SCHOOL_YEAR_NAMES[group]} children must be "
            f"{low:.1f} to {high:.1f} years old; check the dates and the year group",
            args={"age": pl.col("age_years").round(1)},
            value=pl.col("age_years").round(1),
        )
        for group, (low, high) in ncmp.AGE_LIMITS_YEARS.items()
    ),
)

MEASURE_RULES = tuple(
    rule
    for column, (low, high), unit, what in (
        ("height_cm", ncmp.HEIGHT_LIMITS_CM, "cm", "height in centimetres"),
        ("weight_kg", ncmp.WEIGHT_LIMITS_KG, "kg", "weight in kilograms"),
    )
    for rule in (
        Rule(
            "missing_measure",
            "error",
            column,
            pl.col(column).is_null(),
            f"the {what.split(' in ')[0]} is blank: every child measured has a {what}",
        ),
        Rule(
            "not_a_number",
            "error",
            column,
            pl.col(column).is_not_null() & pl.col(f"{column}_value").is_null(),
            f"'{{{column}}}' is not a number: write the {what} as digits, with a decimal point if needed",
        ),
        Rule(
            "measure_out_of_range",
            "error",
            column,
            (pl.col(f"{column}_value") < low) | (pl.col(f"{column}_value") > high),
            f"{{{column}}} {unit} is outside {low:g}-{high:g} {unit}: check the {what}",
        ),
    )
)

_SEX_RULES = _blank_or_bad(
    "bad_sex",
    "sex",
    "sex_code",
    "the sex is blank: write M or F (male/female and 1/2 are also read)",
    "'{sex}' is not a sex the NCMP return records: write M or F (male/female and 1/2 are also read)",
)
#: Every row check of the child-level return after the academic year's, in the order the report lists them.
CHILD_RULES = (*SCHOOL_RULES, *_SEX_RULES, *AREA_RULES, *DATE_RULES, *MEASURE_RULES)

_Z_TEXT = pl.col("bmi_z").round(1).cast(pl.String)
#: Warnings over the classified rows (``_improbable``, ``_implausible``, ``is_duplicate``,
#: ``_split_deciles``: a code of the other vintage than the year's index whose matching LSOAs differ in decile).
FLAG_RULES = (
    Rule(
        "z_improbable",
        "warning",
        "weight_kg",
        pl.col("_improbable"),
        "BMI z-score {z} is beyond ±4 (improbable): check the height and weight, or confirm them",
        args={"z": _Z_TEXT},
        value=_Z_TEXT,
    ),
    Rule(
        "z_implausible",
        "warning",
        "weight_kg",
        pl.col("_implausible"),
        "BMI z-score {z} is beyond ±7 (implausible): if confirmed, the child is excluded from prevalence and "
        "counted in data quality; check the height and weight",
        args={"z": _Z_TEXT.fill_null("(none)")},
        value=_Z_TEXT,
    ),
    Rule(
        "duplicate_child",
        "warning",
        None,
        pl.col("is_duplicate"),
        "this child appears more than once ({duplicate_by}{duplicate_of}): only the first row is counted; remove "
        "the repeat, or confirm",
        value=pl.col("duplicate_of").cast(pl.String),
    ),
    Rule(
        "split_lsoa",
        "warning",
        "lsoa_code",
        pl.col("_split_deciles").is_not_null(),
        "LSOA {lsoa_code} ({vintage}) matches {index} LSOAs in different deciles ({_split_deciles}): the child's "
        "decile will be unknown (docs/methods.md section 7.1); give the child's {other} LSOA code, or confirm",
        args={
            "vintage": pl.format("{}", pl.col("_code_vintage")),
            "index": pl.col("_index"),
            "other": pl.when(pl.col("_code_vintage") == 2011).then(pl.lit("2021")).otherwise(pl.lit("2011")),
        },
    ),
)

#: The eligible-pupils return's own row checks (after the academic year's and :data:`SCHOOL_RULES`).
ELIGIBLE_RULES = (
    Rule(
        "missing_school_name",
        "error",
        "school_name",
        pl.col("school_name").is_null(),
        "the school name is blank: give the school's name",
    ),
    Rule(
        "bad_eligible_pupils",
        "error",
        "eligible_pupils",
        pl.col("pupils").is_null(),
        "'{eligible_pupils}' is not a number of pupils: write a whole number (0 or more)",
    ),
    Rule(
        "unknown_locality",
        "error",
        "locality_code",
        lambda p: pl.col("locality").is_null() | ~pl.col("locality").is_in(p["locality_codes"]),
        "'{locality_code}' is not one of the council's localities: use {localities}",
    ),
    Rule(
        "duplicate_school",
        "error",
        "school_urn",
        pl.col("urn").is_not_null()
        & pl.col("group").is_not_null()
        & pl.struct(["urn", "group"]).is_duplicated(),
        "school {urn} year group {group} appears more than once: give one row per school and year group",
    ),
)


def all_rules() -> tuple[Rule, ...]:
    """Every check of the NCMP returns, in the order of docs/formats/ncmp.md."""
    return (*FILE_RULES, *YEAR_RULES, SEVERAL_YEARS, *CHILD_RULES, *FLAG_RULES, *ELIGIBLE_RULES)
