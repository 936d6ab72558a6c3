"""Outcomes: each outcome statement's measures as a tartan rug beside England, with one measure's detail."""

from functools import partial

import polars as pl
import streamlit as st

from kpi.core import deprivation
from kpi.outcomes import charts as outcome_charts
from kpi.outcomes import frameworks as frameworks
from kpi.outcomes import rug as rug_view
from kpi.outcomes import series as outcomes
from pages._app import ui as _ui

_ui.start_page("Outcomes")
available = frameworks.load_frameworks()
keys = list(available)
requested = st.query_params.get("framework")
default = requested if requested in keys else frameworks.default_framework_key(available)
key = st.selectbox(
    "Outcome framework",
    keys,
    index=keys.index(default),
    format_func=lambda k: available[k].name,
    key="outcomes_framework",
)
st.query_params["framework"] = key
framework = available[key]
series = _ui.outcome_series(key)
if series.is_empty():
    st.warning(
        "No outcome values yet. Load a Fingertips export with `hcp load fingertips FILE` and the council's own "
        "measures with `hcp load outcome-measures FILE`."
    )
    st.stop()

rug = rug_view.outcome_rug(framework, series)
only_worse = st.checkbox("Only measures worse than England and getting worse", key="outcomes_worse_filter")
shown = rug_view.worse_and_getting_worse(rug) if only_worse else rug
st.markdown(rug_view.rug_summary(rug))
if shown.is_empty():
    st.success("No measure is worse than England and getting worse.")
else:
    st.html(rug_view.RUG_CSS + rug_view.rug_html(shown))
st.caption(rug_view.RUG_LEGEND)
_ui.download_frame(rug_view.rug_export(shown), f"outcomes_{key}", key="outcomes_rug_csv")

st.subheader("Measure detail")
choices = outcomes.measure_choices(framework)
measure_keys = list(choices)
flagged = rug_view.worse_and_getting_worse(rug)["measure_key"].to_list()
wanted = st.query_params.get("measure")
start = wanted if wanted in measure_keys else (flagged[0] if flagged else measure_keys[0])
measure = st.selectbox(
    "Measure",
    measure_keys,
    index=measure_keys.index(start),
    format_func=choices.get,
    key="outcomes_measure",
)
st.query_params["measure"] = measure
unit = outcomes.measure_unit(framework, measure)
detail = outcomes.measure_detail(series, measure)
if detail.is_empty():
    st.info("No values have been loaded for this measure yet.")
    st.stop()
st.caption(
    "Line and circles: this area, with its 95% confidence interval as a band; dashed line and diamonds: England; "
    "dotted line and squares: the region. A gap is a suppressed or missing value."
)
_ui.chart_with_downloads(
    partial(outcome_charts.outcome_trend_chart, detail, choices[measure], unit),
    detail,
    f"outcome_{measure.replace(':', '_')}_trend",
    key="outcomes_trend",
)
chosen = next(m for m in framework.measures() if m.key == measure)
latest = detail.filter(pl.col("area_role") == "area").sort("period_sortable")["period"].to_list()
if chosen.kind != "local" and latest:
    if chosen.kind == "fingertips":
        view = _ui.indicator_comparison(int(chosen.ref), latest[-1], chosen.polarity, unit)
    else:
        view = _ui.kpi_comparison(chosen.ref, latest[-1])
    _ui.comparison_section(view, choices[measure], key="outcomes_peers")

deciles = outcomes.deprivation_breakdown(series, measure)
if not deciles.is_empty():
    where, period = deciles["area_name"][0], deciles["period"][0]
    index = deciles["deprivation_index"][0]
    on_index = f", {deprivation.label(index)}" if index else ""
    st.subheader(f"By deprivation decile: {where}, {period}")
    _ui.chart_with_downloads(
        partial(
            outcome_charts.decile_chart,
            deciles,
            f"{choices[measure]} by national IMD decile, {where}, {period}{on_index}",
            unit,
        ),
        deciles,
        f"outcome_{measure.replace(':', '_')}_deciles",
        key="outcomes_deciles",
    )
