"""Checking a health visiting records extract: every problem at once, then the typed rows.

:func:`validate_records` trims every cell, reads the dates and codes (vectorised, one pass per rule table:
:mod:`kpi.hvrecords.rule_tables`) and returns the typed rows, or None when the report has errors. Nothing is
stored here; no message repeats a person id, a date of birth or an LSOA (docs/methods.md section 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from kpi.hvrecords import rule_tables as rules
from kpi.hvrecords import schema as hv
from kpi.ingest.report import Report
from kpi.ingest.rules import check_rules
from kpi.ncmp.rules import date_expr, date_problem_expr


@dataclass(frozen=True)
class HvContext:
    """What an extract is checked against: today."""

    today: date


def _trimmed(frame: pl.DataFrame) -> pl.DataFrame:
    """Every schema column present (missing optional ones as null), trimmed, blanks as null, codes upper case."""
    missing = [c for c in hv.SCHEMA_COLUMNS if c not in frame.columns]
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    text = [pl.col(c).cast(pl.String).str.strip_chars() for c in hv.SCHEMA_COLUMNS]
    frame = frame.with_columns(
        pl.when(t == "").then(None).otherwise(t).alias(n)
        for t, n in zip(text, hv.SCHEMA_COLUMNS, strict=True)
    )
    upper = ["gender", "ethniccategory", "lsoa2011", "lsoa2021", "activity_locationtype", "practitioner_role"]
    # two-digit codes lose their leading zero in spreadsheets: "1" is read as "01"
    padded = ["consmechanism", "activity_type", "breastfeedingstatus"]
    return frame.with_columns(
        *(pl.col(c).str.to_uppercase() for c in upper),
        *(pl.col(c).str.replace(r"\.0+$", "").str.zfill(2) for c in padded),
        pl.col("attendancestatus").str.replace(r"\.0+$", ""),
    )


def _typed(frame: pl.DataFrame, context: HvContext) -> pl.DataFrame:
    """The checked columns the rules and the derivation read."""
    ethnic_key = (
        pl.when(pl.col("ethniccategory") == "99")
        .then(pl.lit("99"))
        .otherwise(pl.col("ethniccategory").str.slice(0, 1))
    )
    names = {"dateofbirth": "born", "referralrequest_receiveddate": "start", "discharge_date": "end"}
    names |= {"dateofdeath": "died", "contact_date": "contact"}
    return frame.with_columns(
        *(date_expr(c).alias(n) for c, n in names.items()),
        *(date_problem_expr(c).alias(f"{c}_problem") for c in names),
        pl.lit(context.today).alias("today"),
        ethnic_key.replace_strict(hv.ETHNIC_GROUPS, default=None, return_dtype=pl.String).alias("ethnic"),
        pl.coalesce("lsoa2021", "lsoa2011").alias("lsoa"),
        *(
            pl.col(f"asq3_{d}")
            .cast(pl.Float64, strict=False)
            .pipe(lambda s: pl.when(s.is_between(0, 60)).then(s))
            .alias(f"score_{d}")
            for d in hv.ASQ_DOMAINS
        ),
    )


def _differing_fields(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows whose child fields differ from another row of the same child, with the first such field's name."""
    differs = [
        pl.when(pl.col(c).n_unique().over("localpatientid") > 1).then(pl.lit(c)) for c in hv.CHILD_FIELDS
    ]
    return frame.filter(pl.col("localpatientid").is_not_null()).select(
        "source_row", pl.coalesce(differs).alias("differs")
    )


def validate_records(frame: pl.DataFrame, report: Report, context: HvContext) -> pl.DataFrame | None:
    """Check an extract's rows (text columns and ``source_row``); the typed rows, or None when there are errors."""
    report.rows_read = frame.height
    missing = [c for c in hv.REQUIRED_COLUMNS if c not in frame.columns]
    for name in missing:
        report.add(rules.MISSING_COLUMN.one(name=name, header=", ".join(hv.SCHEMA_COLUMNS)))
    if missing:
        return None
    if frame.is_empty():
        report.add(rules.EMPTY.one())
        return None
    typed = _typed(_trimmed(frame), context)
    check_rules(typed, (*rules.DATE_RULES, *rules.ROW_RULES), report)
    check_rules(_differing_fields(typed), [rules.CHILD_RULE], report)
    return typed if report.ok else None
