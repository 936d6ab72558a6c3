"""The Overview's cached computations (pages/_app/reads_overview.py) are kept until a write: a session that has the
Overview open sees a new recovery trajectory's breach in "What changed" on its next view, and the cached board and
variation icons are those of the data."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _changes(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "2026\\-27 Q2 against" in m.value)


def test_the_overview_sees_a_write_on_its_next_view(sample_db_copy, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("HCP_DB", str(sample_db_copy))
    st.cache_data.clear()
    overview = AppTest.from_file(APP, default_timeout=120)
    overview.switch_page("pages/overview.py")
    overview.run()
    assert not overview.exception, [e.value for e in overview.exception]
    assert "0 trajectory breaches" in _changes(overview)
    board = next(h.value for h in overview.get("html") if "Red and amber" in h.value)
    matrix = next(h.value for h in overview.get("html") if "SPC variation and assurance" in h.value)
    overview.run()  # a warm view: the same board and icons
    assert next(h.value for h in overview.get("html") if "Red and amber" in h.value) == board
    assert next(h.value for h in overview.get("html") if "SPC variation and assurance" in h.value) == matrix

    targets = AppTest.from_file(APP, default_timeout=120)
    targets.switch_page("pages/targets_settings.py")
    targets.run()
    targets.selectbox(key="trajectory_kpi").set_value("C2")
    targets.selectbox(key="trajectory_place").set_value("NORTH")
    targets.text_input(key="trajectory_points").set_value(
        "2026-27 Q2=82, 2026-27 Q3=85, 2026-27 Q4=88, 2027-28 Q1=90"
    )
    targets.text_input(key="trajectory_reason").set_value("North recovery plan")
    targets.selectbox(key="trajectory_meeting").set_value(1)
    targets.button(key="trajectory_save").click().run()
    assert any("trajectory version 1 recorded" in s.value for s in targets.success)

    overview.run()
    assert not overview.exception, [e.value for e in overview.exception]
    assert "1 trajectory breach" in _changes(overview)
    from pages._app import ui as _ui

    _ui.store.clear()
    st.cache_data.clear()
