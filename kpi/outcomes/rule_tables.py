"""The outcome files' checks, declared: one :class:`kpi.ingest.rules.Rule` per check and message.

Local outcome measures (:func:`kpi.outcomes.measures.validate_measures`): the file-level problems
(:data:`MEASURE_FILE_RULES`) are raised once each, then :data:`MEASURE_RULES` run over the rows at once, with the
columns the validator adds (``code``, ``kind``, ``area``, ``locality``, ``decile``, ``period_key``, the numbers'
values ``_numerator`` ...) and the council's context as parameters (``measures``, ``localities``,
``locality_codes``, ``council``).

Fingertips exports (:func:`kpi.outcomes.fingertips.validate_export`): :data:`FINGERTIPS_FILE_RULES`, then
:data:`FINGERTIPS_RULES` over the rows under our column names, with the values the validator works out (the
numbers' values ``_value`` ..., ``_sortable``, ``imd_decile``); problems name the columns as Fingertips writes them
(:data:`SPACED`).

Neither file has warnings. The lists in docs/formats/outcome-measures.md and docs/formats/fingertips.md are
:func:`measure_rules` and :func:`fingertips_rules` (docs/methods.md section 4).
"""

from __future__ import annotations

import polars as pl

from kpi.ingest.rules import Rule

# ---- local outcome measures ------------------------------------------------------------------------------------

#: The local measures file's number columns.
MEASURE_NUMBERS = ("numerator", "denominator", "value", "lower_ci", "upper_ci")
#: ``locality_code`` or ``imd_decile`` for the whole area (a blank cell reads as this).
ALL = "ALL"
#: A value given beside its numerator and denominator must match 100 x numerator / denominator this closely.
VALUE_TOLERANCE_POINTS = 0.05
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_AREA = r"^[EWSNK][0-9]{8}$"

MEASURE_FILE_RULES = (
    Rule(
        "missing_column", "error", None, None, "the column '{name}' is missing: the header must be {header}"
    ),
    Rule(
        "unknown_column",
        "error",
        None,
        None,
        "the column '{name}' is not part of the file: remove it or check its spelling",
    ),
    Rule("empty", "error", None, None, "the file has a header but no data rows"),
)
MEASURE_MISSING_COLUMN, MEASURE_UNKNOWN_COLUMN, MEASURE_EMPTY = MEASURE_FILE_RULES

_LOCALITY, _AREA_CODE = pl.col("locality"), pl.col("area")

#: The measure, period, area, locality and decile of each row.
CODE_RULES = (
    Rule(
        "unknown_measure",
        "error",
        "measure_code",
        pl.col("code").is_null(),
        "'{measure_code}' is not a local outcome measure: use one of {measures} (declared in "
        "config/outcome_measures.toml)",
    ),
    Rule(
        "bad_period",
        "error",
        "period",
        pl.col("period").is_null() | pl.col("period_key").is_null(),
        "'{period}' is not a period: write a financial year like 2024-25, a quarter like 2024-25 Q2 or a calendar "
        "year like 2024",
    ),
    Rule(
        "bad_area",
        "error",
        "area_code",
        ~_AREA_CODE.str.contains(_AREA),
        "the area code is not an ONS code (a letter and 8 digits, e.g. E92000001 for England): leave it blank for "
        "the council's own area",
    ),
    Rule(
        "unknown_locality",
        "error",
        "locality_code",
        lambda p: (_LOCALITY != ALL) & ~_LOCALITY.is_in(p["locality_codes"]),
        "'{locality_code}' is not one of the council's localities ({localities}) or ALL",
    ),
    Rule(
        "locality_elsewhere",
        "error",
        "locality_code",
        lambda p: (_LOCALITY != ALL) & (_AREA_CODE != p["council"]),
        "localities belong to the council's own area: leave area_code blank on locality rows",
    ),
    Rule(
        "bad_decile",
        "error",
        "imd_decile",
        ~pl.col("decile").is_in([str(d) for d in range(1, 11)] + ["U", ALL]),
        "the decile must be 1 (most deprived) to 10, U (unknown) or blank for all deciles",
    ),
)

