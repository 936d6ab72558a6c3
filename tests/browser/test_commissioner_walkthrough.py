"""The real app in Debian's Chromium: a commissioner's way to the six-weekly contract review.

From the Overview opened by its own link (what needs attention, with the provider's explanation), through a red
KPI's detail page, to the pack: a preview records nothing, circulating records it once, a meeting uses it, and the
next pack says what changed since it.
"""

import pytest

from tests.browser.conftest import settle
from tests.browser.test_pack_life_browser import (
    _build_preview,
    _cover,
    _open_pack_choice,
    _set_date,
    _wait_for_message,
)
from tests.serving import stop

pytestmark = pytest.mark.browser

COUNCIL = "E08000009"
PERIOD = "2026-27 Q2"
SLOW = 180_000
#: The comment on NORTH's C2 row of the sample's 2026-27 Q2 provider return (its explanation until a narrative is agreed).
NORTH_C2_COMMENT = "North team 3.0 WTE vacant; two new starters due in November; recovery plan in progress"


def _overview_board(page, app_url: str):
    page.goto(f"{app_url}/overview")
    page.get_by_role("heading", name=f"What needs attention, {PERIOD}").wait_for(timeout=SLOW)
    board = page.locator("table.exceptions-board")
    board.wait_for(timeout=SLOW)
    settle(page, timeout=SLOW)
    return board


def _chosen(page, key: str) -> str:
    """What a select box shows as chosen (Streamlit keeps it in the combobox's value or text)."""
    box = page.locator(f".st-key-{key}")
    shown = box.get_by_role("combobox").first.evaluate("el => el.value || el.textContent || ''")
    return f"{box.text_content()} {shown}"


def _follow_to_detail(page, board) -> None:
    north_c2 = board.locator('tr[data-kpi="C2"][data-place="NORTH"]')
    assert north_c2.locator("td[data-rag]").get_attribute("data-rag") == "red"
    assert NORTH_C2_COMMENT in north_c2.locator('td[data-col="explanation"]').inner_text()
    north_c2.get_by_role("link").click()
    page.wait_for_url("**/mandated-contacts?**", timeout=SLOW)
    page.get_by_role("heading", name="Mandated contacts").wait_for(timeout=SLOW)
    settle(page, timeout=SLOW)
    assert "kpi=C2" in page.url and "period=2026-27" in page.url and "Q2" in page.url, page.url
    chosen_kpi = _chosen(page, "mc_kpi")
    assert "C2: " in chosen_kpi, chosen_kpi
    chosen_period = _chosen(page, "mc_period")
    assert PERIOD in chosen_period, chosen_period
    page.get_by_role("heading", name=f"By locality, {PERIOD}").wait_for()


def _circulate(page) -> None:
    page.get_by_role("button", name="Build PDF").click()
    page.get_by_role("button", name="Download PDF").wait_for(timeout=SLOW)
    settle(page, timeout=SLOW)
    page.get_by_label("Sent to (people or group)").fill("Contract board")
    page.get_by_role("button", name="Circulate this pack").click()
    page.get_by_text("PDF circulated as pack").wait_for(timeout=SLOW)
    settle(page, timeout=SLOW)
    assert page.get_by_role("button", name="Circulate this pack").count() == 0  # once


def _record_meeting(page, app_url: str) -> None:
    page.goto(f"{app_url}/meetings")
    page.get_by_role("heading", name="Meetings").first.wait_for(timeout=SLOW)
    settle(page, timeout=SLOW)
    _open_pack_choice(page)
    options = page.get_by_role("option")
    options.first.wait_for()
    choices = options.all_inner_texts()
    assert len(choices) == 2 and "Contract board" in choices[1], choices
    options.nth(1).click()
    settle(page)
    _set_date(page, "Date of the meeting", "2026-11-21")
    page.get_by_label("Attendees (names and roles)").fill("Commissioner; Trust lead")
    page.get_by_role("button", name="Record meeting").click()
    _wait_for_message(page, "Meeting recorded.")


def test_commissioner_walkthrough(page, serve_app, tmp_path):
    from kpi.access.principal import LOCAL_USER
    from kpi.contract import meetings
    from kpi.core.store import Store
    from kpi.sample import build_sample

    db = tmp_path / "sample.duckdb"
    build_sample(db)
    process, app_url = serve_app(db)
    try:
        # The deep link opens the Overview; its board names what needs attention, with the provider's explanation.
        board = _overview_board(page, app_url)
        _follow_to_detail(page, board)

        # A preview is a draft: nothing recorded.
        _build_preview(page, app_url, "2026-11-20")
        assert "none circulated" in _cover(page).inner_text()
        frame = page.frame_locator("iframe").first
        frame.get_by_text("No pack has been circulated before this one").wait_for()
        settle(page, timeout=SLOW)
        _circulate(page)
        _record_meeting(page, app_url)

        # The next pack, as at a later time, says what changed since the circulated one.
        _build_preview(page, app_url, "2026-11-24")
        cover = _cover(page).inner_text()
        assert "data as at 20 November 2026" in cover and "to Contract board" in cover, cover
        frame = page.frame_locator("iframe").first
        changes = frame.locator("#changes + p")
        changes.wait_for(timeout=SLOW)
        text = changes.inner_text()
        assert f"Against the last circulated pack ({PERIOD}, data as at 20 November 2026" in text, text
        assert "RAG move" in text and "new SPC signal" in text and "(see Data quality)" in text, text
        page.screenshot(path=str(tmp_path / "next_pack.png"), full_page=True)
    finally:
        stop(process)  # before the database is opened here

    with Store.open(db) as store:
        packs = meetings.packs(store, COUNCIL, principal=LOCAL_USER)
        held = meetings.meetings(store, COUNCIL, principal=LOCAL_USER)
    assert packs.height == 1, packs  # the previews recorded nothing; the circulated PDF once
    row = packs.row(0, named=True)
    assert (row["sent_to"], row["format"], row["is_draft"]) == ("Contract board", "pdf", False)
    # the meeting recorded here used the circulated pack; the sample's earlier meeting (15 October) used none
    assert held.sort("meeting_date")["pack_id"].to_list() == [None, row["pack_id"]]
