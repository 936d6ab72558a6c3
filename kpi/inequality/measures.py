"""The two inequality measures this dashboard reports, their names and how the SII is reported.

Two measures, never mixed (docs/methods.md section 5.8): the **gap between the most and least deprived decile** (or
quintile), :func:`kpi.inequality.decile_gap.decile_gap`, is the value in decile 1 minus the value in decile 10, from
those two groups only; the **slope index of inequality (SII)**, :func:`kpi.inequality.area_sii.sii_table`, is the
modelled gap across the whole distribution. The headline measure is the SII (:data:`HEADLINE_MEASURE`), the same on
the inequalities page, in the meeting pack and in the scrutiny briefing; the two-group gap is shown beside it, named
as such (:data:`GAP_NAME`).
"""

from __future__ import annotations

__all__ = ["GAP_NAME", "GAP_QUINTILE_NAME", "HEADLINE_MEASURE", "MULTIPLIER", "REPETITIONS", "SII_NAME"]

#: The two inequality measures' names, the same words everywhere (docs/methods.md section 5.8).
GAP_NAME = "gap between the most and least deprived decile"
GAP_QUINTILE_NAME = "gap between the most and least deprived quintile"
SII_NAME = "slope index of inequality (SII)"
#: The measure a headline about inequality uses, in the dashboard, the pack and the briefing: the SII.
HEADLINE_MEASURE = SII_NAME
#: Monte Carlo draws per SII (the PHEindicatormethods default).
REPETITIONS = 100_000
#: SII in percentage points, most deprived minus least deprived (PHEindicatormethods' sign flipped).
MULTIPLIER = -100
