"""Contract review meetings, the actions agreed at them, the risks log, and the record of packs circulated.

Every function takes the ``principal`` who is asking and checks it first (:mod:`kpi.access.rules`): nothing is read or
written for a missing principal. Every write is one transaction with an audit entry naming the principal.
Actions and risks are **append-only** (``sql/schema/006_meetings.sql``): a change adds a version row and the state
as at any time is the latest version recorded by then (``sql/marts/mart_actions.sql``, ``mart_risks.sql``), so a
meeting pack rebuilt for the same as-at time shows the same logs. An action stays in every pack until it is closed.

Scope: commissioners record meetings, raise actions and keep the risks log; a provider sees the meetings of its own
contract (or of no particular provider), the actions and risks it owns and its own packs, and may update the status
and notes of the actions it owns, nothing else. A pack has a life: built as a draft any number of times (nothing
recorded), circulated once by a commissioner (:func:`circulate_pack`), used at a meeting (:func:`record_meeting`). Risk ratings are likelihood x impact on the 5 x 5 matrix of the NPSA
("A risk matrix for risk managers", 2008): 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme.

Example:
    >>> from kpi.core.councils import init_council
    >>> store = Store.open(":memory:")
    >>> from kpi.access.principal import Principal, local_principal
    >>> init_council(store, "E08000009", principal=local_principal("doctest"))
    >>> aid = add_action(store, "E08000009", what="Recovery plan for North NBV", owner="Trust lead",
    ...                  due_date="2026-12-18", provider_code="ZZ1", principal=local_principal("doctest"))
    >>> trust = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
    >>> _ = update_action(store, "E08000009", aid, status="in progress", principal=trust)
    >>> actions(store, "E08000009", principal=trust)["status"].to_list()
    ['in progress']
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require
from kpi.core import periods as periods
from kpi.core.store import Store

ACTION_STATUSES = ("open", "in progress", "closed")
RISK_STATUSES = ("open", "closed")
DOCUMENTS = ("pack", "briefing")
FORMATS = ("pdf", "docx", "html")
#: Bands of the 5 x 5 risk matrix (NPSA 2008), by the highest rating in each band.
RATING_BANDS = ((3, "low"), (6, "moderate"), (12, "high"), (25, "extreme"))
_ACTION_FIELDS = ("what", "owner", "due_date", "status", "notes", "kpi_code")
_PROVIDER_FIELDS = ("status", "notes")


class NotAllowed(PermissionError):
    """The person acting may not make this change; the message says why."""


def _acting(principal: Principal, action: str) -> tuple[str, str | None]:
    """Check the principal may do ``action``; returns who acts (for the audit log) and their provider scope.

    The scope is the provider the principal is confined to, ``None`` for the whole council.
    """
    require(principal, action)
    return principal.email, provider_scope(principal)


def _own(frame: pl.DataFrame, scope: str | None, *, shared: bool = False) -> pl.DataFrame:
    """Rows a provider may see: its own (and, with ``shared``, those of no particular provider)."""
    if scope is None:
        return frame
    mine = pl.col("provider_code") == scope
    return frame.filter(mine | pl.col("provider_code").is_null() if shared else mine)


def rating_band(rating: int) -> str:
    """The band of a risk rating (likelihood x impact) on the NPSA 5 x 5 matrix.

    Example:
        >>> rating_band(12), rating_band(15)
        ('high', 'extreme')
    """
    for top, band in RATING_BANDS:
        if rating <= top:
            return band
    raise ValueError(f"a risk rating is likelihood x impact, 1 to 25, not {rating}")


# ---- checks ----------------------------------------------------------------------------------------------------


def _text(value: object, what: str, *, required: bool = True) -> str | None:
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise ValueError(f"give the {what}: it cannot be blank")
        return None
    return text


def _date(value: object, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"the {what} '{value}' is not a date: write it as YYYY-MM-DD") from exc


def _choice(value: object, allowed: tuple[str, ...], what: str) -> str:
    text = str(value or "").strip().lower()
    if text not in allowed:
        raise ValueError(f"the {what} must be one of {', '.join(allowed)}, not '{value}'")
    return text


def _score(value: object, what: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != int(value)
        or not 1 <= value <= 5
    ):
        raise ValueError(f"the {what} is a whole number from 1 (lowest) to 5 (highest), not {value!r}")
    return int(value)


def _upper(code: str | None) -> str | None:
    text = (code or "").strip().upper()
    return text or None


# ---- meetings --------------------------------------------------------------------------------------------------


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


# ---- actions ---------------------------------------------------------------------------------------------------


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


# ---- risks -----------------------------------------------------------------------------------------------------


def add_risk(
    store: Store,
    council_code: str,
    *,
    risk: str,
    likelihood: int,
    impact: int,
    owner: str,
    principal: Principal,
    mitigation: str | None = None,
    review_date: date | str | None = None,
    provider_code: str | None = None,
) -> int:
    """Add a risk to the log (likelihood and impact 1-5; rating = their product); returns its id.

    Commissioners only.
    """
    actor, _ = _acting(principal, "manage_meetings")
    row = _risk_row(risk, likelihood, impact, owner, mitigation, review_date, "open")
    with store.transaction() as cur:
        risk_id = cur.execute("select nextval('risk_id_seq')").fetchone()[0]
        _insert_risk(cur, risk_id, 1, council_code, _upper(provider_code), row, actor)
        store.audit(
            "risk added",
            actor=actor,
            council_code=council_code,
            subject=f"risk {risk_id}",
            detail=row,
            cur=cur,
        )
    return int(risk_id)


def _risk_row(risk, likelihood, impact, owner, mitigation, review_date, status) -> dict:
    return {
        "risk": _text(risk, "risk"),
        "likelihood": _score(likelihood, "likelihood"),
        "impact": _score(impact, "impact"),
        "owner": _text(owner, "owner"),
        "mitigation": _text(mitigation, "mitigation", required=False),
        "review_date": _date(review_date, "review date"),
        "status": _choice(status, RISK_STATUSES, "status"),
    }


def _insert_risk(cur, risk_id, version, council_code, provider_code, row, actor) -> None:
    cur.execute(
        "insert into risks (risk_id, version, council_code, provider_code, risk, likelihood, impact, owner, "
        "mitigation, review_date, status, recorded_at, recorded_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            risk_id,
            version,
            council_code,
            provider_code,
            row["risk"],
            row["likelihood"],
            row["impact"],
            row["owner"],
            row["mitigation"],
            row["review_date"],
            row["status"],
            periods.now(),
            actor,
        ],
    )


def update_risk(
    store: Store,
    council_code: str,
    risk_id: int,
    *,
    principal: Principal,
    **changes: object,
) -> int:
    """Record a change to a risk as its next version; returns the version number. Commissioners only.

    Changes: risk, likelihood, impact, owner, mitigation, review_date, status.
    """
    actor, _ = _acting(principal, "manage_meetings")
    allowed = {"risk", "likelihood", "impact", "owner", "mitigation", "review_date", "status"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValueError(f"a risk has no {', '.join(unknown)}: change {', '.join(sorted(allowed))}")
    given = {key: value for key, value in changes.items() if value is not None}
    if not given:
        raise ValueError("nothing to change: give a new rating, owner, mitigation, review date or status")
    with store.transaction() as cur:
        current = cur.execute(
            "select version, provider_code, risk, likelihood, impact, owner, mitigation, review_date, status "
            "from risks where council_code = ? and risk_id = ? order by version desc limit 1",
            [council_code, int(risk_id)],
        ).fetchone()
        if current is None:
            raise ValueError(f"there is no risk {risk_id} for this council")
        keys = ("risk", "likelihood", "impact", "owner", "mitigation", "review_date", "status")
        merged = dict(zip(keys, current[2:], strict=True)) | given
        row = _risk_row(**merged)
        _insert_risk(cur, int(risk_id), current[0] + 1, council_code, current[1], row, actor)
        store.audit(
            "risk updated",
            actor=actor,
            council_code=council_code,
            subject=f"risk {risk_id}",
            detail={"version": current[0] + 1, "changes": given},
            cur=cur,
        )
    return current[0] + 1


def risks(
    store: Store,
    council_code: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    include_closed: bool = True,
) -> pl.DataFrame:
    """The risks log as it stood at ``as_at`` (default now): open risks first, highest rating first.

    A provider sees the risks it owns only.
    """
    _, scope = _acting(principal, "read_meetings")
    frame = _own(
        store.run_sql("marts/mart_risks", council_code=council_code, as_at=as_at or periods.now()), scope
    )
    return frame if include_closed else frame.filter(pl.col("status") == "open")


# ---- packs built ----------------------------------------------------------------------------------------------


def circulate_pack(
    store: Store,
    council_code: str,
    *,
    document: str,
    period: str,
    as_at: datetime,
    data_version: str,
    file_format: str,
    content: bytes,
    sent_to: str,
    principal: Principal,
    provider_code: str | None = None,
) -> int:
    """Record that a commissioner circulated a document to ``sent_to``; returns its pack id.

    Building a pack records nothing (a draft may be built any number of times); circulating it is the explicit act
    that makes it "the previous pack" of the next one and offers it as the pack used at a meeting. The record holds
    who and when, to whom, the period, as-at time, data version and the SHA-256 of the file sent. A file is
    circulated once: circulating the same file again is refused with the record that already holds it.

    Raises:
        AccessDenied: anyone but a commissioner (a provider builds drafts of its own pack, never circulates).
        ValueError: no recipients, an unknown document or format, the same file already circulated.
    """
    actor, _ = _acting(principal, "circulate_pack")
    kind = _choice(document, DOCUMENTS, "document")
    fmt = _choice(file_format, FORMATS, "format")
    recipients = _text(sent_to, "people it is sent to")
    if not content:
        raise ValueError("there is no file to circulate: build the PDF or DOCX first")
    digest = hashlib.sha256(content).hexdigest()
    parsed = periods.parse_period(period)
    with store.transaction() as cur:
        earlier = cur.execute(
            "select pack_id, built_at, sent_to from packs where council_code = ? and sha256 = ? and not is_draft",
            [council_code, digest],
        ).fetchone()
        if earlier is not None:
            raise ValueError(
                f"this file was already circulated as {kind} {earlier[0]} on {earlier[1]:%d %B %Y %H:%M} "
                f"to {earlier[2] or 'recipients not recorded'}: it is recorded once"
            )
        pack_id = cur.execute("select nextval('pack_id_seq')").fetchone()[0]
        cur.execute(
            "insert into packs (pack_id, council_code, provider_code, document, period, period_index, as_at, "
            "data_version, format, sha256, size_bytes, is_draft, built_at, built_by, sent_to) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?, ?)",
            [
                pack_id,
                council_code,
                _upper(provider_code),
                kind,
                parsed.code,
                parsed.index,
                as_at,
                data_version,
                fmt,
                digest,
                len(content),
                periods.now(),
                actor,
                recipients,
            ],
        )
        store.audit(
            f"{kind} circulated",
            actor=actor,
            council_code=council_code,
            subject=f"{kind} {pack_id}",
            detail={
                "period": parsed.code,
                "as_at": as_at,
                "data_version": data_version,
                "format": fmt,
                "sha256": digest,
                "sent_to": recipients,
            },
            cur=cur,
        )
    return int(pack_id)


def packs(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """Every document circulated by ``as_at`` (default now), newest first (a provider: its own).

    Rows with ``is_draft`` true are drafts recorded before drafts stopped being recorded (migration 008); they
    were never circulated.
    """
    _, scope = _acting(principal, "read_meetings")
    return _own(
        store.run_sql("marts/mart_packs", council_code=council_code, as_at=as_at or periods.now()), scope
    )


def previous_pack(
    store: Store,
    council_code: str,
    as_at: datetime,
    *,
    principal: Principal,
    document: str = "pack",
    provider_code: str | None = None,
) -> dict | None:
    """The last circulated document of a kind before ``as_at``, or None.

    The one with the latest as-at time before ``as_at`` among the documents circulated by ``as_at`` (drafts and
    previews are not recorded at all), so the answer for a given as-at time never changes.
    """
    frame = packs(store, council_code, as_at, principal=principal).filter(
        pl.col("document") == document, pl.col("as_at") < as_at, ~pl.col("is_draft")
    )
    if provider_code:
        frame = frame.filter(
            pl.col("provider_code").is_null() | (pl.col("provider_code") == provider_code.upper())
        )
    if frame.is_empty():
        return None
    return frame.sort("as_at", "pack_id", descending=True).row(0, named=True)
