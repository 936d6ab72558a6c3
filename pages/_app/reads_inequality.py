"""Cached reads of the Inequalities and NCMP pages: quantile frames, the SII of each period, the deprivation index
of each period, outcome measures by decile and the NCMP marts, keyed like :mod:`pages._app.reads` on the council,
the data version and the reader, so the SII simulations run once per data version.

Streamlit caching lives only in the app layer; every function below calls :mod:`kpi` and never SQL.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from pages._app.reads import _kpi_values
from pages._app.session import council_code, data_version, principal, store


@st.cache_data(show_spinner=False, max_entries=8)
def _rolling_quintiles(council: str, version: int, who) -> pl.DataFrame:
    from kpi.inequality import views as inequalities

    return inequalities.rolling_quintiles(store(), council, principal=who)


@st.cache_data(show_spinner=False, max_entries=64)
def _quantile_frame(council: str, version: int, level: str, kpi_code: str, who) -> pl.DataFrame:
    from kpi.inequality import views as inequalities

    if level == "locality":
        return inequalities.quantile_frame(level, kpi_code, rolling=_rolling_quintiles(council, version, who))
    if level == "ncmp":  # kpi_code is "school year|category"
        school_year, category = kpi_code.split("|")
        return inequalities.ncmp_deciles(_ncmp(council, version, who).prevalence, school_year, category)
    if level == "outcome":  # kpi_code is "source|measure_ref"
        source, ref = kpi_code.split("|", 1)
        return inequalities.outcome_deciles(_outcome_values(council, version, who), council, source, ref)
    return inequalities.quantile_frame(level, kpi_code, values=_kpi_values(council, version, who))


def quantile_frame(level: str, kpi_code: str) -> pl.DataFrame:
    """Values by deprivation quantile at a level: a KPI's ("borough" deciles, "locality" rolling quintiles), or the
    borough deciles of an NCMP category ("ncmp", code "R|obese") or an outcome measure ("outcome", "source|ref")."""
    return _quantile_frame(council_code(), data_version(), level, kpi_code, principal())


@st.cache_data(show_spinner=False, max_entries=1024)
def _sii_periods(
    council: str, version: int, level: str, kpi_code: str, periods: tuple[str, ...], who
) -> pl.DataFrame:
    from kpi.inequality import views as inequalities

    frame = _quantile_frame(council, version, level, kpi_code, who).filter(pl.col("period").is_in(periods))
    table = inequalities.sii_table(frame, n_quantiles=inequalities.LEVELS.get(level, (None, 10))[1])
    return pl.concat([table.filter(pl.col("period") == p) for p in periods])


def sii_table(level: str, kpi_code: str, period_list: list[str]) -> pl.DataFrame:
    """SII and RII per area for each period (100,000 draws each), every period in one batch, cached per level, KPI
    and list of periods."""
    return _sii_periods(council_code(), data_version(), level, kpi_code, tuple(period_list), principal())


@st.cache_data(show_spinner=False, max_entries=64)
def _deprivation_indices(
    council: str, version: int, yearly: bool, period_list: tuple[str, ...]
) -> dict[str, str]:
    from kpi.core import deprivation

    index_of = deprivation.index_for_year if yearly else deprivation.index_for_period
    return {p: index_of(store(), council, p) for p in period_list}


def deprivation_indices(period_list: list[str], yearly: bool = False) -> dict[str, str]:
    """The deprivation index each quarter's deciles use (``yearly``: each NCMP academic year's), as set now
    (:func:`kpi.core.deprivation.index_for_period`, :func:`~kpi.core.deprivation.index_for_year`), cached until
    the next write."""
    return _deprivation_indices(council_code(), data_version(), yearly, tuple(period_list))


@st.cache_data(show_spinner=False, max_entries=8)
def _outcome_values(council: str, version: int, who) -> pl.DataFrame:
    from kpi.outcomes import series as outcomes

    return outcomes.outcome_values(store(), council, principal=who)


def deprivation_outcomes() -> pl.DataFrame:
    """Outcome measures with a deprivation-decile breakdown for the council (source, measure_ref, measure_name)."""
    from kpi.inequality import views as inequalities

    return inequalities.deprivation_outcomes(
        _outcome_values(council_code(), data_version(), principal()), council_code()
    )


def locality_cells(index_code: str | None = None) -> pl.DataFrame:
    """Locality x IMD decile cells that hold LSOAs, on ``index_code`` (None: the latest ended quarter's index)."""
    from kpi.core.councils import locality_cells as cells

    return cells(store(), council_code(), index_code=index_code)


@st.cache_data(show_spinner=False, max_entries=8)
def _ncmp(council: str, version: int, who):
    from kpi.ncmp import views as ncmp_views

    return ncmp_views.ncmp_data(store(), council, principal=who)


def ncmp_data():
    """The NCMP marts (kpi.ncmp.views.NcmpData), cached until the next write."""
    return _ncmp(council_code(), data_version(), principal())
