"""Inequalities: a KPI, NCMP category or outcome measure by deprivation quantile with the slope and relative index
of inequality (the SII is the headline measure, as in the pack and the briefing), and the SII's trend."""

from functools import partial

import polars as pl
import streamlit as st

from kpi.contract import values as overview
from kpi.core import deprivation
from kpi.inequality import charts as charts_inequality
from kpi.inequality import views as inequalities
from kpi.inequality import words as inequality_words
from kpi.ncmp import rules as ncmp
from kpi.ncmp import views as ncmp_views
from pages._app import ui as _ui

LEVEL_LABELS = {
    "borough": "Borough: national deciles, each quarter",
    "locality": "Localities: national quintiles, rolling four quarters",
}
SOURCES = ("Contract KPI", "NCMP", "Outcome measure")

_ui.start_page("Inequalities")
values = _ui.kpi_values()
source = st.radio("Measure type", SOURCES, horizontal=True, key="ineq_source")
default, unit, ci_words, phrase = None, "quarter", "95% confidence interval (Wilson)", None
if source == "Contract KPI":
    kpis = inequalities.deprivation_kpis(values)
    if kpis.is_empty():
        st.warning("No KPI with a deprivation breakdown has accepted returns yet.")
        st.stop()
    codes = kpis["kpi_code"].to_list()
    names = dict(zip(codes, kpis["kpi_name"].to_list(), strict=True))
    polarities = dict(zip(codes, kpis["polarity"].to_list(), strict=True))
    requested = st.query_params.get("kpi")
    code = st.selectbox(
        "KPI",
        codes,
        index=codes.index(requested) if requested in codes else 0,
        format_func=lambda c: f"{c}: {names[c]}",
        key="ineq_kpi",
    )
    st.query_params["kpi"] = code
    level = st.radio(
        "Level", list(LEVEL_LABELS), format_func=LEVEL_LABELS.get, horizontal=True, key="ineq_level"
    )
    label, name, polarity = code, names[code], polarities[code]
    default = overview.latest_complete_period(values)
elif source == "NCMP":
    group = st.radio(
        "School year",
        ["R", "6"],
        format_func=ncmp_views.school_year_label,
        horizontal=True,
        key="ineq_ncmp_year",
    )
    category = st.selectbox(
        "Category", ncmp_views.CATEGORY_ORDER, format_func=ncmp_views.category_label, key="ineq_ncmp_category"
    )
    level, code, unit = "ncmp", f"{group}|{category}", "academic year"
    label = f"{ncmp_views.school_year_label(group)}: {ncmp_views.category_label(category)}"
    name, polarity, phrase = (
        label,
        ncmp.PREVALENCE_CATEGORIES[category][1],
        inequality_words.NCMP_PHRASES[category],
    )
else:
    measures = _ui.deprivation_outcomes()
    if measures.is_empty():
        st.warning("No outcome measure has a deprivation-decile breakdown for this council.")
        st.stop()
    labels = {f"{r['source']}|{r['measure_ref']}": r["measure_name"] for r in measures.iter_rows(named=True)}
    code = st.selectbox("Outcome measure", list(labels), format_func=labels.get, key="ineq_outcome")
    level, unit, ci_words = "outcome", "period", "95% confidence interval (as published)"
    label = name = labels[code]
    polarity, phrase = None, inequality_words.OUTCOME_PHRASE.format(name=name)
word, _, prefix = inequalities.LEVELS.get(level, inequalities.LEVELS["borough"])

frame = _ui.quantile_frame(level, code)
if frame.is_empty():
    st.info("No deprivation breakdown has been loaded for this measure yet.")
    st.stop()
period_list = frame.select("period", "period_index").unique().sort("period_index", descending=True)["period"]
period_list = period_list.to_list()
period = st.selectbox(
    "Four quarters ending" if level == "locality" else unit.capitalize(),
    period_list,
    index=period_list.index(default) if default in period_list else 0,
    key="ineq_period",
)

table = _ui.sii_table(level, code, [period])
where_label = inequalities.window_label(period) if level == "locality" else period
st.subheader(f"Slope index of inequality (SII), {where_label}")
for row in table.iter_rows(named=True):
    where = row["area_name"] if level == "locality" else None
    words = [
        inequality_words.gap_sentence(row, code, name, where=where, phrase=phrase),
        inequality_words.polarity_sentence(row, polarity) if polarity else "",
        inequality_words.rii_sentence(row),
    ]
    st.markdown(" ".join(w for w in words if w))

points = inequalities.with_ranks(frame.filter(pl.col("period") == period))
lines = inequalities.fitted_lines(table)
file_code = code.replace("|", "_")
_ui.chart_with_downloads(
    partial(
        charts_inequality.quantile_sii_chart,
        points,
        lines,
        f"{label} by national IMD {word}, {where_label}",
        prefix=prefix,
    ),
    points,
    f"{file_code}_{level}_{word}s_{period}".replace("/", "-"),
    key="ineq_quantiles",
)
st.caption(
    f"Points: each {word}'s value with its {ci_words}, placed at the middle of its share "
    f"of children ranked by deprivation ({prefix}1 = most deprived). Dashed line: the fitted slope index of "
    "inequality line."
)

st.subheader("The slope index of inequality over time")
with st.spinner("Working out the SII for every period…"):
    trend = _ui.sii_table(level, code, list(reversed(period_list)))
# each period's deprivation index: the trend is not joined across a change (docs/methods.md section 7.1)
if level in ("borough", "locality", "ncmp"):
    indices = _ui.deprivation_indices(period_list, yearly=level == "ncmp")
    trend = trend.with_columns(
        pl.col("period").replace_strict(indices, default="").alias("deprivation_index")
    )
rated = trend.filter(pl.col("rated"))
if rated.is_empty():
    st.info("No period has an SII yet: every area misses a quantile.")
else:
    _ui.chart_with_downloads(
        partial(charts_inequality.sii_trend_chart, rated, f"{label}: slope index of inequality over time"),
        trend,
        f"{file_code}_{level}_sii_trend",
        key="ineq_trend",
    )
    st.caption(
        "Each point is the SII with its 95% confidence interval; below the dashed zero line the most deprived "
        f"have lower values. {trend.height - rated.height} of {trend.height} area-periods are not rated "
        "(see the data download for the reasons)."
    )

st.subheader("Which quantiles were used and why")
# the deprivation index of the chosen period (docs/methods.md section 7.1)
if level == "ncmp":
    index = deprivation.index_for_year(_ui.store(), _ui.council_code(), period)
elif level in ("borough", "locality"):
    index = deprivation.index_for_period(_ui.store(), _ui.council_code(), period)
else:
    index = None  # an outcome measure's deciles are on the index its source labels
on = deprivation.short_label(index) if index else "IMD"
if level == "locality":
    gaps = inequalities.missing_deciles(_ui.locality_cells(index))
    st.markdown(inequality_words.quantile_explanation(level, gaps, _ui.locality_names(), on=on))
else:
    st.markdown(inequality_words.quantile_explanation("borough", unit=unit, on=on))
