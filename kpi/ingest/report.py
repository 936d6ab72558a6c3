"""Validation reports: every problem in a file at once, each with row, column, value and what to do.

Problems are held in a polars frame (one row per problem) so that checks stay vectorised: each check turns the
offending rows into problem rows with :func:`problems_where`, and the report groups them for people.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from kpi.ingest.files import base_name

PROBLEM_SCHEMA = {
    "severity": pl.String,
    "check": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "message": pl.String,
}


def empty_problems() -> pl.DataFrame:
    """A problem frame with no rows."""
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def problem(
    severity: str,
    check: str,
    message: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
) -> pl.DataFrame:
    """One problem as a one-row frame."""
    return pl.DataFrame(
        [[severity], [check], [row], [column], [value], [message]], schema=PROBLEM_SCHEMA, orient="col"
    )


def problems_where(
    frame: pl.DataFrame,
    mask: pl.Expr,
    *,
    severity: str,
    check: str,
    column: str | None,
    message: pl.Expr | str,
    value: pl.Expr | None = None,
) -> pl.DataFrame:
    """Problem rows for every row of ``frame`` where ``mask`` holds.

    ``frame`` must carry ``source_row``; ``message`` may be an expression (e.g. ``pl.format(...)``) so each row's
    message names its own value.
    """
    # rechunk: polars 2.1 panicked ("assertion failed: i < self.len()" in binview) formatting three string columns
    # of a multi-chunk frame's filtered rows (a Fingertips export with a repeated line; found by property tests)
    hits = frame.filter(mask.fill_null(False)).rechunk()
    if hits.is_empty():
        return empty_problems()
    value_expr = value if value is not None else (pl.col(column) if column else pl.lit(None))
    return hits.select(
        pl.lit(severity).alias("severity"),
        pl.lit(check).alias("check"),
        pl.col("source_row").cast(pl.Int64).alias("row"),
        pl.lit(column, dtype=pl.String).alias("column"),
        value_expr.cast(pl.String).alias("value"),
        (pl.lit(message) if isinstance(message, str) else message).cast(pl.String).alias("message"),
    )


def _row_ranges(rows: list[int]) -> str:
    """``[2, 3, 4, 9]`` -> ``"2-4, 9"``."""
    if not rows:
        return ""
    rows = sorted(set(rows))
    parts, start, prev = [], rows[0], rows[0]
    for current in rows[1:] + [None]:
        if current is not None and current == prev + 1:
            prev = current
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if current is not None:
            start = prev = current
    return ", ".join(parts)


def _where(item: dict) -> str:
    rows = _row_ranges(item["rows"])
    parts = []
    if rows:
        parts.append(("rows " if ("," in rows or "-" in rows) else "row ") + rows)
    if item["column"]:
        parts.append(f"column {item['column']}")
    return f" ({', '.join(parts)})" if parts else ""


@dataclass
class Report:
    """The outcome of reading and checking one file."""

    file_name: str
    sha256: str
    rows_read: int = 0
    problems: pl.DataFrame = field(default_factory=empty_problems)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.file_name = base_name(self.file_name)  # never a path: "C:\\x\\y.csv" and "../y.csv" are "y.csv"

    def add(self, frame: pl.DataFrame) -> None:
        """Add problem rows."""
        if not frame.is_empty():
            self.problems = pl.concat([self.problems, frame], how="vertical_relaxed")

    @property
    def errors(self) -> pl.DataFrame:
        """Problems that stop the file loading."""
        return self.problems.filter(pl.col("severity") == "error")

    @property
    def warnings(self) -> pl.DataFrame:
        """Problems that need confirming with a reason before the file loads."""
        return self.problems.filter(pl.col("severity") == "warning")

    @property
    def ok(self) -> bool:
        """No errors (warnings may remain)."""
        return self.errors.is_empty()

    def grouped(self) -> pl.DataFrame:
        """Problems grouped by severity, check, column and message, with their rows as a list."""
        if self.problems.is_empty():
            return self.problems.with_columns(pl.lit(None, dtype=pl.List(pl.Int64)).alias("rows")).head(0)
        order = {"error": 0, "warning": 1}
        return (
            self.problems.with_row_index("_order")
            .group_by(["severity", "check", "column", "message"], maintain_order=True)
            .agg(pl.col("row").drop_nulls().alias("rows"), pl.col("_order").min())
            .sort([pl.col("severity").replace_strict(order, return_dtype=pl.Int8), "_order"])
            .drop("_order")
        )

    def to_text(self) -> str:
        """The report for people: counts, then every problem grouped, with row numbers."""
        lines = [f"{self.file_name}: {self.rows_read} data rows read (SHA-256 {self.sha256[:12]}…)"]
        lines += [f"  note: {note}" for note in self.notes]
        errors, warnings = self.errors.height, self.warnings.height
        if not errors and not warnings:
            lines.append("No problems found.")
        else:
            lines.append(f"{errors} error(s), {warnings} warning(s).")
        for item in self.grouped().iter_rows(named=True):
            lines.append(
                f"{'ERROR' if item['severity'] == 'error' else 'WARNING'}{_where(item)}: {item['message']}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The report for machines (``--json``)."""
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "errors": self.errors.height,
            "warnings": self.warnings.height,
            "notes": self.notes,
            "problems": self.problems.to_dicts(),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), default=str)
