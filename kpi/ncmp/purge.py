"""NCMP purge: child-level rows deleted after the retention period, every figure kept.

Personal data (docs/methods.md section 3): the counts the marts read (``ncmp_counts``) are written with the children
(:mod:`kpi.ncmp.load`), so :func:`purge_ncmp` can delete child-level rows after the retention period (setting
``ncmp_retention_years``) and every figure of the dashboard stays as it was. The purge is audited, marks the loads it
emptied, and reduces their stored reports to counts per check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import Store, setting
from kpi.ncmp import rules as ncmp
from kpi.ncmp.checks import LSOA_PATTERN


@dataclass
class PurgeResult:
    """What a purge removed."""

    before: str
    academic_years: list[str] = field(default_factory=list)
    children_deleted: int = 0
    loads: list[int] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line for people."""
        if not self.children_deleted:
            return f"no child-level NCMP rows from before {self.before}: nothing was purged"
        return (
            f"purged {self.children_deleted} child-level rows of {', '.join(self.academic_years)} "
            f"(loads {', '.join(map(str, self.loads))}); their counts and every figure are kept"
        )


def _scrub_reports(cur, loads: list[int]) -> None:
    """Reduce the stored reports of purged loads to counts per check.

    Their row-level problems (row numbers, and the values and messages of single children) are child-level data,
    and go with the child rows.
    """
    for load_id, text in cur.execute(
        "select load_id, report_json from ncmp_loads where load_id in (select unnest(?::integer[]))", [loads]
    ).fetchall():
        report = json.loads(text)
        counts: dict[tuple, int] = {}
        for found in report.get("problems", []):
            key = (found.get("severity"), found.get("check"), found.get("column"))
            counts[key] = counts.get(key, 0) + 1
        report["problems"] = [
            {"severity": severity, "check": check, "column": column, "rows": rows}
            for (severity, check, column), rows in counts.items()
        ]
        report["notes"] = [*report.get("notes", []), "row-level problems removed with the purged child rows"]
        cur.execute("update ncmp_loads set report_json = ? where load_id = ?", [json.dumps(report), load_id])


def earliest_kept_year(store: Store, council_code: str) -> str:
    """The oldest academic year the retention setting (``ncmp_retention_years``) still protects."""
    years = int(setting(store, council_code, "ncmp_retention_years"))
    current = int(ncmp.current_academic_year(periods.today())[:4])
    start = current - years + 1
    return f"{start}/{(start + 1) % 100:02d}"


def purge_ncmp(
    store: Store,
    council_code: str,
    before: str,
    *,
    principal: Principal,
    force: bool = False,
    reason: str | None = None,
) -> PurgeResult:
    """Delete child-level NCMP rows of academic years before ``before`` (audited); counts and loads are kept.

    Years still inside the retention period (setting ``ncmp_retention_years``, counted back from the current
    academic year) are refused unless ``force`` (with a ``reason``).

    Raises:
        ValueError: ``before`` is not an academic year, or it reaches into the retention period without ``force``.
    """
    require(principal, "load_data")
    actor = principal.email
    year = ncmp.normalise_academic_year(before)
    kept = earliest_kept_year(store, council_code)
    if year > kept and not force:
        raise ValueError(
            f"academic years from {kept} are inside the retention period ({setting(store, council_code, 'ncmp_retention_years')} "
            f"years): purge --before {kept} at most, or add --force with a --reason"
        )
    if force and not (reason or "").strip():
        raise ValueError('purging inside the retention period needs a reason: add --reason "..."')
    result = PurgeResult(before=year)
    with store.transaction() as cur:
        found = cur.execute(
            "select academic_year, load_id, count(*) from ncmp_children where council_code = ? and academic_year < ? "
            "group by all order by academic_year, load_id",
            [council_code, year],
        ).fetchall()
        result.academic_years = sorted({row[0] for row in found})
        result.loads = sorted({row[1] for row in found})
        result.children_deleted = sum(row[2] for row in found)
        cur.execute(
            "delete from ncmp_children where council_code = ? and academic_year < ?", [council_code, year]
        )
        if result.loads:
            cur.execute(
                "update ncmp_loads set purged_at = ? where load_id in (select unnest(?::integer[]))",
                [periods.now(), result.loads],
            )
            _scrub_reports(cur, result.loads)
        # Counts by LSOA keep only LSOA codes: a value of another shape (a postcode a file put in lsoa_code before
        # lsoa_code was checked) is a child's address, and goes with the child rows.
        cur.execute(
            "update ncmp_counts set dimension_value = null where council_code = ? and dimension = 'lsoa' "
            "and dimension_value is not null and not regexp_matches(dimension_value, ?)",
            [council_code, LSOA_PATTERN],
        )
        store.audit(
            "NCMP child rows purged",
            actor=actor,
            council_code=council_code,
            subject=f"before {year}",
            cur=cur,
            detail={
                "before": year,
                "academic_years": result.academic_years,
                "loads": result.loads,
                "children_deleted": result.children_deleted,
                "retention_from": kept,
                "forced": force,
                "reason": reason,
            },
        )
    return result
