"""The localities file's checks, declared: one :class:`kpi.ingest.rules.Rule` per check and message.

An LSOA -> locality lookup (``lsoa_code, locality_code, locality_name``) is checked by
:func:`kpi.core.councils.check_localities`: the file-level problems (:data:`FILE_RULES`) are raised once each, then
:data:`ROW_RULES` run over the rows (codes in capitals) at once, with the national LSOA codes as the parameter
``known_lsoas``. There are no warnings. The list in docs/formats/localities.md is :func:`all_rules`
(docs/methods.md section 7).
"""

from __future__ import annotations

import polars as pl

from kpi.ingest.rules import Rule

#: The lookup's columns, in the order of its header.
COLUMNS = ("lsoa_code", "locality_code", "locality_name")
#: A locality code as returns and templates carry it: never something a spreadsheet would run as a formula.
LOCALITY_CODE = r"^[A-Z0-9][A-Z0-9_-]{0,29}$"
#: The code of a return's borough-wide rows, which no locality may take.
RESERVED = "ALL"

FILE_RULES = (
    Rule(
        "missing_column",
        "error",
        None,
        None,
        "the column '{name}' is missing: the header must be {header}",
    ),
    Rule("empty", "error", None, None, "the file has a header but no rows: add one row per LSOA"),
)
MISSING_COLUMN, EMPTY = FILE_RULES

_LSOA, _CODE = pl.col("lsoa_code"), pl.col("locality_code")

ROW_RULES = (
    *(
        Rule(
            "blank",
            "error",
            name,
            pl.col(name).is_null(),
            f"{name} is blank: every row needs an LSOA, a locality code and its name",
        )
        for name in COLUMNS
    ),
    Rule(
        "locality_code_form",
        "error",
        "locality_code",
        _CODE.is_not_null() & ~_CODE.str.contains(LOCALITY_CODE),
        "'{locality_code}' is not a locality code: use up to 30 letters, digits, - or _, starting with a letter or "
        "digit (e.g. NORTH); the name can be anything",
    ),
    Rule(
        "locality_code_reserved",
        "error",
        "locality_code",
        _CODE == RESERVED,
        f"{RESERVED} is kept for borough-wide rows of a return: give this locality another code",
    ),
    Rule(
        "unknown_lsoa",
        "error",
        "lsoa_code",
        lambda p: _LSOA.is_not_null() & ~_LSOA.is_in(p["known_lsoas"].implode()),
        "'{lsoa_code}' is not an English LSOA code of 2011 or 2021: codes look like E01006074",
    ),
    Rule(
        "duplicate_lsoa",
        "error",
        "lsoa_code",
        _LSOA.is_not_null() & _LSOA.is_duplicated(),
        "{lsoa_code} appears more than once: each LSOA belongs to one locality",
    ),
    Rule(
        "locality_two_names",
        "error",
        "locality_name",
        _CODE.is_not_null() & (pl.col("locality_name").n_unique().over("locality_code") > 1),
        "locality {locality_code} has more than one name in the file: use one name per code",
    ),
)


def all_rules() -> tuple[Rule, ...]:
    """Every check of the localities file, in the order of docs/formats/localities.md."""
    return (*FILE_RULES, *ROW_RULES)
