"""What changed since a date: the Overview's "What changed" view, the meeting pack's own computation.

By default the comparison is with the last circulated pack (its period, as at its data time), as the pack's "What
changed since the last pack" section makes it (:func:`kpi.reports.pack.changes.compare`); from a chosen date it is
with the latest quarter that had an accepted return by then, as the data stood then. Listed: RAG moves, new
special-cause signals, target changes, trajectory breaches (:func:`kpi.reports.pack.changes.trajectory_breaches`),
and the late and resubmitted returns received since (:func:`kpi.reports.pack.frames.data_quality`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import allowed, require
from kpi.contract import meetings as meetings
from kpi.contract import trajectory_status as trajectory_status
from kpi.contract import values as overview
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.reports.pack.changes import Changes, compare, trajectory_breaches
from kpi.reports.pack.frames import data_quality


@dataclass
class WhatChanged:
    """The changes since ``since``: against ``previous`` (a circulated pack) or the data as it stood then."""

    since: datetime
    previous: dict | None
    before_period: str | None
    period: str
    changes: Changes
    late: pl.DataFrame
    resubmitted: pl.DataFrame


def last_circulated(store: Store, council_code: str, as_at: datetime, *, principal: Principal) -> dict | None:
    """The last circulated pack before ``as_at`` the principal may see (None: none, or not theirs to see)."""
    if not allowed(principal, "read_meetings"):
        return None
    return meetings.previous_pack(store, council_code, as_at, principal=principal)


def what_changed(
    store: Store,
    council_code: str,
    period: str,
    *,
    principal: Principal,
    since: datetime | None = None,
    as_at: datetime | None = None,
) -> WhatChanged:
    """What changed in ``period`` (as at ``as_at``, default now) since ``since`` (default: the last circulated pack)."""
    require(principal, "read_data")
    at = as_at or periods.now()
    code = periods.normalise_period(period)
    previous = last_circulated(store, council_code, at, principal=principal) if since is None else None
    if previous is not None:
        start, before_period = previous["as_at"], previous["period"]
    else:
        start = since or datetime.combine(periods.parse_period(code).start, datetime.min.time())
        before_period = None
    names = overview.locality_names(store, council_code, at)
    now = overview.kpi_values(store, council_code, at, principal=principal)
    before = overview.kpi_values(store, council_code, start, principal=principal)
    if before_period is None:
        known = overview.available_periods(before)
        before_period = known[0] if known else None  # newest first
    empty = pl.DataFrame()
    if before_period is None:
        changes = Changes(previous, code, empty, empty, empty)
    else:
        moves, signals, targets = compare(before, before_period, now, code, names)
        board_now = trajectory_status.trajectory_board(
            store, council_code, now, code, names, at, principal=principal
        )
        board_before = trajectory_status.trajectory_board(
            store, council_code, before, before_period, names, start, principal=principal
        )
        breaches = trajectory_breaches(board_before, board_now)
        changes = Changes(previous, code, moves, signals, targets, breaches)
    quality = data_quality(store, council_code, code, at, start, principal=principal)
    return WhatChanged(start, previous, before_period, code, changes, quality.late, quality.resubmitted)


def summary_text(found: WhatChanged) -> str:
    """One sentence: against what, and how many of each change."""
    c = found.changes

    def n(frame: pl.DataFrame, noun: str, plural: str | None = None) -> str:
        return f"{frame.height} {noun if frame.height == 1 else plural or noun + 's'}"

    against = (
        f"the last circulated pack ({found.previous['period']}, data as at {found.since:%d %b %Y %H:%M})"
        if found.previous
        else f"{found.before_period or 'no quarter'} as the data stood on {found.since:%d %b %Y}"
    )
    return (
        f"{found.period} against {against}: {n(c.rag_moves, 'RAG move')}, {n(c.new_signals, 'new SPC signal')}, "
        f"{n(c.targets, 'target change')}, {n(c.trajectory_breaches, 'trajectory breach', 'trajectory breaches')}; "
        f"{n(found.late, 'late return')} and {n(found.resubmitted, 'resubmitted return')} received since."
    )
