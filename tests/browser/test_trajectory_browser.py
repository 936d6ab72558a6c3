"""The real app in Debian's Chromium: a recovery trajectory from agreement to alert.

A commissioner sets a trajectory for North's new birth visits (C2) on the Targets page, then loads the next
quarter's return (2026-27 Q3, the Q2 figures again: North 153 of 190 = 80.5% against a planned 85%). The Overview
says "off trajectory" and the "What changed" view lists the breach; the XmR chart of North carries the trajectory
and the annotation recorded before; the commissioner's alert arrives on a real SMTP server on loopback; the meeting
pack preview shows the same. Beside them the served app's own scheduler, with nobody pressing a button, tells the
commissioner once of the return that came late (2025-26 Q2).
"""

import email
import socket

import pytest
from aiosmtpd.controller import Controller

from kpi.sample import PROVIDER_NAME
from tests.browser.conftest import settle
from tests.browser.test_pack_life_browser import _set_date
from tests.serving import stop

pytestmark = pytest.mark.browser

COUNCIL = "E08000009"
PERIOD = "2026-27 Q3"
SLOW = 180_000
TODAY = "2027-01-25"  # after 2026-27 Q3 ended, before its return is due


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare(db, smtp_port: int, tmp_path, monkeypatch):
    """The sample, a commissioner who gets alerts, the relay on loopback, an annotation, and the Q3 file."""
    from kpi.access.principal import LOCAL_USER
    from kpi.access.users import add_user
    from kpi.contract import spc_controls
    from kpi.contract.targets import set_setting
    from kpi.core.store import Store
    from kpi.sample import build_sample

    monkeypatch.setenv("HCP_TODAY", TODAY)
    build_sample(db)
    with Store.open(db) as store:
        add_user(store, LOCAL_USER, "commissioner@council.gov.uk", "commissioner")
        # the provider's lead, whose open actions (due 30 Nov 2026) are overdue: the scheduler's reminder
        add_user(store, LOCAL_USER, "lead@trust.nhs.uk", "provider", provider_code="ZZ1")
        for key, value in (
            ("smtp_host", "127.0.0.1"),
            ("smtp_port", smtp_port),
            ("smtp_tls", "none"),
            ("smtp_sender", "hcp-monitor@council.gov.uk"),
        ):
            set_setting(store, COUNCIL, key, value, principal=LOCAL_USER)
        spc_controls.add_annotation(
            store, COUNCIL, "2026-27 Q1", "Staffing crisis", kpi_code="C2", principal=LOCAL_USER
        )
        q2 = store.query(
            "select file_bytes from submissions where period = '2026-27 Q2' and superseded_at is null"
        ).item()
    path = tmp_path / "mandated_contacts_2026-27_Q3.csv"
    path.write_bytes(q2.decode().replace("2026-27 Q2", PERIOD).encode())
    return path


def _set_trajectory(page, app_url):
    page.goto(f"{app_url}/targets-settings")
    page.get_by_role("heading", name="Recovery trajectories").wait_for(timeout=SLOW)
    settle(page, timeout=SLOW)
    for key, choice in (("trajectory_kpi", "C2"), ("trajectory_place", "North")):
        box = page.locator(f".st-key-{key}").get_by_role("combobox")
        box.click()
        page.keyboard.type(choice)
        page.get_by_role("option").filter(has_text=choice).first.wait_for()
        page.keyboard.press("Enter")
        settle(page)
        shown = box.first.evaluate("el => el.value || el.textContent || ''")
        assert choice in f"{page.locator(f'.st-key-{key}').text_content()} {shown}", shown
    page.get_by_label("Planned per cent per quarter").fill("2026-27 Q3=85, 2026-27 Q4=88, 2027-28 Q1=90")
    page.get_by_label("Agreed reason").fill("North recovery plan")
    settle(page)
    page.get_by_role("button", name="Set the trajectory").click()
    page.get_by_text("trajectory version 1 recorded").wait_for(timeout=SLOW)
    settle(page, timeout=SLOW)


def _upload(page, app_url, path):
    page.goto(f"{app_url}/upload")
    page.get_by_role("heading", name="Upload a return").first.wait_for(timeout=SLOW)
    settle(page, timeout=SLOW)
    page.locator("input[type=file]").first.set_input_files(str(path))  # the return's uploader
    page.get_by_text("22.4KB").first.wait_for()  # the file, listed under a shortened name
    page.wait_for_timeout(1_500)
    settle(page, timeout=SLOW)
    page.get_by_role("button", name="Submit", exact=True).click()
    page.get_by_text("E-mail alerts: 1 sent").wait_for(timeout=SLOW)
    settle(page, timeout=SLOW)


