"""Targets and settings: dated, audited contract targets and settings (commissioners change them)."""

import polars as pl
import streamlit as st

from kpi.access import rules as access
from kpi.contract import meetings as meetings
from kpi.contract import targets as targets
from kpi.contract import trajectories as trajectories
from kpi.core import periods as periods
from kpi.core.catalogue_sync import FIRST_PERIOD, catalogue_in_force
from pages import _plans_ui as _plans
from pages._app import portal as _portal
from pages._app import ui as _ui

_ui.start_page("Targets and settings")
who, council, store = _ui.principal(), _ui.council_code(), _ui.store()
st.caption(
    "A change never overwrites: it is a new dated row with who made it and why, so a pack rebuilt for an "
    "earlier date shows the targets and settings in force then."
)
if flash := st.session_state.pop("targets_flash", None):
    st.success(_ui.plain(flash), icon=":material/check_circle:")

st.subheader("Contract targets")
rows = targets.list_targets(store, council, who)
# the catalogue's defaults hold from a placeholder first quarter: say so instead of showing it
first = [c for c in rows.columns if c.startswith("effective")]
shown = rows.with_columns(
    pl.when(pl.col(c) == FIRST_PERIOD).then(pl.lit("the start (catalogue)")).otherwise(pl.col(c)).alias(c)
    for c in first
)
_ui.table(shown, key="targets_table")
_ui.download_frame(rows, "targets", key="targets_csv")
if access.allowed(who, "set_target"):
    rated = [
        k.code
        for k in sorted(catalogue_in_force(store, council).values(), key=lambda k: k.sort_order)
        if k.polarity != "none"
    ]
    with st.form(key="targets_form"):
        cols = st.columns(4)
        code = cols[0].selectbox("KPI", rated, key="targets_kpi")
        target = cols[1].number_input("Target %", 0.0, 100.0, 90.0, 0.5, key="targets_target")
        margin = cols[2].number_input("Amber margin (points)", 0.0, 100.0, 5.0, 0.5, key="targets_margin")
        start = cols[3].text_input(
            "From quarter", periods.latest_ended_quarter().next().code, key="targets_from"
        )
        no_target = st.checkbox("No target from this quarter on", key="targets_none")
        reason = st.text_input("Reason", key="targets_reason")
        if st.form_submit_button("Set the target", key="targets_save"):
            try:
                begun = targets.set_target(
                    store,
                    council,
                    code,
                    target_pct=None if no_target else target,
                    amber_margin_pct=None if no_target else margin,
                    effective_from=start,
                    reason=reason or None,
                    principal=who,
                )
                st.session_state["targets_flash"] = f"{code}: the new target applies from {begun.code}."
                st.rerun()
            except (targets.TargetError, periods.PeriodError) as exc:
                st.error(_ui.plain(_portal.sentence(str(exc))))

st.subheader("Recovery trajectories")
st.caption(
    "Planned values per coming quarter agreed with the provider, for a KPI in the borough or one locality, "
    "optionally for a group of IMD deciles. Setting one again records a new version; the old one stays in the "
    "history. Each quarter is judged on or off trajectory beside the contract RAG. A withdrawn trajectory is no "
    "longer judged or drawn; its versions stay in the history."
)
if access.allowed(who, "read_data"):
    in_force = trajectories.trajectory_points(store, council, principal=who)
    _ui.table(in_force.drop("council_code", "trajectory_id"), key="trajectories_table")
if access.allowed(who, "set_target"):
    place_names = {"ALL": "Borough", **_ui.locality_names()}
    agreed = meetings.meetings(store, council, principal=who)
    meeting_labels = {None: "No recorded meeting"} | {
        r["meeting_id"]: f"{r['meeting_date']} {r['title']}" for r in agreed.iter_rows(named=True)
    }
    with st.form(key="trajectory_form"):
        cols = st.columns(3)
        t_code = cols[0].selectbox("KPI", rated, key="trajectory_kpi")
        t_place = cols[1].selectbox(
            "Where", list(place_names), format_func=place_names.get, key="trajectory_place"
        )
        t_deciles = cols[2].text_input("IMD deciles (e.g. 1-2; blank: all)", key="trajectory_deciles")
        t_points = st.text_input(
            "Planned per cent per quarter",
            placeholder="2026-27 Q3=85, 2026-27 Q4=88, 2027-28 Q1=90",
            key="trajectory_points",
        )
        cols = st.columns(2)
        t_reason = cols[0].text_input("Agreed reason", key="trajectory_reason")
        t_meeting = cols[1].selectbox(
            "Agreed at", list(meeting_labels), format_func=meeting_labels.get, key="trajectory_meeting"
        )
        if st.form_submit_button("Set the trajectory", key="trajectory_save"):
            try:
                _, version = trajectories.set_trajectory(
                    store,
                    council,
                    t_code,
                    t_points,
                    reason=t_reason,
                    locality_code=t_place,
                    decile_group=t_deciles,
                    meeting_id=t_meeting,
                    principal=who,
                )
                st.session_state["targets_flash"] = (
                    f"{t_code} ({place_names[t_place]}): trajectory version {version} recorded."
                )
                st.rerun()
            except trajectories.TrajectoryError as exc:
                st.error(
                    "The trajectory was not recorded:\n\n"
                    + "\n".join(f"- {_ui.plain(problem)}" for problem in exc.problems)
                )
    _plans.withdraw_form(in_force, place_names)
if access.allowed(who, "read_data"):
    with st.expander("History of trajectories (every version)"):
        _ui.table(trajectories.trajectory_history(store, council, principal=who), key="trajectories_history")

st.subheader("Settings")
current = targets.list_settings(store, council, who)
_ui.table(current, key="settings_table")
if access.allowed(who, "set_setting"):
    with st.form(key="settings_form"):
        cols = st.columns([2, 1, 3])
        key = cols[0].selectbox("Setting", current["setting_key"].to_list(), key="settings_key")
        value = cols[1].text_input("New value", key="settings_value")
        reason = cols[2].text_input("Reason", key="settings_reason")
        if st.form_submit_button("Change the setting", key="settings_save"):
            try:
                targets.set_setting(store, council, key, value.strip(), reason=reason or None, principal=who)
                st.session_state["targets_flash"] = f"{key} is now {value.strip()}."
                st.rerun()
            except targets.TargetError as exc:
                st.error(_ui.plain(_portal.sentence(str(exc))))
with st.expander("History of setting changes"):
    history = targets.settings_history(store, council, who)
    _ui.table(history, key="settings_history")
