"""Overview: what needs attention (the exceptions board), the locality RAG map, RAG per KPI × locality and borough
beside England, with a decile view."""

from functools import partial

import polars as pl
import streamlit as st

from kpi.access.rules import allowed
from kpi.contract import charts as contract_charts
from kpi.contract import exceptions_board as board
from kpi.contract import trajectory_status as trajectory_status
from kpi.contract import values as overview
from kpi.core import deprivation
from kpi.outcomes import neighbour_words
from pages import _plans_ui as _plans
from pages import _what_changed_ui as _what_changed
from pages._app import ui as _ui

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

_plans.rebase_prompts()

names = _ui.locality_names()
bench = _ui.benchmarks()
providers = _ui.provider_names()
if providers:
    st.caption("Provider: " + _ui.plain("; ".join(providers.values())))

st.subheader(f"What needs attention, {period}")
exceptions = _ui.exceptions(period)
if exceptions.is_empty():
    st.success(f"Nothing is red or amber in {period}.", icon=":material/check_circle:")
else:
    red = exceptions.filter(pl.col("rag") == "red").height
    amber = exceptions.height - red
    st.markdown(
        f"**{overview.RAG_SHAPES['red']} {red} red** and **{overview.RAG_SHAPES['amber']} {amber} amber** "
        "KPI × place (localities and the borough), red first. Each KPI links to its detail."
    )
    st.html(
        _ui.MATRIX_CSS
        + board.board_html(exceptions, f"Red and amber KPIs by locality and for the borough, {period}")
    )
    st.caption(
        "Explanation: the agreed narrative, else the provider's narrative awaiting agreement, else the comment on "
        "the return. SPC variation: Making Data Count XmR of the borough's quarters up to this one. England: "
        "compared only with a current figure (see Borough compared with England below)."
    )
    _ui.download_frame(exceptions, f"exceptions_{period}", key="overview_board_csv")

_plans.trajectory_section(period, values)

with st.expander(f"What changed, {period}", expanded=True):
    _what_changed.section(period)

kpi_table = (
    values.filter(pl.col("breakdown") != "borough").select("kpi_code", "kpi_name", "sort_order").unique()
)
kpi_table = kpi_table.sort("sort_order")
boundaries = contract_charts.locality_boundaries(_ui.council_code(), list(names))
if boundaries and kpi_table.height:
    st.subheader(f"Localities on the map, {period}")
    codes = kpi_table["kpi_code"].to_list()
    kpi_labels = dict(zip(codes, kpi_table["kpi_name"].to_list(), strict=True))
    flagged = [c for c in exceptions["kpi_code"].to_list() if c in codes] if exceptions.height else []
    first = flagged[0] if flagged else codes[0]
    map_kpi = st.selectbox(
        "KPI on the map",
        codes,
        index=codes.index(first),
        format_func=lambda c: f"{kpi_labels[c]} ({c})",
        key="overview_map_kpi",
    )
    places = contract_charts.rag_map_frame(values, map_kpi, period, names)
    title = f"{kpi_labels[map_kpi]} by locality: RAG, {period}"
    _ui.chart_with_downloads(
        partial(contract_charts.rag_map, boundaries, places, title), places, f"map_{period}", "map"
    )
    st.caption(contract_charts.MAP_ATTRIBUTION)

st.subheader(f"Every KPI, {period}")
view = st.radio("View", ["Localities", "Deprivation deciles"], horizontal=True, key="overview_view")
if view == "Localities":
    matrix = overview.overview_matrix(values, period, names)
    columns = {"target": "Target", **names, "borough": "Borough"}
    caption = f"Contract RAG by locality, {period}, with SPC variation and assurance of the borough series"
    spc = _ui.spc_summary(period)
    level, cells = "locality", "locality cells"
else:
    matrix = overview.decile_matrix(values, period)
    columns = {"target": "Target"} | {f"d{d}": f"Decile {d}" for d in range(1, 11)} | {"dU": "Unknown"}
    # the quarter's deprivation index (docs/methods.md section 7.1)
    on = deprivation.short_label(deprivation.index_for_period(_ui.store(), _ui.council_code(), period))
    caption = f"Contract RAG by national IMD decile (1 = most deprived; {on}), borough, {period}"
    spc = None
    level, cells = "borough_decile", "borough decile cells"
counts = overview.rag_counts(values, period, level)
st.caption(
    f"In this view ({cells}): "
    + " · ".join(
        f"{overview.RAG_SHAPES[rag]} {overview.RAG_WORDS[rag]} {counts[rag]}"
        for rag in ("red", "amber", "green", "not rated")
    ),
    help="How many cells of the table below have each status.",
)
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

who = _ui.principal()
if who is not None and allowed(who, "read_council_data"):
    line = neighbour_words.overview_line(_ui.neighbour_summary(period))
    if line:
        st.markdown(f"**Compared with similar councils, {period}.** {line}")
        st.caption(
            "Details on the Mandated contacts page (group averages, ranks, quintiles and every council)."
        )

with st.expander(f"Exceptions: the provider's explanations of red and amber KPIs, {period}"):
    _ui.exception_narratives(period)
