"""Recovery trajectories: planned values per future quarter for a KPI, agreed with the provider (docs/methods.md 5.9).

A trajectory belongs to a KPI and a place (the borough, or one locality) and optionally a group of national IMD
deciles (``"1-2"``: the two most deprived deciles). Each has the agreed reason and, when it was agreed at a recorded
meeting, that meeting. Trajectories are **append-only** (``sql/schema/011_trajectories.sql``): setting one for a
KPI, place and decile group that already has one records the next version with its own points, and the older
version stays in the history; the trajectory in force as at any time is the latest version recorded by then
(``sql/staging/stg_trajectory_points.sql``), so a pack rebuilt for an earlier as-at time shows the trajectory in
force then. A trajectory that no longer applies is withdrawn (:func:`withdraw_trajectory`): a new version marked
withdrawn, with its reason and no points, so from then on nothing judges or draws it while every version before it
stays in the history (and a pack rebuilt for an earlier time still shows it).

Only commissioners set or withdraw trajectories (they are contract terms, like targets); everyone who sees the KPI values sees
them. Every write is one transaction with an audit entry; bad input changes nothing and every problem is reported
at once.

Example:
    >>> from kpi.access.principal import local_principal
    >>> from kpi.core.councils import init_council
    >>> store = Store.open(":memory:")
    >>> init_council(store, "E08000009", principal=local_principal("doctest"))
    >>> set_trajectory(store, "E08000009", "c2", "2026-27 Q3=84, 2026-27 Q4=87", reason="Recovery plan",
    ...                principal=local_principal("doctest"))
    (1, 1)
    >>> trajectory_points(store, "E08000009", principal=local_principal("doctest"))["planned_pct"].to_list()
    [84.0, 87.0]
"""

from __future__ import annotations

import re
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.councils import localities
from kpi.core.store import Store

BOROUGH = "ALL"
_GROUP = re.compile(r"^\s*(\d{1,2})\s*(?:-\s*(\d{1,2}))?\s*$")


class TrajectoryError(ValueError):
    """A trajectory that cannot be recorded; the message lists every problem and what to do."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def decile_bounds(group: str | None) -> tuple[int, int] | None:
    """The deciles of a decile group, ``"1-2"`` -> (1, 2), ``"3"`` -> (3, 3); None for ``ALL`` or blank.

    >>> decile_bounds("1-2"), decile_bounds(" 10 "), decile_bounds("ALL")
    ((1, 2), (10, 10), None)
    """
    text = (group or "").strip().upper()
    if text in ("", BOROUGH):
        return None
    found = _GROUP.match(text)
    if not found:
        raise TrajectoryError(
            [f"the decile group '{group}' is not deciles: write e.g. 1-2 (or leave it blank)"]
        )
    low, high = int(found[1]), int(found[2] or found[1])
    if not 1 <= low <= high <= 10:
        raise TrajectoryError(
            [f"the decile group '{group}' must run from a decile to a later one, within 1 to 10"]
        )
    return low, high


def parse_points(text: str) -> tuple[list[tuple[periods.Period, float]], list[str]]:
    """Planned points written as ``"2026-27 Q3=84, 2026-27 Q4=87"`` (or one per line); (points, problems).

    >>> points, problems = parse_points("2026-27 Q3=84; 2026-27 Q4 = 87.5")
    >>> [(p.code, v) for p, v in points], problems
    ([('2026-27 Q3', 84.0), ('2026-27 Q4', 87.5)], [])
    >>> parse_points("2026-27 Q3=high")[1]
    ["point 1 ('2026-27 Q3=high'): 'high' is not a number: write the planned per cent, e.g. 2026-27 Q3=85"]
    """
    points, problems = [], []
    parts = [p.strip() for p in re.split(r"[,;\n]", text or "") if p.strip()]
    for number, part in enumerate(parts, 1):
        where = f"point {number} ('{part}')"
        if "=" not in part:
            problems.append(f"{where}: write QUARTER=PERCENT, e.g. 2026-27 Q3=85")
            continue
        left, right = (s.strip() for s in part.split("=", 1))
        try:
            period = periods.parse_period(left)
        except periods.PeriodError as exc:
            problems.append(f"{where}: {exc}")
            continue
        try:
            value = float(right)
        except ValueError:
            problems.append(f"{where}: '{right}' is not a number: write the planned per cent, e.g. {left}=85")
            continue
        if period.kind != "Q":
            problems.append(f"{where}: trajectories are planned by quarter: write '{period.quarter.code}'")
        elif not 0 <= value <= 100:
            problems.append(f"{where}: {value:g} is not a percentage between 0 and 100")
        else:
            points.append((period, value))
    if not parts:
        problems.append("give at least one planned point, e.g. 2026-27 Q3=85")
    return points, problems


def _check(
    store: Store,
    council_code: str,
    kpi_code: str,
    points: list[tuple[periods.Period, float]],
    *,
    locality_code: str,
    decile_group: str,
    reason: str,
    meeting_id: int | None,
) -> tuple[str, list[str]]:
    """The KPI's catalogue code and every problem with the rest (empty: all is well)."""
    problems: list[str] = []
    first = min((p for p, _ in points), key=lambda p: p.index, default=None)
    kpis = (
        catalogue_in_force(store, council_code, first) if first else catalogue_in_force(store, council_code)
    )
    code = next((c for c in kpis if c.upper() == kpi_code.strip().upper()), "")
    if not code:
        problems.append(f"'{kpi_code}' is not a KPI in the catalogue: use one of {', '.join(kpis)}")
    elif kpis[code].polarity == "none" or kpis[code].value_kind == "count":
        problems.append(
            f"{code} has no judgement against a target (a count or polarity none): it has no trajectory"
        )
    if locality_code != BOROUGH:
        known = localities(store, council_code)["locality_code"].to_list()
        if locality_code not in known:
            problems.append(
                f"'{locality_code}' is not a locality: use one of {', '.join(known) or 'none loaded'}"
            )
    try:
        decile_bounds(decile_group)
    except TrajectoryError as exc:
        problems += exc.problems
    seen: set[int] = set()
    for period, _ in points:
        if period.index in seen:
            problems.append(f"{period.code} is planned twice: give each quarter once")
        seen.add(period.index)
    if not reason.strip():
        problems.append("give the agreed reason for the trajectory: it cannot be blank")
    if meeting_id is not None:
        found = store.query(
            "select count(*) from meetings where meeting_id = ? and council_code = ?",
            [int(meeting_id), council_code],
        ).item()
        if not found:
            problems.append(f"there is no meeting {meeting_id} for this council: choose a recorded meeting")
    return code, problems


