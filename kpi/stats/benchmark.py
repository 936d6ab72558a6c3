"""Compare an area's value with a benchmark (England, region) the way Fingertips does.

Method: Fingertips' "benchmark value within the area's confidence interval" comparison
(ukhsa-collaboration/fingertips-open, ``SingleOverlappingCIsComparer`` and
``SingleOverlappingCIsForTwoCILevelsComparer``):

* **similar** when the benchmark *value* lies inside the area's 95% confidence interval, bounds included;
* otherwise the area is **higher** (benchmark below the lower limit) or **lower** (benchmark above the upper
  limit), read as **better** or **worse** by polarity: "high" (high is good), "low" (low is good) or "none"
  (no judgement, reported as higher / lower);
* with the 99.8% limits as well, a difference whose benchmark also lies strictly outside the 99.8% interval
  is significant at 99.8% (Fingertips' "best"/"worst", shown as better/worse with emphasis); otherwise at 95%;
* **not compared** when the value, either 95% limit or the benchmark is missing, or when the polarity is
  "not applicable": Fingertips makes no comparison for that polarity (fingertips-open ``Comparer.IsPolarityValid``
  is false for ``PolarityIds.NotApplicable``), unlike "no judgement" / "BOB - Blue orange blue", which is
  compared and reported as higher / lower.

Accepted polarity words (case and spacing ignored): "high", "high is good", "high-is-good",
"RAG - High is good"; "low", "low is good", "low-is-good", "RAG - Low is good"; "none", "no judgement",
"BOB - Blue orange blue"; "not applicable" (never compared).

Reference: Public Health England (2017). Technical guide: confidence intervals; Fingertips "Compared to
England value or percentiles" column.

"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from kpi.stats._inputs import POLARITY_WORDS, normalise_polarity, optional_float

#: The polarity word Fingertips does not compare on (its ``PolarityIds.NotApplicable``); other modules read it as
#: no judgement, the comparison with a benchmark reads it as "not compared".
NOT_APPLICABLE = "not applicable"
_COMPARISON_POLARITIES = POLARITY_WORDS | {NOT_APPLICABLE: NOT_APPLICABLE}


def _comparison_polarity(polarity: Any) -> str:
    """The polarity as "high", "low", "none" or "not applicable" (module docstring); unknown words raise."""
    if isinstance(polarity, str) and " ".join(polarity.split()).lower() == NOT_APPLICABLE:
        return NOT_APPLICABLE
    return normalise_polarity(polarity)


#: Outcome words, in the order a legend shows them.
OUTCOMES: tuple[str, ...] = ("better", "similar", "worse", "higher", "lower", "not compared")

_LABELS = {
    "better": "Better than {name}",
    "similar": "Similar to {name}",
    "worse": "Worse than {name}",
    "higher": "Higher than {name}",
    "lower": "Lower than {name}",
    "not compared": "Not compared",
}


@dataclass(frozen=True)
class BenchmarkComparison:
    """Result of :func:`compare_with_benchmark`.

    Attributes:
        outcome: "better", "similar", "worse", "higher", "lower" or "not compared".
        significance: "99.8" or "95" for a difference (the highest level it reaches), None otherwise.
        label: Fingertips wording, e.g. "Better than England", "Similar to England", "Not compared".

    """

    outcome: str
    significance: str | None
    label: str


def _label(outcome: str, benchmark_name: str) -> str:
    return _LABELS[outcome].format(name=benchmark_name)


def _check_name(benchmark_name: Any) -> None:
    if not isinstance(benchmark_name, str) or not benchmark_name.strip():
        raise ValueError(f"The benchmark name must be a name such as 'England'; got {benchmark_name!r}.")


def compare_with_benchmark(
    value: Any,
    lower_ci: Any,
    upper_ci: Any,
    benchmark: Any,
    polarity: str,
    *,
    lower_ci_998: Any = None,
    upper_ci_998: Any = None,
    benchmark_name: str = "England",
) -> BenchmarkComparison:
    """Rate one area's value against a benchmark value, Fingertips style (scalar reference implementation).

    Method: the benchmark value inside the area's 95% CI (inclusive) is "similar"; otherwise better/worse by
    polarity, or higher/lower when there is no judgement; significance "99.8" when the 99.8% limits are given
    and the benchmark is strictly outside them too (Fingertips, fingertips-open ``SingleOverlappingCIs*``).

    Args:
        value: the area's value (used only to decide whether there is anything to compare).
        lower_ci: the area's lower 95% confidence limit.
        upper_ci: the area's upper 95% confidence limit.
        benchmark: the benchmark's value (e.g. England's).
        polarity: "high", "low", "none" or "not applicable" (never compared; see the module docstring for the
            accepted synonyms).
        lower_ci_998: optional lower 99.8% limit; give both 99.8% limits or neither.
        upper_ci_998: optional upper 99.8% limit.
        benchmark_name: used in the label ("Better than England").

    Returns:
        A :class:`BenchmarkComparison`.

    Raises:
        ValueError: unknown polarity, a lower limit above its upper limit, a 99.8% interval that does not
            contain the 95% interval, only one 99.8% limit given, non-numeric figures or an empty name.

    Example:
        >>> compare_with_benchmark(62.0, 58.1, 65.7, 70.2, "high")
        BenchmarkComparison(outcome='worse', significance='95', label='Worse than England')
        >>> result = compare_with_benchmark(2.6, 2.5, 2.7, 2.2, "high", lower_ci_998=2.3, upper_ci_998=2.9)
        >>> result.outcome, result.significance
        ('better', '99.8')

    """
    pol = _comparison_polarity(polarity)
    _check_name(benchmark_name)
    if (lower_ci_998 is None) != (upper_ci_998 is None):
        raise ValueError("Give both 99.8% confidence limits or neither.")
    v = optional_float(value, "value")
    lo = optional_float(lower_ci, "lower 95% confidence limit")
    hi = optional_float(upper_ci, "upper 95% confidence limit")
    bench = optional_float(benchmark, "benchmark value")
    lo998 = optional_float(lower_ci_998, "lower 99.8% confidence limit")
    hi998 = optional_float(upper_ci_998, "upper 99.8% confidence limit")

    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"The lower 95% confidence limit ({lo:g}) is above the upper limit ({hi:g}).")
    if lo998 is not None and hi998 is not None:
        if lo998 > hi998:
            raise ValueError(
                f"The lower 99.8% confidence limit ({lo998:g}) is above the upper limit ({hi998:g})."
            )
        if lo is not None and hi is not None and (lo998 > lo or hi998 < hi):
            raise ValueError("The 99.8% confidence interval must contain the 95% confidence interval.")

    if v is None or lo is None or hi is None or bench is None or pol == NOT_APPLICABLE:
        return BenchmarkComparison("not compared", None, _label("not compared", benchmark_name))
    if lo <= bench <= hi:
        return BenchmarkComparison("similar", None, _label("similar", benchmark_name))

    area_higher = bench < lo
    significance = "95"
    if lo998 is not None and hi998 is not None and (bench < lo998 if area_higher else bench > hi998):
        significance = "99.8"
    if pol == "none":
        outcome = "higher" if area_higher else "lower"
    elif (pol == "high") == area_higher:
        outcome = "better"
    else:
        outcome = "worse"
    return BenchmarkComparison(outcome, significance, _label(outcome, benchmark_name))


def _expr(item: Any) -> pl.Expr:
    if isinstance(item, pl.Expr):
        expr = item
    elif isinstance(item, str):
        expr = pl.col(item)
    else:
        expr = pl.lit(item)
    return expr.cast(pl.Float64).fill_nan(None)


def compare_with_benchmark_expr(
    value: Any,
    lower_ci: Any,
    upper_ci: Any,
    benchmark: Any,
    polarity: Any,
    *,
    lower_ci_998: Any = None,
    upper_ci_998: Any = None,
    benchmark_name: str = "England",
) -> pl.Expr:
    """Vectorised :func:`compare_with_benchmark` as a polars expression, for marts and page frames.

    Method: as :func:`compare_with_benchmark` (Fingertips benchmark-value-within-CI rule); the scalar function
    is the reference and the tests hold the two together.

    Args:
        value: the areas' values: a column name, a polars expression or a number (a constant). Each of the
            figures below takes the same three forms; NaN counts as missing.
        lower_ci: lower 95% limits.
        upper_ci: upper 95% limits.
        benchmark: the benchmark value, often a number such as England's value.
        polarity: a polarity word (checked now) or a polars expression giving one per row; rows whose
            polarity word is not recognised, or is "not applicable", are "not compared".
        lower_ci_998: optional lower 99.8% limits; give both 99.8% limits or neither.
        upper_ci_998: optional upper 99.8% limits.
        benchmark_name: used in the labels.

    Returns:
        A struct expression named "comparison" with String fields ``outcome``, ``significance`` and
        ``label``; use ``.struct.unnest()`` or ``.struct.field("label")``. Rows whose 95% limits are the
        wrong way round are "not compared" (the scalar function raises instead).

    Raises:
        ValueError: an unknown literal polarity word, only one 99.8% limit given, or an empty name.

    Example:
        >>> df = pl.DataFrame({"v": [62.0, 68.0], "lo": [58.1, 64.5], "hi": [65.7, 71.3]})
        >>> expr = compare_with_benchmark_expr("v", "lo", "hi", 64.0, "high")
        >>> df.select(expr.struct.field("label")).to_series().to_list()
        ['Similar to England', 'Better than England']

    """
    _check_name(benchmark_name)
    if (lower_ci_998 is None) != (upper_ci_998 is None):
        raise ValueError("Give both 99.8% confidence limits or neither.")
    if isinstance(polarity, pl.Expr):
        pol = (
            polarity.cast(pl.String)
            .str.replace_all(r"\s+", " ")
            .str.strip_chars()
            .str.to_lowercase()
            .replace_strict(_COMPARISON_POLARITIES, default=None, return_dtype=pl.String)
        )
    else:
        pol = pl.lit(_comparison_polarity(polarity), dtype=pl.String)

    v, lo, hi, bench = _expr(value), _expr(lower_ci), _expr(upper_ci), _expr(benchmark)
    if lower_ci_998 is None:
        has998 = pl.lit(False)
        lo998 = hi998 = pl.lit(None, dtype=pl.Float64)
    else:
        lo998, hi998 = _expr(lower_ci_998), _expr(upper_ci_998)
        has998 = lo998.is_not_null() & hi998.is_not_null()

    missing = (
        v.is_null()
        | lo.is_null()
        | hi.is_null()
        | bench.is_null()
        | pol.is_null()
        | (pol == NOT_APPLICABLE)
        | (lo > hi)
    )
    similar = (bench >= lo) & (bench <= hi)
    area_higher = bench < lo
    beyond998 = has998 & pl.when(area_higher).then(bench < lo998).otherwise(bench > hi998)
    good = ((pol == "high") & area_higher) | ((pol == "low") & ~area_higher)

    outcome = (
        pl.when(missing)
        .then(pl.lit("not compared"))
        .when(similar)
        .then(pl.lit("similar"))
        .when(pol == "none")
        .then(pl.when(area_higher).then(pl.lit("higher")).otherwise(pl.lit("lower")))
        .when(good)
        .then(pl.lit("better"))
        .otherwise(pl.lit("worse"))
    )
    significance = (
        pl.when(missing | similar)
        .then(pl.lit(None, dtype=pl.String))
        .when(beyond998)
        .then(pl.lit("99.8"))
        .otherwise(pl.lit("95"))
    )
    label = outcome.replace_strict(
        {word: _label(word, benchmark_name) for word in OUTCOMES}, return_dtype=pl.String
    )
    return pl.struct(outcome=outcome, significance=significance, label=label).alias("comparison")
