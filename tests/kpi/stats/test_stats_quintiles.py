"""Fingertips quintiles: quintile_rank.

Expected values: worked by hand from the rule in docs/methods.md section 4 (rank h = (n - 1)f + 1, linear
interpolation, a value on a bound joins the lower group), and, for random data, bounds from
numpy.percentile(method="linear") (Hyndman & Fan type 7, the same definition computed independently).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.stats import quintile_rank

POLARITY_MESSAGE = (
    "The polarity must be 'high' (high is good), 'low' (low is good) or 'none' (no judgement); got {!r}."
)


def test_one_to_ten_by_hand():
    # n = 10: P20 at h = 2.8 -> 2.8, P40 at 4.6, P60 at 6.4, P80 at 8.2
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert quintile_rank(values, "low") == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_rank(values, "none") == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_rank(values, "high") == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_five_values_each_on_a_bound_by_hand():
    # n = 5: h = 1.8, 2.6, 3.4, 4.2 -> bounds 18, 26, 34, 42 between 10, 20, 30, 40, 50
    assert quintile_rank([50, 10, 30, 20, 40], "low") == [5, 1, 3, 2, 4]
    # n = 6: h = 2, 3, 4, 5 exactly -> bounds are the 2nd..5th values;
    # a value on a bound joins the lower group
    assert quintile_rank([1, 2, 3, 4, 5, 6], "low") == [1, 1, 2, 3, 4, 5]


def test_ties_share_a_quintile():
    assert quintile_rank([7, 7, 7, 7, 7], "high") == [5, 5, 5, 5, 5]
    assert quintile_rank([7, 7, 7, 7, 7], "low") == [1, 1, 1, 1, 1]


def test_missing_values_are_skipped_and_stay_missing():
    values = [1, None, 2, 3, float("nan"), 4, 5]
    assert quintile_rank(values, "low") == [1, None, 2, 3, None, 4, 5]


def test_fewer_than_five_valid_values_gives_no_quintiles():
    assert quintile_rank([1, 2, 3, 4, None], "high") == [None] * 5
    assert quintile_rank([], "high") == []


def test_kinds():
    assert quintile_rank(np.array([5.0, 4.0, 3.0, 2.0, 1.0]), "high") == [1, 2, 3, 4, 5]
    assert quintile_rank((5, 4, 3, 2, 1), "low") == [5, 4, 3, 2, 1]
    out = quintile_rank(pl.Series([5.0, None, 4.0, 3.0, 2.0, 1.0]), "high")
    assert isinstance(out, pl.Series) and out.dtype == pl.Int64 and out.name == "quintile"
    assert out.to_list() == [1, None, 2, 3, 4, 5]


def test_many_decimal_places_keep_their_group():
    # Fingertips rounds bounds to 10 places; values with more places must not slip into the next group
    base = 0.123456789012345
    values = [base + i * 1e-13 for i in range(6)]
    assert quintile_rank(values, "low") == [1, 1, 2, 3, 4, 5]


def _reference_raw_quintiles(values: list[float]) -> list[int]:
    bounds = np.percentile(np.array(values), [20, 40, 60, 80], method="linear")
    return [1 + int(np.sum(bounds < v)) for v in values]


@settings(deadline=None)  # timing varies on a shared machine; correctness is what is tested
@given(st.lists(st.integers(min_value=-1000, max_value=1000), min_size=5, max_size=60))
def test_agrees_with_numpy_linear_percentiles(values):
    raw = _reference_raw_quintiles([float(v) for v in values])
    assert quintile_rank(values, "low") == raw
    assert quintile_rank(values, "high") == [6 - r for r in raw]


def test_unknown_polarity():
    with pytest.raises(ValueError) as err:
        quintile_rank([1, 2, 3, 4, 5], "best")
    assert str(err.value) == (POLARITY_MESSAGE.format("best"))


def test_a_single_number_is_not_a_column():
    with pytest.raises(ValueError) as err:
        quintile_rank(5, "high")
    assert str(err.value) == "Quintiles need a column of values, one per area, not a single number."


def test_values_must_be_numbers():
    with pytest.raises(ValueError) as err:
        quintile_rank([1, 2, "three", 4, 5], "high")
    assert str(err.value) == "The value must be a number (row 3); got 'three'."