_X, _N, _V, _LO, _HI = (pl.col(f"_{name}") for name in MEASURE_NUMBERS)
# presence is judged on the text, so a cell that is not a number is reported once, as not a number
_HAS_X, _HAS_N, _HAS_V, _HAS_LO, _HAS_HI = (pl.col(name).is_not_null() for name in MEASURE_NUMBERS)
_COUNTS = _X.is_not_null() & _N.is_not_null()
_PROPORTION = pl.col("kind") == "proportion"


def _number_rule(check: str, column: str, when: pl.Expr, message: str) -> Rule:
    return Rule(check, "error", column, when, message, value=pl.col(column))


#: The numbers of each row: written as numbers, and consistent with each other and the measure's kind.
NUMBER_RULES = (
    *(
        Rule(
            "not_a_number",
            "error",
            name,
            pl.col(name).is_not_null() & ~pl.col(name).str.contains(_NUMBER),
            f"'{{{name}}}' is not a number: write digits only, or leave it blank",
        )
        for name in MEASURE_NUMBERS
    ),
    _number_rule(
        "half_counts",
        "numerator",
        _PROPORTION & (_HAS_X != _HAS_N),
        "a proportion needs both the numerator and the denominator, or neither (with a value and its limits)",
    ),
    _number_rule("negative", "numerator", (_X < 0) | (_N < 0), "counts cannot be negative"),
    _number_rule(
        "numerator_above_denominator",
        "numerator",
        _PROPORTION & _COUNTS & (_X > _N),
        "the numerator is above the denominator",
    ),
    _number_rule(
        "zero_denominator",
        "denominator",
        _PROPORTION & _COUNTS & (_N <= 0),
        "the denominator must be above 0",
    ),
    _number_rule(
        "half_ci", "lower_ci", _HAS_LO != _HAS_HI, "give both 95% limits (lower_ci, upper_ci), or neither"
    ),
    _number_rule("ci_backwards", "lower_ci", _LO > _HI, "the lower limit is above the upper limit"),
    _number_rule(
        "value_outside_ci",
        "value",
        _V.is_not_null() & _LO.is_not_null() & ((_V < _LO) | (_V > _HI)),
        "the value lies outside its 95% limits",
    ),
    _number_rule(
        "proportion_needs_counts",
        "value",
        _PROPORTION & ~_HAS_X & ~_HAS_N & (~_HAS_V | ~_HAS_LO),
        "a proportion needs its numerator and denominator, or a value with its 95% limits",
    ),
    _number_rule(
        "percent_range",
        "value",
        _PROPORTION & ~_COUNTS & ((_V < 0) | (_V > 100)),
        "a proportion is a per cent from 0 to 100",
    ),
    _number_rule(
        "value_missing", "value", (pl.col("kind") == "value") & ~_HAS_V, "this measure needs a value"
    ),
    _number_rule(
        "value_mismatch",
        "value",
        _PROPORTION
        & _COUNTS
        & (_N > 0)
        & _V.is_not_null()
        & ((_V - 100 * _X / _N).abs() > VALUE_TOLERANCE_POINTS),
        "the value does not match 100 x numerator / denominator: correct it or leave it blank",
    ),
)

MEASURE_DUPLICATE = Rule(
    "duplicate_row",
    "error",
    None,
    pl.struct("code", "period", "area", "locality", "decile").is_duplicated() & pl.col("code").is_not_null(),
    "{measure_code} for {period}, {area_code}, {locality_code}, decile {imd_decile} appears more than once: keep "
    "one row",
    args={
        "measure_code": pl.col("code"),
        "area_code": pl.col("area"),
        "locality_code": pl.col("locality"),
        "imd_decile": pl.col("decile"),
    },
    value=pl.format("{} {} {} {}", pl.col("code"), pl.col("period"), pl.col("locality"), pl.col("decile")),
)

