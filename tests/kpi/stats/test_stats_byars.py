"""Byar's interval for counts: kpi.stats.byars_ci.

Expected values: the Byar's rows of PHEindicatormethods' testdata_Byars_Wilson.xlsx, read in place from
../shared/oracles, and scipy's exact Poisson limits as an independent check on the approximation.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.stats import chi2

from kpi.stats import byars_ci

ORACLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "oracles" / "pheindicatormethods"
TOL_ORACLE = 1e-9  # the workbook holds full precision
TOL_APPROXIMATION = 0.005  # Byar's against exact Poisson limits for a count of 1045 (relative)


def _byars_rows() -> list[dict]:
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is needed to read the oracle workbooks")
    path = ORACLES / "testdata_Byars_Wilson.xlsx"
    if not path.exists():
        pytest.skip(f"oracle workbook {path} is absent (the ../shared/oracles checkout is not available)")
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(book["testdata_B_W"].iter_rows(values_only=True))
    finally:
        book.close()  # a read-only workbook holds its file open until closed
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] is not None and r[5] == "Byars"]


def test_every_byars_row_of_the_workbook():
    rows = _byars_rows()
    assert len(rows) == 7
    for row in rows:
        confidence = float(row["confidence"].rstrip("%"))
        lower, upper = byars_ci(row["x"], confidence)
        assert upper == pytest.approx(row["uppercl"], abs=TOL_ORACLE), row
        if row["lowercl"] is None:
            # x = 1 at 99.8%: the lower bracket 1 - 1/9 - z/3 is negative, so Byar's does not apply;
            # the workbook leaves the cell blank
            assert lower is None
        else:
            assert lower == pytest.approx(row["lowercl"], abs=TOL_ORACLE), row


def test_byars_rows_as_one_polars_series():
    rows = [r for r in _byars_rows() if r["confidence"] == "95%"]
    lower, upper = byars_ci(pl.Series([r["x"] for r in rows]))
    assert lower.to_list() == pytest.approx([r["lowercl"] for r in rows], abs=TOL_ORACLE)
    assert upper.to_list() == pytest.approx([r["uppercl"] for r in rows], abs=TOL_ORACLE)


def test_byars_is_close_to_exact_poisson_for_a_large_count():
    x, alpha = 1045, 0.05
    exact_lower = chi2.ppf(alpha / 2, 2 * x) / 2
    exact_upper = chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    lower, upper = byars_ci(x)
    assert lower == pytest.approx(exact_lower, rel=TOL_APPROXIMATION)
    assert upper == pytest.approx(exact_upper, rel=TOL_APPROXIMATION)


def test_zero_events_has_lower_limit_zero_and_a_positive_upper_limit():
    lower, upper = byars_ci(0)
    assert lower == 0.0
    # upper uses x + 1 = 1: (1 - 1/9 + z/3)^3 with z = 1.959963984540054, worked by hand
    assert upper == pytest.approx((1 - 1 / 9 + 1.959963984540054 / 3) ** 3, abs=1e-12)


def test_kinds_and_missing_values():
    assert byars_ci(None) == (None, None)
    lower, upper = byars_ci([65, None])
    assert lower[1] is None and upper[1] is None
    lower, upper = byars_ci(np.array([65.0, np.nan]))
    assert math.isnan(lower[1]) and math.isnan(upper[1])
    assert byars_ci(np.array([65.0]))[0][0] == pytest.approx(byars_ci(65)[0], abs=1e-12)


def test_negative_count_is_refused():
    with pytest.raises(ValueError) as err:
        byars_ci(-4)
    assert str(err.value) == "The count of events cannot be negative; got -4."
    with pytest.raises(ValueError) as err:
        byars_ci([65, 0, -4])
    assert str(err.value) == "The count of events cannot be negative; check row 3."


def test_bad_confidence_is_refused():
    with pytest.raises(ValueError) as err:
        byars_ci(65, confidence=0.0)
    assert str(err.value) == (
        "The confidence level must be a proportion between 0 and 1 (such as 0.95) or a percentage from 90 "
        "up to but not including 100 (such as 95 or 99.8); got 0.0."
    )


def test_count_must_be_a_number():
    with pytest.raises(ValueError) as err:
        byars_ci("sixty")
    assert str(err.value) == "The count must be a number; got 'sixty'."
