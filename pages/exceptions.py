"""Exceptions: the provider explains every red or amber KPI; the commissioner agrees the explanation."""

from datetime import timedelta

import polars as pl
import streamlit as st

from kpi.access import rules as access
from kpi.contract import narratives as exceptions
from kpi.core import periods as periods
from pages._app import portal as _portal
from pages._app import ui as _ui

_ui.start_page("Exceptions")
who, council, store = _ui.principal(), _ui.council_code(), _ui.store()
st.caption(
    "Every red or amber KPI of an accepted return, for the borough and each locality, needs an explanation, a "
    "remedial action, an owner and a date. The return's comment fills the explanation in to start with."
)
if flash := st.session_state.pop("exceptions_flash", None):
    st.success(_ui.plain(flash), icon=":material/check_circle:")

candidates = exceptions.exception_candidates(store, who, council)
if candidates.is_empty():
    st.info("No red or amber KPI in the accepted returns.")
    st.stop()
period_list = candidates.unique("period").sort("period_index", descending=True)["period"].to_list()
period = st.selectbox("Period", period_list, key="exceptions_period")
items = candidates.filter(pl.col("period") == period)
names = _ui.locality_names()
place = pl.col("locality_code").replace_strict(names, default="Borough")
counts = items["narrative_status"].value_counts()
cols = st.columns(3)
for col, status in zip(cols, exceptions.STATUS_ORDER, strict=True):
    col.metric(status.capitalize(), counts.filter(pl.col("narrative_status") == status)["count"].sum())
shown = items.select(
    pl.col("provider_code").alias("Provider"),
    pl.col("kpi_name").alias("KPI"),
    place.alias("Where"),
    pl.col("rag").str.to_titlecase().alias("RAG"),
    pl.col("value_pct").round(1).alias("Value %"),
    pl.col("target_pct").alias("Target %"),
    pl.col("narrative_status").alias("Status"),
    pl.col("explanation").alias("Explanation"),
    pl.col("remedial_action").alias("Remedial action"),
    pl.col("owner").alias("Owner"),
    pl.col("due_date").alias("By"),
)
_ui.table(shown, key="exceptions_table")
_ui.download_frame(items, f"exceptions_{period}", key="exceptions_csv")
if not (access.allowed(who, "write_narrative") or access.allowed(who, "agree_narrative")):
    st.stop()

st.subheader("Explain or agree")
keys = items.with_columns(place.alias("where")).to_dicts()
labels = [
    f"{r['provider_code']} · {r['kpi_name']} · {r['where']} ({r['rag']}, {r['narrative_status']})"
    for r in keys
]
index = st.selectbox("KPI", range(len(keys)), format_func=labels.__getitem__, key="exceptions_item")
item = keys[index]
ident = dict(
    provider_code=item["provider_code"],
    kpi_code=item["kpi_code"],
    period=period,
    locality_code=item["locality_code"],
)
suffix = "_".join(str(v) for v in ident.values()).replace(" ", "_")
try:
    if access.allowed(who, "write_narrative"):
        with st.form(key=f"exceptions_form_{suffix}"):
            explanation = st.text_area(
                "Explanation",
                item["explanation"] or item["return_comment"] or "",
                key=f"exceptions_expl_{suffix}",
            )
            action = st.text_area(
                "Remedial action", item["remedial_action"] or "", key=f"exceptions_action_{suffix}"
            )
            owner = st.text_input("Owner (a post)", item["owner"] or "", key=f"exceptions_owner_{suffix}")
            due = st.date_input(
                "By", item["due_date"] or periods.today() + timedelta(days=42), key=f"exceptions_due_{suffix}"
            )
            if st.form_submit_button("Save the narrative", key=f"exceptions_save_{suffix}"):
                saved = exceptions.save_narrative(
                    store,
                    who,
                    council,
                    **ident,
                    explanation=explanation,
                    remedial_action=action,
                    owner=owner,
                    due_date=due,
                )
                st.session_state["exceptions_flash"] = "Saved." if saved else "Nothing changed."
                st.rerun()
    if access.allowed(who, "agree_narrative") and item["narrative_status"] == exceptions.STATUS_EXPLAINED:
        if st.button("Mark agreed", key=f"exceptions_agree_{suffix}", type="primary"):
            exceptions.agree_narrative(store, who, council, **ident)
            st.session_state["exceptions_flash"] = "Agreed: it shows on the overview and in the meeting pack."
            st.rerun()
except exceptions.NarrativeError as exc:
    st.error(_ui.plain(_portal.sentence(str(exc))), icon=":material/error:")
