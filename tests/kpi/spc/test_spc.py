"""Tests for kpi.spc.rules (Making Data Count XmR chart) and kpi.spc.icons.

Expected values: the worked XmR example of docs/methods.md section 8 (figures rounded to 3 and 2
places), and hand-built series whose means, moving ranges and flags are worked out in the comments.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.spc import rules as spc
from kpi.spc.icons import assurance_icon, assurance_label, variation_icon, variation_label
from kpi.spc.rules import xmr

#: docs/methods.md gives the mean and mean moving range to 3 places, the limits to 2.
TOL_3DP = 5e-4
TOL_2DP = 5e-3
#: Hand-worked values below are exact up to float rounding.
EXACT_TOL = 1e-9

COLUMNS = [
    "value",
    "mean",
    "upper_limit",
    "lower_limit",
    "upper_two_sigma",
    "lower_two_sigma",
    "outside_limits",
    "shift",
    "trend",
    "two_of_three",
    "point_type",
    "variation",
    "assurance",
    "limits_shown",
    "moving_range",
    "after_gap",
]

WORKED = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def _mean_mr(chart: pl.DataFrame) -> float:
    return (chart["upper_limit"][0] - chart["mean"][0]) / spc.LIMIT_SCALE


# --- the worked example ---------------------------------------------------------------------------------
def test_worked_example_unscreened() -> None:
    chart = xmr(WORKED)
    assert chart.columns == COLUMNS
    assert chart.height == len(WORKED)
    assert chart["mean"][0] == pytest.approx(1.944, abs=TOL_3DP)
    assert _mean_mr(chart) == pytest.approx(1.882, abs=TOL_3DP)
    assert chart["upper_limit"][0] == pytest.approx(6.95, abs=TOL_2DP)
    assert chart["lower_limit"][0] == pytest.approx(-3.06, abs=TOL_2DP)
    # only the 10 is outside; with no polarity it is neutral and the latest point common cause
    assert chart["outside_limits"].to_list() == [i == 4 for i in range(len(WORKED))]
    assert chart["point_type"][4] == "neutral"
    assert chart["variation"][0] == "common_cause"
    assert chart["limits_shown"].all()


def test_worked_example_screened() -> None:
    chart = xmr(WORKED, screen_outliers=True)
    # moving ranges 8 and 9 are >= 3.267 x 1.882 = 6.15 and are left out: mean mR 1; the mean stays
    assert chart["mean"][0] == pytest.approx(1.944, abs=TOL_3DP)
    assert chart["upper_limit"][0] == pytest.approx(4.60, abs=TOL_2DP)
    assert chart["lower_limit"][0] == pytest.approx(-0.72, abs=TOL_2DP)


def test_two_sigma_lines_and_constants() -> None:
    assert (spc.LIMIT_SCALE, spc.TWO_SIGMA_SCALE, spc.MR_SCREEN_SCALE) == (2.66, 1.7733, 3.267)
    chart = xmr(WORKED)
    mean_mr = 32 / 17  # moving ranges 1, 1, 1, 8, 9 and twelve 1s
    assert chart["upper_two_sigma"][0] == pytest.approx(35 / 18 + 1.7733 * mean_mr, abs=EXACT_TOL)
    assert chart["lower_two_sigma"][0] == pytest.approx(35 / 18 - 1.7733 * mean_mr, abs=EXACT_TOL)


# --- shift ------------------------------------------------------------------------------------------------
def test_shift_of_exactly_run_length_is_flagged() -> None:
    # sum 7 - 1 - 6 = 0, so the mean is exactly 0: seven points above it, then none in a run
    values = [1] * 7 + [-1, 1, -1, 1, -1] + [-6]
    chart = xmr(values)
    assert chart["mean"][0] == 0
    assert chart["shift"].to_list() == [True] * 7 + [False] * 6


def test_shift_of_run_length_minus_one_is_not_flagged_unless_run_length_is_6() -> None:
    values = [1] * 6 + [-1, 1, -1, 1, -1, 1, -1] + [-5]  # mean 0, six points above it
    assert not xmr(values)["shift"].any()
    assert xmr(values, run_length=6)["shift"].to_list() == [True] * 6 + [False] * 8


def test_point_on_the_mean_ends_a_shift() -> None:
    values = [1, 1, 1, 0, 1, 1, 1, 1, -1, 1, -1, -6]  # mean 0; 3 + 4 points above, split by the 0
    assert xmr(values)["mean"][0] == 0
    assert not xmr(values)["shift"].any()
    # the same with the 0 replaced by 1 is a run of 8 (re-balanced so the mean stays 0)
    joined = [1, 1, 1, 1, 1, 1, 1, 1, -1, 1, -1, -7]
    assert xmr(joined)["shift"].to_list() == [True] * 8 + [False] * 4


def test_shift_below_the_mean_is_a_concern_when_higher_is_better() -> None:
    values = [-1] * 7 + [1, -1, 1, -1, 1] + [6]  # mean 0; seven below
    chart = xmr(values, improvement="increase")
    assert chart["shift"].to_list()[:7] == [True] * 7
    assert chart["point_type"].to_list()[:7] == ["concern"] * 7
    chart = xmr(values, improvement="decrease")
    assert chart["point_type"].to_list()[:7] == ["improvement"] * 7


# --- trend -----------------------------------------------------------------------------------------------
def test_trend_of_exactly_run_length_points() -> None:
    values = [0, 1, 2, 3, 4, 5, 6, 3, 4, 3, 4, 3]  # seven rising points (six steps)
    assert xmr(values)["trend"].to_list() == [True] * 7 + [False] * 5


def test_trend_of_run_length_minus_one_points() -> None:
    values = [0, 1, 2, 3, 4, 5, 2, 3, 2, 3, 2, 3]  # six rising points
    assert not xmr(values)["trend"].any()
    assert xmr(values, run_length=6)["trend"].to_list() == [True] * 6 + [False] * 6


def test_equal_neighbours_end_a_trend() -> None:
    # 0,1,2,3 then 3,4,5,6,7,8: nine "non-falling" points, but the tie splits them into 4 and 6
    values = [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 4, 5]
    assert not xmr(values)["trend"].any()
    assert xmr(values, run_length=6)["trend"].to_list() == [False] * 4 + [True] * 6 + [False] * 2


def test_falling_trend() -> None:
    values = [9, 8, 7, 6, 5, 4, 3, 6, 5, 6, 5, 6]
    chart = xmr(values, improvement="decrease")
    assert chart["trend"].to_list() == [True] * 7 + [False] * 5
    assert chart["point_type"][3] == "improvement"


# --- outside and two of three (limits fixed by a baseline) ------------------------------------------------
# Baseline: 10, 12 alternating x 6 -> mean 11, every mR 2, limits 11 -/+ 5.32 = 5.68 / 16.32,
# two-sigma lines 11 -/+ 3.5466 = 7.4534 / 14.5466.
BASELINE = [10, 12] * 6


def test_baseline_limits() -> None:
    chart = xmr([*BASELINE, 11, 12], baseline=12)
    assert chart["mean"][0] == pytest.approx(11, abs=EXACT_TOL)
    assert chart["upper_limit"][0] == pytest.approx(16.32, abs=EXACT_TOL)
    assert chart["lower_two_sigma"][0] == pytest.approx(7.4534, abs=EXACT_TOL)


def test_two_of_three_beyond_the_upper_two_sigma_line() -> None:
    chart = xmr([*BASELINE, 15, 11, 15], baseline=12, improvement="increase")
    assert chart["two_of_three"].to_list()[-3:] == [True, False, True]
    assert not chart["outside_limits"].any()
    assert chart["point_type"].to_list()[-3:] == ["improvement", "common cause", "improvement"]


def test_two_of_three_with_the_third_point_beyond_the_limit() -> None:
    chart = xmr([*BASELINE, 15, 11, 17], baseline=12, improvement="increase")
    assert chart["two_of_three"].to_list()[-3:] == [True, False, True]
    assert chart["outside_limits"].to_list()[-3:] == [False, False, True]


def test_two_of_three_needs_the_same_line() -> None:
    one_beyond = xmr([*BASELINE, 15, 11, 11], baseline=12)
    assert not one_beyond["two_of_three"].any()
    opposite = xmr([*BASELINE, 15, 11, 7], baseline=12)  # 15 above the upper, 7 below the lower line
    assert not opposite["two_of_three"].any()


def test_two_of_three_below_is_a_concern_when_higher_is_better() -> None:
    chart = xmr([*BASELINE, 7, 7], baseline=12, improvement="increase")
    assert chart["two_of_three"].to_list()[-2:] == [True, True]
    assert chart["variation"][0] == "concern_low"


def test_outside_both_limits_and_polarity() -> None:
    chart = xmr([*BASELINE, 17, 11, 5], baseline=12, improvement="increase")
    assert chart["outside_limits"].to_list()[-3:] == [True, False, True]
    assert chart["point_type"].to_list()[-3:] == ["improvement", "common cause", "concern"]
    chart = xmr([*BASELINE, 17, 11, 5], baseline=12, improvement="decrease")
    assert chart["point_type"].to_list()[-3:] == ["concern", "common cause", "improvement"]
    assert chart["variation"][0] == "improvement_low"


def test_improvement_wins_when_a_point_is_both() -> None:
    # 1..7 rise (a trend: high) while all sitting below the mean 10.83 (a shift: low)
    values = [1, 2, 3, 4, 5, 6, 7, 20, 21, 20, 21, 20]
    for polarity in ("increase", "decrease"):
        chart = xmr(values, improvement=polarity)
        assert chart["trend"].to_list()[:7] == [True] * 7
        assert chart["shift"].to_list()[:7] == [True] * 7
        assert chart["point_type"].to_list()[:7] == ["improvement"] * 7


def test_neutral_without_polarity() -> None:
    chart = xmr([*BASELINE, 17], baseline=12)
    assert chart["point_type"][-1] == "neutral"
    assert chart["variation"][0] == "neither_high"
    assert xmr([*BASELINE, 5], baseline=12)["variation"][0] == "neither_low"


@pytest.mark.parametrize(
    ("last", "polarity", "code"),
    [
        (11, "increase", "common_cause"),
        (17, "increase", "improvement_high"),
        (5, "increase", "concern_low"),
        (17, "decrease", "concern_high"),
        (5, "decrease", "improvement_low"),
    ],
)
def test_variation_codes(last: float, polarity: str, code: str) -> None:
    assert xmr([*BASELINE, last], baseline=12, improvement=polarity)["variation"].to_list() == [code] * 13


# --- assurance ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "polarity", "expected"),
    [
        (5, "increase", "pass"),  # below the lower limit 5.68: every value expected above it
        (17, "increase", "fail"),  # above the upper limit 16.32
        (11, "increase", "hit_and_miss"),
        (17, "decrease", "pass"),
        (5, "decrease", "fail"),
        (11, "decrease", "hit_and_miss"),
        (11, None, None),  # no polarity: no judgement
    ],
)
def test_assurance(target: float, polarity: str | None, expected: str | None) -> None:
    assert xmr(BASELINE, improvement=polarity, target=target)["assurance"][0] == expected


def test_no_target_no_assurance() -> None:
    assert xmr(BASELINE, improvement="increase")["assurance"][0] is None


# --- run charts (local rule: fewer than 12 points) ---------------------------------------------------------
def test_fewer_than_12_points_is_a_run_chart() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 100, 1, 1, 1]  # 11 points; 1..100 rises for 8 points
    chart = xmr(values, improvement="increase", target=50)
    assert chart.height == 11
    assert not chart["limits_shown"].any()
    for column in (
        "upper_limit",
        "lower_limit",
        "upper_two_sigma",
        "lower_two_sigma",
        "variation",
        "assurance",
    ):
        assert chart[column].null_count() == 11, column
    assert chart["mean"][0] == pytest.approx(131 / 11, abs=EXACT_TOL)
    assert not chart["outside_limits"].any() and not chart["two_of_three"].any()
    assert chart["trend"].to_list() == [True] * 8 + [False] * 3
    assert chart["point_type"].to_list()[:8] == ["improvement"] * 8
    assert chart.schema["upper_limit"] == pl.Float64 and chart.schema["variation"] == pl.String


def test_exactly_12_points_shows_limits() -> None:
    assert xmr(BASELINE)["limits_shown"].all()
    assert not xmr(BASELINE[:11])["limits_shown"].any()


def test_single_point() -> None:
    chart = xmr([3.5])
    assert chart["mean"].to_list() == [3.5] and chart["point_type"].to_list() == ["common cause"]


def test_accepts_numpy_and_polars() -> None:
    assert xmr(np.array(WORKED)).equals(xmr(WORKED))
    assert xmr(pl.Series(WORKED)).equals(xmr(WORKED))


# --- input checks -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        ([], {}, r"The SPC chart needs at least one value; the series is empty\."),
        ("12345", {}, r"The SPC chart needs a series of numbers, one for each period, not a single value\."),
        (7, {}, r"The SPC chart needs a series of numbers, one for each period, not a single value\."),
        ([1, "two", 3], {}, r"The SPC chart needs numbers only; point 2 is 'two', which is not a number\."),
        ([1, True, 3], {}, r"point 2 is True, which is not a number\."),
        (
            [1, None, 3, math.nan],
            {},
            r"The SPC chart cannot have gaps: point\(s\) 2, 4 are missing or not finite\.",
        ),
        ([[1, 2], [3, 4]], {}, r"point 1 is \[1, 2\], which is not a number\."),
        (np.ones((2, 2)), {}, r"The SPC chart needs a single series of numbers \(one value per period\)\."),
        (
            [1, 2],
            {"run_length": 8},
            r"run_length must be 6 or 7 points \(the Making Data Count settings\), not 8\.",
        ),
        ([1, 2], {"run_length": True}, r"run_length must be 6 or 7 points"),
        ([1, 2], {"improvement": "up"}, r"improvement must be 'increase' \(higher is better\), 'decrease' "),
        ([1, 2], {"target": "90%"}, r"The target must be a number, not '90%'\."),
        ([1, 2], {"target": math.inf}, r"The target must be a finite number\."),
        ([1, 2], {"screen_outliers": "yes"}, r"screen_outliers must be True or False, not 'yes'\."),
        (
            [1, 2, 3],
            {"baseline": 1},
            r"baseline must be at least 2 points \(a moving range needs two\), not 1\.",
        ),
        ([1, 2, 3], {"baseline": 4}, r"baseline is 4 points but the series has only 3; choose a baseline"),
        ([1, 2, 3], {"baseline": 2.5}, r"baseline must be a whole number of points, not 2\.5\."),
    ],
)
def test_input_errors(values: object, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        xmr(values, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=40),
    st.sampled_from(["increase", "decrease", None]),
    st.sampled_from([6, 7]),
    st.booleans(),
)
def test_any_finite_series_gives_a_consistent_chart(
    values: list[float], polarity: str | None, run_length: int, screen: bool
) -> None:
    chart = xmr(values, improvement=polarity, run_length=run_length, screen_outliers=screen)
    assert chart.height == len(values) and chart.columns == COLUMNS
    assert set(chart["point_type"]) <= set(spc.POINT_TYPES)
    special = chart["outside_limits"] | chart["shift"] | chart["trend"] | chart["two_of_three"]
    assert ((chart["point_type"] != "common cause") == special).all()
    if len(values) >= spc.MIN_POINTS_FOR_LIMITS:
        assert chart["variation"][0] in spc.VARIATION_CODES
        assert chart["upper_limit"][0] >= chart["upper_two_sigma"][0] >= chart["mean"][0]
    else:
        assert chart["variation"][0] is None


# --- icons --------------------------------------------------------------------------------------------------
SVG = "{http://www.w3.org/2000/svg}"
VARIATION_LABELS = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause variation: improvement (higher)",
    "improvement_low": "Special cause variation: improvement (lower)",
    "concern_high": "Special cause variation: concern (higher)",
    "concern_low": "Special cause variation: concern (lower)",
    "neither_high": "Special cause variation: neither improvement nor concern (higher)",
    "neither_low": "Special cause variation: neither improvement nor concern (lower)",
}
ASSURANCE_LABELS = {
    "pass": "Consistently passing the target",
    "fail": "Consistently failing the target",
    "hit_and_miss": "Hit and miss",
}


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


@pytest.mark.parametrize("code", [*spc.VARIATION_CODES, None])
def test_variation_icon_is_svg_with_title(code: str | None) -> None:
    root = _parse(variation_icon(code))
    label = variation_label(code)
    assert root.find(f"{SVG}title").text == label and root.get("aria-label") == label
    if code is not None:
        assert label == VARIATION_LABELS[code]
        letters = [t.text for t in root.iter(f"{SVG}text")]
        assert letters == ([] if code == "common_cause" else ["H" if code.endswith("high") else "L"])


@pytest.mark.parametrize("code", [*spc.ASSURANCE_CODES, None])
def test_assurance_icon_is_svg_with_title(code: str | None) -> None:
    root = _parse(assurance_icon(code, size=32))
    label = assurance_label(code)
    assert root.find(f"{SVG}title").text == label and root.get("width") == "32"
    if code is not None:
        assert label == ASSURANCE_LABELS[code]
        assert [t.text for t in root.iter(f"{SVG}text")] == [
            {"pass": "P", "fail": "F", "hit_and_miss": "?"}[code]
        ]


@pytest.mark.parametrize(
    ("svg", "colour"),
    [
        (variation_icon("improvement_high"), "#00B0F0"),
        (variation_icon("concern_low"), "#E46C0A"),
        (variation_icon("neither_high"), "#490092"),
        (variation_icon("common_cause"), "#A6A6A6"),
        (assurance_icon("pass"), "#00B0F0"),
        (assurance_icon("fail"), "#E46C0A"),
    ],
)
def test_icon_colours(svg: str, colour: str) -> None:
    assert colour in svg


def test_icon_errors() -> None:
    with pytest.raises(
        ValueError, match=r"Unknown variation code 'improving'; expected one of: common_cause, "
    ):
        variation_icon("improving")
    with pytest.raises(
        ValueError, match=r"Unknown assurance code 'passed'; expected one of: pass, fail, hit_and_miss"
    ):
        assurance_label("passed")
    with pytest.raises(
        ValueError, match=r"The icon size must be a whole number of pixels above zero, not 0\."
    ):
        variation_icon("common_cause", size=0)


# ---- a missing period breaks the moving range and the runs (issue #12 section 6) ---------------------------------


def test_a_gap_leaves_the_next_point_without_a_moving_range():
    # Quarters 1-6 and 8-13: quarter 7 is missing. Moving ranges within each stretch are all 2; the one that would
    # join quarter 6 (12) to quarter 8 (30) is 18 and must not be taken.
    values = [10, 12, 10, 12, 10, 12, 30, 32, 30, 32, 30, 32]
    quarters = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13]
    chart = xmr(values, periods=quarters)
    assert chart["moving_range"].to_list() == [None, 2, 2, 2, 2, 2, None, 2, 2, 2, 2, 2]
    assert chart["after_gap"].to_list() == [False] * 6 + [True] + [False] * 5
    # mean = (6 x 11 + 6 x 31) / 12 = 21; mean(mR) = 20 / 10 = 2; limits 21 +/- 5.32, 2-sigma 21 +/- 3.5466
    assert chart["mean"][0] == pytest.approx(21, abs=EXACT_TOL)
    assert _mean_mr(chart) == pytest.approx(2, abs=EXACT_TOL)
    assert chart["upper_limit"][0] == pytest.approx(26.32, abs=EXACT_TOL)
    assert chart["lower_limit"][0] == pytest.approx(15.68, abs=EXACT_TOL)
    assert chart["upper_two_sigma"][0] == pytest.approx(24.5466, abs=EXACT_TOL)
    # joined across the gap (no periods given), the 18 would count: mean(mR) = (10 x 2 + 18) / 11
    joined = xmr(values)
    assert joined["moving_range"][6] == 18
    assert _mean_mr(joined) == pytest.approx(38 / 11, abs=EXACT_TOL)


def test_no_shift_or_trend_runs_across_a_gap():
    # Shift: 7 points at 10 then 7 at 0 (mean 5), but a quarter is missing after the 4th point. The first 7 are
    # 4 + 3 consecutive quarters, so only the last 7 (quarters 9-15, all below the mean) make a shift.
    values = [10] * 7 + [0] * 7
    quarters = [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    chart = xmr(values, periods=quarters)
    assert chart["shift"].to_list() == [False] * 7 + [True] * 7
    assert xmr(values)["shift"].to_list() == [True] * 14  # joined: two runs of 7
    # Trend: 1..7 rising, with quarters 5-7 missing: 3 steps, a gap, 2 steps; no run of 6 steps.
    rising = [1, 2, 3, 4, 5, 6, 7]
    assert xmr(rising, periods=[1, 2, 3, 4, 8, 9, 10])["trend"].to_list() == [False] * 7
    assert xmr(rising)["trend"].to_list() == [True] * 7


def test_two_of_three_needs_three_consecutive_periods():
    # 12 points, mean(mR) small, two points high (index 5 and 6) with a gap between them: no window of three
    # consecutive quarters holds both, so neither is flagged by this rule (each is still outside the limits).
    values = [0, 1, 0, 1, 0, 9, 9, 0, 1, 0, 1, 0]
    quarters = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13]
    chart = xmr(values, periods=quarters)
    assert chart["two_of_three"].to_list() == [False] * 12
    assert xmr(values)["two_of_three"].to_list()[5:7] == [True, True]


@pytest.mark.parametrize(
    ("quarters", "message"),
    [
        ([1, 2], "The SPC chart has 3 values but 2 periods: give one period for each value."),
        (
            [1, 2, 2],
            "The periods must be in time order, each once: point 3 does not come after the one before it.",
        ),
        (
            [1, 2.5, 3],
            "The periods must be whole numbers (consecutive periods differ by one); point 2 is 2.5.",
        ),
    ],
)
def test_bad_periods_are_refused_in_plain_words(quarters, message):
    with pytest.raises(ValueError) as raised:
        xmr([1, 2, 3], periods=quarters)
    assert str(raised.value) == message
