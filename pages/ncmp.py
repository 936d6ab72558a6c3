"""Child measurement (NCMP): weight categories, deprivation gradient, localities, participation, England, years."""

from functools import partial

import streamlit as st

from kpi.ncmp import charts as charts
from kpi.ncmp import views as views
from pages._app import ui as _ui

_ui.start_page("Child measurement (NCMP)")
data = _ui.ncmp_data()
years = views.academic_years(data)
if not years:
    st.warning("No NCMP returns loaded yet: an analyst loads one with `hcp load ncmp FILE`.")
    st.stop()

left, middle, right = st.columns(3)
asked = st.query_params.get("year")
year = left.selectbox(
    "Academic year", years, index=years.index(asked) if asked in years else 0, key="ncmp_year"
)
group = middle.radio(
    "Year group", ["R", "6"], format_func=views.school_year_label, horizontal=True, key="ncmp_group"
)
category = right.selectbox(
    "Weight category (for the breakdowns)",
    views.CATEGORY_ORDER,
    index=views.CATEGORY_ORDER.index("obese"),
    format_func=views.category_label,
    key="ncmp_category",
)
st.query_params["year"] = year
who, what = f"{views.school_year_label(group)}, {year}", views.category_label(category)
stem = f"ncmp_{year.replace('/', '-')}_{group}_{category}"


def show(chart, frame, name: str) -> None:
    _ui.chart_with_downloads(chart, frame, f"{stem}_{name}", key=f"ncmp_{name}")


st.subheader("Prevalence by weight category")
st.caption(
    "Children measured in the borough's schools, UK90 population-monitoring centiles; bars: 95% confidence "
    "interval (Wilson); diamonds: England for the same year where published, otherwise the latest, labelled."
)
cats = views.categories(data, year, group)
show(partial(charts.prevalence_chart, cats, f"Weight categories, {who}"), cats, "categories")
st.markdown("**Compared with England** (Fingertips rule: similar when England lies in the 95% interval)")
_ui.table(views.england_table(cats), key="ncmp_england_table", width="content")

st.subheader("Deprivation gradient")
sentence = views.gap_sentence(views.gap(data, year, group, category))
if sentence:
    st.markdown(sentence)
deciles = views.decile_gradient(data, year, group, category)
index_label = views.decile_index_label(data, year)
title = f"{what} by national IMD decile (1 = most deprived), {who}, {index_label}"
refs = views.england_deciles(data, year, group, category)
show(
    partial(charts.category_ci_chart, deciles, "group_code", title, sort_field="sort_order", reference=refs),
    deciles,
    "deciles",
)
trend = views.gap_trend(data, group, category)
show(
    partial(
        charts.gap_trend_chart,
        trend,
        f"Gap between the most and least deprived decile by academic year, {what} "
        f"(each year on its own deprivation index)",
    ),
    trend,
    "gap",
)

st.subheader("Localities")
bases = views.LOCALITY_BREAKDOWNS
basis = st.radio(
    "Localities by", list(bases), format_func=bases.get, horizontal=True, key="ncmp_locality_basis"
)
places = views.breakdown(data, year, group, category, basis)
boundaries = views.locality_boundaries(data)
if boundaries:
    show(
        partial(
            charts.locality_map, boundaries, places, f"{what} by locality ({bases[basis].lower()}), {who}"
        ),
        places,
        "map",
    )
    st.caption(views.MAP_ATTRIBUTION)
title = f"{what} by locality ({bases[basis].lower()}), {who}"
show(
    partial(charts.category_ci_chart, places, "group_name", title, sort_field="sort_order"),
    places,
    "localities",
)
ethnic = views.breakdown(data, year, group, category, "ethnic_group")
title = f"{what} by ethnic group, {who}"
show(
    partial(charts.category_ci_chart, ethnic, "group_name", title, sort_field="sort_order"), ethnic, "ethnic"
)

st.subheader("Participation")
quality = views.data_quality(data, year, group)
for column, (label, value) in zip(st.columns(5), views.headline_metrics(quality), strict=True):
    column.metric(label, value)
schools = views.participation(data, year, group, "school")
chart = partial(
    charts.participation_chart,
    schools,
    f"Participation by school, {who}",
    borough_pct=quality["participation_pct"],
)
show(chart, schools, "participation")
coverage = views.participation_coverage(data, year, group)
if coverage:
    st.caption(coverage)

st.subheader("Over the years")
st.caption(
    "Run chart (fewer than 12 years: no process limits); letters mark special causes (shifts, trends)."
)
runs = views.run_chart(data, group, category)
show(partial(charts.run_chart, runs, f"{what}, {views.school_year_label(group)}"), runs, "years")
with st.expander("Loads (child-level returns and eligible pupils)"):
    _ui.table(data.loads.drop("file_sha256"), key="ncmp_loads", width="content")
