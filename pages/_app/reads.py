"""Cached reads: every data call a page makes, keyed on its inputs and the data version, so a page never waits on
work already done and sees fresh data after any write (the SII simulations and the NCMP marts:
:mod:`pages._app.reads_inequality`).

Streamlit caching lives only in the app layer; every function below calls :mod:`kpi` and never SQL.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from kpi.access.principal import Principal
from kpi.core import periods
from pages._app.session import council_code, data_version, principal, store


@st.cache_data(show_spinner=False, max_entries=32)
def _kpi_values(council: str, version: int, who: Principal | None) -> pl.DataFrame:
    from kpi.contract import values as overview

    return overview.kpi_values(store(), council, principal=who)


def kpi_values() -> pl.DataFrame:
    """Every KPI value at every level (the mandated-contacts mart) the principal may see (a provider: its own
    returns only), cached until the next write."""
    from kpi.access.rules import require

    who = principal()
    require(who, "read_data")
    return _kpi_values(council_code(), data_version(), who)


@st.cache_data(show_spinner=False, max_entries=8)
def _benchmarks(council: str, version: int) -> pl.DataFrame:
    from kpi.contract import values as overview

    return overview.benchmarks(store(), council)


def benchmarks() -> pl.DataFrame:
    """Benchmark values (England, region, neighbours)."""
    return _benchmarks(council_code(), data_version())


def pending() -> pl.DataFrame:
    """Submissions waiting for a decision (a provider: its own; a viewer, who reads accepted data only: none)."""
    from kpi.access.rules import accepted_only
    from kpi.contract import values as overview

    who = principal()
    if who is not None and accepted_only(who):
        return pl.DataFrame(schema={"provider_code": pl.String, "dataset": pl.String, "period": pl.String})
    return overview.pending(store(), council_code(), principal=who)


@st.cache_data(show_spinner=False, max_entries=8)
def _locality_names(council: str, version: int, day: date) -> dict[str, str]:
    from kpi.contract import values as overview

    return overview.locality_names(store(), council)


def locality_names() -> dict[str, str]:
    """Locality codes to names (as at today), cached until the next write."""
    return _locality_names(council_code(), data_version(), periods.today())


@st.cache_data(show_spinner=False, max_entries=64)
def _ethnic_breakdown(council: str, version: int, who, day: date, kpi_code: str, period: str) -> pl.DataFrame:
    from kpi.hvrecords import views as hv_views

    return hv_views.ethnic_breakdown(store(), council, kpi_code, period, principal=who)


def ethnic_breakdown(kpi_code: str, period: str) -> pl.DataFrame:
    """A KPI's quarter per ethnic group from the child-level health visiting records
    (:func:`kpi.hvrecords.views.ethnic_breakdown`, as at today), cached until the next write."""
    return _ethnic_breakdown(council_code(), data_version(), principal(), periods.today(), kpi_code, period)


def provider_names() -> dict[str, str]:
    """Provider codes to names (the providers table); a provider without a name keeps its code."""
    from kpi.core.councils import providers

    frame = providers(store(), council_code())
    return {r["provider_code"]: r["provider_name"] or r["provider_code"] for r in frame.iter_rows(named=True)}


def explanations(period: str, values: pl.DataFrame) -> pl.DataFrame:
    """The provider's explanation per KPI × place for a period (agreed narrative, else awaiting, else comment)."""
    from kpi.contract import narratives

    return narratives.explanations(store(), council_code(), period, values, principal=principal())


# ---- outcomes ----------------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _outcome_series(council: str, framework_key: str, version: int, who) -> pl.DataFrame:
    from kpi.outcomes import frameworks as frameworks
    from kpi.outcomes import series as outcomes

    framework = frameworks.load_frameworks()[framework_key]
    return outcomes.measure_series(
        store(),
        council,
        framework,
        kpi_values=_kpi_values(council, version, who),
        benchmarks=_benchmarks(council, version),
        principal=who,
    )


def outcome_series(framework_key: str) -> pl.DataFrame:
    """Every value of a framework's measures (area, region, England, breakdowns), cached until the next write."""
    return _outcome_series(council_code(), framework_key, data_version(), principal())
