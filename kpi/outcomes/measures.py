"""Local outcome measures: the council's own figures (surveys, local KPIs), declared schema and validation.

Format (docs/formats/outcome-measures.md): CSV or XLSX (sheet ``Return``) with the columns
``measure_code, period, area_code, locality_code, imd_decile, numerator, denominator, value, lower_ci, upper_ci``.
Each row gives either a numerator and denominator (proportion measures: value = 100 x numerator / denominator with
Wilson 95% and 99.8% limits computed here) or a value with its 95% limits (``lower_ci``, ``upper_ci``; for
proportions in per cent). Measures are declared in ``config/outcome_measures.toml``. ``area_code`` blank means the
council's own area (England E92000001 or a region may be given as comparators); ``locality_code`` blank or ``ALL``
means the whole area; ``imd_decile`` is 1 (most deprived) to 10, ``U`` or blank for all.

:func:`validate_measures` reports every problem at once (vectorised checks) and types the rows only without errors.

Example:
    >>> normalise_period_label("2024/25"), normalise_period_label("2024/25 q2"), normalise_period_label("2023")
    ('2024-25', '2024-25 Q2', '2023')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from kpi.core import periods as periods
from kpi.ingest.report import Report, problem, problems_where
from kpi.outcomes.fingertips import period_sort_key
from kpi.outcomes.frameworks import LocalMeasure
from kpi.stats import wilson_ci

DATASET = "outcome-measures"
COLUMNS = (
    "measure_code",
    "period",
    "area_code",
    "locality_code",
    "imd_decile",
    "numerator",
    "denominator",
    "value",
    "lower_ci",
    "upper_ci",
)
NUMBERS = ("numerator", "denominator", "value", "lower_ci", "upper_ci")
ALL = "ALL"
#: A value given beside its numerator and denominator must match 100 x numerator / denominator this closely.
VALUE_TOLERANCE_POINTS = 0.05
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_AREA = r"^[EWSNK][0-9]{8}$"
_FY_ONLY = re.compile(r"^\s*([0-9]{4})\s*[-/]\s*([0-9]{2})\s*$")


def normalise_period_label(text: str) -> str:
    """A period as the project writes it: financial years ``2024-25``, quarters ``2024-25 Q2``; others as given."""
    try:
        return periods.normalise_period(text)
    except periods.PeriodError:
        pass
    match = _FY_ONLY.match(text)
    if match and (int(match[1]) + 1) % 100 == int(match[2]):
        return f"{match[1]}-{match[2]}"
    return text.strip()


@dataclass
class MeasureContext:
    """What a local measures file is checked against."""

    council_code: str
    measures: dict[str, LocalMeasure]
    localities: dict[str, str]  # code -> name


@dataclass
class CheckedMeasures:
    """A checked file: its report, and its typed rows when there were no errors."""

    report: Report
    rows: pl.DataFrame | None = None


def validate_measures(frame: pl.DataFrame, report: Report, context: MeasureContext) -> CheckedMeasures:
    """Check a local measures file's text rows and type them (see the module docstring)."""
    report.rows_read = frame.height
    columns = [c for c in frame.columns if c != "source_row"]
    missing = [c for c in COLUMNS if c not in columns]
    for name in missing:
        report.add(
            problem(
                "error",
                "missing_column",
                f"the column '{name}' is missing: the header must be {','.join(COLUMNS)}",
                column=name,
            )
        )
    for name in [c for c in columns if c not in COLUMNS]:
        report.add(
            problem(
                "error",
                "unknown_column",
                f"the column '{name}' is not part of the file: remove it or check its spelling",
                column=name,
            )
        )
    if frame.is_empty():
        report.add(problem("error", "empty", "the file has a header but no data rows"))
    if missing or frame.is_empty():
        return CheckedMeasures(report)

    by_upper = {code.upper(): code for code in context.measures}
    kinds = {code: m.value_kind for code, m in context.measures.items()}
    frame = frame.with_columns(
        pl.col("measure_code").str.to_uppercase().replace_strict(by_upper, default=None).alias("code"),
        pl.col("area_code").str.to_uppercase().fill_null(context.council_code.upper()).alias("area"),
        pl.col("locality_code").str.to_uppercase().fill_null(ALL).alias("locality"),
        pl.col("imd_decile").str.to_uppercase().str.strip_chars_start("0").fill_null(ALL).alias("decile"),
    ).with_columns(pl.col("code").replace_strict(kinds, default=None).alias("kind"))
    _check_codes(frame, report, context)
    frame = _check_numbers(frame, report)
    _check_duplicates(frame, report)
    if not report.ok:
        return CheckedMeasures(report)
    return CheckedMeasures(report, _typed(frame))


