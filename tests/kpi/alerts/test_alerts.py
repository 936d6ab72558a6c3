"""E-mail alerts through a real SMTP server on loopback: batched per load, chosen per user, audited, never sent
without a relay, never carrying child-level data."""

from __future__ import annotations

import json

import pytest

from kpi.access.principal import LOCAL_USER, Principal
from kpi.access.users import add_user
from kpi.alerts import mail, notify, preferences
from kpi.contract import trajectories
from kpi.contract.targets import set_setting
from kpi.returns import review
from kpi.sample import PROVIDER_NAME
from tests.kpi.alerts.relay import subject, use_relay

COUNCIL = "E08000009"
TRUST = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
BOSS = Principal("commissioner@council.gov.uk", "commissioner")


@pytest.fixture()
def people(sample_store):
    add_user(sample_store, LOCAL_USER, "commissioner@council.gov.uk", "commissioner")
    add_user(sample_store, LOCAL_USER, "quiet@council.gov.uk", "commissioner")
    add_user(sample_store, LOCAL_USER, "lead@trust.nhs.uk", "provider", provider_code="ZZ1")
    preferences.set_choices(
        sample_store, {"return_submitted": False}, principal=Principal("quiet@council.gov.uk", "commissioner")
    )
    return sample_store


def _resubmit(store, return_rows, write_return, who=TRUST):
    """The sample's 2026-27 Q2 return again with 10 fewer North C2 visits in its largest decile cell (North 143 of
    190 = 75.3%), through the portal (as ``who``)."""
    rows = type(return_rows)(dict(row) for row in return_rows)
    north = [
        r for r in rows if r["metric_code"] == "C2" and r["locality_code"] == "NORTH" and r["imd_decile"]
    ]
    cell = max(north, key=lambda r: int(r["numerator"] or 0))
    cell["numerator"] = str(int(cell["numerator"]) - 10)
    total = rows.row("C2", "NORTH")
    total["numerator"] = str(int(total["numerator"]) - 10)
    path = write_return(rows, "mandated_contacts_2026-27_Q2_v2.csv")
    return review.portal_load(
        store,
        who,
        path.read_bytes(),
        path.name,
        council_code=COUNCIL,
        provider_code="ZZ1",
        accept_warnings=True,
        reason="resent",
    )


def test_without_a_relay_nothing_is_sent_and_the_reason_is_given(people, smtp_server):
    inbox, _ = smtp_server
    assert "E-mail alerts are off" in mail.relay(people, COUNCIL).problem
    counts = notify.after_load(people, COUNCIL, 17, principal=LOCAL_USER)
    assert counts["sent"] == 0 and counts["skipped"] >= 1 and inbox.messages == []
    assert (
        people.query("select count(*) from audit_log where action in ('alert sent', 'alert failed')").item()
        == 0
    )


def test_a_load_alerts_commissioners_once_each_and_the_review_alerts_the_provider(
    people, smtp_server, return_rows, write_return
):
    inbox, port = smtp_server
    use_relay(people, port)
    trajectories.set_trajectory(
        people, COUNCIL, "C2", "2026-27 Q2=99", reason="x", locality_code="NORTH", principal=LOCAL_USER
    )
    loaded = _resubmit(people, return_rows, write_return)
    counts = notify.after_load(people, COUNCIL, loaded.submission_id, principal=TRUST)
    assert counts == {"sent": 1, "failed": 0, "skipped": 0}
    # the quiet commissioner turned "return submitted" off; the return is not accepted yet, so nothing else
    (message,) = inbox.messages
    assert message["To"] == "commissioner@council.gov.uk" and message["From"] == "hcp@council.gov.uk"
    # providers by their names, not their codes, in the subject and the body
    assert subject(message) == f"HCP Contract Monitor: {PROVIDER_NAME} return for 2026-27 Q2"
    body = message.get_payload(decode=True).decode()
    assert "Return submitted:" in body and "waiting for review" in body
    assert f"The 2026-27 Q2 return of {PROVIDER_NAME} was loaded." in body
    assert f"- {PROVIDER_NAME}: 2026-27 Q2 return received" in body and "ZZ1" not in body

    review.accept_submission(people, BOSS, loaded.submission_id, "thanks")
    counts = notify.after_review(people, COUNCIL, loaded.submission_id, "thanks", principal=BOSS)
    provider_mail = [m for m in inbox.messages[1:] if m["To"] == "lead@trust.nhs.uk"]
    assert len(provider_mail) == 1
    assert subject(provider_mail[0]) == "HCP Contract Monitor: your 2026-27 Q2 return was accepted"
    assert "The commissioner says: thanks" in provider_mail[0].get_payload(decode=True).decode()
    audit = people.query(
        "select action, detail_json from audit_log where action in ('alert sent', 'alert failed') order by audit_id"
    )
    assert audit["action"].to_list() == ["alert sent"] * (1 + counts["sent"])
    assert json.loads(audit["detail_json"][0])["to"] == ["commissioner@council.gov.uk"]


def test_data_events_of_an_accepted_load_batched_in_one_message(
    people, smtp_server, return_rows, write_return
):
    inbox, port = smtp_server
    use_relay(people, port)
    trajectories.set_trajectory(
        people, COUNCIL, "C2", "2026-27 Q2=80", reason="x", locality_code="NORTH", principal=LOCAL_USER
    )
    # a commissioner's upload is accepted at once: the data it brings is alerted with it, one message each
    loaded = _resubmit(people, return_rows, write_return, who=BOSS)
    assert loaded.submission_id is not None, (loaded.outcome, loaded.message, loaded.report.to_text())
    notify.after_load(people, COUNCIL, loaded.submission_id, principal=BOSS)
    to = sorted(m["To"] for m in inbox.messages)
    assert to == ["commissioner@council.gov.uk", "quiet@council.gov.uk"]
    body = (
        next(m for m in inbox.messages if m["To"] == "quiet@council.gov.uk").get_payload(decode=True).decode()
    )
    assert "Return submitted" not in body
    assert (
        "Trajectory breaches:" in body and "C2 New birth visits within 14 days, North: off trajectory" in body
    )
    assert "75.3% against a planned 80.0%" in body
    # never child-level data: no NHS numbers, dates of birth or LSOA codes in any message
    for m in inbox.messages:
        assert (
            "E01" not in m.get_payload(decode=True).decode()
            and "NHS number" not in m.get_payload(decode=True).decode()
        )


def test_a_relay_that_refuses_is_recorded_as_failed(people):
    for key, value in (
        ("smtp_host", "127.0.0.1"),
        ("smtp_port", 9),
        ("smtp_tls", "none"),
        ("smtp_sender", "hcp@council.gov.uk"),
    ):
        set_setting(people, COUNCIL, key, value, principal=LOCAL_USER)
    counts = notify.after_load(people, COUNCIL, 17, principal=LOCAL_USER)
    assert counts["failed"] == 2 and counts["sent"] == 0  # one message each for the two commissioners
    entry = people.query("select detail_json from audit_log where action = 'alert failed'")
    assert "ConnectionRefusedError" in json.loads(entry["detail_json"][0])["error"]


def test_users_choose_their_own_alerts_only():
    store_choices = preferences.alerts_for("provider")
    assert store_choices == ["return_queried", "return_accepted", "action_due"]
