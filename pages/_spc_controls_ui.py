"""App-layer section of the Mandated contacts page: a KPI's SPC controls (docs/methods.md section 5.10).

Everyone who sees the chart sees the baselines, rebases and annotations drawn on it and why; a commissioner records
a rebase, a baseline or an annotation here (:mod:`kpi.contract.spc_controls`), each with its reason, and is
prompted to consider a rebase where a return is flagged as from a changed record system. Nothing is rebased
automatically.
"""

from __future__ import annotations

import streamlit as st

from kpi.access import rules as access
from kpi.contract import spc_controls as controls
from pages._app import ui as _ui


def _problems(exc: controls.SpcControlError) -> None:
    st.error("Nothing was recorded:\n\n" + "\n".join(f"- {_ui.plain(p)}" for p in exc.problems))


def section(kpi_code: str, period_list: list[str]) -> None:
    """The SPC controls of ``kpi_code``: what is recorded, the prompts, and (for a commissioner) the forms."""
    who, council, store = _ui.principal(), _ui.council_code(), _ui.store()
    if flash := st.session_state.pop("spc_flash", None):
        st.success(_ui.plain(flash), icon=":material/check_circle:")
    changes = controls.spc_changes(store, council, principal=who)
    mine = changes.filter(changes["kpi_code"] == kpi_code)
    with st.expander(f"SPC controls for {kpi_code}: baseline, rebasing and annotations", expanded=False):
        st.caption(
            "Limits are recalculated only at a recorded change (a new service model, a record-system migration), "
            "never automatically. Each segment has its own mean and limits; a segment of fewer than 12 quarters is "
            "a run chart."
        )
        if mine.height:
            _ui.table(mine.drop("change_id"), key="spc_changes_table")
        else:
            st.caption("No baseline or rebase is recorded for this KPI: the chart uses every quarter.")
        if not access.allowed(who, "control_spc"):
            return
        for flagged in _ui.rebase_prompts().iter_rows(named=True):
            st.warning(
                f"The {flagged['period']} return is flagged as from a changed record system "
                f"({_ui.plain(flagged['note'])}): consider rebasing at {flagged['period']}."
            )
        _forms(kpi_code, period_list, who, council, store)


def _forms(kpi_code: str, period_list: list[str], who, council: str, store) -> None:
    quarters = sorted(period_list)
    with st.form(key="spc_rebase_form"):
        cols = st.columns([1, 3])
        start = cols[0].selectbox(
            "New segment from", quarters, index=len(quarters) - 1, key="spc_rebase_from"
        )
        reason = cols[1].text_input("The recorded change (reason)", key="spc_rebase_reason")
        if st.form_submit_button("Rebase the chart", key="spc_rebase_save"):
            try:
                controls.rebase(store, council, kpi_code, start, reason=reason, principal=who)
                st.session_state["spc_flash"] = f"{kpi_code}: a new segment starts at {start}."
                st.rerun()
            except controls.SpcControlError as exc:
                _problems(exc)
    with st.form(key="spc_baseline_form"):
        cols = st.columns([1, 1, 1, 3])
        points = cols[0].number_input("First N points", 0, 100, 0, key="spc_baseline_points")
        first = cols[1].selectbox("or from", [""] + quarters, key="spc_baseline_first")
        last = cols[2].selectbox("to", [""] + quarters, key="spc_baseline_last")
        reason = cols[3].text_input("Reason", key="spc_baseline_reason")
        if st.form_submit_button("Set the baseline", key="spc_baseline_save"):
            try:
                controls.set_baseline(
                    store,
                    council,
                    kpi_code,
                    points=int(points) or None,
                    first_period=first or None,
                    last_period=last or None,
                    reason=reason,
                    principal=who,
                )
                st.session_state["spc_flash"] = f"{kpi_code}: baseline recorded."
                st.rerun()
            except controls.SpcControlError as exc:
                _problems(exc)
    with st.form(key="spc_annotation_form"):
        cols = st.columns([1, 3, 1])
        when = cols[0].selectbox("Quarter", quarters, index=len(quarters) - 1, key="spc_annotation_period")
        label = cols[1].text_input("What happened (drawn on the chart)", key="spc_annotation_label")
        every = cols[2].checkbox("Every KPI", key="spc_annotation_every")
        if st.form_submit_button("Add the annotation", key="spc_annotation_save"):
            try:
                controls.add_annotation(
                    store, council, when, label, kpi_code=None if every else kpi_code, principal=who
                )
                st.session_state["spc_flash"] = f"Annotation added at {when}."
                st.rerun()
            except controls.SpcControlError as exc:
                _problems(exc)
