"""The database's KPI catalogue: dated versions kept in step with the catalogue file, and read as at a period.

The catalogue file (``config/catalogue.toml``, or ``HCP_CATALOGUE``) is what a council reviews; the database keeps
its own copy as dated versions (``kpi_versions``, migration 007), and uploads and marts read that copy, the version
in force for each period (``sql/staging/stg_kpis.sql``), so both always agree.

A change to the file reaches a database as a dated, audited change effective from a period:

* by ``hcp catalogue sync [--from PERIOD]`` (default the current open quarter), which prints what changed;
* or on its own when the database is opened for writing (:meth:`kpi.core.store.Store.open`: the CLI's write commands
  and the app), effective from the current open quarter. That is cheap when nothing changed: the file's SHA-256 is
  kept in ``database_info`` and nothing else is read while it matches.

A new KPI gets its first version (and its default target from the file) from the effective period; a changed
attribute (name, polarity, minimum denominator...) gets a new version from that period, and earlier periods keep
the old one; a KPI gone from the file is retired from that period (its data stays). Targets are not synced: the
file's ``target_pct`` is only the default a new KPI starts with (change targets with ``hcp targets set``).

Example:
    >>> from kpi.core.store import Store
    >>> store = Store.open(":memory:")
    >>> catalogue_in_force(store, "E08000009", "2026-27 Q2")
    {}
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.catalogue import Kpi, catalogue_path, load_catalogue

if TYPE_CHECKING:
    from kpi.core.store import Store

#: Seeded catalogue versions and targets count as set before any as-at time a user can ask for.
CATALOGUE_SET_AT = datetime(1900, 1, 1)
FIRST_PERIOD = "2000-01 Q1"
HASH_KEY = "catalogue_sha256"

#: Catalogue attributes kept per version: (Kpi attribute, kpi_versions column).
ATTRIBUTES = (
    ("name", "kpi_name"),
    ("service", "service"),
    ("value_kind", "value_kind"),
    ("polarity", "polarity"),
    ("breakdown", "breakdown"),
    ("min_denominator", "min_denominator"),
    ("mandated", "is_mandated"),
    ("headline", "is_headline"),
    ("numerator", "numerator_definition"),
    ("denominator", "denominator_definition"),
    ("fingertips_id", "fingertips_id"),
    ("sort_order", "sort_order"),
    ("source", "source"),
)


@dataclass
class KpiChange:
    """One KPI's change: added, changed (attribute -> (old, new)) or retired."""

    kpi_code: str
    kind: str  # added | changed | retired
    changes: dict[str, tuple[object, object]] = field(default_factory=dict)

    def to_text(self) -> str:
        """One line, e.g. ``C2: min_denominator 10 -> 20``."""
        if self.kind == "added":
            return f"{self.kpi_code}: added"
        if self.kind == "retired":
            return f"{self.kpi_code}: no longer in the catalogue file: retired (its data is kept)"
        parts = [f"{name} {_shown(old)} → {_shown(new)}" for name, (old, new) in self.changes.items()]
        return f"{self.kpi_code}: " + "; ".join(parts)


@dataclass
class SyncResult:
    """What a sync of one council's catalogue did."""

    council_code: str
    effective_from: str
    source: str
    changes: list[KpiChange] = field(default_factory=list)

    def to_text(self) -> str:
        """The report printed by ``hcp catalogue sync``."""
        if not self.changes:
            return f"{self.council_code}: no changes to the catalogue (from {self.source})"
        lines = [
            f"{self.council_code}: {len(self.changes)} catalogue change(s) from {self.effective_from} "
            f"(from {self.source}):"
        ]
        return "\n".join(lines + ["  " + change.to_text() for change in self.changes])


def _shown(value: object) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _same(old: object, new: object) -> bool:
    if old in (None, "") and new in (None, ""):
        return True
    if isinstance(old, int | float) and isinstance(new, int | float) and not isinstance(old, bool):
        return float(old) == float(new)
    return old == new