def _check_codes(frame: pl.DataFrame, report: Report, context: MeasureContext) -> None:
    known = ", ".join(context.measures)
    report.add(
        problems_where(
            frame,
            pl.col("code").is_null(),
            severity="error",
            check="unknown_measure",
            column="measure_code",
            message=pl.format(
                "'{}' is not a local outcome measure: use one of {} (declared in config/outcome_measures.toml)",
                pl.col("measure_code").fill_null(""),
                pl.lit(known),
            ),
        )
    )
    labels = {raw: period_sort_key(raw) for raw in frame["period"].drop_nulls().unique().to_list()}
    report.add(
        problems_where(
            frame,
            pl.col("period").is_null()
            | pl.col("period").replace_strict(labels, default=None, return_dtype=pl.Int64).is_null(),
            severity="error",
            check="bad_period",
            column="period",
            message=pl.format(
                "'{}' is not a period: write a financial year like 2024-25, a quarter like 2024-25 Q2 or a "
                "calendar year like 2024",
                pl.col("period").fill_null(""),
            ),
        )
    )
    report.add(
        problems_where(
            frame,
            ~pl.col("area").str.contains(_AREA),
            severity="error",
            check="bad_area",
            column="area_code",
            message="the area code is not an ONS code (a letter and 8 digits, e.g. E92000001 for England): leave "
            "it blank for the council's own area",
        )
    )
    localities = [code.upper() for code in context.localities]
    report.add(
        problems_where(
            frame,
            (pl.col("locality") != ALL) & ~pl.col("locality").is_in(localities),
            severity="error",
            check="unknown_locality",
            column="locality_code",
            message=pl.format(
                "'{}' is not one of the council's localities ({}) or ALL",
                pl.col("locality_code"),
                pl.lit(", ".join(localities)),
            ),
        )
    )
    report.add(
        problems_where(
            frame,
            (pl.col("locality") != ALL) & (pl.col("area") != context.council_code.upper()),
            severity="error",
            check="locality_elsewhere",
            column="locality_code",
            message="localities belong to the council's own area: leave area_code blank on locality rows",
        )
    )
    deciles = [str(d) for d in range(1, 11)] + ["U", ALL]
    report.add(
        problems_where(
            frame,
            ~pl.col("decile").is_in(deciles),
            severity="error",
            check="bad_decile",
            column="imd_decile",
            message="the decile must be 1 (most deprived) to 10, U (unknown) or blank for all deciles",
        )
    )


def _check_numbers(frame: pl.DataFrame, report: Report) -> pl.DataFrame:
    for name in NUMBERS:
        report.add(
            problems_where(
                frame,
                pl.col(name).is_not_null() & ~pl.col(name).str.contains(_NUMBER),
                severity="error",
                check="not_a_number",
                column=name,
                message=pl.format("'{}' is not a number: write digits only, or leave it blank", pl.col(name)),
            )
        )
    frame = frame.with_columns([pl.col(n).cast(pl.Float64, strict=False).alias(f"_{n}") for n in NUMBERS])
    x, n, v, lo, hi = (pl.col(f"_{name}") for name in NUMBERS)
    # presence is judged on the text, so a cell that is not a number is reported once, as not a number
    has_x, has_n, has_v, has_lo, has_hi = (pl.col(name).is_not_null() for name in NUMBERS)
    counts = x.is_not_null() & n.is_not_null()
    proportion = pl.col("kind") == "proportion"
    checks = [
        (
            proportion & (has_x != has_n),
            "half_counts",
            "numerator",
            "a proportion needs both the numerator and the denominator, or neither (with a value and its limits)",
        ),
        ((x < 0) | (n < 0), "negative", "numerator", "counts cannot be negative"),
        (
            proportion & counts & (x > n),
            "numerator_above_denominator",
            "numerator",
            "the numerator is above the denominator",
        ),
        (
            proportion & counts & (n <= 0),
            "zero_denominator",
            "denominator",
            "the denominator must be above 0",
        ),
        (
            has_lo != has_hi,
            "half_ci",
            "lower_ci",
            "give both 95% limits (lower_ci, upper_ci), or neither",
        ),
        (lo > hi, "ci_backwards", "lower_ci", "the lower limit is above the upper limit"),
        (
            v.is_not_null() & lo.is_not_null() & ((v < lo) | (v > hi)),
            "value_outside_ci",
            "value",
            "the value lies outside its 95% limits",
        ),
        (
            proportion & ~has_x & ~has_n & (~has_v | ~has_lo),
            "proportion_needs_counts",
            "value",
            "a proportion needs its numerator and denominator, or a value with its 95% limits",
        ),
        (
            proportion & ~counts & ((v < 0) | (v > 100)),
            "percent_range",
            "value",
            "a proportion is a per cent from 0 to 100",
        ),
        ((pl.col("kind") == "value") & ~has_v, "value_missing", "value", "this measure needs a value"),
        (
            proportion
            & counts
            & (n > 0)
            & v.is_not_null()
            & ((v - 100 * x / n).abs() > VALUE_TOLERANCE_POINTS),
            "value_mismatch",
            "value",
            "the value does not match 100 x numerator / denominator: correct it or leave it blank",
        ),
    ]
    for mask, check, column, message in checks:
        report.add(
            problems_where(
                frame,
                mask,
                severity="error",
                check=check,
                column=column,
                message=message,
                value=pl.col(column),
            )
        )
    return frame


