"""The scrutiny committee briefing: a short public document in plain English, with disclosure control.

What it says, for the headline KPIs (catalogue ``headline = true``) in a period, as at a time:

* **headline messages** generated from the data: "New birth visits within 14 days: 91%, better than England
  (85.2% in 2024-25)." Fingertips' words (docs/methods.md section 4) are used only where the difference is significant:
  "better"/"worse" (or "higher"/"lower" without a judgement) when England's value lies outside the borough's 95%
  Wilson interval, "similar to England" otherwise (:func:`kpi.stats.compare_with_benchmark`); whether the contract
  target was met is the mart's RAG, the same judgement as the overview and the pack;
* **over time**: the same quarter a year earlier, the previous quarter, and Fingertips' recent-trend words on the
  last five quarters (:func:`kpi.stats.recent_trend`, chi-squared test for trend);
* **inequality by deprivation**: the slope index of inequality (SII), the headline measure, in words
  (:func:`kpi.reports.pack.frames.inequality_frame`, as in the pack), then percentages by national IMD decile (named: IMD 2019 or 2025), or by
  quintile (pairs of deciles) when most decile figures would be too small to show, and the gap between the most and
  least deprived decile (or quintile) (:func:`kpi.inequality.views.decile_gap`);
* **by locality**, **by ethnic group** (the headline KPIs derived from child-level records, where the quarter has
  them: :mod:`~kpi.reports.briefing.ethnicity`), and **what the provider is doing about red areas** (its
  explanation and remedial action);
* a **glossary** and a note on the figures.

**Disclosure control** (docs/methods.md section 6, :mod:`kpi.reports.disclosure`, after NHS England's rule for
sub-national tables) on every figure, borough totals included: counts 1-7 shown as ``*``, others rounded to the
nearest 5; percentages are computed from the rounded counts, hidden when a count behind them is, and printed only
as precisely as the rounded denominator allows (NHS England's presentation rule for rounded data: >= 4,000 one
decimal, 400-3,995 whole per cent, 100-395 "about" the nearest 5 per cent, below 100 none), and never further from
the true percentage than the precision printed. Secondary suppression runs over the locality counts against the
borough total. Complex calculations (comparison with England, the trend test, the SII, the gap) and the judgement
against the target come from the unrounded counts, so the words always agree with the pack; no confidence interval
is printed. A locality whose figures are hidden is not named outside the locality table (not in the red list).

The package: :mod:`~kpi.reports.briefing.model` (the dataclasses), :mod:`~kpi.reports.briefing.build`
(:func:`build_briefing`: what is said, disclosed), :mod:`~kpi.reports.briefing.words` (the sentences and the
glossary) and :mod:`~kpi.reports.briefing.layout` (:func:`briefing_document`).
"""

from __future__ import annotations

from kpi.reports.briefing.build import build_briefing
from kpi.reports.briefing.layout import briefing_document
from kpi.reports.briefing.model import Briefing, Headline, RedArea
from kpi.reports.briefing.words import message, target_words
from kpi.reports.disclosure import Disclosed

__all__ = [
    "Briefing",
    "Disclosed",
    "Headline",
    "RedArea",
    "briefing_document",
    "build_briefing",
    "message",
    "target_words",
]
