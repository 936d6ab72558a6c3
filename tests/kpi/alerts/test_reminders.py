"""Time-based alerts through a real SMTP server on loopback: each late return and each action falling due is alerted
once per recipient per state, whoever runs them (the command line, the served app's scheduler, the Alerts page)."""

from __future__ import annotations

import json

import pytest

from kpi.access.principal import LOCAL_USER, SCHEDULER, Principal
from kpi.access.users import add_user
from kpi.alerts import reminders, schedule
from kpi.contract import actions
from kpi.contract.targets import set_setting
from kpi.sample import PROVIDER_NAME
from tests.kpi.alerts.relay import subject, use_relay
from tests.kpi.cli.commands import hcp

COUNCIL = "E08000009"
BOSS = Principal("commissioner@council.gov.uk", "commissioner")


@pytest.fixture()
def people(sample_store, smtp_server):
    _, port = smtp_server
    add_user(sample_store, LOCAL_USER, "commissioner@council.gov.uk", "commissioner")
    add_user(sample_store, LOCAL_USER, "lead@trust.nhs.uk", "provider", provider_code="ZZ1")
    use_relay(sample_store, port)
    return sample_store


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _audited(store) -> list[tuple[str, str, list[str]]]:
    rows = store.query(
        "select action, actor, detail_json from audit_log where action in ('alert sent', 'alert failed') "
        "order by audit_id"
    )
    return [(a, who, json.loads(d)["to"]) for a, who, d in rows.iter_rows()]


def test_a_late_return_is_alerted_once_and_a_new_one_again(people, smtp_server, monkeypatch):
    inbox, _ = smtp_server
    # 2026-11-23: the sample's 2025-26 Q2 return came late a year ago (history, not news); two open actions of ZZ1
    # fall due
    counts = reminders.due_reminders(people, COUNCIL, principal=SCHEDULER)
    assert counts == {
        "sent": 1,
        "failed": 0,
        "skipped": 0,
    }  # the provider's lead; nothing for the commissioner
    assert [m["To"] for m in inbox.messages] == ["lead@trust.nhs.uk"]
    # the second run sends nothing new
    assert reminders.due_reminders(people, COUNCIL, principal=SCHEDULER) == {
        "sent": 0,
        "failed": 0,
        "skipped": 0,
    }
    seen = len(inbox.messages)

    # 2027-02-01: 2026-27 Q3's return (due 28 Jan 2027, 20 working days after the quarter) has not come: late
    monkeypatch.setenv("HCP_TODAY", "2027-02-01")
    now_late = reminders.late_returns(people, COUNCIL, principal=BOSS)
    assert [item.key for item in now_late] == ["ZZ1 2026-27 Q3"]
    # the commissioner gets the late return; the provider's lead action 1 (due 30 Nov 2026), now overdue
    assert reminders.due_reminders(people, COUNCIL, principal=SCHEDULER)["sent"] == 2
    (message,) = [m for m in inbox.messages[seen:] if m["To"] == "commissioner@council.gov.uk"]
    assert subject(message) == "HCP Contract Monitor: late returns"
    body = _body(message)
    assert f"- {PROVIDER_NAME}: 2026-27 Q3 return late (due 28 Jan 2027)" in body
    assert body.count("return late") == 1 and "ZZ1" not in body
    # once sent, not repeated
    assert reminders.due_reminders(people, COUNCIL, principal=SCHEDULER)["sent"] == 0
    assert len(inbox.messages) == seen + 2
    recorded = people.query(
        "select item, state, recipient, sent_by from alert_reminders where item = 'ZZ1 2026-27 Q3'"
    ).rows()
    assert recorded == [("ZZ1 2026-27 Q3", "late", "commissioner@council.gov.uk", "hcp scheduler")]
    # every message is in the audit log, sent by the scheduler
    assert _audited(people) == [("alert sent", "hcp scheduler", [m["To"]]) for m in inbox.messages]


def test_a_return_that_came_late_is_news_for_92_days_after_it_came_then_history(people, monkeypatch):
    # the sample's 2025-26 Q2 return was due 28 Oct 2025 and came on 11 Nov 2025 at 09:36
    for now, expected in (
        ("2025-12-01", ["ZZ1 2025-26 Q2"]),
        ("2026-02-11T09:00:00", ["ZZ1 2025-26 Q2"]),  # 92 days less 36 minutes after it came
        ("2026-02-11T10:00:00", []),
        ("2026-11-23", []),
    ):
        monkeypatch.setenv("HCP_TODAY", now)
        assert [item.key for item in reminders.late_returns(people, COUNCIL, principal=BOSS)] == expected, now
    assert reminders.LATE_NEWS.days == 92


