"""Local outcome measures: the council's own figures (surveys, local KPIs), declared schema and validation.

Format (docs/formats/outcome-measures.md): CSV or XLSX (sheet ``Return``) with the columns
``measure_code, period, area_code, locality_code, imd_decile, numerator, denominator, value, lower_ci, upper_ci``.
Each row gives either a numerator and denominator (proportion measures: value = 100 x numerator / denominator with
Wilson 95% and 99.8% limits computed here) or a value with its 95% limits (``lower_ci``, ``upper_ci``; for
proportions in per cent). Measures are declared in ``config/outcome_measures.toml``. ``area_code`` blank means the
council's own area (England E92000001 or a region may be given as comparators); ``locality_code`` blank or ``ALL``
means the whole area; ``imd_decile`` is 1 (most deprived) to 10, ``U`` or blank for all.

:func:`validate_measures` reports every problem at once (the declared rules of :mod:`kpi.outcomes.rule_tables`,
vectorised) and types the rows only without errors.

Example:
    >>> normalise_period_label("2024/25"), normalise_period_label("2024/25 q2"), normalise_period_label("2023")
    ('2024-25', '2024-25 Q2', '2023')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from kpi.core import periods as periods
from kpi.ingest.report import Report
from kpi.ingest.rules import check_rules
from kpi.outcomes import rule_tables as rules
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
NUMBERS = rules.MEASURE_NUMBERS
ALL = rules.ALL
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
    """Check a local measures file's text rows and type them (see the module docstring).

    The checks are the rules of :mod:`kpi.outcomes.rule_tables` (:data:`~kpi.outcomes.rule_tables.MEASURE_RULES`),
    evaluated over the whole file at once.
    """
    report.rows_read = frame.height
    columns = [c for c in frame.columns if c != "source_row"]
    missing = [c for c in COLUMNS if c not in columns]
    header = ",".join(COLUMNS)
    for name in missing:
        report.add(rules.MEASURE_MISSING_COLUMN.one(column=name, name=name, header=header))
    for name in [c for c in columns if c not in COLUMNS]:
        report.add(rules.MEASURE_UNKNOWN_COLUMN.one(column=name, name=name))
    if frame.is_empty():
        report.add(rules.MEASURE_EMPTY.one())
    if missing or frame.is_empty():
        return CheckedMeasures(report)

    by_upper = {code.upper(): code for code in context.measures}
    kinds = {code: m.value_kind for code, m in context.measures.items()}
    keys = {raw: period_sort_key(raw) for raw in frame["period"].drop_nulls().unique().to_list()}
    frame = frame.with_columns(
        pl.col("measure_code").str.to_uppercase().replace_strict(by_upper, default=None).alias("code"),
        pl.col("area_code").str.to_uppercase().fill_null(context.council_code.upper()).alias("area"),
        pl.col("locality_code").str.to_uppercase().fill_null(ALL).alias("locality"),
        pl.col("imd_decile").str.to_uppercase().str.strip_chars_start("0").fill_null(ALL).alias("decile"),
        pl.col("period").replace_strict(keys, default=None, return_dtype=pl.Int64).alias("period_key"),
        *[pl.col(n).cast(pl.Float64, strict=False).alias(f"_{n}") for n in NUMBERS],
    ).with_columns(pl.col("code").replace_strict(kinds, default=None).alias("kind"))
    localities = [code.upper() for code in context.localities]
    params = {
        "measures": ", ".join(context.measures),
        "locality_codes": localities,
        "localities": ", ".join(localities),
        "council": context.council_code.upper(),
    }
    check_rules(frame, rules.MEASURE_RULES, report, params)
    if not report.ok:
        return CheckedMeasures(report)
    return CheckedMeasures(report, _typed(frame))


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
    return frame.select(
        pl.col("code").alias("measure_code"),
        pl.col("period").replace_strict(labels, return_dtype=pl.String).alias("period"),
        pl.col("period_key").alias("period_sortable"),
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
