"""Alerts: each user chooses which e-mail alerts they get; the SMTP relay's state; due reminders (also sent on a
schedule) on demand."""

import streamlit as st

from kpi.access import rules as access
from kpi.alerts import mail, preferences, reminders, schedule
from pages import _alerts_ui as _alerts
from pages._app import ui as _ui

_ui.start_page("Alerts")
who, council, store = _ui.principal(), _ui.council_code(), _ui.store()
if flash := st.session_state.pop("alerts_flash", None):
    st.success(_ui.plain(flash), icon=":material/check_circle:")
relay = mail.relay(store, council)
if relay.problem:
    st.info(relay.problem, icon=":material/mail_off:")
else:
    st.caption(f"Alerts are sent from {relay.sender} through {relay.host}:{relay.port} ({relay.tls}).")

st.subheader("Your alerts")
st.caption(
    "One e-mail per load or review with everything it brings that you chose. Alerts carry KPI names, places and "
    "percentages only, never a child's details."
)
chosen = preferences.choices(store, principal=who)
with st.form(key="alerts_form"):
    picked = {
        alert: st.checkbox(
            preferences.ALERTS[alert][1][0].upper() + preferences.ALERTS[alert][1][1:],
            value=on,
            key=f"alerts_{alert}",
        )
        for alert, on in chosen.items()
    }
    if st.form_submit_button("Save my alerts", key="alerts_save"):
        preferences.set_choices(store, picked, principal=who)
        st.session_state["alerts_flash"] = "Your alerts are saved."
        st.rerun()

if access.allowed(who, "review"):
    st.subheader("Reminders")
    every = schedule.interval_minutes(store, council)
    st.caption(
        "Late returns (to commissioners) and open actions due within 7 days or overdue (to their providers), each "
        "sent once. "
        + (
            f"The running dashboard sends new ones every {every} minutes (setting alerts_check_minutes)."
            if every
            else "The dashboard does not send them on its own (alerts_check_minutes is 0): use hcp alerts send-due."
        )
    )
    if st.button("Send the reminders now", key="alerts_due"):
        st.session_state["alerts_flash"] = _alerts.sent_words(
            reminders.due_reminders(store, council, principal=who),
            store,
            council,
            "E-mail alerts: no new late return or action falling due (each is sent once).",
        )
        st.rerun()
