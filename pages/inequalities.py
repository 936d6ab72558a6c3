"""Inequalities: a KPI by deprivation quantile with the slope and relative index of inequality, and the gap's trend."""

import polars as pl
import streamlit as st

from kpi import charts_inequality, inequalities, overview
from pages import _ui

LEVEL_LABELS = {
    "borough": "Borough: national deciles, each quarter",
    "locality": "Localities: national quintiles, rolling four quarters",
}

_ui.start_page("Inequalities")
values = _ui.kpi_values()
kpis = inequalities.deprivation_kpis(values)
if kpis.is_empty():
    st.warning("No KPI with a deprivation breakdown has accepted returns yet.")
    st.stop()

codes = kpis["kpi_code"].to_list()
names = dict(zip(codes, kpis["kpi_name"].to_list(), strict=True))
polarities = dict(zip(codes, kpis["polarity"].to_list(), strict=True))
requested = st.query_params.get("kpi")
kpi_code = st.selectbox(
    "KPI",
    codes,
    index=codes.index(requested) if requested in codes else 0,
    format_func=lambda c: f"{c}: {names[c]}",
    key="ineq_kpi",
)
st.query_params["kpi"] = kpi_code
level = st.radio("Level", list(LEVEL_LABELS), format_func=LEVEL_LABELS.get, horizontal=True, key="ineq_level")
word, _, prefix = inequalities.LEVELS[level]

frame = _ui.quantile_frame(level, kpi_code)
period_list = frame.select("period", "period_index").unique().sort("period_index", descending=True)["period"]
period_list = period_list.to_list()
default = overview.latest_complete_period(values)
period = st.selectbox(
    "Quarter" if level == "borough" else "Four quarters ending",
    period_list,
    index=period_list.index(default) if default in period_list else 0,
    key="ineq_period",
)

table = _ui.sii_table(level, kpi_code, [period])
where_label = period if level == "borough" else inequalities.window_label(period)
st.subheader(f"The gap, {where_label}")
for row in table.iter_rows(named=True):
    where = row["area_name"] if level == "locality" else None
    words = [
        inequalities.gap_sentence(row, kpi_code, names[kpi_code], where=where),
        inequalities.polarity_sentence(row, polarities[kpi_code]),
        inequalities.rii_sentence(row),
    ]
    st.markdown(" ".join(w for w in words if w))

points = inequalities.with_ranks(frame.filter(pl.col("period") == period))
lines = inequalities.fitted_lines(table)
_ui.chart_with_downloads(
    charts_inequality.quantile_sii_chart(
        points, lines, f"{kpi_code} by national IMD {word}, {where_label}", prefix=prefix
    ),
    points,
    f"{kpi_code}_{level}_{word}s_{period}",
    key="ineq_quantiles",
)
st.caption(
    f"Points: each {word}'s value with its 95% confidence interval (Wilson), placed at the middle of its share "
    f"of children ranked by deprivation ({prefix}1 = most deprived). Dashed line: the fitted slope index of "
    "inequality line."
)

st.subheader("The gap over time")
with st.spinner("Working out the gap for every period…"):
    trend = _ui.sii_table(level, kpi_code, list(reversed(period_list)))
rated = trend.filter(pl.col("rated"))
if rated.is_empty():
    st.info("No period has an SII yet: every area misses a quantile.")
else:
    _ui.chart_with_downloads(
        charts_inequality.sii_trend_chart(rated, f"{kpi_code}: slope index of inequality over time"),
        trend,
        f"{kpi_code}_{level}_sii_trend",
        key="ineq_trend",
    )
    st.caption(
        "Each point is the SII with its 95% confidence interval; below the dashed zero line the most deprived "
        f"have lower values. {trend.height - rated.height} of {trend.height} area-periods are not rated "
        "(see the data download for the reasons)."
    )

st.subheader("Which quantiles were used and why")
gaps = inequalities.missing_deciles(_ui.locality_cells())
st.markdown(inequalities.quantile_explanation(level, gaps, _ui.locality_names()))
