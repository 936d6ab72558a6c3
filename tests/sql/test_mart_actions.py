"""mart_actions, mart_risks, mart_meetings and mart_packs: given rows in, expected rows out, one as-at time each.

Rows are written straight into the tables of migration 006 (as the append-only history would hold them), so the
marts are checked on their own: latest version by the as-at time, when an action was closed, overdue flags, risk
bands (NPSA 5 x 5: 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme), the pack a meeting used, packs built by then.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kpi.access.principal import local_principal
from kpi.core.councils import init_council
from kpi.core.store import Store

COUNCIL = "E08000009"
AT = datetime(2026, 11, 20, 9, 0)


@pytest.fixture()
def store(monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    db = Store.open(":memory:")
    init_council(db, COUNCIL, principal=local_principal("test"))
    yield db
    db.close()


def action(store, action_id, version, status, at, *, due=date(2026, 11, 30), provider=None):
    store.query(
        "insert into actions values (?, ?, ?, ?, null, null, ?, 'Owner', ?, ?, null, ?, 'tester') returning 1",
        [action_id, version, COUNCIL, provider, f"action {action_id}", due, status, at],
    )


def test_actions_latest_version_by_as_at_with_closing_time_and_overdue(store):
    action(store, 1, 1, "open", datetime(2026, 10, 1))
    action(store, 1, 2, "closed", datetime(2026, 10, 5))
    action(store, 1, 3, "open", datetime(2026, 10, 9))  # reopened
    action(store, 1, 4, "closed", datetime(2026, 11, 2))
    action(store, 1, 5, "closed", datetime(2026, 11, 3))  # a note on a closed action
    action(store, 2, 1, "in progress", datetime(2026, 10, 1), due=date(2026, 11, 19), provider="ZZ1")
    action(store, 3, 1, "open", datetime(2026, 11, 25))  # raised after the as-at time
    action(store, 2, 2, "closed", datetime(2026, 11, 21))  # closed after it
    frame = store.run_sql("marts/mart_actions", council_code=COUNCIL, as_at=AT)
    rows = {row["action_id"]: row for row in frame.to_dicts()}
    assert list(rows) == [2, 1]  # open first
    assert rows[1]["version"] == 5 and rows[1]["status"] == "closed"
    assert rows[1]["closed_at"] == datetime(2026, 11, 2)  # the latest closing, not the first
    assert rows[1]["raised_at"] == datetime(2026, 10, 1) and not rows[1]["is_overdue"]
    assert rows[2]["status"] == "in progress" and rows[2]["is_overdue"] and rows[2]["closed_at"] is None
    assert rows[2]["provider_code"] == "ZZ1"
    assert frame["action_id"].n_unique() == frame.height


def risk(store, risk_id, version, likelihood, impact, at, status="open", review=date(2026, 12, 1)):
    store.query(
        "insert into risks values (?, ?, ?, null, 'a risk', ?, ?, 'Owner', null, ?, ?, ?, 'tester') returning 1",
        [risk_id, version, COUNCIL, likelihood, impact, review, status, at],
    )


@pytest.mark.parametrize(
    ("likelihood", "impact", "band"),
    [
        (1, 3, "low"),
        (2, 2, "moderate"),
        (2, 3, "moderate"),
        (2, 4, "high"),
        (3, 4, "high"),
        (3, 5, "extreme"),
    ],
)
def test_risk_bands(store, likelihood, impact, band):
    risk(store, 1, 1, likelihood, impact, datetime(2026, 10, 1))
    row = store.run_sql("marts/mart_risks", council_code=COUNCIL, as_at=AT).row(0, named=True)
    assert (row["rating"], row["rating_band"]) == (likelihood * impact, band)


def test_risks_latest_version_by_as_at_and_review_overdue(store):
    risk(store, 1, 1, 2, 2, datetime(2026, 10, 1), review=date(2026, 11, 1))
    risk(store, 1, 2, 4, 4, datetime(2026, 11, 25))  # after the as-at time
    risk(store, 2, 1, 5, 5, datetime(2026, 10, 1), status="closed")
    frame = store.run_sql("marts/mart_risks", council_code=COUNCIL, as_at=AT)
    assert frame["risk_id"].to_list() == [1, 2] and frame["version"].to_list() == [1, 1]
    assert frame["is_review_overdue"].to_list() == [True, False]


def test_meetings_with_their_pack_and_packs_built_by_as_at(store):
    store.query(
        "insert into packs values (1, ?, 'ZZ1', 'pack', '2026-27 Q2', 8105, ?, 'abc123', 'pdf', 'f00', 10, false, ?, "
        "'c', 'Contract board') returning 1",
        [COUNCIL, datetime(2026, 11, 20, 9), datetime(2026, 11, 20, 10)],
    )
    store.query(
        "insert into packs values (2, ?, 'ZZ1', 'briefing', '2026-27 Q2', 8105, ?, 'def456', 'docx', 'f01', 10, false, "
        "?, 'c', 'Scrutiny committee') returning 1",
        [COUNCIL, datetime(2026, 11, 20, 9), datetime(2026, 11, 22, 10)],
    )
    store.query(
        "insert into meetings values (7, ?, 'ZZ1', ?, 'Review', 'A; B', 1, null, ?, 'c') returning 1",
        [COUNCIL, date(2026, 11, 21), datetime(2026, 11, 21, 17)],
    )
    packs = store.run_sql("marts/mart_packs", council_code=COUNCIL, as_at=datetime(2026, 11, 21, 18))
    assert packs["pack_id"].to_list() == [1]
    meetings = store.run_sql("marts/mart_meetings", council_code=COUNCIL, as_at=datetime(2026, 11, 21, 18))
    row = meetings.row(0, named=True)
    assert (row["meeting_id"], row["pack_period"], row["pack_data_version"]) == (7, "2026-27 Q2", "abc123")
    assert store.run_sql("marts/mart_meetings", council_code=COUNCIL, as_at=datetime(2026, 11, 21)).is_empty()
