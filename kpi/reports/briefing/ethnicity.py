"""The briefing's breakdown by ethnic group: the headline KPIs derived from child-level records, disclosed.

For each headline KPI with child-level health visiting records in the period (docs/methods.md section 10), the
counts derived from the records by the five ONS ethnic groups and "Not stated" (:func:`kpi.hvrecords.views.
ethnic_breakdown`), put through the disclosure rules of docs/methods.md section 6 like every other count the
briefing prints (:func:`kpi.reports.extras.public_ethnic_rows`: counts of 1-7 hidden, the rest rounded to 5, a second
cell hidden against the total, percentages from the rounded counts at the precision they allow). KPIs without records
have no column; without any, the briefing has no ethnic-group section.
"""

from __future__ import annotations

from datetime import datetime

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core.store import Store


def ethnic_tables(
    store: Store,
    council: str,
    period: str,
    kpis: list[tuple[str, str]],
    at: datetime,
    *,
    principal: Principal,
    provider_code: str | None = None,
) -> list[dict]:
    """Per headline KPI ``(code, name)`` with records: ``{"kpi_code", "kpi_name", "rows", "counts"}``.

    ``rows`` are :func:`kpi.reports.extras.public_ethnic_rows` (group, children, of, per cent; the last row all
    children), as printed; ``counts`` the unrounded counts, never printed (for the data version). The caller must be allowed to read the data (:func:`kpi.hvrecords.views.ethnic_breakdown` checks).
    """
    from kpi.reports.extras import public_ethnic_rows, table_exists

    require(principal, "read_data", provider_code)
    if not table_exists(store, "hv_kpi_counts"):
        return []
    from kpi.hvrecords.views import ethnic_breakdown

    out = []
    for code, name in kpis:
        frame = ethnic_breakdown(
            store, council, code, period, principal=principal, provider_code=provider_code, as_at=at
        )
        if frame["denominator"].sum() > 0:
            counts = frame.select("ethnic_group", "numerator", "denominator").rows()  # the data version's
            out.append(
                {"kpi_code": code, "kpi_name": name, "rows": public_ethnic_rows(frame), "counts": counts}
            )
    return out
