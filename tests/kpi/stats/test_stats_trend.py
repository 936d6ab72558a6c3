"""Fingertips recent trend: recent_trend, cochran_armitage_chi2, CHI_SQUARE_998_1DF.

Expected χ² values are computed here independently of kpi.stats:
* other values: numpy.polyfit with weights 1/SE and the unscaled covariance, χ² = slope² / var(slope);
* proportions: R's prop.trend.test construction - weighted least squares of x/n on the period with weights
  n / (P(1 - P)), χ² = the regression sum of squares - solved with numpy's linear algebra;
* R's documented prop.trend.test example (smokers 83/86, 90/93, 129/136, 70/82): X-squared = 8.2249.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.stats import chi2

from kpi.stats import CHI_SQUARE_998_1DF, TrendResult, cochran_armitage_chi2, recent_trend

TOL_CHI2 = 1e-9  # relative: two exact computations of the same statistic


def _fitted(label, direction, chi_square, slope, significant) -> TrendResult:
    """The result expected from a fit: the reference's chi-square and slope, to TOL_CHI2."""
    return TrendResult(
        label,
        direction,
        pytest.approx(chi_square, rel=TOL_CHI2),
        pytest.approx(slope, rel=TOL_CHI2),
        significant,
    )


TOL_R_EXAMPLE = 5e-5  # R prints 8.2249 (4 decimal places)
TOL_CONSTANT = 1e-12  # Fingertips' hard-coded 9.54953570608324
PERIODS = np.arange(1.0, 6.0)

POLARITY_MESSAGE = (
    "The polarity must be 'high' (high is good), 'low' (low is good) or 'none' (no judgement); got {!r}."
)


def _wls_reference(values, lower, upper):
    se = (np.asarray(upper, float) - np.asarray(lower, float)) / 3.92
    coef, cov = np.polyfit(PERIODS, np.asarray(values, float), 1, w=1.0 / se, cov="unscaled")
    return coef[0] ** 2 / cov[0, 0], coef[0]


def _prop_trend_reference(numerators, denominators):
    x, n = np.asarray(numerators, float), np.asarray(denominators, float)
    pooled = x.sum() / n.sum()
    w = n / (pooled * (1 - pooled))
    design = np.column_stack([np.ones(5), PERIODS])
    beta = np.linalg.solve(design.T @ (w[:, None] * design), design.T @ (w * x / n))
    fitted = design @ beta
    weighted_mean = np.sum(w * x / n) / np.sum(w)
    return float(np.sum(w * (fitted - weighted_mean) ** 2)), float(beta[1])


def test_threshold_is_the_998_point_of_chi_square_on_1_df():
    assert CHI_SQUARE_998_1DF == pytest.approx(9.54953570608324, abs=TOL_CONSTANT)
    assert round(CHI_SQUARE_998_1DF, 4) == 9.5495
    assert chi2.sf(CHI_SQUARE_998_1DF, 1) == pytest.approx(0.002, abs=1e-12)


# --- other values: weighted regression ------------------------------------------------------------------

RISING = [10.0, 12.0, 14.0, 16.0, 18.0]
LOWER = [v - 1.0 for v in RISING]
UPPER = [v + 1.0 for v in RISING]


@pytest.mark.parametrize(
    ("values", "polarity", "label", "direction"),
    [
        (RISING, "high", "Increasing and getting better", "increasing"),
        (RISING, "low", "Increasing and getting worse", "increasing"),
        (RISING, "none", "Increasing", "increasing"),
        (RISING[::-1], "high", "Decreasing and getting worse", "decreasing"),
        (RISING[::-1], "low", "Decreasing and getting better", "decreasing"),
        (RISING[::-1], "none", "Decreasing", "decreasing"),
    ],
)
def test_significant_trend_labels(values, polarity, label, direction):
    lower = [v - 1.0 for v in values]
    upper = [v + 1.0 for v in values]
    result = recent_trend(values, lower_ci=lower, upper_ci=upper, polarity=polarity)
    expected_chi2, expected_slope = _wls_reference(values, lower, upper)
    # by hand too: equal SE = 2/3.92, slope 2, Σ(t - 3)² = 10 -> χ² = 4 × 10 / (2/3.92)² = 153.6640
    assert expected_chi2 == pytest.approx(4 * 10 / (2 / 3.92) ** 2, rel=TOL_CHI2)
    assert result == _fitted(label, direction, expected_chi2, expected_slope, True)


