"""The recovery-trajectory parts of the Overview (the prompts to rebase after a record-system change, the board of
trajectories judged for the quarter) and of the Targets page (withdrawing one) (docs/methods.md 5.9 and 5.10)."""

import polars as pl
import streamlit as st

from kpi.access import rules as access
from kpi.contract import trajectories as trajectories
from kpi.contract import trajectory_status as trajectory_status
from pages._app import ui as _ui


def rebase_prompts() -> None:
    """A warning per return flagged as from a changed record system (to those who may rebase the charts)."""
    if access.allowed(_ui.principal(), "control_spc"):
        for flagged in _ui.rebase_prompts().iter_rows(named=True):
            st.warning(
                f"The {flagged['period']} return of {flagged['provider_code']} is flagged as from a changed record "
                f"system ({_ui.plain(flagged['note'])}). Consider rebasing the XmR charts at {flagged['period']} "
                "(Mandated contacts, SPC controls): limits are recalculated only at a recorded change, never "
                "automatically.",
                icon=":material/timeline:",
            )


def trajectory_section(period: str, values: pl.DataFrame) -> None:
    """The recovery trajectories in force judged for ``period`` (nothing when there are none)."""
    trajectories = _ui.trajectory_status(period, values)
    if not trajectories.is_empty():
        st.subheader(f"Recovery trajectories, {period}")
        off = trajectories.filter(pl.col("status") == "off trajectory").height
        st.markdown(
            f"**{off} of {trajectories.height}** recovery trajectories off trajectory in {period}. Each quarter's value "
            "is judged against its planned value; assurance compares the planned value with the process limits."
        )
        st.html(
            _ui.MATRIX_CSS + trajectory_status.status_html(trajectories, f"Recovery trajectories, {period}")
        )
        short = trajectories.filter(pl.col("ends_short"))
        if short.height:
            st.warning(
                "A trajectory ends short of the contract target: "
                + "; ".join(f"{r['kpi_code']} {r['where']}" for r in short.iter_rows(named=True))
                + ". It plans to finish still failing the contract."
            )


def withdraw_form(in_force: pl.DataFrame, place_names: dict[str, str]) -> None:
    """The Targets page's control to withdraw a trajectory in force (commissioners; the reason is required)."""
    if in_force.is_empty():
        return
    who, council, store = _ui.principal(), _ui.council_code(), _ui.store()
    labels = {
        tid: (
            f"{rows['kpi_code'][0]} {place_names.get(rows['locality_code'][0], rows['locality_code'][0])}"
            + ("" if rows["decile_group"][0] == "ALL" else f", deciles {rows['decile_group'][0]}")
            + f" (version {rows['version'][0]}: "
            + ", ".join(f"{p} {v:g}%" for p, v in zip(rows["period"], rows["planned_pct"], strict=True))
            + ")"
        )
        for (tid,), rows in in_force.group_by("trajectory_id", maintain_order=True)
    }
    with st.form(key="trajectory_withdraw_form"):
        cols = st.columns([3, 2])
        chosen = cols[0].selectbox(
            "Withdraw a trajectory", list(labels), format_func=labels.get, key="trajectory_withdraw_which"
        )
        reason = cols[1].text_input("Why it is withdrawn", key="trajectory_withdraw_reason")
        if st.form_submit_button("Withdraw the trajectory", key="trajectory_withdraw"):
            try:
                version = trajectories.withdraw_trajectory(
                    store, council, chosen, reason=reason, principal=who
                )
                st.session_state["targets_flash"] = (
                    f"{labels[chosen].split(' (version')[0]}: trajectory withdrawn (version {version}); "
                    "its earlier versions stay in the history."
                )
                st.rerun()
            except trajectories.TrajectoryError as exc:
                st.error(
                    "The trajectory was not withdrawn:\n\n"
                    + "\n".join(f"- {_ui.plain(problem)}" for problem in exc.problems)
                )