def set_trajectory(
    store: Store,
    council_code: str,
    kpi_code: str,
    points: str | list[tuple[periods.Period, float]],
    *,
    reason: str,
    principal: Principal,
    locality_code: str | None = None,
    decile_group: str | None = None,
    meeting_id: int | None = None,
) -> tuple[int, int]:
    """Record a trajectory (or the next version of one); returns (trajectory_id, version). Commissioners only.

    ``points``: planned per cent per quarter, as text (:func:`parse_points`) or (period, value) pairs. Audited.
    """
    require(principal, "set_target")
    place = (locality_code or "").strip().upper() or BOROUGH
    group = (decile_group or "").strip().upper() or BOROUGH
    problems: list[str] = []
    if isinstance(points, str):
        points, problems = parse_points(points)
    code, more = _check(
        store,
        council_code,
        kpi_code,
        points,
        locality_code=place,
        decile_group=group,
        reason=reason or "",
        meeting_id=meeting_id,
    )
    if problems + more:
        raise TrajectoryError(problems + more)
    if group != BOROUGH:
        low, high = decile_bounds(group)
        group = f"{low}-{high}"
    at = periods.now()
    with store.transaction() as cur:
        found = cur.execute(
            "select trajectory_id, max(version) from trajectories where council_code = ? and kpi_code = ? "
            "and locality_code = ? and decile_group = ? group by trajectory_id",
            [council_code, code, place, group],
        ).fetchone()
        if found:
            tid, version = int(found[0]), int(found[1]) + 1
        else:
            tid, version = int(cur.execute("select nextval('trajectory_id_seq')").fetchone()[0]), 1
        cur.execute(
            "insert into trajectories (trajectory_id, version, council_code, kpi_code, locality_code, decile_group, "
            "reason, meeting_id, recorded_at, recorded_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [tid, version, council_code, code, place, group, reason.strip(), meeting_id, at, principal.email],
        )
        cur.executemany(
            "insert into trajectory_points (trajectory_id, version, council_code, period, period_index, planned_pct) "
            "values (?, ?, ?, ?, ?, ?)",
            [
                [tid, version, council_code, p.code, p.index, float(v)]
                for p, v in sorted(points, key=lambda x: x[0].index)
            ],
        )
        store.audit(
            "trajectory set",
            actor=principal.email,
            council_code=council_code,
            subject=code,
            cur=cur,
            detail={
                "trajectory_id": tid,
                "version": version,
                "locality_code": place,
                "decile_group": group,
                "points": {p.code: v for p, v in points},
                "reason": reason.strip(),
                "meeting_id": meeting_id,
            },
        )
    return tid, version