def test_unequal_confidence_intervals_weight_the_fit():
    values = [20.0, 21.5, 21.0, 23.0, 24.5]
    lower = [18.0, 20.5, 19.0, 22.5, 23.0]
    upper = [22.0, 22.5, 23.0, 23.5, 26.0]
    result = recent_trend(values, lower_ci=lower, upper_ci=upper, polarity="low")
    expected_chi2, expected_slope = _wls_reference(values, lower, upper)
    assert result.chi_square == pytest.approx(expected_chi2, rel=TOL_CHI2)
    assert result.slope == pytest.approx(expected_slope, rel=TOL_CHI2)
    assert expected_chi2 > CHI_SQUARE_998_1DF
    assert result.label == "Increasing and getting worse"


def test_flat_series_is_no_significant_change():
    values = [10.0, 10.2, 9.9, 10.1, 10.0]
    lower = [v - 2 for v in values]
    upper = [v + 2 for v in values]
    result = recent_trend(values, lower_ci=lower, upper_ci=upper, polarity="high")
    expected_chi2, expected_slope = _wls_reference(values, lower, upper)
    assert expected_chi2 < CHI_SQUARE_998_1DF
    assert result == _fitted("No significant change", None, expected_chi2, expected_slope, False)


def test_leave_one_out_sign_flip_is_no_significant_change():
    values = [12.0, 10.0, 10.0, 9.9, 20.0]  # one jump at the end; without it the line falls
    lower = [v - 0.5 for v in values]
    upper = [v + 0.5 for v in values]
    expected_chi2, expected_slope = _wls_reference(values, lower, upper)
    assert expected_chi2 > CHI_SQUARE_998_1DF and expected_slope > 0
    assert np.polyfit(PERIODS[:4], values[:4], 1)[0] < 0  # equal weights: the first four fall
    result = recent_trend(values, lower_ci=lower, upper_ci=upper, polarity="high")
    assert result.label == "No significant change"
    assert result.direction is None and result.significant is False
    assert result.chi_square == pytest.approx(expected_chi2, rel=TOL_CHI2)


def test_only_the_last_five_points_are_used():
    values = [100.0, 0.0] + RISING
    lower = [v - 1 for v in values]
    upper = [v + 1 for v in values]
    result = recent_trend(values, lower_ci=lower, upper_ci=upper, polarity="high")
    assert result.chi_square == pytest.approx(_wls_reference(RISING, LOWER, UPPER)[0], rel=TOL_CHI2)


def test_a_gap_before_the_last_five_does_not_matter():
    values = [11.0, None] + RISING
    lower = [10.0, None] + LOWER
    upper = [12.0, None] + UPPER
    assert recent_trend(values, lower_ci=lower, upper_ci=upper, polarity="high").significant


@pytest.mark.parametrize(
    ("values", "lower", "upper"),
    [
        (RISING[:4], LOWER[:4], UPPER[:4]),  # fewer than 5 points
        (
            [10.0, 12.0, None, 16.0, 18.0, 20.0],
            [9, 11, None, 15, 17, 19],
            [11, 13, None, 17, 19, 21],
        ),  # gap in last 5
        (RISING[:4] + [None], LOWER, UPPER),  # latest value missing
        (RISING, LOWER[:4] + [None], UPPER),  # a missing confidence limit
        (RISING, LOWER[:4] + [float("nan")], UPPER),  # NaN is missing too
        (RISING, LOWER[:4] + [18.0], UPPER[:4] + [18.0]),  # zero-width interval: no standard error
        ([], [], []),
    ],
)
def test_could_not_be_calculated(values, lower, upper):
    result = recent_trend(values, lower_ci=lower, upper_ci=upper, polarity="high")
    assert result == TrendResult("Could not be calculated", None, None, None, False)


