"""Inequality by deprivation.

The slope and relative index of inequality (:mod:`kpi.inequality.slope_index`), quantiles, the views and words the
pages and reports use, and their charts.

``kpi.inequality.sii`` is the public entry point analysts script against.
"""

from kpi.inequality.local_quantiles import quantiles
from kpi.inequality.slope_index import sii, sii_grouped

__all__ = ["quantiles", "sii", "sii_grouped"]
