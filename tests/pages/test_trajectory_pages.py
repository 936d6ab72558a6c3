"""AppTest: a commissioner sets a recovery trajectory on the Targets page; the Overview judges it and the Mandated
contacts page draws it on the XmR chart of its place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.kpi.alerts.conftest import smtp_server  # noqa: F401 (a real SMTP server on loopback, as a fixture)

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(scope="module")
def db(sample_db_path, tmp_path_factory):
    target = tmp_path_factory.mktemp("trajectory_pages") / "hcp.duckdb"
    shutil.copyfile(sample_db_path, target)
    return target


@pytest.fixture()
def app(db, monkeypatch):
    monkeypatch.setenv("HCP_DB", str(db))
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")

    def run(page: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield run
    from pages._app import ui as _ui

    _ui.store.clear()


def test_bad_trajectory_lists_every_problem_then_a_good_one_is_judged_and_drawn(app):
    at = app("pages/targets_settings.py")
    at.selectbox(key="trajectory_kpi").set_value("C2")
    at.selectbox(key="trajectory_place").set_value("NORTH")
    at.text_input(key="trajectory_points").set_value("2026-27 Q2=82, 2026-27 Q3=fast")
    at.button(key="trajectory_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    error = at.error[0].value
    assert "not recorded" in error and "'fast' is not a number" in error and "reason" in error

    at.text_input(key="trajectory_points").set_value(
        "2026-27 Q2=82, 2026-27 Q3=85, 2026-27 Q4=88, 2027-28 Q1=90"
    )
    at.text_input(key="trajectory_reason").set_value("North recovery plan")
    at.selectbox(key="trajectory_meeting").set_value(1)
    at.button(key="trajectory_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("North" in s.value and "trajectory version 1 recorded" in s.value for s in at.success)

    at = app("pages/overview.py")
    assert any(h.value == "Recovery trajectories, 2026-27 Q2" for h in at.subheader)
    table = next(h.value for h in at.get("html") if "trajectories" in h.value)
    assert "■ Off trajectory" in table and "North" in table and "80.5%" in table and "82.0%" in table
    assert any("1 of 1" in m.value and "off trajectory" in m.value for m in at.markdown)
    # what changed since the start of the quarter (no pack circulated yet): the new breach
    assert at.date_input(key="changes_since").value.isoformat() == "2026-07-01"
    assert any("2026\\-27 Q2 against" in m.value and "1 trajectory breach" in m.value for m in at.markdown), [
        m.value for m in at.markdown
    ]
    assert any("Trajectory breaches" in m.value for m in at.markdown)

    at = app("pages/mandated_contacts.py")
    assert any("Recovery trajectory: North" in m.value for m in at.markdown)
    charts = at.get("vega_lite_chart")
    assert any("C2 North: XmR chart with its trajectory" in str(c.proto.spec) for c in charts), len(charts)


def test_withdrawing_the_trajectory_on_the_targets_page_stops_judging_and_drawing_it(app):
    at = app("pages/targets_settings.py")
    (choice,) = at.selectbox(key="trajectory_withdraw_which").options
    assert choice.startswith("C2 North (version 1: 2026-27 Q2 82%, 2026-27 Q3 85%"), choice
    at.button(key="trajectory_withdraw").click().run()  # no reason: refused, nothing changes
    assert not at.exception, [e.value for e in at.exception]
    assert any("not withdrawn" in e.value and "reason" in e.value for e in at.error), [
        e.value for e in at.error
    ]
    at.text_input(key="trajectory_withdraw_reason").set_value("Replaced by the contract variation")
    at.button(key="trajectory_withdraw").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(
        "C2 North: trajectory withdrawn (version 2)" in s.value.replace("\\", "") for s in at.success
    ), [s.value for s in at.success]
    # the history keeps both versions, the newest (the withdrawal) first
    history = next(d.value for d in at.dataframe if "Withdrawn" in d.value.columns)
    assert history["Withdrawn"].tolist() == ["Yes", "No"] and history["Version"].tolist() == [2, 1]
    at = app("pages/overview.py")
    assert not any(h.value.startswith("Recovery trajectories") for h in at.subheader)
    at = app("pages/mandated_contacts.py")
    assert not any("Recovery trajectory: North" in m.value for m in at.markdown)
    charts = at.get("vega_lite_chart")
    assert not any("with its trajectory" in str(c.proto.spec) for c in charts)


def _rows(named) -> list[dict]:
    """A chart dataset's rows (Streamlit sends each as Arrow IPC bytes)."""
    import pyarrow as pa

    return pa.ipc.open_stream(named.data.data).read_all().to_pylist()


