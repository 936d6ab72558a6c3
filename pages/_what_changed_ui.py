"""App-layer section of the Overview: what changed since a date (the last circulated pack by default).

The computation is the meeting pack's (:func:`kpi.reports.pack.since.what_changed`); this draws it.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import streamlit as st

from kpi.core import periods as periods
from kpi.reports.pack import since as since
from pages._app import ui as _ui


def section(period: str) -> since.WhatChanged:
    """Choose the date (default: the last circulated pack's) and show every change since it."""
    last = _ui.last_circulated()
    chosen = st.date_input(
        "Changes since",
        value=last["as_at"].date() if last else periods.parse_period(period).start,
        key="changes_since",
        help="By default, since the last circulated meeting pack.",
    )
    use_pack = last is not None and chosen == last["as_at"].date()
    found = _ui.what_changed(period, None if use_pack else datetime.combine(chosen, datetime.min.time()))
    st.markdown(_ui.plain(since.summary_text(found)))
    c = found.changes
    tables = (
        ("RAG moves", c.rag_moves, "changes_rag"),
        ("New special-cause signals", c.new_signals, "changes_signals"),
        ("Target changes", c.targets, "changes_targets"),
        ("Trajectory breaches", c.trajectory_breaches, "changes_breaches"),
        ("Late returns", found.late, "changes_late"),
        ("Resubmitted returns", found.resubmitted, "changes_resubmitted"),
    )
    for title, frame, key in tables:
        if isinstance(frame, pl.DataFrame) and frame.height:
            st.markdown(f"**{title}**")
            _ui.table(frame, key=key)
    return found
