"""On or off trajectory: one computation for the pages, the meeting pack and the briefing (docs/methods.md 5.9).

:func:`place_series` is a KPI's quarterly series for a trajectory's place and decile group (a decile group's value is
its deciles' numerators over their denominators); :func:`trajectory_status` judges each trajectory in force for a
quarter with :mod:`kpi.spc.trajectory`: the quarter's value against its planned value (on or off trajectory),
assurance against the trajectory, and the flag when the trajectory ends short of the contract target.
:func:`trajectory_board` reads what it needs for a principal and calls it, so every view shows the same words.
Status is never colour alone: each has a word and a shape (● on trajectory, ■ off trajectory, ○ otherwise).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.contract import spc_controls as spc_controls
from kpi.contract import trajectories as trajectories
from kpi.contract.targets import targets_in_force
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.spc import assurance as assurance
from kpi.spc import trajectory as method

SHAPES = {method.ON: "●", method.OFF: "■"}
COLUMNS = {
    "trajectory_id": pl.Int64,
    "version": pl.Int64,
    "kpi_code": pl.String,
    "kpi_name": pl.String,
    "locality_code": pl.String,
    "decile_group": pl.String,
    "where": pl.String,
    "period": pl.String,
    "value": pl.Float64,
    "planned_pct": pl.Float64,
    "status": pl.String,
    "status_label": pl.String,
    "assurance": pl.String,
    "assurance_label": pl.String,
    "final_period": pl.String,
    "final_planned": pl.Float64,
    "target_final": pl.Float64,
    "ends_short": pl.Boolean,
    "reason": pl.String,
    "meeting_id": pl.Int64,
}


def place_series(
    values: pl.DataFrame, kpi_code: str, locality_code: str = "ALL", decile_group: str = "ALL"
) -> pl.DataFrame:
    """A KPI's series for a place and decile group, oldest first, ready for :func:`kpi.spc.assurance.xmr_frame`.

    Columns: period, period_index, numerator, denominator, value_pct, target_pct, polarity, spc_value.
    """
    bounds = trajectories.decile_bounds(decile_group)
    rows = values.filter(pl.col("kpi_code") == kpi_code, pl.col("locality_code") == locality_code)
    if bounds is None:
        rows = rows.filter(
            pl.col("level") == ("borough" if locality_code == "ALL" else "locality"),
            pl.col("imd_decile") == "ALL",
        )
    else:
        deciles = [str(d) for d in range(bounds[0], bounds[1] + 1)]
        rows = (
            rows.filter(
                pl.col("level") == ("borough_decile" if locality_code == "ALL" else "locality_decile"),
                pl.col("imd_decile").is_in(deciles),
            )
            .group_by("period", "period_index")
            .agg(
                pl.col("numerator").sum(),
                pl.col("denominator").sum(),
                pl.col("target_pct").first(),
                pl.col("polarity").first(),
            )
            .with_columns(
                pl.when(pl.col("denominator") > 0)
                .then(100.0 * pl.col("numerator") / pl.col("denominator"))
                .otherwise(None)
                .alias("value_pct")
            )
        )
    return (
        rows.select(
            "period", "period_index", "numerator", "denominator", "value_pct", "target_pct", "polarity"
        )
        .sort("period_index")
        .with_columns(pl.col("value_pct").cast(pl.Float64).alias("spc_value"))
        .filter(pl.col("spc_value").is_not_null())
    )


def where_text(locality_code: str, decile_group: str, names: dict[str, str]) -> str:
    """A trajectory's place in words: "North", "Borough, deciles 1-2".

    >>> where_text("NORTH", "ALL", {"NORTH": "North"}), where_text("ALL", "1-2", {})
    ('North', 'Borough, deciles 1-2')
    """
    place = "Borough" if locality_code == "ALL" else names.get(locality_code, locality_code)
    return place if decile_group == "ALL" else f"{place}, deciles {decile_group}"


def status_label(status: str | None, period: str) -> str:
    """The status in words with its shape: "■ Off trajectory"; "○ No planned value for 2026-27 Q1".

    >>> status_label("on trajectory", "Q1"), status_label(None, "2026-27 Q1")
    ('● On trajectory', '○ No planned value for 2026-27 Q1')
    """
    if status is None:
        return f"○ No planned value for {period}"
    return f"{SHAPES.get(status, '○')} {status[0].upper()}{status[1:]}"


def trajectory_status(
    values: pl.DataFrame,
    points: pl.DataFrame,
    period: str,
    names: dict[str, str],
    targets: pl.DataFrame,
    controls: dict | None = None,
) -> pl.DataFrame:
    """Each trajectory in force judged for ``period``: one row per trajectory, columns :data:`COLUMNS`.

    ``controls``: recorded SPC baselines and rebases per (KPI, place) (docs/methods.md section 5.10), which the
    assurance against the trajectory follows.

    ``values``: :func:`kpi.contract.values.kpi_values`; ``points``: :func:`kpi.contract.trajectories.trajectory_points`;
    ``targets``: :func:`kpi.contract.targets.targets_in_force` over the trajectories' quarters (kpi_code,
    period_index, target_pct). Values after ``period`` are left out (the trajectory is judged as at that quarter).
    """
    if points.is_empty():
        return pl.DataFrame(schema=COLUMNS)
    index = periods.parse_period(period).index
    meta = values.select("kpi_code", "kpi_name", "polarity", "sort_order").unique("kpi_code")
    out = []
    for (tid,), plan in points.sort("period_index").group_by(["trajectory_id"], maintain_order=True):
        first = plan.row(0, named=True)
        kpi = meta.filter(pl.col("kpi_code") == first["kpi_code"])
        polarity = kpi["polarity"][0] if kpi.height else None
        series = place_series(values, first["kpi_code"], first["locality_code"], first["decile_group"])
        series = series.filter(pl.col("period_index") <= index)
        chart = assurance.xmr_frame(
            series.with_columns(pl.lit(polarity).alias("polarity")),
            (controls or {}).get((first["kpi_code"], first["locality_code"])),
        )
        judged = method.judge_points(chart, plan.select("period", "period_index", "planned_pct"), polarity)
        now = judged.filter(pl.col("period_index") == index)
        row = now.row(0, named=True) if now.height else {}
        final = judged.row(-1, named=True)
        target = targets.filter(
            pl.col("kpi_code") == first["kpi_code"], pl.col("period_index") == final["period_index"]
        )["target_pct"]
        target_final = target[0] if target.len() else None
        out.append(
            {
                "trajectory_id": tid,
                "version": first["version"],
                "kpi_code": first["kpi_code"],
                "kpi_name": kpi["kpi_name"][0] if kpi.height else first["kpi_code"],
                "locality_code": first["locality_code"],
                "decile_group": first["decile_group"],
                "where": where_text(first["locality_code"], first["decile_group"], names),
                "period": period,
                "value": row.get("value"),
                "planned_pct": row.get("planned_pct"),
                "status": row.get("status"),
                "status_label": status_label(row.get("status"), period),
                "assurance": row.get("assurance"),
                "assurance_label": assurance.ASSURANCE_SHORT[row.get("assurance")],
                "final_period": final["period"],
                "final_planned": final["planned_pct"],
                "target_final": target_final,
                "ends_short": method.ends_short_of_target(final["planned_pct"], target_final, polarity),
                "reason": first["reason"],
                "meeting_id": first["meeting_id"],
                "_order": kpi["sort_order"][0] if kpi.height else 0,
            }
        )
    frame = pl.DataFrame(out, schema={**COLUMNS, "_order": pl.Int64})
    return frame.sort("_order", "locality_code", "decile_group").drop("_order")


def trajectory_board(
    store: Store,
    council_code: str,
    values: pl.DataFrame,
    period: str,
    names: dict[str, str],
    as_at: datetime | None = None,
    *,
    principal: Principal,
) -> pl.DataFrame:
    """:func:`trajectory_status` of the trajectories in force as at ``as_at``, read for ``principal``."""
    points = trajectories.trajectory_points(store, council_code, as_at, principal=principal)
    if points.is_empty():
        return pl.DataFrame(schema=COLUMNS)
    first = periods.from_index(int(points["period_index"].min()))
    last = periods.from_index(int(points["period_index"].max()))
    targets = targets_in_force(store, council_code, first, last, as_at)
    controls = spc_controls.spc_controls(store, council_code, as_at, principal=principal)
    return trajectory_status(values, points, period, names, targets, controls)


@dataclass(frozen=True)
class TrajectoryView:
    """One trajectory of a KPI drawn for a quarter: its place, XmR frame, planned points and their judgement."""

    where: str
    chart: pl.DataFrame
    plan: pl.DataFrame
    judged: pl.DataFrame


def trajectory_views(
    values: pl.DataFrame,
    points: pl.DataFrame,
    kpi_code: str,
    period: str,
    names: dict[str, str],
    controls: dict | None = None,
) -> list[TrajectoryView]:
    """Each trajectory of ``kpi_code`` in force: its place's XmR frame up to ``period`` and its judged points."""
    if points.is_empty():
        return []
    index = periods.parse_period(period).index
    kpi = values.filter(pl.col("kpi_code") == kpi_code)
    polarity = kpi["polarity"][0] if kpi.height else None
    out = []
    mine = points.filter(pl.col("kpi_code") == kpi_code).sort("locality_code", "decile_group", "period_index")
    for _, plan in mine.group_by(["trajectory_id"], maintain_order=True):
        first = plan.row(0, named=True)
        series = place_series(values, kpi_code, first["locality_code"], first["decile_group"])
        series = series.filter(pl.col("period_index") <= index).with_columns(
            pl.lit(polarity).alias("polarity")
        )
        chart = assurance.xmr_frame(series, (controls or {}).get((kpi_code, first["locality_code"])))
        planned = plan.select("period", "period_index", "planned_pct")
        out.append(
            TrajectoryView(
                where_text(first["locality_code"], first["decile_group"], names),
                chart,
                planned,
                method.judge_points(chart, planned, polarity),
            )
        )
    return out


