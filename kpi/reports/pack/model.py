"""The meeting pack as data: the cover, the exception items, the data quality and the pack itself.

:func:`kpi.reports.pack.build.build_pack` fills these in; :func:`kpi.reports.pack.layout.pack_document` lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from kpi.reports.figures import FigureSet
from kpi.reports.pack.changes import Changes
from kpi.reports.pack.trajectories import Trajectories


@dataclass
class Cover:
    """What the cover says."""

    council_code: str
    council_name: str
    contract_name: str
    provider_code: str | None
    provider_name: str
    period: str
    as_at: datetime
    data_version: str
    built_at: datetime
    is_sample: bool
    is_draft: bool
    since: datetime | None
    previous_pack: dict | None = None
    #: the meeting the pack is for (None: not set; the briefing has none)
    meeting_date: date | None = None


@dataclass
class ExceptionItem:
    """One red or amber KPI: its borough row, where it is red or amber, breakdowns, narratives and figure keys."""

    kpi_code: str
    kpi_name: str
    polarity: str
    borough: dict
    flagged: list[dict]
    localities: pl.DataFrame
    deciles: pl.DataFrame
    narratives: list[dict]
    trend_key: str
    decile_key: str | None  # trend_key: the XmR chart of the borough series


@dataclass
class DataQuality:
    """Returns received since the last pack: all, late, resubmissions; returns overdue; submissions waiting."""

    since: datetime | None
    received: pl.DataFrame
    late: pl.DataFrame
    resubmitted: pl.DataFrame
    missing: pl.DataFrame
    waiting: pl.DataFrame


@dataclass
class Pack:
    """A meeting pack as data (see :mod:`kpi.reports.pack`); :func:`~kpi.reports.pack.layout.pack_document` lays it out."""

    cover: Cover
    values: pl.DataFrame
    summary: pl.DataFrame
    locality_names: dict[str, str]
    locality_matrix: pl.DataFrame
    exceptions: list[ExceptionItem]
    inequalities: pl.DataFrame
    extras: list
    data_quality: DataQuality
    changes: Changes
    actions: pl.DataFrame
    risks: pl.DataFrame
    figures: FigureSet
    timings: dict[str, float] = field(default_factory=dict)
    #: the recovery trajectories in force, judged for the pack's quarter
    trajectories: Trajectories = field(default_factory=Trajectories)
