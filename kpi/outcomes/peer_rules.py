"""A council's own comparator group file (``hcp load peers FILE --name NAME``), its checks declared.

One :class:`kpi.ingest.rules.Rule` per check and message, run by :func:`kpi.outcomes.peers.check_peers` over the
whole file at once (every problem reported together). The file lists councils by ONS code (``area_code``), with
an optional name and an optional ``rank`` (1 = closest). The list in docs/formats/peers.md is :func:`all_rules`
(docs/methods.md section 9).
"""

from __future__ import annotations

import polars as pl

from kpi.ingest.rules import Rule

#: The file's columns: ``area_code`` is required, the others optional.
REQUIRED = ("area_code",)
OPTIONAL = ("area_name", "rank")
COLUMNS = (*REQUIRED, *OPTIONAL)

FILE_RULES = (
    Rule(
        "missing_column",
        "error",
        None,
        None,
        "the column '{name}' is missing: the header must include area_code (area_name and rank are optional)",
    ),
    Rule(
        "empty",
        "error",
        None,
        None,
        "the file has a header but no rows: add one row per council in the group",
    ),
    Rule(
        "blank_name",
        "error",
        None,
        None,
        'the group has no name: give one with --name, e.g. --name "CIPFA nearest neighbours 2025"',
    ),
)
MISSING_COLUMN, EMPTY, BLANK_NAME = FILE_RULES

_CODE = pl.col("area_code")
_RANK = pl.col("_rank")

ROW_RULES = (
    Rule(
        "blank_code", "error", "area_code", _CODE.is_null(), "area_code is blank: give the council's ONS code"
    ),
    Rule(
        "unknown_council",
        "error",
        "area_code",
        lambda p: _CODE.is_not_null() & ~_CODE.is_in(p["known_codes"].implode()),
        "'{area_code}' is not an English upper-tier local authority (ONS 2024 code, e.g. E08000007 for "
        "Stockport): see reference/upper_tier_las.csv",
    ),
    Rule(
        "own_council",
        "error",
        "area_code",
        lambda p: _CODE == p["council"],
        "{area_code} is the council itself: a comparator group lists the other councils",
    ),
    Rule(
        "duplicate_council",
        "error",
        "area_code",
        _CODE.is_not_null() & _CODE.is_duplicated(),
        "{area_code} appears more than once: list each council once",
    ),
    Rule(
        "bad_rank",
        "error",
        "rank",
        pl.col("rank").is_not_null() & (_RANK.is_null() | (_RANK < 1)),
        "rank '{rank}' is not a whole number of 1 or more: 1 is the closest council",
    ),
    Rule(
        "duplicate_rank",
        "error",
        "rank",
        _RANK.is_not_null() & _RANK.is_duplicated(),
        "rank {rank} is given to more than one council: give each council its own rank, or leave rank blank",
    ),
    Rule(
        "partial_rank",
        "error",
        "rank",
        pl.col("rank").is_null() & pl.col("rank").is_not_null().any(),
        "this row has no rank while others have one: rank every council or none",
    ),
)


def all_rules() -> tuple[Rule, ...]:
    """Every check of the comparator group file, in the order of docs/formats/peers.md."""
    return (*FILE_RULES, *ROW_RULES)