def _check_duplicates(frame: pl.DataFrame, report: Report) -> None:
    key = pl.struct("code", "period", "area", "locality", "decile")
    report.add(
        problems_where(
            frame,
            key.is_duplicated() & pl.col("code").is_not_null(),
            severity="error",
            check="duplicate_row",
            column=None,
            value=pl.format(
                "{} {} {} {}", pl.col("code"), pl.col("period"), pl.col("locality"), pl.col("decile")
            ),
            message=pl.format(
                "{} for {}, {}, {}, decile {} appears more than once: keep one row",
                pl.col("code"),
                pl.col("period"),
                pl.col("area"),
                pl.col("locality"),
                pl.col("decile"),
            ),
        )
    )


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    """Typed rows: Wilson 95% and 99.8% limits (per cent) where the counts are given."""
    counts = pl.col("_numerator").is_not_null() & (pl.col("kind") == "proportion")
    x = frame.select(pl.when(counts).then(pl.col("_numerator"))).to_series()
    n = frame.select(pl.when(counts).then(pl.col("_denominator"))).to_series()
    lo95, hi95 = wilson_ci(x, n, 0.95)
    lo998, hi998 = wilson_ci(x, n, 0.998)
    frame = frame.with_columns(
        (lo95 * 100).alias("_w_lo95"),
        (hi95 * 100).alias("_w_hi95"),
        (lo998 * 100).alias("_w_lo998"),
        (hi998 * 100).alias("_w_hi998"),
    )
    labels = {raw: normalise_period_label(raw) for raw in frame["period"].unique().to_list()}
    keys = {raw: period_sort_key(raw) for raw in labels}
    return frame.select(
        pl.col("code").alias("measure_code"),
        pl.col("period").replace_strict(labels, return_dtype=pl.String).alias("period"),
        pl.col("period").replace_strict(keys, return_dtype=pl.Int64).alias("period_sortable"),
        pl.col("area").alias("area_code"),
        pl.col("locality").alias("locality_code"),
        pl.col("decile").alias("imd_decile"),
        pl.col("_numerator").alias("numerator"),
        pl.col("_denominator").alias("denominator"),
        pl.when(counts)
        .then(100 * pl.col("_numerator") / pl.col("_denominator"))
        .otherwise(pl.col("_value"))
        .alias("value"),
        pl.when(counts).then(pl.col("_w_lo95")).otherwise(pl.col("_lower_ci")).alias("lower_ci_95"),
        pl.when(counts).then(pl.col("_w_hi95")).otherwise(pl.col("_upper_ci")).alias("upper_ci_95"),
        pl.when(counts).then(pl.col("_w_lo998")).alias("lower_ci_998"),
        pl.when(counts).then(pl.col("_w_hi998")).alias("upper_ci_998"),
        pl.when(counts).then(pl.lit("wilson")).otherwise(pl.lit("given")).alias("ci_method"),
        "source_row",
    )
