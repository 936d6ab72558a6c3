"""The real app in Debian's Chromium: open the Meeting pack page, build the preview, read the cover."""

import pytest

pytestmark = pytest.mark.browser


def test_meeting_pack_preview_shows_the_cover(page, app_url):
    page.goto(f"{app_url}/meeting-pack?period=2026-27%20Q2")
    page.get_by_role("heading", name="Meeting pack").wait_for()
    page.get_by_role("button", name="Build preview").click()
    page.get_by_text("Meeting pack for 2026-27 Q2").first.wait_for(timeout=120_000)
    frame = page.frame_locator("iframe").first
    heading = frame.get_by_role("heading", name="Contract review meeting pack: 2026-27 Q2")
    heading.wait_for(timeout=60_000)
    assert frame.get_by_role("table", name="About this pack").get_by_text("2026-27 Q2").first.is_visible()
    assert frame.locator("figure svg[role=img] title").count() >= 1
