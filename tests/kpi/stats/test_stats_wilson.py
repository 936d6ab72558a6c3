"""Wilson score interval: kpi.stats.wilson_ci, z_for, Z95.

Expected values: docs/methods.md section 8 (rounded to 7 places) and PHEindicatormethods' test workbooks, read in
place from ../shared/oracles (never copied into the project).
"""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.stats import Z95, Z998, wilson_ci, z_for

ORACLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "oracles" / "pheindicatormethods"
TOL_ROUNDED_7DP = 1e-7  # docs/methods.md figures are rounded to 7 decimal places
TOL_ORACLE = 1e-9  # the workbooks hold full precision; a full-precision z agrees to 1e-9 or better
TOL_EXACT = 1e-15  # results that should be identical floating-point computations


def _workbook(name: str):
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is needed to read the oracle workbooks")
    path = ORACLES / name
    if not path.exists():
        pytest.skip(f"oracle workbook {path} is absent (the ../shared/oracles checkout is not available)")
    return openpyxl.load_workbook(path, read_only=True, data_only=True)


def _rows(name: str, sheet: str) -> list[dict]:
    wb = _workbook(name)
    try:
        rows = list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()  # a read-only workbook holds its file open until closed
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:] if any(v is not None for v in r)]


# --- docs/methods.md section 8 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "confidence", "lower", "upper"),
    [
        (65, 100, 0.95, 0.5525444, 0.7363575),
        (65, 100, 0.998, 0.4954947, 0.7783541),
        (1045, 5000, 0.95, 0.1979555, 0.2204913),
        (9856, 12345, 0.95, 0.7912102, 0.8053640),
        (1, 100, 0.95, 0.0017674, 0.0544862),
    ],
)
def test_domain_guide_values(x, n, confidence, lower, upper):
    lo, hi = wilson_ci(x, n, confidence)
    assert lo == pytest.approx(lower, abs=TOL_ROUNDED_7DP)
    assert hi == pytest.approx(upper, abs=TOL_ROUNDED_7DP)


def test_percentage_confidence_is_read_as_percent():
    assert wilson_ci(65, 100, 99.8) == wilson_ci(65, 100, 0.998)
    assert wilson_ci(65, 100, 95) == wilson_ci(65, 100, 0.95)


# --- PHEindicatormethods oracle workbooks -------------------------------------------------------------------


def test_every_row_of_the_proportion_workbook():
    rows = _rows("testdata_Proportion.xlsx", "testdata_Prop")
    assert len(rows) == 19
    for row in rows:
        scale = row["multiplier"]
        for confidence, low_key, high_key in (
            (0.95, "lower95_0cl", "upper95_0cl"),
            (0.998, "lower99_8cl", "upper99_8cl"),
        ):
            lo, hi = wilson_ci(row["Numerator"], row["Denominator"], confidence)
            if row[low_key] is None:  # rows 17-19: missing inputs give missing limits
                assert (lo, hi) == (None, None), row["Area"]
                assert row[high_key] is None
                continue
            assert lo * scale == pytest.approx(row[low_key], abs=TOL_ORACLE), row["Area"]
            assert hi * scale == pytest.approx(row[high_key], abs=TOL_ORACLE), row["Area"]


def test_missing_rows_of_the_proportion_workbook_are_rows_17_to_19():
    rows = _rows("testdata_Proportion.xlsx", "testdata_Prop")
    assert [r["lower95_0cl"] is None for r in rows[16:19]] == [True, True, True]
    assert all(r["lower95_0cl"] is not None for r in rows[:16])


def test_grouped_sheet_of_the_proportion_workbook_as_one_vector():
    rows = _rows("testdata_Proportion.xlsx", "testdata_Prop_g")
    assert {r["confidence"] for r in rows} == {"95%"}
    lower, upper = wilson_ci(
        np.array([r["Numerator"] for r in rows], dtype=object),
        np.array([r["Denominator"] for r in rows], dtype=object),
    )
    for row, lo, hi in zip(rows, lower, upper, strict=True):
        if row["lowercl"] is None:
            assert math.isnan(lo) and math.isnan(hi)
        else:
            assert lo == pytest.approx(row["lowercl"], abs=TOL_ORACLE)
            assert hi == pytest.approx(row["uppercl"], abs=TOL_ORACLE)