def trajectory_points(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """The planned points of every trajectory in force as at ``as_at`` (default now), in KPI and period order."""
    require(principal, "read_data")
    return store.run_sql(
        "staging/stg_trajectory_points", council_code=council_code, as_at=as_at or periods.now()
    )


def trajectory_id_of(
    store: Store,
    council_code: str,
    kpi_code: str,
    *,
    principal: Principal,
    locality_code: str | None = None,
    decile_group: str | None = None,
) -> int | None:
    """The id of the trajectory of a KPI, place and decile group (as :func:`set_trajectory` names them), if any."""
    require(principal, "read_data")
    place = (locality_code or "").strip().upper() or BOROUGH
    bounds = decile_bounds(decile_group)
    group = BOROUGH if bounds is None else f"{bounds[0]}-{bounds[1]}"
    found = store.query(
        "select distinct trajectory_id from trajectories where council_code = ? and upper(kpi_code) = ? "
        "and locality_code = ? and decile_group = ?",
        [council_code, kpi_code.strip().upper(), place, group],
    )
    return int(found.item()) if found.height else None


def withdraw_trajectory(
    store: Store,
    council_code: str,
    trajectory_id: int,
    *,
    reason: str,
    principal: Principal,
    meeting_id: int | None = None,
) -> int:
    """Withdraw a trajectory in force: record a withdrawn version (no points) and return its number. Audited.

    Commissioners only; the reason is required. Every problem (no such trajectory, already withdrawn, no reason, no
    such meeting) is reported at once and nothing changes.
    """
    require(principal, "set_target")
    problems: list[str] = []
    found = store.query(
        "select version, kpi_code, locality_code, decile_group, withdrawn from trajectories "
        "where council_code = ? and trajectory_id = ? order by version desc limit 1",
        [council_code, int(trajectory_id)],
    )
    if not found.height:
        problems.append(f"there is no trajectory {trajectory_id} for this council: choose one in force")
    elif found["withdrawn"][0]:
        problems.append(f"trajectory {trajectory_id} is already withdrawn: set it again to bring it back")
    if not (reason or "").strip():
        problems.append("give the reason the trajectory is withdrawn: it cannot be blank")
    if (
        meeting_id is not None
        and not store.query(
            "select count(*) from meetings where meeting_id = ? and council_code = ?",
            [int(meeting_id), council_code],
        ).item()
    ):
        problems.append(f"there is no meeting {meeting_id} for this council: choose a recorded meeting")
    if problems:
        raise TrajectoryError(problems)
    last = found.row(0, named=True)
    version = int(last["version"]) + 1
    with store.transaction() as cur:
        cur.execute(
            "insert into trajectories (trajectory_id, version, council_code, kpi_code, locality_code, decile_group, "
            "reason, meeting_id, withdrawn, recorded_at, recorded_by) values (?, ?, ?, ?, ?, ?, ?, ?, true, ?, ?)",
            [
                int(trajectory_id),
                version,
                council_code,
                last["kpi_code"],
                last["locality_code"],
                last["decile_group"],
                reason.strip(),
                meeting_id,
                periods.now(),
                principal.email,
            ],
        )
        store.audit(
            "trajectory withdrawn",
            actor=principal.email,
            council_code=council_code,
            subject=last["kpi_code"],
            cur=cur,
            detail={
                "trajectory_id": int(trajectory_id),
                "version": version,
                "locality_code": last["locality_code"],
                "decile_group": last["decile_group"],
                "reason": reason.strip(),
                "meeting_id": meeting_id,
            },
        )
    return version


def trajectory_history(store: Store, council_code: str, *, principal: Principal) -> pl.DataFrame:
    """Every version of every trajectory, newest first, with its points in words ("2026-27 Q3 84%; ...").

    A withdrawn version has ``withdrawn`` true and no points.
    """
    require(principal, "read_data")
    return store.query(
        "select t.kpi_code, t.locality_code, t.decile_group, t.version, t.withdrawn, "
        "string_agg(p.period || ' ' || cast(p.planned_pct as varchar) || '%', '; ' order by p.period_index) "
        "as points, t.reason, t.meeting_id, t.recorded_at, t.recorded_by, t.trajectory_id "
        "from trajectories t left join trajectory_points p on p.trajectory_id = t.trajectory_id "
        "and p.version = t.version and p.council_code = t.council_code where t.council_code = ? "
        "group by all order by t.kpi_code, t.locality_code, t.decile_group, t.version desc",
        [council_code],
    )