def test_a_borough_trajectory_is_drawn_on_the_borough_xmr_chart_with_its_quarters_to_come_empty(app, db):
    from kpi.access.principal import LOCAL_USER
    from kpi.contract import trajectories
    from pages._app import ui as _ui

    store = _ui.store()
    tid, _ = trajectories.set_trajectory(
        store, "E08000009", "C2", "2026-27 Q2=86, 2026-27 Q3=88", reason="Borough plan", principal=LOCAL_USER
    )
    at = app("pages/mandated_contacts.py")
    borough = next(c.proto for c in at.get("vega_lite_chart") if "C2 New birth" in c.proto.spec)
    assert "XmR chart with its trajectory" in borough.spec
    rows = [row for data in borough.datasets for row in _rows(data)]
    by_period = {row["period"]: row for row in rows if "planned" in row}
    assert by_period["2026-27 Q2"]["planned"] == 86.0 and by_period["2026-27 Q2"]["value"] is not None
    assert by_period["2026-27 Q3"]["planned"] == 88.0 and by_period["2026-27 Q3"]["value"] is None
    trajectories.withdraw_trajectory(
        store, "E08000009", tid, reason="Borough plan ended", principal=LOCAL_USER
    )
    at = app("pages/mandated_contacts.py")
    borough = next(c.proto for c in at.get("vega_lite_chart") if "C2 New birth" in c.proto.spec)
    assert "with its trajectory" not in borough.spec and "2026-27 Q3" not in str(borough)


def test_spc_controls_on_mandated_contacts_rebase_and_annotate_the_chart(app):
    at = app("pages/mandated_contacts.py")
    at.text_input(key="spc_rebase_reason").set_value("")
    at.button(key="spc_rebase_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Nothing was recorded" in e.value and "reason" in e.value for e in at.error)

    at.selectbox(key="spc_rebase_from").set_value("2025-26 Q3")
    at.text_input(key="spc_rebase_reason").set_value("New service model")
    at.button(key="spc_rebase_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="spc_annotation_period").set_value("2024-25 Q2")
    at.text_input(key="spc_annotation_label").set_value("Staffing crisis")
    at.button(key="spc_annotation_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Annotation added" in s.value for s in at.success), [s.value for s in at.success]
    chart = next(c.proto for c in at.get("vega_lite_chart") if "C2 New birth" in c.proto.spec)
    assert '"type": "rule"' in chart.spec
    shown = str(chart)  # the spec and its datasets
    assert "Staffing crisis" in shown and "Rebased: New service model" in shown


def test_a_return_flagged_on_upload_prompts_the_commissioner_to_rebase(app):
    at = app("pages/upload.py")
    at.button(key="upload_flag_save").click().run()
    assert any("Nothing was recorded" in e.value for e in at.error)
    chosen = at.selectbox(key="upload_flag_submission").value
    at.text_input(key="upload_flag_note").set_value("Moved to a new patient record system")
    at.button(key="upload_flag_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("flagged as from a changed record system" in s.value for s in at.success)
    at = app("pages/overview.py")
    assert any(
        "flagged as from a changed record system" in w.value and "Consider rebasing" in w.value
        for w in at.warning
    ), (chosen, [w.value for w in at.warning])


def test_alerts_page_says_alerts_are_off_without_a_relay_and_saves_choices(app):
    at = app("pages/alerts.py")
    assert any("E-mail alerts are off: no SMTP relay is set" in i.value for i in at.info)
    at.checkbox(key="alerts_return_submitted").uncheck()
    at.button(key="alerts_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Your alerts are saved" in s.value for s in at.success)
    assert at.checkbox(key="alerts_return_submitted").value is False
    at.button(key="alerts_due").click().run()
    assert any("alerts are off" in s.value for s in at.success)


def test_the_reminders_button_sends_each_reminder_once(app, smtp_server, monkeypatch):  # noqa: F811 (the imported fixture)
    from kpi.access.principal import LOCAL_USER
    from kpi.access.users import add_user
    from kpi.contract.targets import set_setting
    from pages._app import ui as _ui

    inbox, port = smtp_server
    store = _ui.store()
    add_user(store, LOCAL_USER, "commissioner@council.gov.uk", "commissioner")
    for key, value in (
        ("smtp_host", "127.0.0.1"),
        ("smtp_port", port),
        ("smtp_tls", "none"),
        ("smtp_sender", "hcp@council.gov.uk"),
    ):
        set_setting(store, "E08000009", key, value, principal=LOCAL_USER)
    # 1 February 2027: 2026-27 Q3's return, due 28 January, has not come
    monkeypatch.setenv("HCP_TODAY", "2027-02-01")
    at = app("pages/alerts.py")
    assert any("sends new ones every 60 minutes" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
    at.button(key="alerts_due").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = [s.value.replace("\\", "") for s in at.success]
    assert "E-mail alerts: 1 sent." in said, said
    (message,) = inbox.messages
    assert "2026-27 Q3 return late (due 28 Jan 2027)" in message.get_payload(decode=True).decode()
    at.button(key="alerts_due").click().run()
    assert any("no new late return or action falling due" in s.value for s in at.success), [
        s.value for s in at.success
    ]
    assert len(inbox.messages) == 1