#: Every row check of a local measures file, in the order the report lists them.
MEASURE_RULES = (*CODE_RULES, *NUMBER_RULES, MEASURE_DUPLICATE)


def measure_rules() -> tuple[Rule, ...]:
    """Every check of the local outcome measures file, in the order of docs/formats/outcome-measures.md."""
    return (*MEASURE_FILE_RULES, *MEASURE_RULES)


# ---- Fingertips exports ----------------------------------------------------------------------------------------

#: Header names as Fingertips writes them (for messages and the report's column).
SPACED = {
    "indicator_id": "Indicator ID",
    "area_code": "Area Code",
    "sex": "Sex",
    "age": "Age",
    "category_type": "Category Type",
    "category": "Category",
    "time_period": "Time period",
    "value": "Value",
    "lower_ci_95": "Lower CI 95.0 limit",
    "upper_ci_95": "Upper CI 95.0 limit",
    "lower_ci_998": "Lower CI 99.8 limit",
    "upper_ci_998": "Upper CI 99.8 limit",
    "count": "Count",
    "denominator": "Denominator",
    "time_period_sortable": "Time period Sortable",
}
#: Every column of a Fingertips data export, in its order (the reader takes those in :data:`SPACED`, the benchmark
#: polarity and ``Indicator notes``; the sample's generators and the benchmark write exports with these headers).
EXPORT_HEADER = (
    "Indicator ID",
    "Indicator Name",
    "Parent Code",
    "Parent Name",
    "Area Code",
    "Area Name",
    "Area Type",
    "Sex",
    "Age",
    "Category Type",
    "Category",
    "Time period",
    "Value",
    "Lower CI 95.0 limit",
    "Upper CI 95.0 limit",
    "Lower CI 99.8 limit",
    "Upper CI 99.8 limit",
    "Count",
    "Denominator",
    "Value note",
    "Recent Trend",
    "Compared to England value or percentiles",
    "Compared to Region value or percentiles",
    "Time period Sortable",
    "New data",
    "Compared to goal",
    "Time period range",
    "Indicator notes",
)
#: An export's number columns (our names).
FINGERTIPS_NUMBERS = (
    "value",
    "lower_ci_95",
    "upper_ci_95",
    "lower_ci_998",
    "upper_ci_998",
    "count",
    "denominator",
)
#: The columns that identify a row of an export.
FINGERTIPS_KEY = ("indicator_id", "area_code", "sex", "age", "category_type", "category", "time_period")
_FT_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"

FINGERTIPS_FILE_RULES = (
    Rule(
        "missing_column",
        "error",
        None,
        None,
        "the column '{name}' is missing: export the 'all data' CSV from Fingertips again (Download > all data for "
        "the indicators); its header must include {header}",
    ),
    Rule("empty", "error", None, None, "the export has a header but no data rows: export it again"),
)
FINGERTIPS_MISSING_COLUMN, FINGERTIPS_EMPTY = FINGERTIPS_FILE_RULES


def _spaced(name: str) -> str:
    return SPACED.get(name, name)


#: The identifying columns: an indicator number, an area and a period on every row.
KEY_RULES = (
    Rule(
        "bad_indicator_id",
        "error",
        _spaced("indicator_id"),
        ~pl.col("indicator_id").str.contains(r"^[0-9]+$") | pl.col("indicator_id").is_null(),
        "the indicator ID '{indicator_id}' is not a Fingertips indicator number (digits only, e.g. 93085)",
        value=pl.col("indicator_id"),
    ),
    *(
        Rule(
            f"blank_{name}",
            "error",
            _spaced(name),
            pl.col(name).is_null(),
            f"the {what} is blank: every row of an export names its {what}",
            value=pl.col(name),
        )
        for name, what in (("area_code", "area code"), ("time_period", "time period"))
    ),
)