def test_wilson_rows_of_the_byars_wilson_workbook():
    rows = [r for r in _rows("testdata_Byars_Wilson.xlsx", "testdata_B_W") if r["method"] == "Wilson"]
    assert len(rows) == 6  # includes a fractional numerator, 0.445 of 1
    for row in rows:
        confidence = float(row["confidence"].rstrip("%"))
        lo, hi = wilson_ci(row["x"], row["n"], confidence)
        assert lo == pytest.approx(row["lowercl"], abs=TOL_ORACLE)
        assert hi == pytest.approx(row["uppercl"], abs=TOL_ORACLE)


# --- kinds of input and missing values ------------------------------------------------------------------


def test_scalars_give_floats_and_missing_gives_none():
    lo, hi = wilson_ci(65, 100)
    assert type(lo) is float and type(hi) is float
    assert wilson_ci(None, 100) == (None, None)
    assert wilson_ci(10, None) == (None, None)
    assert wilson_ci(float("nan"), 100) == (None, None)
    assert wilson_ci(0, 0) == (None, None)
    assert wilson_ci(np.int64(65), np.float64(100)) == wilson_ci(65, 100)


def test_list_in_list_out_with_none_for_missing():
    lower, upper = wilson_ci([65, None, 0, 0], [100, 100, 0, 10])
    expected = wilson_ci(65, 100)
    assert lower[0] == pytest.approx(expected[0], abs=TOL_EXACT)
    assert upper[0] == pytest.approx(expected[1], abs=TOL_EXACT)
    assert lower[1:3] == [None, None] and upper[1:3] == [None, None]
    assert lower[3] == 0.0  # no events: the lower limit is exactly 0


def test_tuple_in_list_out():
    lower, _ = wilson_ci((65, 1045), (100, 5000))
    assert isinstance(lower, list)
    assert lower[1] == pytest.approx(0.1979555, abs=TOL_ROUNDED_7DP)


def test_numpy_array_in_array_out_with_nan_for_missing():
    lower, upper = wilson_ci(np.array([65.0, np.nan, 100.0]), np.array([100.0, 100.0, 100.0]))
    assert isinstance(lower, np.ndarray) and lower.dtype == np.float64
    assert math.isnan(lower[1]) and math.isnan(upper[1])
    assert upper[2] == pytest.approx(1.0, abs=TOL_EXACT)  # all events: the upper limit is exactly 1


def test_polars_series_in_series_out_with_null_for_missing():
    lower, upper = wilson_ci(pl.Series([65, None, 1]), pl.Series([100, 100, 100]))
    assert isinstance(lower, pl.Series) and lower.dtype == pl.Float64
    assert lower.null_count() == 1 and upper.null_count() == 1
    assert lower.is_nan().any() is False
    assert upper[2] == pytest.approx(0.0544862, abs=TOL_ROUNDED_7DP)


def test_nan_inside_a_series_is_missing_too():
    lower, _ = wilson_ci(pl.Series([65.0, float("nan")]), 100)
    assert lower.null_count() == 1


def test_scalar_denominator_broadcasts_against_a_column():
    lower, upper = wilson_ci(np.array([65, 1]), 100)
    assert lower[1] == pytest.approx(0.0017674, abs=TOL_ROUNDED_7DP)
    assert upper[0] == pytest.approx(0.7363575, abs=TOL_ROUNDED_7DP)


def test_empty_column_gives_empty_limits():
    assert wilson_ci([], []) == ([], [])


@settings(deadline=None)  # timing varies on a shared machine; correctness is what is tested
@given(
    st.integers(min_value=0, max_value=10_000_000),
    st.integers(min_value=1, max_value=10_000_000),
    st.sampled_from([0.9, 0.95, 0.99, 0.998, 95, 99.8]),
)
def test_limits_bracket_the_proportion_within_zero_and_one(x, n, confidence):
    x = min(x, n)
    lo, hi = wilson_ci(x, n, confidence)
    assert 0.0 <= lo <= x / n <= hi <= 1.0


