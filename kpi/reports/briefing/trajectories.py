"""The briefing's recovery trajectories: on or off trajectory for the public, every figure disclosed.

The judgement is the pack's and the Overview's (:func:`kpi.contract.trajectory_status.trajectory_board`,
docs/methods.md section 5.9), made from the unrounded counts as the briefing's RAG is; what is printed of the
quarter's value is the disclosed rate (:mod:`kpi.reports.disclosure`, docs/methods.md section 6). A place whose
counts are too small to publish is not named: its status would tell what the figure hides.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.contract import trajectory_status as status
from kpi.core.store import Store
from kpi.reports.disclosure import disclose_counts, disclose_rate


def briefing_trajectories(
    store: Store,
    council: str,
    values: pl.DataFrame,
    period: str,
    names: dict[str, str],
    at: datetime,
    *,
    principal: Principal,
) -> list[dict]:
    """One dict per trajectory in force: kpi_name, where, shown (disclosed value text), planned, status words.

    A trajectory whose place's counts are suppressed or too few is listed with ``where`` None (not named).
    """
    judged = status.trajectory_board(store, council, values, period, names, at, principal=principal)
    out = []
    for row in judged.iter_rows(named=True):
        series = status.place_series(values, row["kpi_code"], row["locality_code"], row["decile_group"])
        now = series.filter(pl.col("period") == period)
        num = now["numerator"][0] if now.height else None
        den = now["denominator"][0] if now.height else None
        shown = disclose_counts({"n": num, "d": den})
        rate = disclose_rate(shown["n"], shown["d"])
        hidden = rate.pct is None or rate.withheld is not None or rate.numerator.suppressed
        out.append(
            {
                "kpi_code": row["kpi_code"],
                "kpi_name": row["kpi_name"],
                "where": None if hidden else row["where"],
                "shown": rate.text(),
                "planned": row["planned_pct"],
                "status": row["status"],
                "status_label": row["status_label"],
                "final_period": row["final_period"],
                "final_planned": row["final_planned"],
                "ends_short": row["ends_short"],
            }
        )
    return out


def trajectory_blocks(rows: list[dict], period: str) -> list:
    """The briefing's section: one bullet per trajectory (named only when its figures may be published)."""
    from kpi.reports.document import Bullets, Heading, Paragraph

    blocks: list = [Heading("Recovery plans agreed with the provider", 2, anchor="trajectories")]
    if not rows:
        blocks.append(Paragraph("No recovery trajectory is in force."))
        return blocks
    items = []
    for row in rows:
        if row["where"] is None:
            items.append(
                f"{row['kpi_name']}: a recovery trajectory for an area whose figures are too small to publish, "
                "so not named here."
            )
            continue
        planned = "" if row["planned"] is None else f" against a planned {row['planned']:g}%"
        judged = row["status_label"] if row["status"] else f"no planned value for {period}"
        end = f"The plan reaches {row['final_planned']:g}% by {row['final_period']}"
        end += ", still short of the contract target." if row["ends_short"] else "."
        items.append(
            f"{row['kpi_name']}, {row['where']}: {row['shown']}{planned} in {period}: {judged}. {end}"
        )
    blocks.append(Bullets(items))
    return blocks
