"""Checking a health visiting records extract: every problem at once, then the typed rows.

:func:`validate_records` trims every cell, reads the dates and codes (each column's distinct cells once, mapped
back to the rows: :func:`read_cells`), evaluates the rules (vectorised, one pass per rule table:
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


_UPPER = ("gender", "ethniccategory", "lsoa2011", "lsoa2021", "activity_locationtype", "practitioner_role")
#: two-digit codes lose their leading zero in spreadsheets: "1" is read as "01"
_PADDED = ("consmechanism", "activity_type", "breastfeedingstatus")
#: Codes checked against a pattern: the check is read once per distinct cell, as ``<column>_ok``.
_PATTERNS = {
    "lsoa2011": hv.LSOA_PATTERN,
    "lsoa2021": hv.LSOA_PATTERN,
    "activity_locationtype": hv.LOCATION_PATTERN,
}
_DATE_NAMES = {
    "dateofbirth": "born",
    "referralrequest_receiveddate": "start",
    "discharge_date": "end",
    "dateofdeath": "died",
    "contact_date": "contact",
}


def _trimmed(column: str) -> pl.Expr:
    """A cell trimmed, blank as null, codes upper case (and two-digit codes padded)."""
    text = pl.col(column).cast(pl.String).str.strip_chars()
    text = pl.when(text == "").then(None).otherwise(text)
    if column in _UPPER:
        text = text.str.to_uppercase()
    if column in _PADDED:
        text = text.str.replace(r"\.0+$", "").str.zfill(2)
    if column == "attendancestatus":
        text = text.str.replace(r"\.0+$", "")
    return text.alias(column)


def _read_from(column: str) -> list[pl.Expr]:
    """What is read from a trimmed cell of ``column`` alone: its date and the date's problem, ethnic group, score."""
    if column in _DATE_NAMES:
        return [
            date_expr(column).alias(_DATE_NAMES[column]),
            date_problem_expr(column).alias(f"{column}_problem"),
        ]
    if column == "ethniccategory":
        key = pl.when(pl.col(column) == "99").then(pl.lit("99")).otherwise(pl.col(column).str.slice(0, 1))
        return [key.replace_strict(hv.ETHNIC_GROUPS, default=None, return_dtype=pl.String).alias("ethnic")]
    if column in _PATTERNS:
        return [pl.col(column).str.contains(_PATTERNS[column]).alias(f"{column}_ok")]
    if column.startswith("asq3_") and column != "asq3_questionnaire":
        score = pl.col(column).cast(pl.Float64, strict=False)
        return [pl.when(score.is_between(0, 60)).then(score).alias(f"score_{column.removeprefix('asq3_')}")]
    return []


def _per_value(column: str, values: pl.Series) -> pl.DataFrame:
    """The trimmed cell and what is read from it, for each distinct cell ``values`` and for a blank cell (last).

    Text is categorical (a number per row, the text once; polars keeps the text only while a column uses it),
    except the pseudonym, which is one per child: nothing to share.
    """
    cells = pl.DataFrame({column: values.cast(pl.String)}).extend(
        pl.DataFrame({column: [None]}, {column: pl.String})
    )
    read = cells.with_columns(_trimmed(column)).with_columns(_read_from(column))
    return read.with_columns(
        pl.col(name).cast(pl.Categorical)
        for name, dtype in read.schema.items()
        if dtype == pl.String and name != "localpatientid"
    )


def typed_rows(frame: pl.DataFrame, context: HvContext, *, release: bool = False) -> pl.DataFrame:
    """Every schema column trimmed (missing optional ones as null) and the columns the rules and derivation read.

    :func:`read_cells`, then :func:`completed_rows`. ``release``: drop the text columns from ``frame`` (in place)
    once they are read.
    """
    return completed_rows(read_cells(frame, release=release), context)


