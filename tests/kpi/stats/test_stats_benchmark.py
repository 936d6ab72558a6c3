"""Fingertips benchmark comparison: compare_with_benchmark and compare_with_benchmark_expr.

Expected outcomes: the five cases of fingertips-open's SingleOverlappingCIsForTwoCILevelsComparerTest (area
value 2.6, 95% CI 2.5-2.7, 99.8% CI 2.3-2.9; benchmark 3.0, 2.8, 2.6, 2.4, 2.2), transcribed with their
expected Significance, plus the rule's boundaries worked by hand from docs/methods.md section 4.
"""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from kpi.stats import BenchmarkComparison, compare_with_benchmark, compare_with_benchmark_expr

AREA = {"value": 2.6, "lower_ci": 2.5, "upper_ci": 2.7}
AREA_998 = {"lower_ci_998": 2.3, "upper_ci_998": 2.9}

POLARITY_MESSAGE = (
    "The polarity must be 'high' (high is good), 'low' (low is good) or 'none' (no judgement); got {!r}."
)


def _compare(benchmark, polarity, **extra):
    return compare_with_benchmark(benchmark=benchmark, polarity=polarity, **AREA, **AREA_998, **extra)


# Fingertips Significance → (outcome, significance): Best/Worst are better/worse at 99.8%.
@pytest.mark.parametrize(
    ("benchmark", "high_is_good", "low_is_good"),
    [
        (3.0, ("worse", "99.8"), ("better", "99.8")),  # Test_Benchmark_Value_Higher_Than_Upper_99_8
        (2.8, ("worse", "95"), ("better", "95")),  # Test_Benchmark_Value_Between_Upper_CIs
        (2.6, ("similar", None), ("similar", None)),  # TestSame
        (2.4, ("better", "95"), ("worse", "95")),  # Test_Benchmark_Value_Between_Lower_CIs
        (2.2, ("better", "99.8"), ("worse", "99.8")),  # Test_Benchmark_Value_Lower_Than_Upper_99_8
    ],
)
def test_fingertips_two_level_cases(benchmark, high_is_good, low_is_good):
    high = _compare(benchmark, "high")
    low = _compare(benchmark, "low")
    assert (high.outcome, high.significance) == high_is_good
    assert (low.outcome, low.significance) == low_is_good


def test_labels_in_fingertips_words():
    assert _compare(2.2, "high") == BenchmarkComparison("better", "99.8", "Better than England")
    assert _compare(2.6, "high").label == "Similar to England"
    assert _compare(3.0, "high").label == "Worse than England"
    assert _compare(2.2, "none").label == "Higher than England"
    assert _compare(3.0, "none").label == "Lower than England"
    assert _compare(None, "high").label == "Not compared"
    assert _compare(2.4, "low", benchmark_name="East of England").label == "Worse than East of England"


def test_no_judgement_gives_higher_or_lower():
    assert (_compare(2.4, "none").outcome, _compare(2.4, "none").significance) == ("higher", "95")
    assert (_compare(3.0, "none").outcome, _compare(3.0, "none").significance) == ("lower", "99.8")
    assert _compare(2.65, "none").outcome == "similar"


@pytest.mark.parametrize("benchmark", [2.5, 2.7])
def test_benchmark_on_a_95_limit_is_similar(benchmark):
    assert _compare(benchmark, "high") == BenchmarkComparison("similar", None, "Similar to England")


@pytest.mark.parametrize(("benchmark", "outcome"), [(2.3, "better"), (2.9, "worse")])
def test_benchmark_on_a_998_limit_is_significant_at_95_only(benchmark, outcome):
    result = _compare(benchmark, "high")
    assert (result.outcome, result.significance) == (outcome, "95")


def test_without_998_limits_every_difference_is_at_95():
    result = compare_with_benchmark(2.6, 2.5, 2.7, 2.2, "high")
    assert (result.outcome, result.significance) == ("better", "95")
    # a real-looking case: Reception excess weight 62.0% (58.1-65.7) against England 70.2%, low is good
    assert compare_with_benchmark(62.0, 58.1, 65.7, 70.2, "low").label == "Better than England"


