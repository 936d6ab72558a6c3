"""Mandated contacts: one KPI's trend, this period by locality and by deprivation decile, beside England."""

from functools import partial

import polars as pl
import streamlit as st

from kpi.access.rules import allowed
from kpi.contract import spc_controls as spc_controls
from kpi.contract import trajectory_status as trajectory_status
from kpi.contract import values as overview
from kpi.core import charts as charts
from kpi.core import deprivation
from kpi.inequality import views as inequalities
from kpi.inequality import words as inequality_words
from kpi.spc import assurance as assurance
from kpi.spc import charts as charts_spc
from pages import _spc_controls_ui as spc_controls_ui
from pages._app import ui as _ui

_ui.start_page("Mandated contacts")
values = _ui.kpi_values()
if values.is_empty():
    st.warning("No accepted returns yet.")
    st.stop()

kpis = values.select("kpi_code", "kpi_name", "sort_order", "value_kind", "breakdown").unique("kpi_code")
kpis = kpis.sort("sort_order")
codes = kpis["kpi_code"].to_list()
names = dict(zip(codes, kpis["kpi_name"].to_list(), strict=True))
kinds = dict(zip(codes, kpis["value_kind"].to_list(), strict=True))
breakdowns = dict(zip(codes, kpis["breakdown"].to_list(), strict=True))
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
asked_period = st.query_params.get("period")
chosen = asked_period if asked_period in period_list else default
period = st.selectbox("Period", period_list, index=period_list.index(chosen), key="mc_period")
st.query_params["kpi"] = kpi_code
st.query_params["period"] = period
is_count = kinds[kpi_code] == "count"
breakdown = breakdowns[kpi_code] or "locality_decile"

bench = _ui.benchmarks()
series = overview.with_benchmark(overview.trend(values, kpi_code), bench)
st.subheader("Trend (borough): statistical process control")
controls = _ui.spc_controls()
events = spc_controls.for_kpi(_ui.annotations(), kpi_code)
spc_frame = assurance.xmr_frame(
    assurance.kpi_series(values, kpi_code, period), controls.get((kpi_code, "ALL"))
)
st.caption(
    f"XmR chart of the quarters up to {period}: mean, process limits (mean ± 2.66 × average moving range; shown "
    f"from 12 points){'' if is_count else ' and the contract target'}. Special-cause points are marked by colour, "
    "shape and letter: I improvement (blue diamond), C concern (orange square), N neither (purple triangle)."
    + (" This KPI is a count of children: it has no percentage, target or RAG rating." if is_count else "")
)
views = trajectory_status.trajectory_views(
    values, _ui.trajectory_points(), kpi_code, period, _ui.locality_names(), controls
)
borough_plan = next((v.plan for v in views if v.where == "Borough"), None)
_ui.chart_with_downloads(
    partial(
        charts_spc.xmr_chart,
        spc_frame,
        f"{kpi_code} {names[kpi_code]}: XmR chart"
        + (" with its trajectory" if borough_plan is not None else ""),
        y_title="Children" if is_count else "Per cent",
        count=is_count,
        trajectory=borough_plan,
        annotations=events,
    ),
    spc_frame,
    f"{kpi_code}_xmr",
    key="mc_trend",
)
st.markdown(assurance.xmr_summary(spc_frame))
for number, view in enumerate(views):
    st.markdown(
        f"**Recovery trajectory: {view.where}** (XmR chart of {view.where}'s quarters up to {period})"
    )
    _ui.chart_with_downloads(
        partial(
            charts_spc.xmr_chart,
            view.chart,
            f"{kpi_code} {view.where}: XmR chart with its trajectory",
            trajectory=view.plan,
            annotations=events,
        ),
        view.judged,
        f"{kpi_code}_trajectory_{number}",
        key=f"mc_trajectory_{number}",
    )
    _ui.table(view.judged.drop("lower_limit", "upper_limit"), key=f"mc_trajectory_points_{number}")
spc_controls_ui.section(kpi_code, period_list)

this = series.filter(pl.col("period") == period)
target = this["target_pct"].item() if this.height and this["target_pct"].item() is not None else None
reference = {}
if this.height and not is_count and this["england_pct"].item() is not None:
    reference[overview.england_reference_label(this.row(0, named=True))] = this["england_pct"].item()


def breakdown_chart(frame: pl.DataFrame, category: str, title: str, sort_field: str | None = None):
    """Counts as bars; percentages as points with 95% CIs, England and the target."""
    if is_count:
        return partial(charts.category_count_chart, frame, category, title, sort_field=sort_field)
    return partial(
        charts.category_ci_chart,
        frame,
        category,
        title,
        sort_field=sort_field,
        reference=reference,
        target=target,
    )


if _ui.principal() is not None and allowed(_ui.principal(), "read_council_data") and not is_count:
    _ui.comparison_section(
        _ui.kpi_comparison(kpi_code, period), f"{kpi_code} {names[kpi_code]}", key="mc_peers"
    )

if breakdown == "borough":
    st.subheader(f"By locality and deprivation decile, {period}")
    st.info(
        f"{kpi_code} is reported for the borough only: the provider's return has no locality or deprivation "
        "decile figures for it, so there is no breakdown to chart.",
        icon=":material/info:",
    )
    st.stop()

st.subheader(f"By locality, {period}")
localities = overview.by_locality(values, kpi_code, period, _ui.locality_names())
if localities.is_empty():
    st.caption(f"No locality figures for {kpi_code} in {period}.")
else:
    _ui.chart_with_downloads(
        breakdown_chart(localities, "locality_name", f"{kpi_code} by locality, {period}"),
        localities.drop("comment"),
        f"{kpi_code}_{period}_localities",
        key="mc_localities",
    )

if breakdown != "locality_decile":
    st.subheader(f"By deprivation decile, {period}")
    st.caption(f"{kpi_code} is reported by locality, not by deprivation decile.")
    st.stop()

st.subheader(f"By deprivation decile, {period}")
deciles = overview.by_decile(values, kpi_code, period)
gap = None if is_count else inequalities.decile_gap(deciles)
if gap:
    st.markdown(inequality_words.decile_gap_sentence(gap))
if deciles.is_empty():
    st.caption(f"No deprivation decile figures for {kpi_code} in {period}.")
else:
    _ui.chart_with_downloads(
        breakdown_chart(
            deciles.filter(pl.col("imd_decile") != "U"),
            "imd_decile",
            f"{kpi_code} by national IMD decile (1 = most deprived; "
            f"{deprivation.short_label(deprivation.index_for_period(_ui.store(), _ui.council_code(), period))}), "
            f"{period}",
            sort_field="decile_order",
        ),
        deciles.drop("comment"),
        f"{kpi_code}_{period}_deciles",
        key="mc_deciles",
    )

ethnic = _ui.ethnic_breakdown(kpi_code, period)
if ethnic["denominator"].sum() > 0:
    st.subheader(f"By ethnic group, {period}")
    st.caption(
        "From the provider's child-level health visiting records (NHS ethnic category in the five ONS groups). "
        "A percentage is shown where the group's denominator reaches the KPI's minimum; published tables suppress "
        "small numbers (docs/methods.md section 6)."
    )
    _ui.table(
        ethnic.with_columns(pl.col("value_pct").round(1)),
        key="mc_ethnic",
        labels={
            "ethnic_group": "Ethnic group",
            "numerator": "Numerator",
            "denominator": "Denominator",
            "value_pct": "Per cent",
        },  # fmt: skip
    )