def test_numpy_and_polars_inputs():
    expected = recent_trend(RISING, lower_ci=LOWER, upper_ci=UPPER, polarity="high")
    assert (
        recent_trend(np.array(RISING), lower_ci=np.array(LOWER), upper_ci=np.array(UPPER), polarity="high")
        == expected
    )
    assert (
        recent_trend(pl.Series(RISING), lower_ci=pl.Series(LOWER), upper_ci=pl.Series(UPPER), polarity="high")
        == expected
    )


# --- proportions: Cochran-Armitage ----------------------------------------------------------------------


def test_cochran_armitage_matches_r_documented_example():
    assert cochran_armitage_chi2([83, 90, 129, 70], [86, 93, 136, 82]) == pytest.approx(
        8.2249, abs=TOL_R_EXAMPLE
    )


@pytest.mark.parametrize(
    ("numerators", "polarity", "label", "direction"),
    [
        ([500, 520, 550, 570, 600], "high", "Increasing and getting better", "increasing"),
        ([500, 520, 550, 570, 600], "low", "Increasing and getting worse", "increasing"),
        ([600, 570, 550, 520, 500], "low", "Decreasing and getting better", "decreasing"),
        ([600, 570, 550, 520, 500], "high", "Decreasing and getting worse", "decreasing"),
        ([600, 570, 550, 520, 500], "none", "Decreasing", "decreasing"),
    ],
)
def test_proportion_trend_labels(numerators, polarity, label, direction):
    denominators = [1000] * 5
    values = [x / 10 for x in numerators]  # percentages; only their presence matters for proportions
    result = recent_trend(values, numerators=numerators, denominators=denominators, polarity=polarity)
    expected_chi2, expected_slope = _prop_trend_reference(numerators, denominators)
    assert expected_chi2 > CHI_SQUARE_998_1DF
    assert result == _fitted(label, direction, expected_chi2, expected_slope, True)


def test_proportion_with_unequal_denominators_not_significant():
    numerators = [52, 61, 49, 58, 60]
    denominators = [480, 530, 470, 510, 505]
    result = recent_trend([1.0] * 5, numerators=numerators, denominators=denominators, polarity="high")
    expected_chi2, expected_slope = _prop_trend_reference(numerators, denominators)
    assert expected_chi2 < CHI_SQUARE_998_1DF
    assert result.label == "No significant change"
    assert result.chi_square == pytest.approx(expected_chi2, rel=TOL_CHI2)
    assert result.slope == pytest.approx(expected_slope, rel=TOL_CHI2)
    assert cochran_armitage_chi2(numerators, denominators) == pytest.approx(expected_chi2, rel=TOL_CHI2)


def test_proportion_leave_one_out_sign_flip():
    numerators = [110, 100, 100, 99, 200]
    denominators = [1000] * 5
    expected_chi2, expected_slope = _prop_trend_reference(numerators, denominators)
    # by hand: N = 5000, X = 609, N·Σxt − X·Σnt = 895000, N·Σnt² − (Σnt)² = 5e7
    assert expected_chi2 == pytest.approx(5000 * 895000**2 / (609 * 4391 * 5e7), rel=TOL_CHI2)
    assert expected_chi2 > CHI_SQUARE_998_1DF and expected_slope > 0
    result = recent_trend([1.0] * 5, numerators=numerators, denominators=denominators, polarity="low")
    assert result.label == "No significant change" and result.significant is False
    assert result.chi_square == pytest.approx(expected_chi2, rel=TOL_CHI2)


def test_counts_win_when_limits_are_given_too():
    numerators = [500, 520, 550, 570, 600]
    result = recent_trend(
        RISING,
        numerators=numerators,
        denominators=[1000] * 5,
        lower_ci=LOWER,
        upper_ci=UPPER,
        polarity="high",
    )
    assert result.chi_square == pytest.approx(_prop_trend_reference(numerators, [1000] * 5)[0], rel=TOL_CHI2)


