"""The six-weekly contract meeting pack, as data, built from the marts for a period and an as-at time.

Everything comes from the functions the dashboard pages use, so a number is computed once:

* KPI values, RAG, change and small-denominator marks: :func:`kpi.contract.values.kpi_values` (``mart_kpi_values``) as at
  the pack's time; England: :func:`kpi.contract.values.benchmarks`, :func:`~kpi.contract.values.with_benchmark`,
  :func:`~kpi.contract.values.compare_with_england` (Fingertips rule, docs/methods.md section 4);
* SPC variation and assurance: :func:`kpi.spc.assurance.spc_summary`, i.e. :func:`kpi.spc.rules.xmr` on the borough series
  up to the period (Making Data Count; icons only with 12 points or more);
* inequality of the headline KPIs (catalogue ``headline = true``) on the borough's national deciles, two measures
  named apart (docs/methods.md section 5): the slope index of inequality (SII), the headline measure, from
  :func:`kpi.inequality.views.sii_table` (:func:`kpi.inequality.slope_index.sii`, PHEindicatormethods ``phe_sii``), and the gap
  between the most and least deprived decile from :func:`kpi.inequality.views.decile_gap` (the briefing uses both);
* exceptions: every KPI red or amber at borough or locality level, with the provider's explanation and remedial
  action in force at ``as_at`` (:func:`kpi.contract.narratives.explanations`, the rule the overview's board uses);
* data quality: :func:`kpi.returns.review.list_submissions` (late, missing and resubmitted returns since the last
  circulated pack); actions and risks: :mod:`kpi.contract.meetings`;
* what changed since the last circulated pack (RAG moves, new SPC signals, targets): :mod:`kpi.reports.pack.changes`;
* NCMP and outcome summaries when those tables exist and hold data (:mod:`kpi.reports.extras`);
* the meeting it is for: the date given, else the next meeting recorded (:func:`~kpi.reports.pack.build.next_meeting_date`).

The package: :mod:`~kpi.reports.pack.model` (the dataclasses), :mod:`~kpi.reports.pack.build` (:func:`build_pack`),
:mod:`~kpi.reports.pack.frames` (the frames each section is built from), :mod:`~kpi.reports.pack.changes` (what
changed), :mod:`~kpi.reports.pack.layout` and :mod:`~kpi.reports.pack.closing` (:func:`pack_document`, the layout).

**Reproducible**: every input is read as at ``as_at``, and the cover carries a *data version*, the SHA-256 of the
figures the pack was built from (first 12 hex digits). Rebuilding for the same as-at time after later resubmissions
or target changes gives the same figures and the same data version. Internal packs show unrounded figures and mark
small denominators (†); disclosure control is for the public briefing (:mod:`kpi.reports.briefing`).

Example:
    >>> pack = build_pack(store, "2026-27 Q2", as_at=datetime(2026, 11, 20, 9), principal=LOCAL_USER)  # doctest: +SKIP
    >>> pack.cover.period, len(pack.exceptions)  # doctest: +SKIP
    ('2026-27 Q2', 6)
"""

from __future__ import annotations

from kpi.reports.pack.build import build_pack, next_meeting_date
from kpi.reports.pack.changes import Changes, changes_since
from kpi.reports.pack.frames import (
    EXCEPTION_RAGS,
    category_alt,
    council_name,
    data_quality,
    data_version,
    exception_items,
    headline_codes,
    inequality_frame,
    narratives_frame,
    pack_scope,
    summary_frame,
)
from kpi.reports.pack.layout import pack_document
from kpi.reports.pack.model import Cover, DataQuality, ExceptionItem, Pack

__all__ = [
    "EXCEPTION_RAGS",
    "Changes",
    "Cover",
    "DataQuality",
    "ExceptionItem",
    "Pack",
    "build_pack",
    "category_alt",
    "changes_since",
    "council_name",
    "data_quality",
    "data_version",
    "exception_items",
    "headline_codes",
    "inequality_frame",
    "narratives_frame",
    "next_meeting_date",
    "pack_document",
    "pack_scope",
    "summary_frame",
]
