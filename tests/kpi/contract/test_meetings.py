"""Meetings, actions, risks and recorded packs (kpi.contract.meetings): writes, scope, history, as-at views, messages."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import polars as pl
import pytest

from kpi.access.principal import Principal, local_principal
from kpi.access.rules import AccessDenied
from kpi.contract import meetings as meetings
from kpi.core.councils import init_council
from kpi.core.store import Store

COUNCIL = "E08000009"
COMMISSIONER = local_principal("c")
ZZ1 = Principal("lead@trust.nhs.uk", "provider", "ZZ1")


@pytest.fixture()
def store(monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-10")
    db = Store.open(":memory:")
    init_council(db, COUNCIL, principal=local_principal("test"))
    yield db
    db.close()


def audit_actions(store: Store) -> list[str]:
    return store.query("select action from audit_log order by audit_id")["action"].to_list()


def test_a_provider_may_update_the_status_of_its_own_actions_only(store):
    own = meetings.add_action(
        store, COUNCIL, what="Recovery plan", owner="Trust lead", provider_code="zz1", principal=COMMISSIONER
    )
    other = meetings.add_action(
        store, COUNCIL, what="Council task", owner="Commissioner", principal=COMMISSIONER
    )
    assert (
        meetings.update_action(
            store,
            COUNCIL,
            own,
            status="in progress",
            notes="started",
            principal=ZZ1,
        )
        == 2
    )
    with pytest.raises(meetings.NotAllowed, match=f"action {other} is not owned by provider ZZ1"):
        meetings.update_action(store, COUNCIL, other, status="closed", principal=ZZ1)
    with pytest.raises(
        meetings.NotAllowed, match="may change the status and notes of its actions, not the due_date"
    ):
        meetings.update_action(store, COUNCIL, own, due_date="2027-01-01", principal=ZZ1)
    with pytest.raises(
        AccessDenied, match="Only a commissioner can record meetings, raise actions and keep the risks"
    ):
        meetings.add_action(store, COUNCIL, what="x", owner="y", principal=ZZ1)
    with pytest.raises(
        AccessDenied, match="Only a commissioner can record meetings, raise actions and keep the risks"
    ):
        meetings.add_risk(store, COUNCIL, risk="r", likelihood=1, impact=1, owner="o", principal=ZZ1)
    frame = meetings.actions(store, COUNCIL, principal=COMMISSIONER)
    row = frame.filter(frame["action_id"] == own).row(0, named=True)
    assert (row["status"], row["notes"], row["version"], row["updated_by"]) == (
        "in progress",
        "started",
        2,
        "lead@trust.nhs.uk",
    )
    assert audit_actions(store).count("action updated") == 1


def test_every_change_is_a_new_version_and_the_log_can_be_read_as_at(store, monkeypatch):
    action = meetings.add_action(
        store, COUNCIL, what="Audit", owner="Analyst", due_date="2026-11-20", principal=COMMISSIONER
    )
    monkeypatch.setenv("HCP_TODAY", "2026-11-25")
    meetings.update_action(store, COUNCIL, action, status="closed", principal=COMMISSIONER)
    history = meetings.action_history(store, COUNCIL, action, principal=COMMISSIONER)
    assert history["status"].to_list() == ["open", "closed"] and history["version"].to_list() == [1, 2]
    before = meetings.actions(store, COUNCIL, datetime(2026, 11, 21), principal=COMMISSIONER)
    assert before["status"].to_list() == ["open"] and before["is_overdue"].to_list() == [True]
    after = meetings.actions(store, COUNCIL, datetime(2026, 11, 26), principal=COMMISSIONER)
    assert after["status"].to_list() == ["closed"] and after["closed_at"][0].date() == date(2026, 11, 25)
    assert meetings.actions(store, COUNCIL, datetime(2026, 11, 1), principal=COMMISSIONER).is_empty()


def test_packs_carry_open_actions_and_those_closed_since_the_last_pack(store, monkeypatch):
    kept = meetings.add_action(store, COUNCIL, what="Still open", owner="A", principal=COMMISSIONER)
    early = meetings.add_action(store, COUNCIL, what="Closed early", owner="B", principal=COMMISSIONER)
    meetings.update_action(store, COUNCIL, early, status="closed", principal=COMMISSIONER)
    monkeypatch.setenv("HCP_TODAY", "2026-11-20")
    late = meetings.add_action(store, COUNCIL, what="Closed late", owner="C", principal=COMMISSIONER)
    meetings.update_action(store, COUNCIL, late, status="closed", principal=COMMISSIONER)
    carried = meetings.carried_actions(
        store, COUNCIL, datetime(2026, 11, 21), since=datetime(2026, 11, 15), principal=COMMISSIONER
    )
    assert sorted(carried["action_id"].to_list()) == [kept, late]


def test_risks_are_rated_on_the_five_by_five_matrix(store):
    risk = meetings.add_risk(
        store,
        COUNCIL,
        risk="Vacancies",
        likelihood=4,
        impact=3,
        owner="Director",
        review_date="2026-11-01",
        principal=COMMISSIONER,
    )
    row = meetings.risks(store, COUNCIL, principal=COMMISSIONER).row(0, named=True)
    assert (row["rating"], row["rating_band"], row["is_review_overdue"]) == (12, "high", True)
    assert meetings.update_risk(store, COUNCIL, risk, impact=5, principal=COMMISSIONER) == 2
    assert meetings.risks(store, COUNCIL, principal=COMMISSIONER)["rating_band"].to_list() == ["extreme"]
    meetings.update_risk(store, COUNCIL, risk, status="closed", principal=COMMISSIONER)
    assert meetings.risks(store, COUNCIL, include_closed=False, principal=COMMISSIONER).is_empty()
    assert [meetings.rating_band(n) for n in (3, 4, 6, 8, 12, 15, 25)] == [
        "low",
        "moderate",
        "moderate",
        "high",
        "high",
        "extreme",
        "extreme",
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s: meetings.add_action(s, COUNCIL, what=" ", owner="o", principal=COMMISSIONER),
            "give the action",
        ),
        (
            lambda s: meetings.add_action(
                s, COUNCIL, what="w", owner="o", due_date="20/11/2026", principal=COMMISSIONER
            ),
            "the due date '20/11/2026' is not a date: write it as YYYY-MM-DD",
        ),
        (
            lambda s: meetings.add_action(
                s, COUNCIL, what="w", owner="o", status="done", principal=COMMISSIONER
            ),
            "the status must be one of open, in progress, closed, not 'done'",
        ),
        (
            lambda s: meetings.update_action(s, COUNCIL, 99, status="closed", principal=COMMISSIONER),
            "there is no action 99",
        ),
        (
            lambda s: meetings.add_risk(
                s, COUNCIL, risk="r", likelihood=6, impact=1, owner="o", principal=COMMISSIONER
            ),
            "the likelihood is a whole number from 1 \\(lowest\\) to 5 \\(highest\\), not 6",
        ),
        (
            lambda s: meetings.update_risk(s, COUNCIL, 1, colour="red", principal=COMMISSIONER),
            "a risk has no colour",
        ),
        (
            lambda s: meetings.record_meeting(
                s, COUNCIL, meeting_date=None, attendees="a", principal=COMMISSIONER
            ),
            "give the meeting date",
        ),
        (
            lambda s: meetings.record_meeting(
                s, COUNCIL, meeting_date="2026-11-09", attendees="a", pack_id=5, principal=COMMISSIONER
            ),
            "there is no circulated pack 5 for this council",
        ),
    ],
)
def test_bad_input_is_refused_with_a_plain_message(store, call, message):
    with pytest.raises(ValueError, match=message):
        call(store)


def _circulate(store, content=b"%PDF-1", as_at=datetime(2026, 8, 20, 9), principal=COMMISSIONER, **extra):
    return meetings.circulate_pack(
        store,
        COUNCIL,
        document="pack",
        period="2026/27 Q1",
        as_at=as_at,
        data_version="aaa",
        file_format="pdf",
        content=content,
        sent_to=extra.pop("sent_to", "Contract board; Trust lead"),
        principal=principal,
        **extra,
    )


def test_a_circulated_pack_is_recorded_once_and_is_the_previous_one(store):
    first = _circulate(store)
    with pytest.raises(ValueError, match=f"already circulated as pack {first}"):
        _circulate(store)  # the same file again
    assert meetings.packs(store, COUNCIL, principal=COMMISSIONER).height == 1
    meeting = meetings.record_meeting(
        store,
        COUNCIL,
        meeting_date="2026-08-25",
        attendees="Commissioner; Trust lead",
        pack_id=first,
        principal=COMMISSIONER,
    )
    row = meetings.meetings(store, COUNCIL, principal=COMMISSIONER).row(0, named=True)
    assert (row["meeting_id"], row["pack_data_version"], row["pack_period"]) == (meeting, "aaa", "2026-27 Q1")
    end_of_day = datetime(2026, 11, 10, 23, 59, 59)  # the fixed day, whatever the time of day
    previous = meetings.previous_pack(store, COUNCIL, end_of_day, principal=COMMISSIONER)
    assert previous["pack_id"] == first and previous["data_version"] == "aaa"
    assert meetings.previous_pack(store, COUNCIL, datetime(2026, 8, 20, 9), principal=COMMISSIONER) is None
    recorded = meetings.packs(store, COUNCIL, principal=COMMISSIONER).row(0, named=True)
    assert recorded["sha256"] == hashlib.sha256(b"%PDF-1").hexdigest() and recorded["size_bytes"] == 6
    assert (recorded["sent_to"], recorded["circulated_by"]) == (
        "Contract board; Trust lead",
        COMMISSIONER.email,
    )
    assert not recorded["is_draft"]
    assert "pack circulated" in audit_actions(store) and "meeting recorded" in audit_actions(store)


def test_previous_pack_ignores_drafts_recorded_before_circulation_existed(store):
    """Rows with is_draft = true (recorded by builds before migration 008) are never the previous pack."""
    first = _circulate(store)
    with store.transaction() as cur:
        cur.execute(
            "insert into packs (pack_id, council_code, document, period, period_index, as_at, data_version, format, "
            "sha256, size_bytes, is_draft, built_at, built_by) select nextval('pack_id_seq'), ?, 'pack', period, "
            "period_index, timestamp '2026-09-01', 'bbb', 'pdf', 'x', 1, true, built_at, built_by from packs",
            [COUNCIL],
        )
    previous = meetings.previous_pack(store, COUNCIL, datetime(2026, 11, 10, 23, 59), principal=COMMISSIONER)
    assert previous["pack_id"] == first
    draft_id = meetings.packs(store, COUNCIL, principal=COMMISSIONER).filter(pl.col("is_draft"))["pack_id"][0]
    with pytest.raises(ValueError, match=f"no circulated pack {draft_id}"):
        meetings.record_meeting(
            store, COUNCIL, meeting_date="2026-09-02", attendees="a", pack_id=draft_id, principal=COMMISSIONER
        )


def test_only_a_commissioner_circulates_and_says_to_whom(store):
    for who in (ZZ1, Principal("v@council.gov.uk", "viewer"), Principal("a@council.gov.uk", "admin"), None):
        with pytest.raises(AccessDenied):
            _circulate(store, principal=who, provider_code="ZZ1")
    with pytest.raises(ValueError, match="give the people it is sent to"):
        _circulate(store, sent_to="  ")
    assert meetings.packs(store, COUNCIL, principal=COMMISSIONER).is_empty()


def test_every_meetings_function_checks_the_caller(store):
    """Nothing is read or written for a missing principal, a viewer or an admin; a provider sees its own only."""
    own = meetings.add_action(
        store, COUNCIL, what="Recovery plan", owner="Trust lead", provider_code="ZZ1", principal=COMMISSIONER
    )
    meetings.add_action(
        store,
        COUNCIL,
        what="Other trust's plan",
        owner="ZZ2 lead",
        provider_code="ZZ2",
        principal=COMMISSIONER,
    )
    meetings.add_risk(
        store, COUNCIL, risk="Council risk", likelihood=2, impact=2, owner="o", principal=COMMISSIONER
    )
    viewer, admin = Principal("v@council.gov.uk", "viewer"), Principal("a@council.gov.uk", "admin")
    for who in (None, viewer, admin):
        with pytest.raises(AccessDenied):
            meetings.actions(store, COUNCIL, principal=who)
        with pytest.raises(AccessDenied):
            meetings.risks(store, COUNCIL, principal=who)
        with pytest.raises(AccessDenied):
            meetings.packs(store, COUNCIL, principal=who)
        with pytest.raises(AccessDenied):
            meetings.record_meeting(store, COUNCIL, meeting_date="2026-11-09", attendees="a", principal=who)
        with pytest.raises(AccessDenied):
            meetings.update_action(store, COUNCIL, own, status="closed", principal=who)
    assert meetings.actions(store, COUNCIL, principal=ZZ1)["action_id"].to_list() == [own]
    assert meetings.risks(
        store, COUNCIL, principal=ZZ1
    ).is_empty()  # the council's own risk is not the trust's
    assert meetings.actions(store, COUNCIL, principal=COMMISSIONER).height == 2
