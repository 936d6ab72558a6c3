"""Mandated contacts: one KPI's trend, this period by locality and by deprivation decile, beside England."""

import polars as pl
import streamlit as st

from kpi.contract import values as overview
from kpi.core import charts as charts
from kpi.inequality import views as inequalities
from kpi.spc import assurance as assurance
from kpi.spc import charts as charts_spc
from pages import _ui

_ui.start_page("Mandated contacts")
values = _ui.kpi_values()
if values.is_empty():
    st.warning("No accepted returns yet.")
    st.stop()

kpis = values.filter(pl.col("value_kind") != "count").select("kpi_code", "kpi_name", "sort_order").unique()
kpis = kpis.sort("sort_order")
codes = kpis["kpi_code"].to_list()
names = dict(zip(codes, kpis["kpi_name"].to_list(), strict=True))
requested = st.query_params.get("kpi")
kpi_code = st.selectbox(
    "KPI",
    codes,
    index=codes.index(requested) if requested in codes else codes.index("C2") if "C2" in codes else 0,
    format_func=lambda c: f"{c}: {names[c]}",
    key="mc_kpi",
)
period_list = overview.available_periods(values)
default = overview.latest_complete_period(values) or period_list[0]
period = st.selectbox("Period", period_list, index=period_list.index(default), key="mc_period")
st.query_params["kpi"] = kpi_code

bench = _ui.benchmarks()
series = overview.with_benchmark(overview.trend(values, kpi_code), bench)
st.subheader("Trend (borough): statistical process control")
spc_frame = assurance.xmr_frame(assurance.kpi_series(values, kpi_code, period))
st.caption(
    f"XmR chart of the quarters up to {period}: mean, process limits (mean ± 2.66 × average moving range; shown "
    "from 12 points) and the contract target. Special-cause points are marked by colour, shape and letter: "
    "I improvement (blue diamond), C concern (orange square), N neither (purple triangle)."
)
_ui.chart_with_downloads(
    charts_spc.xmr_chart(spc_frame, f"{kpi_code} {names[kpi_code]}: XmR chart"),
    spc_frame,
    f"{kpi_code}_xmr",
    key="mc_trend",
)
st.markdown(assurance.xmr_summary(spc_frame))

this = series.filter(pl.col("period") == period)
target = this["target_pct"].item() if this.height and this["target_pct"].item() is not None else None
reference = {}
if this.height and this["england_pct"].item() is not None:
    reference[overview.england_reference_label(this.row(0, named=True))] = this["england_pct"].item()

st.subheader(f"By locality, {period}")
localities = overview.by_locality(values, kpi_code, period, _ui.locality_names())
_ui.chart_with_downloads(
    charts.category_ci_chart(
        localities, "locality_name", f"{kpi_code} by locality, {period}", reference=reference, target=target
    ),
    localities.drop("comment"),
    f"{kpi_code}_{period}_localities",
    key="mc_localities",
)

st.subheader(f"By deprivation decile, {period}")
deciles = overview.by_decile(values, kpi_code, period)
gap = inequalities.decile_gap(deciles)
if gap:
    st.markdown(
        f"**Gap between the most and least deprived decile:** {gap['most_pct']:.1f}% in decile 1 (most "
        f"deprived) against {gap['least_pct']:.1f}% in decile 10 (least deprived): "
        f"{abs(gap['gap_points']):.1f} points {'lower' if gap['gap_points'] < 0 else 'higher'} in the most "
        "deprived decile. This compares two deciles only; the headline measure of inequality is the slope index "
        "of inequality (SII) across all ten, on the Inequalities page."
    )
_ui.chart_with_downloads(
    charts.category_ci_chart(
        deciles.filter(pl.col("imd_decile") != "U"),
        "imd_decile",
        f"{kpi_code} by national IMD decile (1 = most deprived), {period}",
        sort_field="decile_order",
        reference=reference,
        target=target,
    ),
    deciles.drop("comment"),
    f"{kpi_code}_{period}_deciles",
    key="mc_deciles",
)
