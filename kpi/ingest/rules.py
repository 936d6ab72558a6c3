"""Declared validation rules: a file's checks as a table of :class:`Rule` records, evaluated by one engine.

A rule names its check, the column it looks at, its severity, the condition that marks a row as a problem (a polars
expression, evaluated over the whole frame at once) and its message: a template whose ``{name}`` fields are the
rule's own expressions (``args``), the caller's parameters (such as the council's localities) or the frame's
columns. :func:`check_rules` evaluates a whole table in one pass and adds every problem to a
:class:`kpi.ingest.report.Report` at once, each with its row, column, value and what to do; :func:`rules_markdown`
writes the same table for the format documents, so the documented list of checks is the declared one
(docs/methods.md section 2).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import polars as pl

from kpi.ingest.report import Report, problem, problems_where

SEVERITIES = ("error", "warning")

Condition = pl.Expr | Callable[[Mapping[str, object]], pl.Expr] | None


@dataclass(frozen=True)
class Rule:
    """One declared check.

    ``when`` is the condition (an expression, or a function of the caller's parameters returning one; ``None`` for
    a check about the whole file, raised with :meth:`one`). ``message`` is a template: each ``{name}`` is
    ``args[name]`` when given, else the parameter ``name``, else the column ``name`` (blank when null). ``value`` is
    what the report shows as the value (the checked column's cell when not given).

    Example:
        >>> import polars as pl
        >>> from kpi.ingest.report import Report
        >>> rule = Rule("negative", "error", "n", pl.col("n").cast(pl.Int64) < 0, "{n} is negative: check it")
        >>> report = Report("f.csv", "0" * 64)
        >>> check_rules(pl.DataFrame({"n": ["3", "-1"], "source_row": [2, 3]}), [rule], report)
        >>> report.problems.select("row", "message").row(0)
        (3, '-1 is negative: check it')

    """

    check: str
    severity: str
    column: str | None
    when: Condition
    message: str
    args: Mapping[str, pl.Expr] = field(default_factory=dict)
    value: pl.Expr | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.check}: the severity must be one of {', '.join(SEVERITIES)}")

    def fields(self) -> list[str]:
        """The names of the message template's ``{fields}``."""
        return [name for _, name, _, _ in string.Formatter().parse(self.message) if name]

    def condition(self, params: Mapping[str, object]) -> pl.Expr:
        """The row condition for these parameters."""
        if self.when is None:
            raise ValueError(f"rule {self.check} is about the whole file: raise it with Rule.one")
        return self.when(params) if callable(self.when) else self.when

    def message_expr(self, params: Mapping[str, object]) -> pl.Expr | str:
        """The message as an expression over the frame (plain text when the template has no fields)."""
        names = self.fields()
        if not names:
            return self.message
        pieces = []
        for name in names:
            if name in self.args:
                pieces.append(self.args[name])
            elif name in params:
                pieces.append(pl.lit(str(params[name])))
            else:
                pieces.append(pl.col(name).cast(pl.String).fill_null(""))
        template = "".join(
            text.replace("{", "{{").replace("}", "}}") + ("{}" if name else "")
            for text, name, _, _ in string.Formatter().parse(self.message)
        )
        return pl.format(template, *pieces)

    def one(self, *, column: str | None = None, value: str | None = None, **params: object) -> pl.DataFrame:
        """The problem about the whole file (no row) that this rule raises, its template filled from ``params``."""
        return problem(
            self.severity,
            self.check,
            self.message.format(**params),
            column=column if column is not None else self.column,
            value=value,
        )


def check_rules(
    frame: pl.DataFrame, rules: Iterable[Rule], report: Report, params: Mapping[str, object] | None = None
) -> None:
    """Evaluate every rule over ``frame`` (which carries ``source_row``) and add all the problems to ``report``.

    Every condition is reduced to "any row?" in one parallel pass (one scan of a large file instead of one per
    rule); only the rules that hit build their problem rows, in the table's order.
    """
    params = params or {}
    rules = list(rules)
    if frame.is_empty() or not rules:
        return
    conditions = [rule.condition(params) for rule in rules]
    hits = frame.select(c.fill_null(False).any().alias(f"_{i}") for i, c in enumerate(conditions)).row(0)
    for hit, rule, condition in zip(hits, rules, conditions, strict=True):
        if hit:
            report.add(
                problems_where(
                    frame,
                    condition,
                    severity=rule.severity,
                    check=rule.check,
                    column=rule.column,
                    message=rule.message_expr(params),
                    value=rule.value,
                )
            )


def rules_markdown(rules: Iterable[Rule]) -> str:
    """The rules as a Markdown table (check, severity, column, message), one line per distinct rule.

    The format documents carry this table between ``<!-- rules -->`` and ``<!-- /rules -->``; a test compares.
    """
    lines = ["| check | severity | column | message |", "|---|---|---|---|"]
    for rule in rules:
        message = rule.message.replace("|", "\\|")
        line = (
            f"| `{rule.check}` | {rule.severity} | {f'`{rule.column}`' if rule.column else ''} | {message} |"
        )
        if line not in lines:
            lines.append(line)
    return "\n".join(lines)


def documented_section(doc: str) -> str | None:
    """The text between ``<!-- rules -->`` and ``<!-- /rules -->`` in a document, trimmed (``None``: no markers)."""
    start, end = doc.find("<!-- rules -->"), doc.find("<!-- /rules -->")
    if start < 0 or end < start:
        return None
    return doc[start + len("<!-- rules -->") : end].strip()
