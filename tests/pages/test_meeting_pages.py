"""AppTest: the Meeting pack page builds the preview and the PDF; the Meetings page records actions and risks."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
#: The Meetings page's tables in page order (AppTest does not keep a display-only dataframe's key).
MEETINGS, ACTIONS, RISKS = 0, 1, 2


@pytest.fixture(scope="module")
def db(sample_db_path, tmp_path_factory):
    target = tmp_path_factory.mktemp("meeting_pages") / "hcp.duckdb"
    shutil.copyfile(sample_db_path, target)
    return target


@pytest.fixture()
def app(db, monkeypatch):
    monkeypatch.setenv("HCP_DB", str(db))
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")

    def run(page: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=180)
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield run
    from pages import _pack_ui
    from pages._app import ui as _ui

    _pack_ui._build.clear()
    _pack_ui._render.clear()
    _ui.store.clear()


def preview(at: AppTest) -> str:
    frames = at.get("iframe")
    assert frames, "no preview"
    return frames[0].proto.srcdoc


def _packs(db) -> int:
    """Packs recorded, read through the app's own connection (DuckDB allows one configuration per file)."""
    from pages._app import ui as _ui

    return _ui.store().query("select count(*) from packs").item()


def test_meeting_pack_preview_pdf_and_circulation(app, db):
    at = app("pages/meeting_pack.py")
    assert at.selectbox(key="mp_period").value == "2026-27 Q2"
    assert any("build the preview" in info.value for info in at.info)
    at.button(key="mp_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Meeting pack for 2026-27 Q2" in s.value and "data version" in s.value for s in at.success)
    html = preview(at)
    assert "<h1" in html and "Contract review meeting pack: 2026-27 Q2" in html
    at.button(key="mp_build_pdf").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(c.value.startswith("A draft: not recorded") for c in at.caption)
    assert at.get("download_button"), "no PDF download"
    assert _packs(db) == 0  # building the preview and the PDF records nothing

    at.date_input(key="mp_as_at_date").set_value(date(2026, 11, 24))
    at.button(key="mp_build").click().run()
    assert "none circulated" in preview(at)  # cached before the circulation below
    at.date_input(key="mp_as_at_date").set_value(date(2026, 11, 23))
    at.button(key="mp_build").click().run()
    at.button(key="mp_build_pdf").click().run()

    at.button(key="mp_circulate").click().run()
    assert any("give the people it is sent to" in e.value for e in at.error)
    at.text_input(key="mp_sent_to").input("Contract board")
    at.button(key="mp_circulate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("PDF circulated as pack" in s.value and "to Contract board" in s.value for s in at.success)
    assert _packs(db) == 1
    assert not [b for b in at.button if b.key == "mp_circulate"]  # not offered again for the same file
    assert not any(c.value.startswith("A draft: not recorded") for c in at.caption)

    # A later pack built before the circulation is rebuilt after it, and names it.
    at.date_input(key="mp_as_at_date").set_value(date(2026, 11, 24))
    at.button(key="mp_build").click().run()
    assert "to Contract board" in preview(at)

    meetings_page = app("pages/meetings.py")
    labels = meetings_page.selectbox(key="mt_pack").options
    assert len(labels) == 2 and "Contract board" in labels[1]


def test_meeting_pack_builds_the_briefing_too(app):
    at = app("pages/meeting_pack.py")
    at.radio(key="mp_kind").set_value("Scrutiny briefing").run()
    at.button(key="mp_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "briefing for the scrutiny committee" in preview(at)


def test_meeting_pack_cover_names_the_meeting(app, sample_db_path, tmp_path, monkeypatch):
    """The date input defaults to the next meeting (six weeks after the last recorded, 18 November 2026); the date
    chosen goes on the cover; left empty, the pack takes the next meeting; the briefing has no meeting date."""
    from kpi.access.principal import LOCAL_USER
    from kpi.contract.meetings import record_meeting
    from kpi.core.store import Store

    target = tmp_path / "hcp.duckdb"
    shutil.copyfile(sample_db_path, target)
    with Store.open(target) as store:
        record_meeting(
            store, "E08000009", meeting_date="2026-11-18", attendees="Commissioner", principal=LOCAL_USER
        )
    monkeypatch.setenv("HCP_DB", str(target))
    at = app("pages/meeting_pack.py")
    assert at.date_input(key="mp_meeting_date").value == date(2026, 12, 30)
    at.button(key="mp_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Contract review meeting pack: 2026-27 Q2, for the meeting of 30 December 2026" in preview(at)

    at.date_input(key="mp_meeting_date").set_value(date(2027, 1, 14))
    at.button(key="mp_build").click().run()
    html = preview(at)
    assert "for the meeting of 14 January 2027" in html and "30 December 2026" not in html
    assert re.search(r"Meeting date</t[hd]>\s*<td[^>]*>14 January 2027</td>", html)

    at.date_input(key="mp_meeting_date").set_value(None)
    at.button(key="mp_build").click().run()
    assert re.search(r"Meeting date</t[hd]>\s*<td[^>]*>30 December 2026</td>", preview(at))  # empty: the next

    at.radio(key="mp_kind").set_value("Scrutiny briefing").run()
    assert not [d for d in at.date_input if d.key == "mp_meeting_date"]


def test_meetings_page_records_actions_risks_and_meetings(app):
    at = app("pages/meetings.py")
    at.text_area(key="mt_action_what").input("Recovery plan for North")
    at.text_input(key="mt_action_owner").input("Trust lead")
    at.text_input(key="mt_action_provider").input("ZZ1")
    at.button(key="mt_action_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Action added." in s.value for s in at.success)
    actions = pl.from_pandas(at.dataframe[ACTIONS].value)
    assert "Recovery plan for North" in actions["What"].to_list(), actions.columns
    new = int(actions.filter(pl.col("What") == "Recovery plan for North")["Action"].item())
    assert new == 4  # after the sample meeting's three actions
    chosen = at.selectbox(key="mt_update_id")
    assert sorted(chosen.options) == ["A1", "A2", "A3", "A4"]
    chosen.set_value(new)
    at.radio(key="mt_update_status").set_value("closed")
    at.button(key="mt_update_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = pl.from_pandas(at.dataframe[ACTIONS].value)
    assert after.filter(pl.col("Action") == new)["Status"].to_list() == ["closed"]
    assert after.filter(pl.col("Action") == 1)["Status"].to_list() == ["in progress"]  # the others unchanged

    at.text_area(key="mt_risk_text").input("Vacancies in North")
    at.text_input(key="mt_risk_owner").input("Director of nursing")
    at.button(key="mt_risk_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    risks = pl.from_pandas(at.dataframe[RISKS].value).filter(pl.col("Description") == "Vacancies in North")
    assert risks["Rating"].to_list() == [9] and risks["Band"].to_list() == ["high"]

    assert at.date_input(key="mt_date").value is None  # no date is assumed
    at.text_area(key="mt_attendees").input("Commissioner; Trust lead")
    at.button(key="mt_record").click().run()
    assert any("Give the date of the meeting" in e.value for e in at.error)
    assert len(at.dataframe[MEETINGS].value) == 1  # the sample's meeting of 15 October 2026
    at.date_input(key="mt_date").set_value(date(2026, 11, 18))
    at.text_area(key="mt_attendees").input("Commissioner; Trust lead")
    at.button(key="mt_record").click().run()
    assert not at.exception, [e.value for e in at.exception]
    recorded = at.dataframe[MEETINGS].value
    assert len(recorded) == 2 and recorded["Date"][0] == "18 Nov 2026"


def test_meetings_page_refuses_an_action_without_an_owner(app):
    at = app("pages/meetings.py")
    at.text_area(key="mt_action_what").input("Something")
    at.button(key="mt_action_add").click().run()
    assert any("give the owner" in e.value for e in at.error)