def test_trajectory_from_agreement_to_alert(page, serve_app, tmp_path, monkeypatch):
    inbox = Inbox()
    smtp_port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    db = tmp_path / "sample.duckdb"
    q3 = _prepare(db, smtp_port, tmp_path, monkeypatch)
    process, app_url = serve_app(db, {"HCP_TODAY": TODAY})
    try:
        _set_trajectory(page, app_url)
        _upload(page, app_url, q3)

        # the Overview, on the new quarter: off trajectory, and the breach in what changed
        page.goto(f"{app_url}/overview")
        page.get_by_role("heading", name=f"Recovery trajectories, {PERIOD}").wait_for(timeout=SLOW)
        settle(page, timeout=SLOW)
        row = page.locator('table.trajectories tr[data-kpi="C2"]')
        assert "North" in row.inner_text() and "■ Off trajectory" in row.inner_text(), row.inner_text()
        assert "80.5%" in row.inner_text() and "85.0%" in row.inner_text()
        changed = page.get_by_text("1 trajectory breach")
        changed.first.wait_for(timeout=SLOW)
        assert page.get_by_text("Trajectory breaches").count() >= 1

        # the XmR chart of North with its trajectory line and the annotation
        page.goto(f"{app_url}/mandated-contacts?kpi=C2&period=2026-27+Q3")
        page.get_by_text("Recovery trajectory: North").first.wait_for(timeout=SLOW)
        settle(page, timeout=SLOW)
        chart = page.locator('[aria-label*="C2 North: XmR chart with its trajectory"]')
        chart.first.wait_for(timeout=SLOW)

        # the meeting pack preview shows the same
        page.goto(f"{app_url}/meeting-pack?period=2026-27%20Q3")
        page.get_by_role("heading", name="Meeting pack").wait_for(timeout=SLOW)
        settle(page, timeout=SLOW)
        # as at the next day: the page's default time is to the minute, before this minute's trajectory and load
        _set_date(page, "Data as at: date", "2027-01-26")
        settle(page)
        page.get_by_role("button", name="Build preview").click()
        page.get_by_text(f"Meeting pack for {PERIOD}").first.wait_for(timeout=SLOW)
        settle(page, timeout=SLOW)
        frame = page.frame_locator("iframe").first
        frame.get_by_role("heading", name=f"Recovery trajectories, {PERIOD}").wait_for(timeout=SLOW)
        table = frame.get_by_role("table", name=f"Recovery trajectories judged for {PERIOD}")
        assert "■ Off trajectory" in table.inner_text() and "North" in table.inner_text()
        figure = frame.locator("figure").filter(has_text="C2 North: XmR chart with its recovery trajectory")
        figure.first.wait_for(timeout=SLOW)
        svg = figure.first.locator("svg").first.inner_html()
        assert "Trajectory" in svg and "Staffing crisis" in svg
        assert frame.get_by_text("2026-27 Q1, C2: Staffing crisis").count() == 1
        page.screenshot(path=str(tmp_path / "pack.png"), full_page=True)
    finally:
        stop(process)
        controller.stop()

    # the alerts, received by the loopback SMTP server: the commissioner's for the load, and the provider's lead's
    # from the app's scheduler (sent when the app opened the database) for its overdue actions, once however long it
    # ran; no late return (the sample's only late one came over a year before: history, not news)
    subjects = sorted((m["To"], _subject(m)) for m in inbox.messages)
    assert subjects == [
        ("commissioner@council.gov.uk", f"HCP Contract Monitor: {PROVIDER_NAME} return for {PERIOD}"),
        ("lead@trust.nhs.uk", f"HCP Contract Monitor: {PROVIDER_NAME} actions falling due"),
    ], subjects
    late = next(m for m in inbox.messages if _subject(m).endswith("actions falling due"))
    assert "(overdue)" in late.get_payload(decode=True).decode()
    message = next(m for m in inbox.messages if m is not late)
    body = message.get_payload(decode=True).decode()
    assert "Trajectory breaches:" in body
    assert (
        f"C2 New birth visits within 14 days, North: off trajectory in {PERIOD} (80.5% against a planned 85.0%)"
        in body
    )
    from kpi.core.store import Store

    with Store.open(db, read_only=True) as store:
        actors = store.query(
            "select actor, subject from audit_log where action = 'alert sent' order by audit_id"
        ).rows()
    assert ("hcp scheduler", f"HCP Contract Monitor: {PROVIDER_NAME} actions falling due") in actors
    assert len(actors) == 2


def _subject(message) -> str:
    return message["Subject"].replace("\r\n", "").replace("\n", "")
