"""Cached reads of the comparison with similar councils (docs/methods.md section 9), keyed like
:mod:`pages._app.reads` on their inputs and the council's data version.

Streamlit caching lives only in the app layer; every function below calls :mod:`kpi` and never SQL.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from pages._app.reads import _kpi_values
from pages._app.session import council_code, data_version, principal, store


@st.cache_data(show_spinner=False, max_entries=32)
def _kpi_comparison(council: str, version: int, kpi_code: str, period: str, who):
    from kpi.outcomes import neighbours

    values = _kpi_values(council, version, who)
    return neighbours.kpi_comparison(store(), council, kpi_code, period, principal=who, kpi_values=values)


def kpi_comparison(kpi_code: str, period: str):
    """A KPI's quarter against similar councils (None: the KPI maps to no Fingertips indicator), cached."""
    return _kpi_comparison(council_code(), data_version(), kpi_code, period, principal())


@st.cache_data(show_spinner=False, max_entries=32)
def _indicator_comparison(
    council: str, version: int, indicator_id: int, period: str, polarity: str, unit: str, who
):
    from kpi.outcomes import neighbours

    return neighbours.indicator_comparison(
        store(), council, indicator_id, period, polarity, principal=who, unit=unit
    )


def indicator_comparison(indicator_id: int, period: str, polarity: str, unit: str):
    """A Fingertips outcome indicator's period against similar councils, cached until the next write."""
    return _indicator_comparison(
        council_code(), data_version(), indicator_id, period, polarity, unit, principal()
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _neighbour_summary(council: str, version: int, period: str, who) -> pl.DataFrame:
    from kpi.outcomes import neighbours

    values = _kpi_values(council, version, who)
    return neighbours.neighbour_summary(store(), council, period, principal=who, kpi_values=values)


def neighbour_summary(period: str) -> pl.DataFrame:
    """Every mapped KPI against the first comparator group for a quarter (the Overview's line), cached."""
    return _neighbour_summary(council_code(), data_version(), period, principal())
