"""Health visiting records purge: child and contact rows of old loads deleted, every derived figure kept.

The derived KPIs (``hv_kpi_counts``) are written with the children (:mod:`kpi.hvrecords.load`), so
:func:`purge_hv_records` can delete child-level rows (docs/methods.md section 10): it is audited and marks the loads
it emptied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import Store


@dataclass
class HvPurgeResult:
    """What a purge removed."""

    before: str
    loads: list[int] = field(default_factory=list)
    children_deleted: int = 0
    contacts_deleted: int = 0

    @property
    def message(self) -> str:
        """One line for people."""
        if not self.loads:
            return (
                f"no health visiting records loaded before {self.before} hold child rows: nothing was purged"
            )
        return (
            f"purged {self.children_deleted} child rows and {self.contacts_deleted} contact rows of loads "
            f"{', '.join(map(str, self.loads))} (loaded before {self.before}); the derived KPIs are kept"
        )


def purge_hv_records(store: Store, council_code: str, before: str, *, principal: Principal) -> HvPurgeResult:
    """Delete the child and contact rows of the loads made before the day ``before`` (YYYY-MM-DD), audited.

    Raises:
        ValueError: ``before`` is not a date, or is after today.
    """
    require(principal, "load_data")
    try:
        day = date.fromisoformat(str(before).strip())
    except ValueError as exc:
        raise ValueError(f"'{before}' is not a date: write it like 2025-04-01") from exc
    if day > periods.today():
        raise ValueError("the date is after today: purge loads made before a past day")
    result = HvPurgeResult(before=day.isoformat())
    with store.transaction() as cur:
        loads = [
            row[0]
            for row in cur.execute(
                "select load_id from hv_loads where council_code = ? and loaded_at < ? and purged_at is null "
                "order by load_id",
                [council_code, day],
            ).fetchall()
        ]
        result.loads = loads
        for table in ("hv_children", "hv_contacts"):
            deleted = cur.execute(
                f"delete from {table} where council_code = ? and load_id in (select unnest(?::integer[]))",
                [council_code, loads],
            ).fetchone()[0]
            if table == "hv_children":
                result.children_deleted = int(deleted)
            else:
                result.contacts_deleted = int(deleted)
        if loads:
            cur.execute(
                "update hv_loads set purged_at = ? where load_id in (select unnest(?::integer[]))",
                [periods.now(), loads],
            )
        store.audit(
            "health visiting records purged",
            actor=principal.email,
            council_code=council_code,
            subject=f"before {result.before}",
            cur=cur,
            detail={
                "before": result.before,
                "loads": loads,
                "children_deleted": result.children_deleted,
                "contacts_deleted": result.contacts_deleted,
            },
        )
    return result
