"""Tests for kpi.ncmp.measurements: ages in days and decimal years, for every kind of input, and their checks.

Expected values: standard-library date arithmetic.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import polars as pl
import pytest

from kpi.ncmp.measurements import age_in_days, decimal_age

HAND_TOL = 1e-12  # hand arithmetic with the standard library


def test_decimal_age_is_days_over_365_25_for_every_input_kind() -> None:
    births = [date(2013, 1, 20), date(2012, 2, 29), None]
    measured = [date(2017, 8, 12), date(2013, 2, 28), date(2020, 1, 1)]
    expected_days = [(measured[0] - births[0]).days, 365, None]  # standard-library date arithmetic
    assert age_in_days(births, measured) == expected_days
    assert age_in_days(births[0], measured[0]) == 1665
    assert decimal_age(births[0], measured[0]) == pytest.approx(1665 / 365.25, abs=HAND_TOL)

    as_list = decimal_age(births, measured)
    assert as_list[:2] == pytest.approx([1665 / 365.25, 365 / 365.25], abs=HAND_TOL)
    assert math.isnan(as_list[2])

    as_numpy = decimal_age(np.array(births, dtype="datetime64[D]"), np.array(measured, dtype="datetime64[D]"))
    assert isinstance(as_numpy, np.ndarray)
    np.testing.assert_allclose(as_numpy[:2], [1665 / 365.25, 365 / 365.25], atol=HAND_TOL)
    assert np.isnan(as_numpy[2])

    births_s, measured_s = pl.Series(births, dtype=pl.Date), pl.Series(measured, dtype=pl.Date)
    days_s = age_in_days(births_s, measured_s)
    assert days_s.dtype == pl.Int64 and days_s.to_list() == expected_days
    years_s = decimal_age(births_s, measured_s)
    assert years_s.dtype == pl.Float64 and years_s.null_count() == 1
    # A datetime counts as its date; a single date broadcasts against a Series.
    stamps = pl.Series([datetime(2017, 8, 12, 23, 59)])
    assert age_in_days(date(2013, 1, 20), stamps).to_list() == [1665]


def test_decimal_age_reads_iso_text_and_refuses_other_values() -> None:
    assert age_in_days("2013-01-20", "2017-08-12") == 1665
    with pytest.raises(
        ValueError, match=r"date_of_birth must be dates \(or ISO YYYY-MM-DD text\); could not"
    ):
        decimal_age("20/01/2013", "2017-08-12")
    with pytest.raises(TypeError, match="date_of_measurement must be dates .* not numbers or other values"):
        decimal_age(date(2013, 1, 20), 1665)
    with pytest.raises(TypeError, match="date_of_birth must be dates, but the column holds String values"):
        decimal_age(pl.Series(["2013-01-20"]), pl.Series([date(2017, 8, 12)]))
    with pytest.raises(ValueError, match="must have the same length .* got date_of_birth 2, date_of_measure"):
        decimal_age([date(2013, 1, 20)] * 2, [date(2017, 8, 12)] * 3)
