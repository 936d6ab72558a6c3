"""Fixtures of the ``hcp`` tests: a copy of the sample database and provider returns to load into it."""

import pytest

from tests.kpi.cli.commands import copy_of


@pytest.fixture
def db(sample_db_copy, hcp_today):
    return sample_db_copy


@pytest.fixture
def new_return(return_rows, write_return):
    """A valid 2026-27 Q2 return not yet loaded (the sample's, with a comment changed)."""
    rows = copy_of(return_rows)
    rows.row("C1", "CENTRAL", "1")["comment"] = "resent"
    return write_return(rows, "mandated_contacts_2026-27_Q2_v2.csv")


@pytest.fixture
def bad_return(return_rows, write_return):
    """A return with one error: 'n/a' as the numerator of C2 NORTH decile 2."""
    rows = copy_of(return_rows)
    rows.row("C2", "NORTH", "2")["numerator"] = "n/a"
    return write_return(rows, "bad.csv")


@pytest.fixture
def warned_return(return_rows, write_return):
    """A return with one warning (the unknown-decile share of C5 NORTH at 18.8%; C5, as C2 shares C3's denominator)."""
    rows = copy_of(return_rows)
    for key in (("C5", "NORTH", "U"), ("C5", "NORTH", "")):
        row = rows.row(*key)
        row["numerator"] = str(int(row["numerator"]) + 40)
        row["denominator"] = str(int(row["denominator"]) + 40)
    return write_return(rows, "warned.csv")
