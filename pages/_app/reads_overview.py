"""Cached computations of the Overview: the exceptions board, the SPC variation and assurance of every KPI, the
exception narratives in force, and what changed since the last circulated pack (or a chosen date).

Each is worked out from the cached reads of :mod:`pages._app.reads` and kept, like them, per council, data version
and principal, and also per day (:func:`kpi.core.periods.today`), since what changed, which pack was the last
circulated and which narratives and SPC controls are in force are judged as at now. Any write changes the data
version, so a view never shows a figure older than the data; a repeated view of the same data costs a cache look-up
instead of the XmR rules of every KPI and the two snapshots of the data the comparison needs (docs/performance.md,
"Pages").

Streamlit caching lives only in the app layer; every function below calls :mod:`kpi` and never SQL.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import streamlit as st

from kpi.core import periods
from pages._app.reads import _benchmarks, _kpi_values
from pages._app.session import council_code, data_version, principal, store


def _key() -> tuple:
    """What every cached result below is kept per: the council, its data version, who asks and the day."""
    return council_code(), data_version(), principal(), periods.today()


@st.cache_data(show_spinner=False, max_entries=64)
def _spc_summary(council: str, version: int, who, day: date, period: str) -> pl.DataFrame:
    from kpi.contract import spc_controls as controls
    from kpi.spc import assurance

    recorded = controls.spc_controls(store(), council, principal=who)
    return assurance.spc_summary(_kpi_values(council, version, who), period, controls=recorded)


def spc_summary(period: str) -> pl.DataFrame:
    """Each KPI's variation and assurance on its borough series up to ``period``, with the recorded SPC controls
    (:func:`kpi.spc.assurance.spc_summary`), cached."""
    return _spc_summary(*_key(), period)


@st.cache_data(show_spinner=False, max_entries=64)
def _exceptions(council: str, version: int, who, day: date, period: str) -> pl.DataFrame:
    from kpi.contract import exceptions_board as board
    from kpi.contract import narratives
    from kpi.contract import spc_controls as controls
    from kpi.contract import values as overview

    values = _kpi_values(council, version, who)
    return board.exceptions_board(
        values,
        _benchmarks(council, version),
        period,
        overview.locality_names(store(), council),
        narratives.explanations(store(), council, period, values, principal=who),
        controls.spc_controls(store(), council, principal=who),
    )


def exceptions(period: str) -> pl.DataFrame:
    """The red and amber KPI × place of ``period`` with their explanations and SPC variation
    (:func:`kpi.contract.exceptions_board.exceptions_board`), cached."""
    return _exceptions(*_key(), period)


@st.cache_data(show_spinner=False, max_entries=64)
def _narratives(council: str, version: int, who, day: date, period: str) -> pl.DataFrame:
    from kpi.contract import narratives

    return narratives.overview_narratives(store(), who, council, period)


def narratives(period: str) -> pl.DataFrame:
    """The exception narratives in force for ``period`` as the Overview lists them
    (:func:`kpi.contract.narratives.overview_narratives`), cached."""
    return _narratives(*_key(), period)


@st.cache_data(show_spinner=False, max_entries=16)
def _last_circulated(council: str, version: int, who, day: date) -> dict | None:
    from kpi.reports.pack import since

    return since.last_circulated(store(), council, periods.now(), principal=who)


def last_circulated() -> dict | None:
    """The last circulated meeting pack the principal may see (None: none), cached."""
    return _last_circulated(*_key())


@st.cache_data(show_spinner=False, max_entries=64)
def _what_changed(council: str, version: int, who, day: date, period: str, since_day: datetime | None):
    from kpi.reports.pack import since

    return since.what_changed(store(), council, period, principal=who, since=since_day)


def what_changed(period: str, since_day: datetime | None = None):
    """What changed in ``period`` since ``since_day`` (None: since the last circulated pack)
    (:func:`kpi.reports.pack.since.what_changed`), cached."""
    return _what_changed(*_key(), period, since_day)