# --- z ------------------------------------------------------------------------------------------------


def test_z_is_full_precision_not_a_rounded_constant():
    assert z_for(0.95) == NormalDist().inv_cdf(0.975)
    assert Z95 == z_for(0.95) and Z95 != 1.96
    assert Z998 == z_for(99.8)
    assert z_for(0.95) == pytest.approx(1.959963984540054, abs=TOL_EXACT * 10)


# --- input errors ---------------------------------------------------------------------------------------


CONFIDENCE_MESSAGE = (
    "The confidence level must be a proportion between 0 and 1 (such as 0.95) or a percentage from 90 "
    "up to but not including 100 (such as 95 or 99.8); got {!r}."
)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, 14, 89.9, 100, 125, -0.95, True, "95%", float("nan")])
def test_bad_confidence_is_refused_in_plain_words(confidence):
    with pytest.raises(ValueError) as err:
        wilson_ci(65, 100, confidence)
    assert str(err.value) == CONFIDENCE_MESSAGE.format(confidence)
    with pytest.raises(ValueError) as err:
        z_for(confidence)
    assert str(err.value) == CONFIDENCE_MESSAGE.format(confidence)


def test_negative_numerator():
    with pytest.raises(ValueError) as err:
        wilson_ci(-4, 100)
    assert str(err.value) == "The numerator cannot be negative; got -4."
    with pytest.raises(ValueError) as err:
        wilson_ci([65, 0, -4], [100, 100, 100])
    assert str(err.value) == "The numerator cannot be negative; check row 3."


def test_negative_denominator():
    with pytest.raises(ValueError) as err:
        wilson_ci(0, -6)
    assert str(err.value) == "The denominator cannot be negative; got -6."
    with pytest.raises(ValueError) as err:
        wilson_ci(np.array([1, 2]), np.array([-1, -2]))
    assert str(err.value) == "The denominator cannot be negative; check rows 1 and 2."


def test_numerator_above_denominator():
    with pytest.raises(ValueError) as err:
        wilson_ci(80, 50)
    assert str(err.value) == "The numerator (80) cannot be larger than the denominator (50)."
    with pytest.raises(ValueError) as err:
        wilson_ci(pl.Series([65, 80, 1000]), pl.Series([100, 50, 5000]))
    assert str(err.value) == "The numerator cannot be larger than the denominator; check row 2."


def test_many_bad_rows_are_summarised():
    with pytest.raises(ValueError) as err:
        wilson_ci([5] * 8, [1] * 8)
    assert str(err.value) == (
        "The numerator cannot be larger than the denominator; check rows 1, 2, 3, 4 and 5 (and 3 more)."
    )


def test_numbers_are_required():
    with pytest.raises(ValueError) as err:
        wilson_ci("65", 100)
    assert str(err.value) == "The numerator must be a number; got '65'."
    with pytest.raises(ValueError) as err:
        wilson_ci([65, "n/a"], [100, 100])
    assert str(err.value) == "The numerator must be a number (row 2); got 'n/a'."
    with pytest.raises(ValueError) as err:
        wilson_ci(pl.Series(["65"]), pl.Series([100]))
    assert str(err.value) == "The numerator column must hold numbers; it holds String values."
    with pytest.raises(ValueError) as err:
        wilson_ci(65, float("inf"))
    assert str(err.value) == "The denominator must be a finite number; got inf."
    with pytest.raises(ValueError) as err:
        wilson_ci(np.array([1.0, np.inf]), 100)
    assert str(err.value) == "The numerator must be finite numbers; row 2 is infinite."


def test_columns_of_different_lengths():
    with pytest.raises(ValueError) as err:
        wilson_ci([1, 2, 3], [10, 10])
    assert (
        str(err.value) == "The inputs must have the same number of rows; got 3 numerators and 2 denominators."
    )


def test_a_table_is_not_a_column():
    with pytest.raises(ValueError) as err:
        wilson_ci(np.ones((2, 2)), 10)
    assert str(err.value) == "The numerator must be a single column of figures, not a table."
