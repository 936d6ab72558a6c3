"""``hcp load mandated-contacts`` sends the after-load alerts the Upload page sends, batched per command: one message
per person covering every return the command loaded (a real SMTP server on loopback)."""

from __future__ import annotations

import json

from kpi.access.principal import LOCAL_USER, Principal
from kpi.access.users import add_user
from kpi.alerts import preferences
from kpi.core.store import Store
from kpi.sample import PROVIDER_NAME
from tests.kpi.alerts.relay import subject, use_relay
from tests.kpi.cli.commands import copy_of, hcp

COUNCIL = "E08000009"


def _prepare(db, port: int) -> None:
    with Store.open(db) as store:
        add_user(store, LOCAL_USER, "commissioner@council.gov.uk", "commissioner")
        add_user(store, LOCAL_USER, "quiet@council.gov.uk", "commissioner")
        add_user(store, LOCAL_USER, "lead@trust.nhs.uk", "provider", provider_code="ZZ1")
        preferences.set_choices(
            store, {"return_submitted": False}, principal=Principal("quiet@council.gov.uk", "commissioner")
        )
        use_relay(store, port)


def test_two_returns_in_one_command_make_one_message_per_person(
    sample_db_copy, hcp_today, smtp_server, return_rows, write_return, capsys, monkeypatch
):
    inbox, port = smtp_server
    _prepare(sample_db_copy, port)
    monkeypatch.setenv("HCP_TODAY", "2027-01-25")  # 2026-27 Q3 has ended
    q2 = copy_of(return_rows)
    q2.row("C1", "CENTRAL", "1")["comment"] = "resent"
    q3 = copy_of(return_rows)
    for row in q3:
        row["period"] = "2026-27 Q3"
    files = [write_return(q2, "return_2026-27_Q2_v2.csv"), write_return(q3, "return_2026-27_Q3.csv")]
    assert hcp(sample_db_copy, "load", "mandated-contacts", *map(str, files), "--provider", "ZZ1") == 0
    out = capsys.readouterr().out
    assert "E-mail alerts: 2 sent." in out
    # one message per commissioner for the whole command (the quiet one turned "return submitted" off but gets the
    # data the returns brought); the provider's lead gets no load alert (theirs: queried, accepted, actions)
    assert sorted(m["To"] for m in inbox.messages) == ["commissioner@council.gov.uk", "quiet@council.gov.uk"]
    for message in inbox.messages:
        assert subject(message) == f"HCP Contract Monitor: 2 returns loaded ({PROVIDER_NAME})"
        body = message.get_payload(decode=True).decode()
        assert body.startswith(
            f"The 2026-27 Q2 return of {PROVIDER_NAME} and the 2026-27 Q3 return of {PROVIDER_NAME} were loaded."
        )
        # Q3 repeats Q2's figures: a run below the mean is a new special cause, named with the return it came with
        assert (
            f"- {PROVIDER_NAME} 2026-27 Q3: C2 New birth visits within 14 days: Concern (low) (was Common cause)"
            in body
        )
        assert "ZZ1" not in body
    body = next(m for m in inbox.messages if m["To"] == "commissioner@council.gov.uk").get_payload(
        decode=True
    )
    assert f"- {PROVIDER_NAME}: 2026-27 Q2 return received".encode() in body
    assert f"- {PROVIDER_NAME}: 2026-27 Q3 return received".encode() in body
    assert body.count(b"(accepted)") == 2
    quiet = next(m for m in inbox.messages if m["To"] == "quiet@council.gov.uk").get_payload(decode=True)
    assert b"Return submitted" not in quiet
    with Store.open(sample_db_copy) as store:
        audit = store.query("select actor, detail_json from audit_log where action = 'alert sent'").rows()
    assert sorted((who, *json.loads(d)["to"]) for who, d in audit) == [
        ("analyst", "commissioner@council.gov.uk"),
        ("analyst", "quiet@council.gov.uk"),
    ]


def test_a_command_whose_files_do_not_all_pass_loads_none_and_alerts_nobody(
    sample_db_copy, hcp_today, smtp_server, return_rows, write_return, capsys
):
    inbox, port = smtp_server
    _prepare(sample_db_copy, port)
    good = copy_of(return_rows)
    good.row("C1", "CENTRAL", "1")["comment"] = "resent"
    bad = copy_of(return_rows)
    bad.row("C2", "NORTH", "2")["numerator"] = "n/a"
    files = [write_return(good, "good.csv"), write_return(bad, "bad.csv")]
    with Store.open(sample_db_copy) as store:
        before = store.query("select count(*) from submissions").item()
    assert hcp(sample_db_copy, "load", "mandated-contacts", *map(str, files), "--provider", "ZZ1") == 1
    captured = capsys.readouterr()
    assert "'n/a' is not a number" in captured.out
    assert "nothing was loaded: every file must pass before any is" in captured.err
    with Store.open(sample_db_copy) as store:
        assert store.query("select count(*) from submissions").item() == before
    assert inbox.messages == []
