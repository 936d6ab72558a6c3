"""Statistics for HCP Contract Monitor: one method per module, each citing its reference.

* :func:`wilson_ci` (:mod:`kpi.stats.wilson`) - Wilson score interval for a proportion (Wilson 1927,
  Newcombe 1998, PHEindicatormethods).
* :func:`byars_ci` (:mod:`kpi.stats.byars`) - Byar's interval for a count (Breslow & Day 1987).
* :func:`compare_with_benchmark`, :func:`compare_with_benchmark_expr` (:mod:`kpi.stats.benchmark`) -
  Fingertips' benchmark comparison.
* :func:`compare_with_goal` (:mod:`kpi.stats.goal`) - Fingertips' goal comparison.
* :func:`quintile_rank` (:mod:`kpi.stats.quintiles`) - Fingertips quintiles.
* :func:`recent_trend`, :func:`cochran_armitage_chi2` (:mod:`kpi.stats.trend`) - Fingertips recent trend.
* :func:`z_for`, :data:`Z95`, :data:`Z998` - full-precision normal quantiles.

Every function takes scalars, lists, numpy arrays or polars Series where that makes sense, and raises
``ValueError`` with a plain-English message for bad input. No Streamlit here.

Example:
    >>> from kpi.stats import wilson_ci
    >>> [round(v, 7) for v in wilson_ci(1045, 5000)]
    [0.1979555, 0.2204913]

"""

from kpi.stats._inputs import z_for
from kpi.stats.benchmark import BenchmarkComparison, compare_with_benchmark, compare_with_benchmark_expr
from kpi.stats.byars import byars_ci
from kpi.stats.goal import compare_with_goal
from kpi.stats.quintiles import quintile_rank
from kpi.stats.trend import CHI_SQUARE_998_1DF, TrendResult, cochran_armitage_chi2, recent_trend
from kpi.stats.wilson import Z95, Z998, wilson_ci

__all__ = [
    "CHI_SQUARE_998_1DF",
    "Z95",
    "Z998",
    "BenchmarkComparison",
    "TrendResult",
    "byars_ci",
    "cochran_armitage_chi2",
    "compare_with_benchmark",
    "compare_with_benchmark_expr",
    "compare_with_goal",
    "quintile_rank",
    "recent_trend",
    "wilson_ci",
    "z_for",
]
