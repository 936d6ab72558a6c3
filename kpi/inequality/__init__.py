"""Inequality by deprivation.

The slope and relative index of inequality (:mod:`kpi.inequality.slope_index`, with its input checks in
:mod:`~kpi.inequality.sii_checks` and its Monte Carlo limits in :mod:`~kpi.inequality.sii_simulation`), local
quantiles (:mod:`~kpi.inequality.local_quantiles`), the quantile frames the pages and reports read
(:mod:`~kpi.inequality.views`), the SII per area (:mod:`~kpi.inequality.area_sii`), the two-group gap
(:mod:`~kpi.inequality.decile_gap`), their names (:mod:`~kpi.inequality.measures`) and words
(:mod:`~kpi.inequality.words`), and their charts.

``kpi.inequality.sii`` is the public entry point analysts script against.
"""

from kpi.inequality.local_quantiles import quantiles
from kpi.inequality.slope_index import sii, sii_grouped

__all__ = ["quantiles", "sii", "sii_grouped"]
