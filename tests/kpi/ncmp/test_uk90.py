"""Tests for kpi.ncmp.uk90: the UK90 BMI reference read from the installed rcpchgrowth, and the LMS formula.

Expected values: rcpchgrowth's own data file (read in place, used here only as a test oracle) and hand arithmetic.
"""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pytest

from kpi.ncmp import uk90
from kpi.ncmp.uk90 import load_uk90_bmi_lms

SEX_WORD = {"M": "male", "F": "female"}
HAND_TOL = 1e-12  # hand arithmetic with the standard library


# --- Reference table ------------------------------------------------------------------------------------
def test_table_is_read_from_installed_rcpchgrowth_and_cached() -> None:
    tables = load_uk90_bmi_lms()
    assert load_uk90_bmi_lms() is tables
    source = resources.files("rcpchgrowth.data_tables").joinpath("uk90_child.json")
    raw = json.loads(source.read_text(encoding="utf-8"))["measurement"]["bmi"]
    for sex, word in SEX_WORD.items():
        table = tables[sex]
        rows = raw[word]
        assert len(table.age_years) == len(rows) == 193
        assert table.age_years[0] == 4.0 and table.age_years[-1] == 20.0
        for i in (0, 100, len(rows) - 1):
            assert table.age_years[i] == rows[i]["decimal_age"]
            assert (table.L[i], table.M[i], table.S[i]) == (rows[i]["L"], rows[i]["M"], rows[i]["S"])
        with pytest.raises(ValueError, match="read-only"):
            table.M[0] = 1.0


def test_table_with_repeated_age_is_refused() -> None:
    rows = [{"decimal_age": a, "L": -1.0, "M": 16.0, "S": 0.08} for a in (4.0, 4.5, 4.5, 5.0, 5.5)]
    with pytest.raises(RuntimeError, match=r"repeats the age\(s\) \[4\.5\]; one row per age is needed"):
        uk90.lms_from_rows(rows, "male")


def test_table_too_short_or_malformed_is_refused() -> None:
    rows = [{"decimal_age": a, "L": -1.0, "M": 16.0, "S": 0.08} for a in (4.0, 4.5, 5.0)]
    with pytest.raises(RuntimeError, match="has 3 rows; at least 4 are needed to interpolate"):
        uk90.lms_from_rows(rows, "female")
    with pytest.raises(RuntimeError, match="is not in the expected form"):
        uk90.lms_from_rows([{"decimal_age": 4.0}], "female")


def test_lms_formula_by_hand_including_l_zero() -> None:
    value, l_, m, s = (
        np.array([18.0, 18.0]),
        np.array([-1.3, 0.0]),
        np.array([16.0, 16.0]),
        np.array([0.08] * 2),
    )
    z = uk90.lms_z(value, l_, m, s)
    assert z[0] == pytest.approx(((18 / 16) ** -1.3 - 1) / (-1.3 * 0.08), abs=HAND_TOL)
    assert z[1] == pytest.approx(math.log(18 / 16) / 0.08, abs=HAND_TOL)
