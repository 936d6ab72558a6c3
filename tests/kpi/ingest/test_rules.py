"""The rule engine: declared rules evaluated over a whole frame, every problem reported at once."""

from __future__ import annotations

import polars as pl
import pytest

from kpi.ingest.report import Report
from kpi.ingest.rules import Rule, check_rules, documented_section, rules_markdown

FRAME = pl.DataFrame(
    {"n": ["3", "-1", None, "-7"], "code": ["A", "B", "C", None], "source_row": [2, 3, 4, 5]}
)
NEGATIVE = Rule("negative", "error", "n", pl.col("n").cast(pl.Int64) < 0, "{n} is negative: write 0 or more")


def _report() -> Report:
    return Report("return.csv", "0" * 64)


def test_every_row_that_breaks_a_rule_is_reported_with_row_column_value_and_message():
    report = _report()
    check_rules(FRAME, [NEGATIVE], report)
    assert report.problems.select("severity", "check", "row", "column", "value", "message").rows() == [
        ("error", "negative", 3, "n", "-1", "-1 is negative: write 0 or more"),
        ("error", "negative", 5, "n", "-7", "-7 is negative: write 0 or more"),
    ]


def test_fields_come_from_args_then_parameters_then_columns_and_a_blank_column_reads_as_empty():
    rule = Rule(
        "unknown_code",
        "warning",
        "code",
        lambda p: ~pl.col("code").is_in(p["known"]) | pl.col("code").is_null(),
        "'{code}' at {twice} is not one of {known_list}",
        args={"twice": pl.col("source_row") * 2},
        value=pl.lit("x"),
    )
    report = _report()
    check_rules(FRAME, [rule], report, {"known": ["A", "B"], "known_list": "A, B"})
    assert report.problems.select("row", "value", "message").rows() == [
        (4, "x", "'C' at 8 is not one of A, B"),
        (5, "x", "'' at 10 is not one of A, B"),
    ]
    assert report.ok  # warnings only


def test_rules_are_reported_in_table_order_and_rules_that_hit_nothing_add_nothing():
    blank = Rule("blank", "error", "n", pl.col("n").is_null(), "the n is blank: write a number")
    never = Rule("never", "error", "n", pl.lit(False), "never")
    report = _report()
    check_rules(FRAME, [blank, never, NEGATIVE], report)
    assert report.problems["check"].to_list() == ["blank", "negative", "negative"]
    assert report.problems["message"][0] == "the n is blank: write a number"


def test_a_whole_file_rule_is_raised_once_with_its_template_filled():
    rule = Rule("missing_column", "error", None, None, "the column '{name}' is missing: add it")
    frame = rule.one(column="n", name="n")
    assert frame.select("check", "row", "column", "message").rows() == [
        ("missing_column", None, "n", "the column 'n' is missing: add it")
    ]
    with pytest.raises(ValueError, match="about the whole file"):
        check_rules(FRAME, [rule], _report())


def test_a_severity_other_than_error_or_warning_is_refused():
    with pytest.raises(ValueError, match="severity must be one of error, warning"):
        Rule("x", "fatal", None, None, "x")


def test_an_empty_frame_or_table_adds_nothing():
    report = _report()
    check_rules(FRAME.head(0), [NEGATIVE], report)
    check_rules(FRAME, [], report)
    assert report.problems.is_empty()


def test_the_markdown_table_lists_each_distinct_rule_once_and_escapes_pipes():
    piped = Rule("piped", "warning", None, pl.lit(True), "a | b")
    table = rules_markdown([NEGATIVE, NEGATIVE, piped])
    assert table.splitlines() == [
        "| check | severity | column | message |",
        "|---|---|---|---|",
        "| `negative` | error | `n` | {n} is negative: write 0 or more |",
        "| `piped` | warning |  | a \\| b |",
    ]
    assert documented_section(f"intro\n<!-- rules -->\n{table}\n<!-- /rules -->\nend") == table
    assert documented_section("no markers") is None