#: The numbers: written as numbers, a value or a note, limits in order, counts not negative.
FINGERTIPS_NUMBER_RULES = (
    *(
        Rule(
            "not_a_number",
            "error",
            _spaced(name),
            pl.col(name).is_not_null() & ~pl.col(name).str.contains(_FT_NUMBER),
            f"'{{{name}}}' is not a number: the {_spaced(name)} must be a number or blank",
            value=pl.col(name),
        )
        for name in FINGERTIPS_NUMBERS
    ),
    Rule(
        "blank_value_without_note",
        "error",
        "Value",
        pl.col("value").is_null() & pl.col("value_note").is_null(),
        "the value is blank with no value note: Fingertips explains every missing value in 'Value note' (e.g. "
        "suppressed); export the data again",
        value=pl.col("value"),
    ),
    *(
        Rule(
            "ci_backwards",
            "error",
            _spaced(f"lower_ci_{level}"),
            pl.col(f"_lower_ci_{level}") > pl.col(f"_upper_ci_{level}"),
            f"the lower {shown} limit is above the upper limit: check the export",
            value=pl.format("{}-{}", pl.col(f"_lower_ci_{level}"), pl.col(f"_upper_ci_{level}")),
        )
        for level, shown in (("95", "95%"), ("998", "99.8%"))
    ),
    *(
        Rule(
            "negative",
            "error",
            _spaced(name),
            pl.col(f"_{name}") < 0,
            f"the {name} cannot be negative",
            value=pl.col(f"_{name}"),
        )
        for name in ("count", "denominator")
    ),
)

_GIVEN = pl.col("time_period_sortable")

#: Periods: a sort key that is a whole number, and a period that can be put in order.
PERIOD_RULES = (
    Rule(
        "bad_sort_key",
        "error",
        _spaced("time_period_sortable"),
        _GIVEN.is_not_null() & ~_GIVEN.str.contains(r"^[0-9]{1,9}$"),
        "'{time_period_sortable}' is not a whole number: Time period Sortable orders the periods",
        value=_GIVEN,
    ),
    Rule(
        "bad_period",
        "error",
        _spaced("time_period"),
        pl.col("time_period").is_not_null() & pl.col("_sortable").is_null(),
        "'{time_period}' cannot be put in order: add the 'Time period Sortable' column to the export (or write "
        "periods like 2022/23, 2022/23 Q2 or 2022)",
        value=pl.col("time_period"),
    ),
)

UNKNOWN_DECILE = Rule(
    "unknown_decile",
    "error",
    "Category",
    pl.col("category_type").str.to_lowercase().str.contains("decile")
    & (pl.col("category") != "")
    & pl.col("imd_decile").is_null(),
    "'{category}' is not a deprivation decile label: expected 'Most deprived decile (IMD2019)' … 'Least deprived "
    "decile (IMD2019)' (or IMD2025) or '1st decile' … '10th decile'",
    value=pl.col("category"),
)

FINGERTIPS_DUPLICATE = Rule(
    "duplicate_row",
    "error",
    None,
    pl.struct(list(FINGERTIPS_KEY)).is_duplicated() & pl.col("indicator_id").is_not_null(),
    "indicator {indicator_id}, area {area_code}, {time_period} ({breakdown}) appears more than once: keep one row",
    args={
        "breakdown": pl.concat_list("sex", "age", "category")
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.join(", ")
    },
    value=pl.format("{} {} {}", pl.col("indicator_id"), pl.col("area_code"), pl.col("time_period")),
)

#: Every row check of a Fingertips export, in the order the report lists them.
FINGERTIPS_RULES = (
    *KEY_RULES,
    *FINGERTIPS_NUMBER_RULES,
    *PERIOD_RULES,
    UNKNOWN_DECILE,
    FINGERTIPS_DUPLICATE,
)


def fingertips_rules() -> tuple[Rule, ...]:
    """Every check of a Fingertips export, in the order of docs/formats/fingertips.md."""
    return (*FINGERTIPS_FILE_RULES, *FINGERTIPS_RULES)