def test_missing_998_values_fall_back_to_95():
    result = compare_with_benchmark(2.6, 2.5, 2.7, 2.2, "high", lower_ci_998=float("nan"), upper_ci_998=2.9)
    assert (result.outcome, result.significance) == ("better", "95")


@pytest.mark.parametrize(
    "missing",
    [
        {"value": None},
        {"value": float("nan")},
        {"lower_ci": None},
        {"upper_ci": float("nan")},
        {"benchmark": None},
    ],
)
def test_missing_figures_are_not_compared(missing):
    args = {**AREA, "benchmark": 2.2, **missing}
    result = compare_with_benchmark(polarity="high", **args)
    assert result == BenchmarkComparison("not compared", None, "Not compared")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("High", "better"),
        ("RAG - High is good", "better"),
        ("high is good", "better"),
        ("low-is-good", "worse"),
        ("RAG - Low is good", "worse"),
        ("  no   judgement ", "higher"),
        ("BOB - Blue orange blue", "higher"),
        ("Not applicable", "not compared"),
        (" not  APPLICABLE", "not compared"),
    ],
)
def test_polarity_words(word, expected):
    assert _compare(2.2, word).outcome == expected


# Fingertips compares no-judgement ("BOB") indicators as higher/lower but makes no comparison at all for the
# "Not applicable" polarity (fingertips-open Comparer.IsPolarityValid): England 2.2 is below the area's 95% CI
# (2.5-2.7) and its 99.8% CI, so "none" reads "higher" (at 99.8%), while "not applicable" is not compared,
# whatever the figures.
@pytest.mark.parametrize("benchmark", [2.2, 2.6, 3.0])
def test_not_applicable_polarity_is_never_compared(benchmark):
    result = _compare(benchmark, "not applicable")
    assert result == BenchmarkComparison("not compared", None, "Not compared")
    assert _compare(2.2, "none") == BenchmarkComparison("higher", "99.8", "Higher than England")


def test_expression_reads_not_applicable_rows_as_not_compared():
    df = pl.DataFrame(
        {
            "v": [2.6, 2.6, 2.6],
            "lo": [2.5, 2.5, 2.5],
            "hi": [2.7, 2.7, 2.7],
            "pol": ["Not applicable", "no judgement", "high"],
        }
    )
    out = df.select(compare_with_benchmark_expr("v", "lo", "hi", 2.2, pl.col("pol")).struct.unnest())
    assert out["outcome"].to_list() == ["not compared", "higher", "better"]
    assert out["significance"].to_list() == [None, "95", "95"]
    literal = df.select(
        compare_with_benchmark_expr("v", "lo", "hi", 2.2, "not applicable").struct.field("label")
    )
    assert literal.to_series().to_list() == ["Not compared"] * 3


# --- input errors ---------------------------------------------------------------------------------------


def test_unknown_polarity():
    with pytest.raises(ValueError) as err:
        _compare(2.2, "up")
    assert str(err.value) == (POLARITY_MESSAGE.format("up"))


def test_limits_the_wrong_way_round():
    with pytest.raises(ValueError) as err:
        compare_with_benchmark(2.6, 2.7, 2.5, 2.2, "high")
    assert str(err.value) == "The lower 95% confidence limit (2.7) is above the upper limit (2.5)."
    with pytest.raises(ValueError) as err:
        compare_with_benchmark(2.6, 2.5, 2.7, 2.2, "high", lower_ci_998=2.9, upper_ci_998=2.3)
    assert str(err.value) == "The lower 99.8% confidence limit (2.9) is above the upper limit (2.3)."


def test_998_interval_must_contain_the_95_interval():
    with pytest.raises(ValueError) as err:
        compare_with_benchmark(2.6, 2.5, 2.7, 2.2, "high", lower_ci_998=2.55, upper_ci_998=2.9)
    assert str(err.value) == "The 99.8% confidence interval must contain the 95% confidence interval."


