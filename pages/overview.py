"""Overview: RAG per KPI × locality and borough, beside England, with a decile view."""

import polars as pl
import streamlit as st

from kpi.contract import values as overview
from kpi.spc import assurance as assurance
from pages import _ui

_ui.start_page("Overview")
values = _ui.kpi_values()
if values.is_empty():
    st.warning("No accepted returns yet. Load one with `hcp load mandated-contacts FILE --provider CODE`.")
    st.stop()

period_list = overview.available_periods(values)
default = overview.latest_complete_period(values) or period_list[0]
requested = st.query_params.get("period")
index = period_list.index(requested) if requested in period_list else period_list.index(default)
period = st.selectbox("Period", period_list, index=index, key="overview_period")
st.query_params["period"] = period

waiting = _ui.pending()
if not waiting.is_empty():
    st.warning(
        f"A newer submission waits for review for: {', '.join(waiting['period'].unique().to_list())}.",
        icon=":material/hourglass_top:",
    )

counts = overview.rag_counts(values, period)
cols = st.columns(4)
for col, rag in zip(cols, ("red", "amber", "green", "not rated"), strict=True):
    col.metric(f"{overview.RAG_SHAPES[rag]} {overview.RAG_WORDS[rag]} (locality cells)", counts[rag])

view = st.radio("View", ["Localities", "Deprivation deciles"], horizontal=True, key="overview_view")
names = _ui.locality_names()
if view == "Localities":
    matrix = overview.overview_matrix(values, period, names)
    columns = {**names, "borough": "Borough"}
    caption = f"Contract RAG by locality, {period}, with SPC variation and assurance of the borough series"
    spc = assurance.spc_summary(values, period)
else:
    matrix = overview.decile_matrix(values, period)
    columns = {f"d{d}": f"Decile {d}" for d in range(1, 11)} | {"dU": "Unknown"}
    caption = f"Contract RAG by national IMD decile (1 = most deprived), borough, {period}"
    spc = None
st.html(_ui.MATRIX_CSS + overview.matrix_html(matrix, columns, caption, spc=spc))
st.caption(
    f"{overview.SMALL_MARK} denominator below the KPI's minimum: shown but not rated. "
    "Arrows show the change since the previous quarter (→ less than half a point)."
    + (
        " Variation and assurance: Making Data Count XmR of the borough's quarters up to this one."
        if spc is not None
        else ""
    )
)
if spc is not None:
    matrix = matrix.join(
        spc.select("kpi_code", "variation_label", "assurance_label"), on="kpi_code", how="left"
    )
_ui.download_frame(
    matrix,
    f"overview_{period}_{'localities' if view == 'Localities' else 'deciles'}",
    key="overview_matrix_csv",
)

st.subheader("Borough compared with England")
bench = _ui.benchmarks()
england = overview.england_column(values, bench, period)
shown = england.select(
    pl.col("kpi_name").alias("KPI"),
    pl.col("value_pct").round(1).alias("Borough %"),
    pl.format("{}–{}", pl.col("lower_ci_pct").round(1), pl.col("upper_ci_pct").round(1)).alias("95% CI"),
    pl.col("england_pct").alias("England %"),
    pl.col("england_period").alias("England period"),
    pl.col("england_comparison").alias("Compared with England"),
)
st.table(shown.to_pandas().set_index("KPI"))
stale = england.filter(pl.col("england_pct").is_not_null() & ~pl.col("england_current"))
if stale.height:
    st.warning(
        f"England figure out of date for {stale.height} KPI(s) in {period}: "
        + "; ".join(f"{r['kpi_code']} ({r['england_period']})" for r in stale.iter_rows(named=True))
        + ". Shown for context with their own period, not compared. Load OHID's current figures to compare."
    )
st.caption(
    "Fingertips rule: similar when England's value lies inside the borough's 95% confidence interval. England's "
    "figure is the one for the same quarter, else the annual figure of the financial year containing it, else the "
    f"latest no more than {overview.benchmark_max_age(bench)} quarters older (setting benchmark_max_age_quarters); "
    "an older figure is out of date and not compared. Each is labelled with its own period."
)

with st.expander(f"Exceptions: the provider's explanations of red and amber KPIs, {period}"):
    _ui.exception_narratives(period)
