"""Actions agreed at contract review meetings: raised by commissioners, updated by the provider that owns them.

Append-only (``sql/schema/006_meetings.sql``): a change adds a version row, and the state as at any time is the
latest version recorded by then (``sql/marts/mart_actions.sql``), so a pack rebuilt for the same as-at time shows
the same log. An action stays in every pack until it is closed. A provider sees the actions it owns and may change
only their status and notes.

Example:
    >>> from kpi.access.principal import Principal, local_principal
    >>> from kpi.core.councils import init_council
    >>> store = Store.open(":memory:")
    >>> init_council(store, "E08000009", principal=local_principal("doctest"))
    >>> aid = add_action(store, "E08000009", what="Recovery plan for North NBV", owner="Trust lead",
    ...                  due_date="2026-12-18", provider_code="ZZ1", principal=local_principal("doctest"))
    >>> trust = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
    >>> _ = update_action(store, "E08000009", aid, status="in progress", principal=trust)
    >>> actions(store, "E08000009", principal=trust)["status"].to_list()
    ['in progress']
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.contract.records import NotAllowed, _acting, _choice, _date, _own, _text, _upper
from kpi.core import periods as periods
from kpi.core.store import Store

ACTION_STATUSES = ("open", "in progress", "closed")
_ACTION_FIELDS = ("what", "owner", "due_date", "status", "notes", "kpi_code")
_PROVIDER_FIELDS = ("status", "notes")


def add_action(
    store: Store,
    council_code: str,
    *,
    what: str,
    owner: str,
    principal: Principal,
    due_date: date | str | None = None,
    provider_code: str | None = None,
    meeting_id: int | None = None,
    kpi_code: str | None = None,
    notes: str | None = None,
    status: str = "open",
) -> int:
    """Raise an action (what, owner, due date; the provider that owns it, if any); returns its id.

    Commissioners only.
    """
    actor, _ = _acting(principal, "manage_meetings")
    row = {
        "what": _text(what, "action (what is to be done)"),
        "owner": _text(owner, "owner"),
        "due_date": _date(due_date, "due date"),
        "status": _choice(status, ACTION_STATUSES, "status"),
        "notes": _text(notes, "notes", required=False),
        "kpi_code": _text(kpi_code, "KPI", required=False),
    }
    with store.transaction() as cur:
        action_id = cur.execute("select nextval('action_id_seq')").fetchone()[0]
        _insert_action(cur, action_id, 1, council_code, _upper(provider_code), meeting_id, row, actor)
        store.audit(
            "action raised",
            actor=actor,
            council_code=council_code,
            subject=f"action {action_id}",
            detail={**row, "provider_code": _upper(provider_code), "meeting_id": meeting_id},
            cur=cur,
        )
    return int(action_id)


def _insert_action(cur, action_id, version, council_code, provider_code, meeting_id, row, actor) -> None:
    cur.execute(
        "insert into actions (action_id, version, council_code, provider_code, meeting_id, kpi_code, what, owner, "
        "due_date, status, notes, recorded_at, recorded_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            action_id,
            version,
            council_code,
            provider_code,
            meeting_id,
            row["kpi_code"],
            row["what"],
            row["owner"],
            row["due_date"],
            row["status"],
            row["notes"],
            periods.now(),
            actor,
        ],
    )


def update_action(
    store: Store,
    council_code: str,
    action_id: int,
    *,
    principal: Principal,
    status: str | None = None,
    notes: str | None = None,
    what: str | None = None,
    owner: str | None = None,
    due_date: date | str | None = None,
    kpi_code: str | None = None,
) -> int:
    """Record a change to an action as its next version; returns the version number.

    Only the arguments given change. A commissioner may change anything; a provider the status and notes of the
    actions it owns, nothing else.

    Raises:
        NotAllowed: a provider changing another's action, or a field other than status and notes.
        AccessDenied: a principal who may not update actions at all (a viewer, an admin, nobody).
        ValueError: an unknown action, status or date; nothing to change.
    """
    actor, actor_provider_code = _acting(principal, "update_action")
    with store.transaction() as cur:
        current = cur.execute(
            "select version, provider_code, meeting_id, what, owner, due_date, status, notes, kpi_code "
            "from actions where council_code = ? and action_id = ? order by version desc limit 1",
            [council_code, int(action_id)],
        ).fetchone()
        if current is None or (actor_provider_code and (current[1] or "").upper() != actor_provider_code):
            if current is not None:
                raise NotAllowed(
                    f"action {action_id} is not owned by provider {actor_provider_code}: a provider may "
                    "only update the actions it owns"
                )
            raise ValueError(f"there is no action {action_id} for this council")
        version, owner_provider, meeting_id = current[0], current[1], current[2]
        row = dict(
            zip(
                _ACTION_FIELDS,
                (current[3], current[4], current[5], current[6], current[7], current[8]),
                strict=True,
            )
        )
        given = {
            "what": what,
            "owner": owner,
            "due_date": due_date,
            "status": status,
            "notes": notes,
            "kpi_code": kpi_code,
        }
        changes = {key: value for key, value in given.items() if value is not None}
        if not changes:
            raise ValueError("nothing to change: give a new status, notes, owner, due date or wording")
        if actor_provider_code:
            others = sorted(set(changes) - set(_PROVIDER_FIELDS))
            if others:
                raise NotAllowed(
                    f"a provider may change the status and notes of its actions, not the {', '.join(others)}"
                )
        if "what" in changes:
            row["what"] = _text(what, "action (what is to be done)")
        if "owner" in changes:
            row["owner"] = _text(owner, "owner")
        if "due_date" in changes:
            row["due_date"] = _date(due_date, "due date")
        if "status" in changes:
            row["status"] = _choice(status, ACTION_STATUSES, "status")
        if "notes" in changes:
            row["notes"] = _text(notes, "notes", required=False)
        if "kpi_code" in changes:
            row["kpi_code"] = _text(kpi_code, "KPI", required=False)
        _insert_action(cur, int(action_id), version + 1, council_code, owner_provider, meeting_id, row, actor)
        store.audit(
            "action updated",
            actor=actor,
            council_code=council_code,
            subject=f"action {action_id}",
            detail={"version": version + 1, "changes": changes, "as_provider": actor_provider_code},
            cur=cur,
        )
    return version + 1


def actions(
    store: Store,
    council_code: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    provider_code: str | None = None,
    include_closed: bool = True,
) -> pl.DataFrame:
    """Every action as it stood at ``as_at`` (default now): open ones first, by due date.

    A provider sees the actions it owns only; ``provider_code`` keeps the actions that provider owns;
    ``include_closed=False`` only the open ones.
    """
    _, scope = _acting(principal, "read_meetings")
    frame = _own(
        store.run_sql("marts/mart_actions", council_code=council_code, as_at=as_at or periods.now()), scope
    )
    if provider_code:
        frame = frame.filter(pl.col("provider_code") == provider_code.upper())
    if not include_closed:
        frame = frame.filter(pl.col("status") != "closed")
    return frame


def carried_actions(
    store: Store, council_code: str, as_at: datetime, since: datetime | None, *, principal: Principal
) -> pl.DataFrame:
    """The actions a pack carries: every action not closed at ``as_at``, and those closed after ``since``.

    A provider's pack carries its own actions only.
    """
    frame = actions(store, council_code, as_at, principal=principal)
    closed_recently = pl.col("closed_at") > since if since is not None else pl.lit(True)
    return frame.filter((pl.col("status") != "closed") | closed_recently)


def action_history(store: Store, council_code: str, action_id: int, *, principal: Principal) -> pl.DataFrame:
    """Every version of one action, oldest first (who changed what, when); a provider's own actions only."""
    _, scope = _acting(principal, "read_meetings")
    frame = store.query(
        "select version, provider_code, what, owner, due_date, status, notes, recorded_at, recorded_by "
        "from actions where council_code = ? and action_id = ? order by version",
        [council_code, int(action_id)],
    )
    return _own(frame, scope).drop("provider_code")