def read_cells(frame: pl.DataFrame, *, release: bool = False) -> pl.DataFrame:
    """The extract's columns trimmed and what is read from each (dates, their problems, ethnic group, scores).

    Each column's distinct cells are trimmed and read once (a national extract has millions of rows but a few
    thousand dates and a handful of codes per column) and mapped back to the rows by their position among the
    distinct cells: the result is the same as reading every cell, without holding a second copy of the text.
    Columns the extract lacks are left to :func:`completed_rows` (so batches read apart can be joined first).
    """
    present = [c for c in hv.SCHEMA_COLUMNS if c in frame.columns]
    distinct = frame.select(pl.col(c).cast(pl.String).unique().drop_nulls().implode() for c in present).row(0)
    distinct = dict(zip(present, (pl.Series(v, dtype=pl.String) for v in distinct), strict=True))
    positions = frame.select(
        pl.col(c).cast(pl.String).cast(pl.Enum(distinct[c])).to_physical().fill_null(len(distinct[c]))
        for c in present
    )
    if release:
        for c in present:
            frame.drop_in_place(c)
    columns = []
    for c in present:
        read = _per_value(c, distinct[c])
        columns += [read[name].gather(positions[c]) for name in read.columns]
    others = [c for c in frame.columns if c not in hv.SCHEMA_COLUMNS]
    return frame.select(others).with_columns(columns)


def completed_rows(frame: pl.DataFrame, context: HvContext) -> pl.DataFrame:
    """:func:`read_cells`' rows with the columns the extract lacks (as a blank cell reads), today and the LSOA."""
    columns = []
    for c in hv.SCHEMA_COLUMNS:
        if c not in frame.columns:
            read = _per_value(c, pl.Series([], dtype=pl.String))
            columns += [pl.lit(read[name][0], dtype=read[name].dtype).alias(name) for name in read.columns]
    lsoa2021 = pl.col("lsoa2021").is_not_null()
    return frame.with_columns(columns).with_columns(
        pl.lit(context.today).alias("today"),
        pl.coalesce("lsoa2021", "lsoa2011").alias("lsoa"),
        pl.when(lsoa2021).then(pl.col("lsoa2021_ok")).otherwise(pl.col("lsoa2011_ok")).alias("lsoa_ok"),
    )


def _differing_fields(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows whose child fields differ from another row of the same child, with the first such field's name.

    Most extracts have none: when every child has one value of each field (counted per child first), the rows are
    not compared field by field.
    """
    named = frame.select("source_row", "localpatientid", *hv.CHILD_FIELDS).filter(
        pl.col("localpatientid").is_not_null()
    )
    values = named.group_by("localpatientid").agg(pl.col(c).n_unique() for c in hv.CHILD_FIELDS)
    if values.select(pl.all_horizontal(pl.col(c) == 1 for c in hv.CHILD_FIELDS).all()).item():
        return pl.DataFrame(schema={"source_row": named.schema["source_row"], "differs": pl.String})
    differs = [
        pl.when(pl.col(c).n_unique().over("localpatientid") > 1).then(pl.lit(c)) for c in hv.CHILD_FIELDS
    ]
    return named.select("source_row", pl.coalesce(differs).alias("differs"))


def validate_records(
    frame: pl.DataFrame, report: Report, context: HvContext, *, release: bool = False, typed: bool = False
) -> pl.DataFrame | None:
    """Check an extract's rows (text columns and ``source_row``); the typed rows, or None when there are errors.

    ``release``: the caller no longer needs the text, so its columns are dropped from ``frame`` as soon as they are
    read (a national extract's text is the largest thing a load holds). ``typed``: ``frame`` is already
    :func:`typed_rows` (an extract read in batches, each typed as it was read).
    """
    report.rows_read = frame.height
    missing = [c for c in hv.REQUIRED_COLUMNS if c not in frame.columns]
    for name in missing:
        report.add(rules.MISSING_COLUMN.one(name=name, header=", ".join(hv.SCHEMA_COLUMNS)))
    if missing:
        return None
    if frame.is_empty():
        report.add(rules.EMPTY.one())
        return None
    typed = frame if typed else typed_rows(frame, context, release=release)
    check_rules(typed, (*rules.DATE_RULES, *rules.ROW_RULES), report)
    check_rules(_differing_fields(typed), [rules.CHILD_RULE], report)
    return typed if report.ok else None
