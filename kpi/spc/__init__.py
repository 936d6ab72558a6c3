"""Statistical process control after NHS England's Making Data Count.

The XmR chart and its rules (:mod:`kpi.spc.rules`), icons, assurance per KPI and the chart.

``kpi.spc.xmr`` is the public entry point analysts script against.
"""

from kpi.spc.rules import xmr

__all__ = ["xmr"]
