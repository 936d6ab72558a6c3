"""Meetings: record a contract review meeting, the actions agreed (carried into each pack until closed), risks.

A commissioner records meetings, raises actions and keeps the risks log; a provider sees its own actions and
updates their status and notes (the library checks both, :mod:`kpi.contract.meetings`).
"""

import polars as pl
import streamlit as st

from kpi.access import rules as access
from kpi.contract import meetings as meetings
from pages import _pack_ui
from pages._app import ui as _ui

who = _ui.start_page("Meetings")
_pack_ui.flash()
store, council = _ui.store(), _ui.council_code()
manages = access.allowed(who, "manage_meetings")
# Each table's columns and their headings (kpi.core.tables.readable writes dates, yes/no and missing values).
MEETING_COLUMNS = {
    "meeting_id": "Meeting",
    "meeting_date": "Date",
    "title": "Title",
    "provider_code": "Provider",
    "attendees": "Attendees",
    "pack_period": "Pack used: period",
    "pack_as_at": "Pack data as at",
    "pack_data_version": "Pack data version",
    "notes": "Notes",
    "recorded_by": "Recorded by",
}
ACTION_COLUMNS = {
    "action_id": "Action",
    "what": "What",
    "owner": "Owner",
    "provider_code": "Provider",
    "due_date": "Due",
    "status": "Status",
    "is_overdue": "Overdue",
    "notes": "Notes",
}
RISK_COLUMNS = {
    "risk_id": "Risk",
    "risk": "Description",
    "rating": "Rating",
    "rating_band": "Band",
    "owner": "Owner",
    "mitigation": "Mitigation",
    "review_date": "Review",
    "status": "Status",
}
listed = meetings.meetings(store, council, principal=who)
actions = meetings.actions(store, council, principal=who)
risks = meetings.risks(store, council, principal=who)
# Keyed and tracked, so saving a form (which reruns the page) keeps you on the tab you were on.
meeting_tab, action_tab, risk_tab = st.tabs(
    ["Meetings", "Actions", "Risks log"], key="mt_tab", on_change="rerun"
)

with meeting_tab:
    if manages:
        with st.form("mt_meeting_form", clear_on_submit=True):
            st.markdown("**Record a meeting** (the pack used is one that was circulated)")
            packs = _pack_ui.pack_labels()
            fields = {
                "meeting_date": st.date_input(
                    "Date of the meeting", value=None, key="mt_date", format="YYYY-MM-DD"
                ),
                "attendees": st.text_area("Attendees (names and roles)", key="mt_attendees"),
                "pack_id": st.selectbox("Pack used", list(packs), format_func=packs.get, key="mt_pack"),
                "notes": st.text_area("Notes", key="mt_notes"),
            }
            if st.form_submit_button("Record meeting", key="mt_record"):
                if fields["meeting_date"] is None:
                    st.error("Give the date of the meeting: it is not assumed to be today.")
                else:
                    _pack_ui.write(meetings.record_meeting, done="Meeting recorded.", **fields)
    _ui.table(listed.select(list(MEETING_COLUMNS)), key="mt_meetings_table", labels=MEETING_COLUMNS)

with action_tab:
    _ui.table(actions.select(list(ACTION_COLUMNS)), key="mt_actions_table", labels=ACTION_COLUMNS)
    left, right = st.columns(2)
    if manages:
        with left, st.form("mt_action_form", clear_on_submit=True):
            st.markdown("**Add an action**")
            fields = {
                "what": st.text_area("What is to be done", key="mt_action_what"),
                "owner": st.text_input("Owner", key="mt_action_owner"),
                "due_date": st.date_input(
                    "Due date (blank: none)", value=None, key="mt_action_due", format="YYYY-MM-DD"
                ),
                "provider_code": st.text_input(
                    "Provider that owns it (code; blank: the council)", key="mt_action_provider"
                ),
                "meeting_id": st.selectbox(
                    "Agreed at meeting", [None, *listed["meeting_id"]], key="mt_action_meeting"
                ),
            }
            if st.form_submit_button("Add action", key="mt_action_add"):
                _pack_ui.write(meetings.add_action, done="Action added.", **fields)
    with right, st.form("mt_update_form"):
        st.markdown(
            "**Update an action**" if manages else "**Update one of your actions** (status and notes)"
        )
        ids = actions["action_id"].to_list()
        chosen = st.selectbox("Action", ids, key="mt_update_id", format_func=lambda i: f"A{i}")
        status = st.radio("Status", meetings.ACTION_STATUSES, key="mt_update_status", horizontal=True)
        note = st.text_input("Notes", key="mt_update_notes")
        if st.form_submit_button("Save", key="mt_update_save"):
            if chosen is None:
                st.error("Choose the action to update.")
            else:
                _pack_ui.write(
                    meetings.update_action,
                    chosen,
                    status=status,
                    notes=note or None,
                    done=f"A{chosen} updated.",
                )

with risk_tab:
    _ui.table(risks.select(list(RISK_COLUMNS)), key="mt_risks_table", labels=RISK_COLUMNS)
    if manages:
        with st.form("mt_risk_form", clear_on_submit=True):
            st.markdown("**Add a risk** (rating = likelihood × impact, 5 × 5 matrix)")
            cols = st.columns(2)
            fields = {
                "risk": st.text_area("Risk", key="mt_risk_text"),
                "likelihood": cols[0].slider("Likelihood", 1, 5, 3, key="mt_risk_likelihood"),
                "impact": cols[1].slider("Impact", 1, 5, 3, key="mt_risk_impact"),
                "owner": st.text_input("Owner", key="mt_risk_owner"),
                "mitigation": st.text_area("Mitigation", key="mt_risk_mitigation"),
                "review_date": st.date_input(
                    "Review date (blank: none)", value=None, key="mt_risk_review", format="YYYY-MM-DD"
                ),
            }
            if st.form_submit_button("Add risk", key="mt_risk_add"):
                _pack_ui.write(meetings.add_risk, done="Risk added.", **fields)
        open_risks = risks.filter(pl.col("status") == "open")["risk_id"].to_list()
        if open_risks:
            cols = st.columns(3)
            risk_id = cols[0].selectbox(
                "Close a risk", open_risks, key="mt_close_id", format_func=lambda i: f"R{i}"
            )
            if cols[1].button("Close risk", key="mt_close"):
                _pack_ui.write(
                    meetings.update_risk, risk_id, status="closed", done=f"Risk R{risk_id} closed."
                )
