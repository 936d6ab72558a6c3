"""The scrutiny briefing as data: a headline KPI, a red area and the briefing, and the groups it reports by.

:func:`kpi.reports.briefing.build.build_briefing` fills these in (every figure disclosed,
:mod:`kpi.reports.disclosure`); :func:`kpi.reports.briefing.layout.briefing_document` lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kpi.reports.disclosure import DisclosedRate
from kpi.reports.pack.model import Cover

TREND_POINTS = 5
DECILES = [str(d) for d in range(1, 11)] + ["U"]
QUINTILES = [str(q) for q in range(1, 6)]
QUINTILE_DECILES = {q: f"deciles {2 * int(q) - 1}-{2 * int(q)}" for q in QUINTILES}


@dataclass
class Headline:
    """One headline KPI, disclosed: borough now, a year earlier, last quarter, trend, England, localities, deciles."""

    kpi_code: str
    kpi_name: str
    polarity: str
    rate: DisclosedRate
    target_pct: float | None
    england_pct: float | None
    england_period: str | None
    comparison: str
    year_ago: DisclosedRate | None
    previous: DisclosedRate | None
    trend: str
    localities: dict[str, DisclosedRate]
    deciles: dict[str, DisclosedRate]
    message: str
    rag: str | None = None
    amber_margin_pct: float | None = None
    quintiles: dict[str, DisclosedRate] = field(default_factory=dict)
    #: unrounded value_pct by group (decile "1".."10", quintile "q1".."q5"), for the gap only, never printed
    true_groups: dict[str, float] = field(default_factory=dict)
    #: the SII (the headline measure of inequality) from the unrounded decile counts: a row of
    #: :func:`kpi.reports.pack.frames.inequality_frame`, the pack's own computation (None without deciles)
    sii: dict | None = None
    #: how the borough compares with similar councils, in words, where the difference is significant: (group name,
    #: phrase), e.g. ("DfE statistical neighbours (May 2025)", "among the best quarter of similar councils")
    neighbours: tuple[str, str] | None = None


@dataclass
class RedArea:
    """A KPI red in an area (borough or locality), with the provider's explanation and action."""

    kpi_code: str
    kpi_name: str
    where: str
    rate: DisclosedRate
    target_pct: float | None
    explanation: str | None
    remedial_action: str | None


@dataclass
class Briefing:
    """The scrutiny briefing as data (see :mod:`kpi.reports.briefing`); :func:`~kpi.reports.briefing.layout.briefing_document` lays it out."""

    cover: Cover
    locality_names: dict[str, str]
    headlines: list[Headline]
    red_areas: list[RedArea]
    year_ago_period: str
    previous_period: str
    #: "decile" or "quintile": the groups the deprivation table and gap use (quintiles when deciles are mostly empty)
    groups: str = "decile"
    #: red areas not named because their figures are hidden: (kpi_name, how many localities)
    unnamed_reds: list[tuple[str, int]] = field(default_factory=list)
    #: the deprivation index of the period's deciles, as a figure names it ("IMD 2025"; docs/methods.md 7.1)
    deciles_on: str = ""
    #: recovery trajectories in force (:func:`kpi.reports.briefing.trajectories.briefing_trajectories`)
    trajectories: list[dict] = field(default_factory=list)
    #: headline KPIs derived from child-level records, by ethnic group, disclosed
    #: (:func:`kpi.reports.briefing.ethnicity.ethnic_tables`); empty without records
    ethnic_groups: list[dict] = field(default_factory=list)
