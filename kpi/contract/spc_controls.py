"""A KPI's SPC baseline, rebasing at recorded changes, annotations, and returns that flag a changed record system.

Making Data Count: limits are recalculated only at a known, recorded change, never automatically
(docs/methods.md section 5.10; the computation is :mod:`kpi.spc.segments`). A commissioner records a **baseline**
(the first N points of each segment, or a period range) or a **rebase** (a new segment from a quarter: a new service
model, a record-system migration) with its reason; both are dated rows (``sql/schema/012_spc_controls.sql``) so a
pack rebuilt for an earlier as-at time draws the charts as they were then. **Annotations** are dated events drawn
on the charts and listed in the pack. A provider or commissioner may **flag a return** as coming from a changed
record system; until a rebase is recorded at that return's quarter the commissioner is prompted to consider one
(never done automatically). Every write is audited and changes nothing when the input is bad.

Example:
    >>> from kpi.access.principal import local_principal
    >>> from kpi.core.councils import init_council
    >>> store = Store.open(":memory:")
    >>> who = local_principal("doctest")
    >>> init_council(store, "E08000009", principal=who)
    >>> rebase(store, "E08000009", "C2", "2026-27 Q1", reason="New record system", principal=who)
    1
    >>> spc_controls(store, "E08000009", principal=who)[("C2", "ALL")].rebases
    ((8104, 'New record system'),)
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require
from kpi.core import periods as periods
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.councils import localities
from kpi.core.store import Store
from kpi.spc.segments import SpcControls

BOROUGH = "ALL"


class SpcControlError(ValueError):
    """A baseline, rebase, annotation or flag that cannot be recorded; lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def _quarter(text: object, what: str, problems: list[str]) -> periods.Period | None:
    try:
        period = periods.parse_period(text)
    except periods.PeriodError as exc:
        problems.append(f"the {what}: {exc}")
        return None
    if period.kind != "Q":
        problems.append(f"the {what} is a quarter: write '{period.quarter.code}'")
        return None
    return period


def _kpi_and_place(
    store: Store,
    council: str,
    kpi_code: str | None,
    place: str,
    problems: list[str],
    *,
    optional: bool = False,
) -> str | None:
    code = None
    if kpi_code or not optional:
        kpis = catalogue_in_force(store, council)
        code = next((c for c in kpis if c.upper() == (kpi_code or "").strip().upper()), None)
        if code is None:
            problems.append(f"'{kpi_code or ''}' is not a KPI in the catalogue: use one of {', '.join(kpis)}")
    if place != BOROUGH:
        known = localities(store, council)["locality_code"].to_list()
        if place not in known:
            problems.append(f"'{place}' is not a locality: use one of {', '.join(known) or 'none loaded'}")
    return code


