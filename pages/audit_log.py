"""Audit log: every sign-in, upload, check, submission, review, target, setting and user change (append-only)."""

from datetime import datetime, timedelta

import streamlit as st

from kpi.access import audit as audit_log
from kpi.core import periods as periods
from pages._app import ui as _ui

_ui.start_page("Audit log")
who, council, store = _ui.principal(), _ui.council_code(), _ui.store()
st.caption("Newest first. Entries are only ever added: nothing here can be changed or deleted.")
cols = st.columns(3)
action = cols[0].selectbox(
    "Action", ["(every action)", *audit_log.audit_actions(store, who)], key="audit_action"
)
actor = cols[1].text_input("By (e-mail or name)", key="audit_actor").strip()
since = cols[2].date_input("Since", periods.today() - timedelta(days=90), key="audit_since")
entries = audit_log.audit_entries(
    store,
    who,
    council_code=council,
    since=datetime.combine(since, datetime.min.time()),
    action=None if action == "(every action)" else action,
    actor=actor or None,
)
st.metric("Entries shown", entries.height)
_ui.table(entries, key="audit_table")
_ui.download_frame(entries, "audit_log", key="audit_csv")