def test_only_one_998_limit():
    with pytest.raises(ValueError) as err:
        compare_with_benchmark(2.6, 2.5, 2.7, 2.2, "high", lower_ci_998=2.3)
    assert str(err.value) == "Give both 99.8% confidence limits or neither."
    with pytest.raises(ValueError) as err:
        compare_with_benchmark_expr("v", "lo", "hi", 2.2, "high", upper_ci_998="hi998")
    assert str(err.value) == "Give both 99.8% confidence limits or neither."


def test_benchmark_name_must_be_a_name():
    with pytest.raises(ValueError) as err:
        _compare(2.2, "high", benchmark_name=" ")
    assert str(err.value) == "The benchmark name must be a name such as 'England'; got ' '."
    with pytest.raises(ValueError) as err:
        compare_with_benchmark_expr("v", "lo", "hi", 2.2, "high", benchmark_name=None)
    assert str(err.value) == "The benchmark name must be a name such as 'England'; got None."


def test_figures_must_be_numbers():
    with pytest.raises(ValueError) as err:
        compare_with_benchmark("2.6", 2.5, 2.7, 2.2, "high")
    assert str(err.value) == "The value must be a number; got '2.6'."


# --- vectorised expression agrees with the scalar reference ---------------------------------------------


def _grid() -> pl.DataFrame:
    benchmarks = [2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0, None]
    polarities = ["high", "low", "none", "RAG - Low is good"]
    areas = [
        (2.6, 2.5, 2.7, 2.3, 2.9),
        (2.6, 2.5, 2.7, None, None),
        (None, 2.5, 2.7, 2.3, 2.9),
        (2.6, float("nan"), 2.7, 2.3, 2.9),
    ]
    rows = [
        {"v": a[0], "lo": a[1], "hi": a[2], "lo998": a[3], "hi998": a[4], "bench": b, "pol": p}
        for a, b, p in itertools.product(areas, benchmarks, polarities)
    ]
    return pl.DataFrame(
        rows,
        schema={k: pl.Float64 for k in ("v", "lo", "hi", "lo998", "hi998", "bench")} | {"pol": pl.String},
    )


def test_expression_matches_scalar_function_row_by_row():
    df = _grid()
    out = df.with_columns(
        compare_with_benchmark_expr(
            "v",
            "lo",
            "hi",
            "bench",
            pl.col("pol"),
            lower_ci_998="lo998",
            upper_ci_998="hi998",
            benchmark_name="the North West",
        )
    ).unnest("comparison")
    for row in out.iter_rows(named=True):
        expected = compare_with_benchmark(
            row["v"],
            row["lo"],
            row["hi"],
            row["bench"],
            row["pol"],
            lower_ci_998=row["lo998"],
            upper_ci_998=row["hi998"],
            benchmark_name="the North West",
        )
        assert (row["outcome"], row["significance"], row["label"]) == (
            expected.outcome,
            expected.significance,
            expected.label,
        ), row


def test_expression_with_literal_polarity_and_constant_benchmark():
    df = pl.DataFrame({"v": [2.6, 2.6, None], "lo": [2.5, 2.5, 2.5], "hi": [2.7, 2.7, 2.7]})
    labels = df.select(compare_with_benchmark_expr("v", pl.col("lo"), "hi", 2.4, "low").struct.field("label"))
    assert labels.to_series().to_list() == ["Worse than England", "Worse than England", "Not compared"]


def test_expression_marks_unknown_polarity_rows_and_backwards_limits_not_compared():
    df = pl.DataFrame({"v": [2.6, 2.6], "lo": [2.5, 2.7], "hi": [2.7, 2.5], "pol": ["sideways", "high"]})
    out = df.select(compare_with_benchmark_expr("v", "lo", "hi", 2.2, pl.col("pol"))).unnest("comparison")
    assert out["outcome"].to_list() == ["not compared", "not compared"]
    assert out["significance"].to_list() == [None, None]


def test_expression_refuses_an_unknown_literal_polarity():
    with pytest.raises(ValueError) as err:
        compare_with_benchmark_expr("v", "lo", "hi", 2.2, "sideways")
    assert str(err.value) == (POLARITY_MESSAGE.format("sideways"))