def catalogue_in_force(
    store: Store,
    council_code: str,
    period: str | periods.Period | None = None,
    as_at: datetime | None = None,
    *,
    source: str | None = None,
) -> dict[str, Kpi]:
    """The database's catalogue for a period (default the current open quarter) as known at ``as_at``.

    KPIs by code in catalogue order; with ``source`` ("return" or "hv-records"), only the KPIs whose values come
    from there. ``target_pct`` and ``amber_margin_pct`` are None: targets are dated rows of
    their own (:mod:`kpi.contract.targets`).
    """
    when = (period if isinstance(period, periods.Period) else _period(period)).quarter
    frame = store.run_sql("staging/stg_kpis", council_code=council_code, as_at=as_at or periods.now()).filter(
        (pl.col("effective_from_index") <= when.index)
        & (pl.col("until_index").is_null() | (pl.col("until_index") > when.index))
    )
    if source is not None:
        frame = frame.filter(pl.col("source") == source)
    kpis: dict[str, Kpi] = {}
    for row in frame.sort("current_sort_order").iter_rows(named=True):
        kpis[row["kpi_code"]] = Kpi(
            code=row["kpi_code"],
            name=row["current_name"],
            service=row["service"],
            value_kind=row["value_kind"],
            polarity=row["polarity"],
            breakdown=row["breakdown"],
            sort_order=row["current_sort_order"],
            mandated=bool(row["is_mandated"]),
            headline=bool(row["is_headline"]),
            min_denominator=row["min_denominator"],
            numerator=row["numerator_definition"] or "",
            denominator=row["denominator_definition"] or "",
            fingertips_id=row["fingertips_id"],
            source=row["source"],
        )
    return kpis


def _period(text: str | None) -> periods.Period:
    """A quarter from text, or the current open quarter (the one today falls in)."""
    return periods.parse_period(text).quarter if text else periods.quarter_of(periods.today())


def _in_force(cur: duckdb.DuckDBPyConnection, council_code: str, index: int) -> dict[str, dict]:
    """The version of each KPI in force for a period index as known now (retired ones too), by KPI code."""
    result = cur.execute(
        """
        select * from kpi_versions
        where council_code = ? and effective_from_index <= ?
        qualify row_number() over (
            partition by kpi_code order by effective_from_index desc, set_at desc, kpi_version_id desc
        ) = 1
        """,
        [council_code, index],
    )
    names = [column[0] for column in result.description]
    entries = [dict(zip(names, values, strict=True)) for values in result.fetchall()]
    return {entry["kpi_code"]: entry for entry in entries}


def _insert_version(
    cur: duckdb.DuckDBPyConnection,
    council_code: str,
    kpi: Kpi,
    start: periods.Period,
    *,
    retired: bool,
    set_at: datetime,
    set_by: str,
    reason: str,
) -> None:
    columns = [column for _, column in ATTRIBUTES]
    cur.execute(
        f"insert into kpi_versions (council_code, kpi_code, effective_from, effective_from_index, is_retired, "
        f"{', '.join(columns)}, set_at, set_by, reason) values ({', '.join(['?'] * (len(columns) + 8))})",
        [
            council_code,
            kpi.code,
            start.code,
            start.index,
            retired,
            *(getattr(kpi, attribute) for attribute, _ in ATTRIBUTES),
            set_at,
            set_by,
            reason,
        ],
    )


def _kpi_of_row(row: dict) -> Kpi:
    values = {attribute: row[column] for attribute, column in ATTRIBUTES}
    return Kpi(code=row["kpi_code"], **values)


def plan_changes(stored: dict[str, dict], wanted: dict[str, Kpi]) -> list[KpiChange]:
    """What differs between the versions in force (stored rows) and the catalogue file, in the file's order."""
    changes = []
    for code, kpi in wanted.items():
        row = stored.get(code)
        if row is None or row["is_retired"]:
            changes.append(KpiChange(code, "added"))
            continue
        differing = {
            attribute: (row[column], getattr(kpi, attribute))
            for attribute, column in ATTRIBUTES
            if not _same(row[column], getattr(kpi, attribute))
        }
        if differing:
            changes.append(KpiChange(code, "changed", differing))
    for code, row in stored.items():
        if code not in wanted and not row["is_retired"]:
            changes.append(KpiChange(code, "retired"))
    return changes