@pytest.mark.parametrize(
    ("values", "numerators", "denominators"),
    [
        ([1.0] * 5, [500, 520, None, 570, 600], [1000] * 5),  # a missing count
        ([1.0] * 5, [500, 520, 550, 570, 600], [1000, 1000, 1000, 1000, None]),  # a missing denominator
        ([1.0, 1.0, None, 1.0, 1.0], [500, 520, 550, 570, 600], [1000] * 5),  # a suppressed value
        ([1.0] * 5, [500, 520, 550, 570, 0], [1000, 1000, 1000, 1000, 0]),  # a zero denominator
        ([1.0] * 5, [0] * 5, [1000] * 5),  # no events at all: the statistic is undefined
        ([1.0] * 5, [1000] * 5, [1000] * 5),  # every case an event: undefined too
        ([1.0] * 4, [1] * 4, [10] * 4),  # fewer than 5 points
    ],
)
def test_proportion_could_not_be_calculated(values, numerators, denominators):
    result = recent_trend(values, numerators=numerators, denominators=denominators, polarity="high")
    assert result.label == "Could not be calculated"
    assert (result.chi_square, result.slope, result.direction) == (None, None, None)


# --- input errors ---------------------------------------------------------------------------------------


def _error(**kwargs) -> str:
    with pytest.raises(ValueError) as err:
        recent_trend(**kwargs)
    return str(err.value)


def test_needs_counts_or_limits():
    assert _error(values=RISING, polarity="high") == (
        "A recent trend needs either numerators and denominators (for a proportion) or lower and upper "
        "95% confidence limits (for other values)."
    )


def test_pairs_must_be_complete():
    assert _error(values=RISING, numerators=[1] * 5, polarity="high") == (
        "For a proportion give both the numerators and the denominators."
    )
    assert _error(values=RISING, denominators=[1] * 5, lower_ci=LOWER, upper_ci=UPPER, polarity="high") == (
        "For a proportion give both the numerators and the denominators."
    )
    assert _error(values=RISING, lower_ci=LOWER, polarity="high") == (
        "Give both the lower and the upper 95% confidence limits."
    )


def test_unknown_polarity():
    assert _error(values=RISING, lower_ci=LOWER, upper_ci=UPPER, polarity="up") == (
        POLARITY_MESSAGE.format("up")
    )


def test_a_single_number_is_not_a_series():
    assert _error(values=10.0, lower_ci=9.0, upper_ci=11.0, polarity="high") == (
        "A recent trend needs a series of values, one per period, oldest first."
    )


def test_lengths_must_match():
    assert _error(values=RISING, lower_ci=LOWER[:4], upper_ci=UPPER, polarity="high") == (
        "The inputs must have the same number of rows; got 5 values, 4 lower limits and 5 upper limits."
    )


def test_limits_the_wrong_way_round():
    assert _error(values=RISING, lower_ci=UPPER, upper_ci=LOWER, polarity="high") == (
        "The lower 95% confidence limit is above the upper limit in rows 1, 2, 3, 4 and 5."
    )


def test_bad_counts():
    assert _error(values=[1.0] * 5, numerators=[1, 2, -3, 4, 5], denominators=[10] * 5, polarity="high") == (
        "The numerator cannot be negative; check row 3."
    )
    assert _error(
        values=[1.0] * 5, numerators=[1] * 5, denominators=[10, 10, 10, 10, -10], polarity="high"
    ) == ("The denominator cannot be negative; check row 5.")
    assert _error(values=[1.0] * 5, numerators=[1, 20, 1, 1, 1], denominators=[10] * 5, polarity="high") == (
        "The numerator cannot be larger than the denominator; check row 2."
    )


def test_cochran_armitage_input_errors():
    def message(*args) -> str:
        with pytest.raises(ValueError) as err:
            cochran_armitage_chi2(*args)
        return str(err.value)

    assert message(5, 10) == "The trend test needs a column of numerators and a column of denominators."
    assert message([5], [10]) == "The trend test needs at least 2 groups."
    assert message([5, None], [10, 10]) == "The trend test needs every count and score; row 2 is missing one."
    assert message([5, 5], [10, 0]) == "The numerator cannot be larger than the denominator; check row 2."
    assert message([0, 0], [10, 0]) == "Every denominator must be above 0; check row 2."
    assert message([5, 5], [10, 10], [1, 2, 3]) == (
        "The inputs must have the same number of rows; got 2 numerators, 2 denominators and 3 scores."
    )
