"""The Overview's recovery-trajectory parts: the prompts to rebase after a record-system change, and the board of
trajectories judged for the quarter (docs/methods.md sections 5.9 and 5.10)."""

import polars as pl
import streamlit as st

from kpi.access import rules as access
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