def sync_council(
    cur: duckdb.DuckDBPyConnection,
    store: Store,
    council_code: str,
    *,
    effective_from: str | periods.Period | None = None,
    actor: str = "catalogue",
    path: Path | str | None = None,
    initial: bool = False,
) -> SyncResult:
    """Bring one council's catalogue in step with the catalogue file, inside ``cur``'s transaction; audited.

    ``initial`` (a new council): versions from the first period, set before any as-at time, as the old copy was.
    """
    source = Path(path) if path else catalogue_path()
    wanted = load_catalogue(source)
    if initial:
        start, set_at = periods.parse_period(FIRST_PERIOD), CATALOGUE_SET_AT
    else:
        start = effective_from if isinstance(effective_from, periods.Period) else _period(effective_from)
        start, set_at = start.quarter, periods.now()
    result = SyncResult(council_code, start.code, str(source))
    stored = _in_force(cur, council_code, start.index)
    result.changes = plan_changes(stored, wanted)
    if initial:
        actor = "catalogue"
    reason = f"catalogue change from {source.name}"
    known_targets = {
        row[0]
        for row in cur.execute(
            "select distinct kpi_code from targets where council_code = ?", [council_code]
        ).fetchall()
    }
    for change in result.changes:
        retired = change.kind == "retired"
        kpi = _kpi_of_row(stored[change.kpi_code]) if retired else wanted[change.kpi_code]
        _insert_version(
            cur, council_code, kpi, start, retired=retired, set_at=set_at, set_by=actor, reason=reason
        )
        if change.kind == "added" and change.kpi_code not in known_targets:
            cur.execute(
                "insert into targets (council_code, kpi_code, effective_from, effective_from_index, target_pct, "
                "amber_margin_pct, set_at, set_by, reason) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    council_code,
                    kpi.code,
                    start.code,
                    start.index,
                    kpi.target_pct,
                    kpi.amber_margin_pct,
                    set_at,
                    actor,
                    f"default from {source.name}",
                ],
            )
        if not initial:
            store.audit(
                f"catalogue KPI {change.kind}",
                actor=actor,
                council_code=council_code,
                subject=change.kpi_code,
                detail={
                    "effective_from": start.code,
                    "source": str(source),
                    "changes": {
                        name: {"old": old, "new": new} for name, (old, new) in change.changes.items()
                    },
                },
                cur=cur,
            )
    return result


def file_sha256(path: Path | str | None = None) -> str:
    """The SHA-256 of the catalogue file's bytes."""
    return hashlib.sha256((Path(path) if path else catalogue_path()).read_bytes()).hexdigest()


def sync_catalogue(
    store: Store,
    *,
    effective_from: str | periods.Period | None = None,
    principal: Principal,
    path: Path | str | None = None,
    council_code: str | None = None,
) -> list[SyncResult]:
    """Sync every council's catalogue (or one council's) with the file in one transaction; a result per council.

    As ``principal``, who may set up the council (the audit log names them).
    """
    require(principal, "set_up")
    return _sync_all(
        store, effective_from=effective_from, actor=principal.email, path=path, council_code=council_code
    )


def _sync_all(
    store: Store,
    *,
    effective_from: str | periods.Period | None = None,
    actor: str,
    path: Path | str | None = None,
    council_code: str | None = None,
) -> list[SyncResult]:
    from kpi.core.store import set_info

    digest = file_sha256(path)
    with store.transaction() as cur:
        codes = [row[0] for row in cur.execute("select council_code from councils order by 1").fetchall()]
        if council_code:
            codes = [code for code in codes if code == council_code.upper()]
        results = [
            sync_council(cur, store, code, effective_from=effective_from, actor=actor, path=path)
            for code in codes
        ]
        configured = (Path(path) if path else catalogue_path()).resolve() == catalogue_path().resolve()
        if codes and not council_code and configured:
            set_info(cur, HASH_KEY, digest)
    return results


def sync_if_changed(store: Store) -> list[SyncResult]:
    """On opening for writing: sync from the current open quarter when the file changed since the last sync.

    Part of opening the database (:meth:`kpi.core.store.Store.open`), like a migration: it applies the catalogue file
    installed with the application, recorded in the audit log as by "catalogue", for no one's request.

    Reads the file's bytes and one row of ``database_info``; does nothing else while the file is unchanged (or
    when the database has no council yet: creating one copies the catalogue).
    """
    digest = file_sha256()
    known = store.query("select info_value from database_info where info_key = ?", [HASH_KEY])
    if not known.is_empty() and known.item() == digest:
        return []
    if not store.query("select count(*) from councils").item():
        return []
    return [result for result in _sync_all(store, actor="catalogue") if result.changes]