def status_html(frame: pl.DataFrame, caption: str) -> str:
    """The trajectories judged for a quarter as an accessible HTML table (status as word and shape; escaped)."""
    esc = html.escape
    heads = (
        "KPI",
        "Where",
        "Value",
        "Planned",
        "Status",
        "Assurance against the trajectory",
        "Ends",
        "Reason",
    )
    head = "".join(f'<th scope="col">{h}</th>' for h in heads)
    body = []
    for row in frame.iter_rows(named=True):
        ends = f"{row['final_period']} at {_pct(row['final_planned'])}"
        if row["ends_short"]:
            ends += f" (flagged: short of the {_pct(row['target_final'])} target)"
        cells = [
            f'<th scope="row">{esc(row["kpi_name"])} <small>({esc(row["kpi_code"])})</small></th>',
            f"<td>{esc(row['where'])}</td>",
            f"<td>{_pct(row['value'])}</td>",
            f"<td>{_pct(row['planned_pct'])}</td>",
            f'<td data-status="{esc(row["status"] or "none")}">{esc(row["status_label"])}</td>',
            f"<td>{esc(row['assurance_label'])}</td>",
            f"<td>{esc(ends)}</td>",
            f"<td>{esc(row['reason'] or '')}</td>",
        ]
        body.append(f'<tr data-kpi="{esc(row["kpi_code"])}">{"".join(cells)}</tr>')
    return (
        f'<table class="rag-matrix trajectories"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def breaches(status: pl.DataFrame) -> pl.DataFrame:
    """The trajectories off trajectory in the quarter judged."""
    return status.filter(pl.col("status") == method.OFF)
