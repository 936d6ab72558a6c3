"""Build the meeting pack: read the marts as at a time, compute the frames, fill in the cover.

:func:`build_pack` is the orchestration (see :mod:`kpi.reports.pack` for where each section comes from);
:func:`next_meeting_date` is the meeting a pack is for when the caller names none.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope
from kpi.contract import meetings as meetings
from kpi.contract import spc_controls as spc_controls
from kpi.contract import trajectories as trajectories
from kpi.contract import values as overview
from kpi.contract.trajectory_status import trajectory_board
from kpi.core import deprivation
from kpi.core import periods as periods
from kpi.core.councils import providers
from kpi.core.store import Store, default_council, get_info
from kpi.outcomes.neighbours import neighbour_summary
from kpi.reports import words
from kpi.reports.extras import optional_sections, reconciliation_sections
from kpi.reports.figures import FigureSet
from kpi.reports.pack.changes import Changes, changes_since, trajectory_breaches
from kpi.reports.pack.frames import (
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
from kpi.reports.pack.model import Cover, Pack
from kpi.reports.pack.trajectories import trajectory_section

#: Contract review meetings are six-weekly: with no later meeting recorded, the next is this long after the last.
MEETING_INTERVAL = timedelta(weeks=6)


def build_pack(
    store: Store,
    period: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    council_code: str | None = None,
    provider_code: str | None = None,
    draft: bool = False,
    meeting_date: date | None = None,
) -> Pack:
    """Build the meeting pack for ``period`` from the data as it stood at ``as_at`` (default now).

    Every input is read through the principal's scope: a provider's pack is a draft of its own provider's figures,
    returns, narratives, actions and risks only, without the council's NCMP and outcome sections. The cover names
    the meeting the pack is for: ``meeting_date``, else the next meeting (:func:`next_meeting_date`); the meeting
    date is not a figure and does not change the data version.

    Raises:
        AccessDenied: a principal who may not build packs, or a provider asking for another provider's.
        ValueError: an unreadable period, or no accepted return for the period by ``as_at`` (the message lists
            the periods that have one).
    """
    provider_code, draft = pack_scope(principal, provider_code, draft)
    started = time.perf_counter()
    council = (council_code or default_council(store)).upper()
    at = as_at or periods.now()
    code = periods.normalise_period(period)
    values = _values_with(store, council, code, at, provider_code, principal=principal)
    # The council's NCMP and outcome sections and its comparison with similar councils (DuckDB and polars, which
    # release the GIL) are read on two more threads from here on, while this one reads the contract's own figures,
    # writes the charts' specs and fits the SII of the headline KPIs (numpy): the same figures, less time to wait
    # (docs/performance.md, the pack).
    council_wide = provider_scope(principal) is None
    with ThreadPoolExecutor(max_workers=2) as pool:
        later = (
            pool.submit(optional_sections, store, council, at, principal=principal) if council_wide else None
        )
        peers = (
            pool.submit(neighbour_summary, store, council, code, at, principal=principal, kpi_values=values)
            if council_wide
            else None
        )
        bench = overview.benchmarks(store, council, at)
        names = overview.locality_names(store, council, at)
        provider = _provider(store, council, provider_code)
        previous = meetings.previous_pack(
            store, council, at, principal=principal, provider_code=provider["provider_code"]
        )
        since = (
            previous["as_at"]
            if previous
            else datetime.combine(periods.parse_period(code).start, datetime.min.time())
        )
        timings = {"read": time.perf_counter() - started}

        controls = spc_controls.spc_controls(store, council, at, principal=principal)
        events = spc_controls.annotations(store, council, at, principal=principal)
        step = time.perf_counter()
        summary = summary_frame(values, bench, code, controls)
        timings["summary"] = time.perf_counter() - step
        figures = FigureSet()
        step = time.perf_counter()
        narratives = narratives_frame(
            store, council, provider["provider_code"], code, at, values, principal=principal
        )
        # the deprivation index the quarter's decile rows use (docs/methods.md section 7.1), named on its decile
        # figures
        deciles_on = deprivation.short_label(deprivation.index_for_period(store, council, code, at))
        planned = trajectories.trajectory_points(store, council, at, principal=principal)
        exceptions = exception_items(
            values, bench, code, names, narratives, figures, controls, events, planned, deciles_on=deciles_on
        )
        # their charts are drawn in the drawing process while the rest is read (docs/performance.md, the pack)
        figures.draw_ahead()
        timings["exceptions"] = time.perf_counter() - step
        step = time.perf_counter()
        gaps = inequality_frame(values, code, headlines=headline_codes(store, council, code, at))
        timings["inequalities"] = time.perf_counter() - step
        extras = later.result() if later is not None else []
        summary = with_neighbours(summary, peers.result() if peers is not None else None)
    extras += reconciliation_sections(
        store, council, code, at, principal=principal, provider_code=provider["provider_code"]
    )
    quality = data_quality(store, council, code, at, since, principal=principal, provider_code=provider_code)
    carried = meetings.carried_actions(store, council, at, since, principal=principal)
    risk_log = meetings.risks(store, council, at, principal=principal, include_closed=False)
    plans = trajectory_section(
        store,
        council,
        values,
        code,
        names,
        at,
        figures,
        principal=principal,
        controls=controls,
        events=events,
    )
    figures.draw_ahead()
    changes = _changes(store, council, previous, values, code, names, provider_code, principal, plans.status)
    extra_figures = [repr(extra.blocks) for extra in extras]  # NCMP and outcome tables, as printed
    cover = _cover(store, council, provider, code, at, draft, since, previous, principal=principal)
    cover.data_version = data_version(
        values,
        bench,
        narratives,
        carried,
        risk_log,
        quality,
        names,
        extra_figures,
        summary["vs_neighbours"],
        # a pack without trajectories, SPC changes or annotations keeps its version
        *[frame for frame in (plans.status, plans.changes, plans.events) if frame.height],
    )
    cover.meeting_date = meeting_date or next_meeting_date(
        store, council, principal=principal, provider_code=provider["provider_code"]
    )
    timings["total"] = time.perf_counter() - started
    return Pack(
        cover=cover,
        values=values,
        summary=summary,
        locality_names=names,
        locality_matrix=overview.overview_matrix(values, code, names),
        exceptions=exceptions,
        inequalities=gaps,
        extras=extras,
        data_quality=quality,
        changes=changes,
        actions=carried,
        risks=risk_log,
        figures=figures,
        timings=timings,
        trajectories=plans,
    )


def with_neighbours(summary: pl.DataFrame, peers: pl.DataFrame | None) -> pl.DataFrame:
    """The summary with ``vs_neighbours``: each KPI against its first comparator group (docs/methods.md section 9).

    "–" where the KPI has no comparison (no Fingertips indicator, no other council's figures, or a provider's pack,
    which carries no council-wide figures).
    """
    if peers is None or peers.is_empty():
        return summary.with_columns(
            pl.lit("–").alias("vs_neighbours"), pl.lit(None, dtype=pl.String).alias("neighbours_group")
        )
    chosen = peers.select(
        "kpi_code", pl.col("cell").alias("vs_neighbours"), pl.col("group_name").alias("neighbours_group")
    )
    return summary.join(chosen, on="kpi_code", how="left", maintain_order="left").with_columns(
        pl.col("vs_neighbours").fill_null("–")
    )


def _changes(store, council, previous, values, code, names, provider_code, principal, plans) -> Changes:
    """What changed since the last circulated pack: its figures as at its data time against this pack's.

    ``plans``: this pack's trajectories judged (:func:`kpi.contract.trajectory_status.trajectory_board`); those off
    trajectory now and not in the last pack are its breaches.
    """
    before = (
        overview.kpi_values(
            store, council, previous["as_at"], provider_code=provider_code, principal=principal
        )
        if previous
        else None
    )
    changes = changes_since(previous, before, values, code, names)
    if previous and plans.height:
        then = trajectory_board(
            store, council, before, previous["period"], names, previous["as_at"], principal=principal
        )
        changes.trajectory_breaches = trajectory_breaches(then, plans)
    return changes


def _values_with(
    store: Store, council: str, period: str, at: datetime, provider_code: str | None, *, principal: Principal
) -> pl.DataFrame:
    """The KPI values as at ``at``, once the period is known to have an accepted return by then."""
    values = overview.kpi_values(store, council, at, provider_code=provider_code, principal=principal)
    available = overview.available_periods(values)
    if period not in available:
        shown = ", ".join(available[:8]) or "none yet"
        raise ValueError(
            f"there is no accepted return for {period} as at {words.as_at_text(at)}: periods with returns are "
            f"{shown}"
        )
    return values


def _provider(store: Store, council: str, provider_code: str | None) -> dict:
    frame = providers(store, council)
    if provider_code:
        chosen = frame.filter(pl.col("provider_code") == provider_code.upper())
        if chosen.is_empty():
            known = ", ".join(frame["provider_code"].to_list()) or "none"
            raise ValueError(
                f"provider {provider_code} does not hold a contract with {council}: known are {known}"
            )
        return chosen.row(0, named=True)
    if frame.height == 1:
        return frame.row(0, named=True)
    return {
        "provider_code": None,
        "provider_name": ", ".join(frame["provider_name"].to_list()) or "No provider recorded",
        "contract_name": None,
    }


def _cover(
    store: Store,
    council: str,
    provider: dict,
    period: str,
    at: datetime,
    draft: bool,
    since: datetime | None,
    previous: dict | None,
    *,
    principal: Principal,
) -> Cover:
    """The cover of a pack, its data version and meeting date still to be filled in."""
    return Cover(
        council_code=council,
        council_name=council_name(store, council),
        contract_name=provider["contract_name"] or "0-19 Healthy Child Programme",
        provider_code=provider["provider_code"],
        provider_name=provider["provider_name"],
        period=period,
        as_at=at,
        data_version="",
        built_at=periods.now(),
        is_sample=get_info(store).get("is_sample") == "true",
        is_draft=draft,
        since=since,
        previous_pack=previous,
    )


def next_meeting_date(
    store: Store,
    council_code: str,
    *,
    principal: Principal,
    provider_code: str | None = None,
) -> date | None:
    """The next contract review meeting, the one a pack built today is for; None when it cannot be told.

    The earliest meeting recorded (``sql/marts/mart_meetings.sql``, as the principal may see them, of
    ``provider_code`` or of no particular provider when given) dated on or after today
    (:func:`kpi.core.periods.today`); else the next date of the six-weekly cycle from the latest recorded meeting
    (six, twelve, ... weeks after it: the first that is today or later); else, with no meeting recorded, None (the
    cover says "not set").
    """
    today = periods.today()
    frame = meetings.meetings(store, council_code.upper(), principal=principal)
    if provider_code:
        frame = frame.filter(
            pl.col("provider_code").is_null() | (pl.col("provider_code") == provider_code.upper())
        )
    dates = sorted(frame["meeting_date"].to_list())
    upcoming = [day for day in dates if day >= today]
    if upcoming:
        return upcoming[0]
    if not dates:
        return None
    cycles = max(1, -(-(today - dates[-1]).days // MEETING_INTERVAL.days))  # ceiling division
    return dates[-1] + cycles * MEETING_INTERVAL