def test_an_action_due_in_3_days_is_alerted_to_its_provider_once_then_once_overdue(
    people, smtp_server, monkeypatch
):
    inbox, _ = smtp_server
    reminders.due_reminders(people, COUNCIL, principal=BOSS)  # whatever was due before this test
    seen = len(inbox.messages)
    action = actions.add_action(
        people,
        COUNCIL,
        what="Recovery plan for C2 in North",
        owner="Head of HV",
        due_date="2026-11-26",
        provider_code="ZZ1",
        principal=BOSS,
    )
    assert reminders.due_reminders(people, COUNCIL, principal=BOSS) == {"sent": 1, "failed": 0, "skipped": 0}
    (message,) = inbox.messages[seen:]
    assert message["To"] == "lead@trust.nhs.uk"  # the provider's own users, not commissioners
    assert subject(message) == f"HCP Contract Monitor: {PROVIDER_NAME} actions falling due"
    assert "Recovery plan for C2 in North (owner Head of HV), due 26 Nov 2026" in _body(message)
    assert reminders.due_reminders(people, COUNCIL, principal=BOSS)["sent"] == 0

    monkeypatch.setenv("HCP_TODAY", "2026-11-27")  # now overdue: told once more
    sent = reminders.due_reminders(people, COUNCIL, principal=BOSS)
    overdue = [m for m in inbox.messages[seen + 1 :] if m["To"] == "lead@trust.nhs.uk"]
    assert sent["sent"] >= 1 and len(overdue) == 1
    assert "Recovery plan for C2 in North (owner Head of HV), was due 26 Nov 2026 (overdue)" in _body(
        overdue[0]
    )
    reminders.due_reminders(people, COUNCIL, principal=BOSS)
    assert [m for m in inbox.messages[seen + 1 :] if m["To"] == "lead@trust.nhs.uk"] == overdue
    states = people.query(
        "select state from alert_reminders where alert = 'action_due' and item = ? order by reminder_id",
        [str(action)],
    )["state"].to_list()
    assert states == ["due", "overdue"]
    assert len(_audited(people)) == len(inbox.messages)


def test_a_failed_reminder_is_audited_and_tried_again(people, smtp_server):
    inbox, port = smtp_server
    actions.add_action(
        people,
        COUNCIL,
        what="Audit of C5 coding",
        owner="Data lead",
        due_date="2026-11-25",
        provider_code="ZZ1",
        principal=BOSS,
    )
    set_setting(people, COUNCIL, "smtp_port", 9, principal=LOCAL_USER)  # nothing listens: refused
    failed = reminders.due_reminders(people, COUNCIL, principal=BOSS)
    assert failed["failed"] >= 1 and failed["sent"] == 0 and inbox.messages == []
    assert people.query("select count(*) from alert_reminders").item() == 0
    errors = people.query("select detail_json from audit_log where action = 'alert failed'")["detail_json"]
    assert errors.len() == failed["failed"]
    assert all("ConnectionRefusedError" in json.loads(e)["error"] for e in errors)
    set_setting(people, COUNCIL, "smtp_port", port, principal=LOCAL_USER)
    again = reminders.due_reminders(people, COUNCIL, principal=BOSS)
    assert again["sent"] == failed["failed"] and len(inbox.messages) == failed["failed"]


def test_without_a_relay_nothing_is_sent_or_recorded(sample_store, smtp_server):
    inbox, _ = smtp_server
    add_user(sample_store, LOCAL_USER, "commissioner@council.gov.uk", "commissioner")
    counts = reminders.due_reminders(sample_store, COUNCIL, principal=BOSS)
    assert counts["sent"] == 0 and inbox.messages == []
    assert sample_store.query("select count(*) from alert_reminders").item() == 0


def test_the_scheduler_runs_at_most_every_alerts_check_minutes(people, smtp_server, monkeypatch):
    inbox, _ = smtp_server
    monkeypatch.setenv("HCP_TODAY", "2027-02-01T09:00:00")
    timer = schedule.DueAlertsTimer()
    assert timer.tick(people) is True
    after_first = len(inbox.messages)
    assert after_first >= 1  # 2026-27 Q3 is late on 1 February 2027
    monkeypatch.setenv("HCP_TODAY", "2027-02-01T09:59:00")
    assert timer.tick(people) is False  # 59 minutes later: not yet
    monkeypatch.setenv("HCP_TODAY", "2027-02-01T10:00:00")
    assert timer.tick(people) is True and len(inbox.messages) == after_first  # ran, nothing new to send
    run = people.query(
        "select actor, detail_json from audit_log where action = 'scheduled alerts run' order by audit_id"
    ).rows()
    assert len(run) == 1 and run[0][0] == "hcp scheduler" and json.loads(run[0][1])["sent"] == after_first
    set_setting(people, COUNCIL, "alerts_check_minutes", 0, principal=LOCAL_USER)
    monkeypatch.setenv("HCP_TODAY", "2027-02-02T10:00:00")
    assert timer.tick(people) is False


def test_hcp_alerts_send_due_sends_once(sample_db_copy, hcp_today, smtp_server, capsys, monkeypatch):
    from kpi.core.store import Store

    inbox, port = smtp_server
    with Store.open(sample_db_copy) as store:
        add_user(store, LOCAL_USER, "commissioner@council.gov.uk", "commissioner")
    assert hcp(sample_db_copy, "alerts", "send-due") == 0
    assert "E-mail alerts are off" in capsys.readouterr().out and inbox.messages == []
    with Store.open(sample_db_copy) as store:
        use_relay(store, port)
    monkeypatch.setenv("HCP_TODAY", "2027-02-01")
    assert hcp(sample_db_copy, "alerts", "send-due", "--council", COUNCIL) == 0
    assert "late-return and action reminders: 1 sent, 0 failed" in capsys.readouterr().out
    assert "2026-27 Q3 return late" in _body(inbox.messages[-1])
    assert hcp(sample_db_copy, "alerts", "send-due") == 0
    assert "nothing to send" in capsys.readouterr().out and len(inbox.messages) == 1
    with Store.open(sample_db_copy) as store:
        assert store.query("select actor from audit_log where action = 'alert sent'").rows() == [("analyst",)]