def _record(store: Store, council: str, principal: Principal, action: str, subject: str, row: dict) -> int:
    at = periods.now()
    with store.transaction() as cur:
        change_id = int(cur.execute("select nextval('spc_change_id_seq')").fetchone()[0])
        row = {
            "change_id": change_id,
            "council_code": council,
            **row,
            "recorded_at": at,
            "recorded_by": principal.email,
        }
        cur.execute(
            f"insert into spc_changes ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        detail = {k: v for k, v in row.items() if k not in ("council_code", "recorded_at", "recorded_by")}
        store.audit(
            action, actor=principal.email, council_code=council, subject=subject, cur=cur, detail=detail
        )
    return change_id


def set_baseline(
    store: Store,
    council_code: str,
    kpi_code: str,
    *,
    reason: str,
    principal: Principal,
    points: int | None = None,
    first_period: str | None = None,
    last_period: str | None = None,
    locality_code: str | None = None,
) -> int:
    """Record a KPI's baseline: the first ``points`` of each segment, or ``first_period`` to ``last_period``.

    Neither clears the baseline (all points again). Commissioners only; audited; returns the change id.
    """
    require(principal, "control_spc")
    problems: list[str] = []
    place = (locality_code or "").strip().upper() or BOROUGH
    code = _kpi_and_place(store, council_code, kpi_code, place, problems)
    first = last = None
    if points is not None and (first_period or last_period):
        problems.append("give either a number of points or a period range for the baseline, not both")
    if points is not None and (isinstance(points, bool) or int(points) != points or points < 2):
        problems.append(f"a baseline is at least 2 points (a moving range needs two), not {points!r}")
    if first_period or last_period:
        first = _quarter(first_period, "baseline's first quarter", problems)
        last = _quarter(last_period, "baseline's last quarter", problems)
        if first and last and last.index <= first.index:
            problems.append(f"the baseline's last quarter must come after its first ({first.code})")
    if not (reason or "").strip():
        problems.append("give the reason for the baseline: it cannot be blank")
    if problems:
        raise SpcControlError(problems)
    return _record(
        store,
        council_code,
        principal,
        "spc baseline set",
        code,
        {
            "kpi_code": code,
            "locality_code": place,
            "kind": "baseline",
            "baseline_points": None if points is None else int(points),
            "first_period_index": first.index if first else None,
            "last_period_index": last.index if last else None,
            "period": first.code if first else None,
            "reason": reason.strip(),
        },
    )


def rebase(
    store: Store,
    council_code: str,
    kpi_code: str,
    from_period: str,
    *,
    reason: str,
    principal: Principal,
    locality_code: str | None = None,
) -> int:
    """Start a new segment of a KPI's XmR chart at ``from_period`` (a recorded change); returns the change id."""
    require(principal, "control_spc")
    problems: list[str] = []
    place = (locality_code or "").strip().upper() or BOROUGH
    code = _kpi_and_place(store, council_code, kpi_code, place, problems)
    start = _quarter(from_period, "quarter the new segment starts", problems)
    if not (reason or "").strip():
        problems.append("give the recorded change the rebase follows (the reason): it cannot be blank")
    if problems:
        raise SpcControlError(problems)
    return _record(
        store,
        council_code,
        principal,
        "spc rebased",
        code,
        {
            "kpi_code": code,
            "locality_code": place,
            "kind": "rebase",
            "first_period_index": start.index,
            "period": start.code,
            "reason": reason.strip(),
        },
    )


def withdraw_rebase(
    store: Store, council_code: str, change_id: int, *, reason: str, principal: Principal
) -> int:
    """Withdraw a recorded rebase (the chart is one segment there again); audited; returns the change id."""
    require(principal, "control_spc")
    found = store.query(
        "select kpi_code, locality_code from spc_changes where change_id = ? and council_code = ? and kind = 'rebase'",
        [int(change_id), council_code],
    )
    problems = (
        [] if found.height else [f"there is no rebase {change_id} for this council: choose one from the list"]
    )
    if not (reason or "").strip():
        problems.append("give the reason the rebase is withdrawn: it cannot be blank")
    if problems:
        raise SpcControlError(problems)
    kpi, place = found.row(0)
    row = {
        "kpi_code": kpi,
        "locality_code": place,
        "kind": "withdraw",
        "withdraws": int(change_id),
        "reason": reason,
    }
    return _record(store, council_code, principal, "spc rebase withdrawn", kpi, row)


def spc_changes(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """The baselines and rebases in force as at ``as_at`` (default now), with their reasons."""
    require(principal, "read_data")
    return store.run_sql("staging/stg_spc_changes", council_code=council_code, as_at=as_at or periods.now())


def controls_from(changes: pl.DataFrame) -> dict[tuple[str, str], SpcControls]:
    """:class:`~kpi.spc.segments.SpcControls` per (KPI, place) from :func:`spc_changes` rows."""
    out: dict[tuple[str, str], SpcControls] = {}
    for (kpi, place), rows in changes.group_by(["kpi_code", "locality_code"], maintain_order=True):
        base = rows.filter(pl.col("kind") == "baseline")
        rebases = rows.filter(pl.col("kind") == "rebase").sort("first_period_index")
        b = base.row(0, named=True) if base.height else {}
        out[(kpi, place)] = SpcControls(
            baseline_points=b.get("baseline_points"),
            baseline_first=b.get("first_period_index"),
            baseline_last=b.get("last_period_index"),
            rebases=tuple(rebases.select("first_period_index", "reason").iter_rows()),
        )
    return out


def spc_controls(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> dict[tuple[str, str], SpcControls]:
    """The controls in force per (KPI, place) as at ``as_at``: what every XmR chart of the council is drawn with."""
    return controls_from(spc_changes(store, council_code, as_at, principal=principal))


def add_annotation(
    store: Store,
    council_code: str,
    period: str,
    label: str,
    *,
    principal: Principal,
    kpi_code: str | None = None,
) -> int:
    """Record a dated event drawn on the charts (of one KPI, or of every KPI); audited; returns its id."""
    require(principal, "control_spc")
    problems: list[str] = []
    code = _kpi_and_place(store, council_code, kpi_code, BOROUGH, problems, optional=True)
    quarter = _quarter(period, "quarter of the event", problems)
    text = (label or "").strip()
    if not text:
        problems.append("say what happened (the label): it cannot be blank")
    elif len(text) > 60:
        problems.append(
            f"keep the label to 60 characters or fewer (it is drawn on the chart): it has {len(text)}"
        )
    if problems:
        raise SpcControlError(problems)
    at = periods.now()
    with store.transaction() as cur:
        new_id = int(cur.execute("select nextval('annotation_id_seq')").fetchone()[0])
        cur.execute(
            "insert into annotations (annotation_id, council_code, kpi_code, period, period_index, label, "
            "recorded_at, recorded_by) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, council_code, code, quarter.code, quarter.index, text, at, principal.email],
        )
        store.audit(
            "annotation added",
            actor=principal.email,
            council_code=council_code,
            subject=code or "every KPI",
            cur=cur,
            detail={"annotation_id": new_id, "period": quarter.code, "label": text},
        )
    return new_id


def annotations(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """Every annotation recorded by ``as_at`` (default now), in period order.

    Columns: annotation_id, kpi_code (null: every KPI), period, period_index, label, recorded_at, recorded_by.
    """
    require(principal, "read_data")
    return store.query(
        "select annotation_id, kpi_code, period, period_index, label, recorded_at, recorded_by from annotations "
        "where council_code = ? and recorded_at <= ? order by period_index, annotation_id",
        [council_code, as_at or periods.now()],
    )


def for_kpi(notes: pl.DataFrame, kpi_code: str) -> pl.DataFrame:
    """The annotations drawn on one KPI's charts: its own and those for every KPI."""
    return notes.filter(pl.col("kpi_code").is_null() | (pl.col("kpi_code") == kpi_code))


def flag_record_system_change(
    store: Store, council_code: str, submission_id: int, note: str, *, principal: Principal
) -> None:
    """Flag a return as coming from a changed record system (the note says what changed); audited.

    A provider flags its own returns only. The flag prompts the commissioner to consider rebasing.
    """
    require(principal, "upload")
    found = store.query(
        "select provider_code, period from submissions where submission_id = ? and council_code = ?",
        [int(submission_id), council_code],
    )
    scope = provider_scope(principal)
    problems = []
    if not found.height or (scope is not None and found["provider_code"][0] != scope):
        problems.append(
            f"there is no return {submission_id} of yours for this council: choose one from the list"
        )
    if not (note or "").strip():
        problems.append("say what changed in the record system (the note): it cannot be blank")
    if problems:
        raise SpcControlError(problems)
    with store.transaction() as cur:
        cur.execute(
            "update submissions set record_system_change = ? where submission_id = ?",
            [note.strip(), submission_id],
        )
        store.audit(
            "record-system change flagged",
            actor=principal.email,
            council_code=council_code,
            subject=str(submission_id),
            cur=cur,
            detail={"period": found["period"][0], "note": note.strip()},
        )


def rebase_prompts(store: Store, council_code: str, *, principal: Principal) -> pl.DataFrame:
    """Returns flagged as from a changed record system whose quarter has no rebase yet.

    Columns: submission_id, provider_code, period, period_index, note. The commissioner decides whether to
    rebase; nothing is rebased automatically.
    """
    require(principal, "read_submissions")
    scope = provider_scope(principal)
    return store.query(
        "select s.submission_id, s.provider_code, s.period, s.period_index, s.record_system_change as note "
        "from submissions s where s.council_code = ? and s.record_system_change is not null "
        "and s.superseded_at is null and (? is null or s.provider_code = ?) "
        "and not exists (select 1 from spc_changes c where c.council_code = s.council_code and c.kind = 'rebase' "
        "and c.first_period_index = s.period_index) order by s.period_index",
        [council_code, scope, scope],
    )
