"""Contract review meetings, the actions agreed at them, the risks log, and the record of packs circulated.

Every function takes the ``principal`` who is asking and checks it first (:mod:`kpi.access.rules`): nothing is read or
written for a missing principal. Every write is one transaction with an audit entry naming the principal.
Actions and risks are **append-only** (``sql/schema/006_meetings.sql``): a change adds a version row and the state
as at any time is the latest version recorded by then (``sql/marts/mart_actions.sql``, ``mart_risks.sql``), so a
meeting pack rebuilt for the same as-at time shows the same logs. An action stays in every pack until it is closed.

The records live in four modules: this one (meetings), :mod:`kpi.contract.actions`, :mod:`kpi.contract.risks`
and :mod:`kpi.contract.packs`; all are importable from here.

Scope: commissioners record meetings, raise actions and keep the risks log; a provider sees the meetings of its own
contract (or of no particular provider), the actions and risks it owns and its own packs, and may update the status
and notes of the actions it owns, nothing else. A pack has a life: built as a draft any number of times (nothing
recorded), circulated once by a commissioner (:func:`circulate_pack`), used at a meeting (:func:`record_meeting`).
Risk ratings are likelihood x impact on the 5 x 5 matrix of the NPSA ("A risk matrix for risk managers", 2008):
1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme.

Example:
    >>> from kpi.access.principal import Principal, local_principal
    >>> from kpi.core.councils import init_council
    >>> store = Store.open(":memory:")
    >>> init_council(store, "E08000009", principal=local_principal("doctest"))
    >>> mid = record_meeting(store, "E08000009", meeting_date="2026-11-21", attendees="Commissioner; Trust lead",
    ...                      provider_code="ZZ1", principal=local_principal("doctest"))
    >>> trust = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
    >>> meetings(store, "E08000009", principal=trust)["attendees"].to_list()
    ['Commissioner; Trust lead']
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.contract.actions import (
    ACTION_STATUSES,
    action_history,
    actions,
    add_action,
    carried_actions,
    update_action,
)
from kpi.contract.packs import DOCUMENTS, FORMATS, circulate_pack, packs, previous_pack
from kpi.contract.records import NotAllowed, _acting, _date, _own, _text, _upper
from kpi.contract.risks import RATING_BANDS, RISK_STATUSES, add_risk, rating_band, risks, update_risk
from kpi.core import periods as periods
from kpi.core.store import Store


def record_meeting(
    store: Store,
    council_code: str,
    *,
    meeting_date: date | str,
    attendees: str,
    principal: Principal,
    title: str = "Contract review meeting",
    provider_code: str | None = None,
    pack_id: int | None = None,
    notes: str | None = None,
) -> int:
    """Record a meeting (date, attendees, the pack used: a circulated one); returns its id. Commissioners only."""
    actor, _ = _acting(principal, "manage_meetings")
    day = _date(meeting_date, "meeting date")
    if day is None:
        raise ValueError("give the meeting date (YYYY-MM-DD)")
    people = _text(attendees, "attendees")
    if pack_id is not None:
        found = store.query(
            "select count(*) from packs where pack_id = ? and council_code = ? and document = 'pack' "
            "and not is_draft",
            [int(pack_id), council_code],
        ).item()
        if not found:
            raise ValueError(
                f"there is no circulated pack {pack_id} for this council: the pack used at a meeting is one "
                "that was circulated; choose one from the list"
            )
    with store.transaction() as cur:
        meeting_id = cur.execute("select nextval('meeting_id_seq')").fetchone()[0]
        cur.execute(
            "insert into meetings values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                meeting_id,
                council_code,
                _upper(provider_code),
                day,
                _text(title, "meeting title"),
                people,
                pack_id,
                _text(notes, "notes", required=False),
                periods.now(),
                actor,
            ],
        )
        store.audit(
            "meeting recorded",
            actor=actor,
            council_code=council_code,
            subject=f"meeting {meeting_id}",
            detail={"meeting_date": day, "pack_id": pack_id},
            cur=cur,
        )
    return int(meeting_id)


def meetings(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """Meetings recorded by ``as_at`` (default now), newest first, with the pack used.

    A provider sees those of its own contract or of no particular provider.
    """
    _, scope = _acting(principal, "read_meetings")
    frame = store.run_sql("marts/mart_meetings", council_code=council_code, as_at=as_at or periods.now())
    return _own(frame, scope, shared=True)


#: The meetings' records in one place for the pages and reports: meetings here; actions, risks and the packs
#: circulated in their own modules.
__all__ = [
    "ACTION_STATUSES",
    "DOCUMENTS",
    "FORMATS",
    "RATING_BANDS",
    "RISK_STATUSES",
    "NotAllowed",
    "action_history",
    "actions",
    "add_action",
    "add_risk",
    "carried_actions",
    "circulate_pack",
    "meetings",
    "packs",
    "previous_pack",
    "rating_band",
    "record_meeting",
    "risks",
    "update_action",
    "update_risk",
]
