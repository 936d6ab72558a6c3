"""Cached data for the analysis pages (outcomes, inequalities, NCMP): each call keyed on its inputs and the data
version, so a page never waits on work already done (the SII simulations above all).

Re-exported by :mod:`pages._ui`; Streamlit caching lives only in the app layer.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from pages._ui import _benchmarks, _data_version, _kpi_values, council_code, principal, store


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
    return _outcome_series(council_code(), framework_key, _data_version(), principal())


# ---- inequalities: quantile frames and SII per period -----------------------------------------------------------


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
    return _quantile_frame(council_code(), _data_version(), level, kpi_code, principal())


@st.cache_data(show_spinner=False, max_entries=4096)
def _sii_period(council: str, version: int, level: str, kpi_code: str, period: str, who) -> pl.DataFrame:
    from kpi.inequality import views as inequalities

    frame = _quantile_frame(council, version, level, kpi_code, who).filter(pl.col("period") == period)
    return inequalities.sii_table(frame, n_quantiles=inequalities.LEVELS.get(level, (None, 10))[1])


def sii_table(level: str, kpi_code: str, period_list: list[str]) -> pl.DataFrame:
    """SII and RII per area for each period (100,000 draws each), cached per level, KPI and period."""
    council, version, who = council_code(), _data_version(), principal()
    return pl.concat([_sii_period(council, version, level, kpi_code, p, who) for p in period_list])


@st.cache_data(show_spinner=False, max_entries=8)
def _outcome_values(council: str, version: int, who) -> pl.DataFrame:
    from kpi.outcomes import series as outcomes

    return outcomes.outcome_values(store(), council, principal=who)


def deprivation_outcomes() -> pl.DataFrame:
    """Outcome measures with a deprivation-decile breakdown for the council (source, measure_ref, measure_name)."""
    from kpi.inequality import views as inequalities

    return inequalities.deprivation_outcomes(
        _outcome_values(council_code(), _data_version(), principal()), council_code()
    )


def locality_cells() -> pl.DataFrame:
    """Locality x IMD decile cells that hold LSOAs."""
    from kpi.core.councils import locality_cells as cells

    return cells(store(), council_code())


@st.cache_data(show_spinner=False, max_entries=8)
def _ncmp(council: str, version: int, who):
    from kpi.ncmp import views as ncmp_views

    return ncmp_views.ncmp_data(store(), council, principal=who)


def ncmp_data():
    """The NCMP marts (kpi.ncmp.views.NcmpData), cached until the next write."""
    return _ncmp(council_code(), _data_version(), principal())
