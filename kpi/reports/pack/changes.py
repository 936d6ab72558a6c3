"""What changed since the last circulated pack: RAG moves, new SPC signals, targets changed, late and resubmitted returns.

The last circulated pack (:func:`kpi.contract.meetings.previous_pack`) is rebuilt in memory as data only: the KPI
values as at its as-at time (:func:`kpi.contract.values.kpi_values`, reproducible by design), for its period. Against
them the new pack's period, as at the new pack's time:

* *RAG moves*: each KPI at borough and locality level whose RAG differs (RAG: docs/methods.md section 3);
* *new SPC signals*: each KPI whose variation (Making Data Count, docs/methods.md section 6, from
  :func:`kpi.spc.assurance.spc_summary`) is special cause now and was not, or was another, before;
* *targets changed*: each KPI whose borough target differs;
* *trajectory breaches*: each recovery trajectory off trajectory now that was not before (docs/methods.md section
  5.9; :func:`trajectory_breaches`);
* late and resubmitted returns come from the pack's data quality (:func:`kpi.reports.pack.frames.data_quality`), which
  already counts from the last pack.

The Overview's "What changed" view is the same computation from any date (:mod:`kpi.reports.pack.since`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from kpi.spc import assurance as assurance

PLACE_LEVELS = ("borough", "locality")


@dataclass
class Changes:
    """What changed since the previous pack (empty frames and ``previous`` None when there was none)."""

    previous: dict | None
    period: str
    rag_moves: pl.DataFrame
    new_signals: pl.DataFrame
    targets: pl.DataFrame
    #: trajectories off trajectory now and not before (:func:`trajectory_breaches`)
    trajectory_breaches: pl.DataFrame = field(default_factory=pl.DataFrame)


def _places(values: pl.DataFrame, period: str, names: dict[str, str]) -> pl.DataFrame:
    return values.filter(
        pl.col("period") == period, pl.col("level").is_in(PLACE_LEVELS), pl.col("imd_decile") == "ALL"
    ).select(
        "kpi_code",
        "kpi_name",
        "sort_order",
        "locality_code",
        pl.when(pl.col("level") == "borough")
        .then(pl.lit("Borough"))
        .otherwise(pl.col("locality_code").replace_strict(names, default=pl.col("locality_code")))
        .alias("where"),
        "rag",
        "value_pct",
        "target_pct",
    )


def compare(
    before: pl.DataFrame, before_period: str, now: pl.DataFrame, period: str, names: dict[str, str]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """RAG moves, new SPC signals and changed targets between two sets of KPI values (see the module docstring).

    Returns three frames: rag_moves (kpi_code, kpi_name, where, rag_before, rag_now, value_before, value_now),
    new_signals (kpi_code, kpi_name, variation_before, variation_now, as short words) and targets (kpi_code,
    kpi_name, target_before, target_now).
    """
    old = _places(before, before_period, names)
    new = _places(now, period, names)
    joined = new.join(
        old.select("kpi_code", "locality_code", "rag", "value_pct", "target_pct"),
        on=["kpi_code", "locality_code"],
        how="inner",
        suffix="_before",
    ).sort("sort_order", pl.col("where") != "Borough", "where")
    moves = joined.filter(
        pl.col("rag").fill_null("not rated") != pl.col("rag_before").fill_null("not rated")
    ).select(
        "kpi_code",
        "kpi_name",
        "where",
        "rag_before",
        pl.col("rag").alias("rag_now"),
        pl.col("value_pct_before").alias("value_before"),
        pl.col("value_pct").alias("value_now"),
    )
    targets = joined.filter(
        pl.col("where") == "Borough",
        pl.col("target_pct").ne_missing(pl.col("target_pct_before")),
    ).select(
        "kpi_code",
        "kpi_name",
        pl.col("target_pct_before").alias("target_before"),
        pl.col("target_pct").alias("target_now"),
    )
    spc_old = assurance.spc_summary(before, before_period).select(
        "kpi_code", pl.col("variation").alias("was")
    )
    spc_new = assurance.spc_summary(now, period).select("kpi_code", "variation", "variation_short")
    signals = (
        spc_new.join(spc_old, on="kpi_code", how="left")
        .join(
            new.filter(pl.col("where") == "Borough").select("kpi_code", "kpi_name", "sort_order"),
            on="kpi_code",
        )
        .filter(
            pl.col("variation").is_not_null(),
            pl.col("variation") != "common_cause",
            pl.col("variation").ne_missing(pl.col("was")),
        )
        .sort("sort_order")
        .select(
            "kpi_code",
            "kpi_name",
            pl.col("was")
            .replace_strict(assurance.VARIATION_SHORT, default="Run chart: too few points")
            .alias("variation_before"),
            pl.col("variation_short").alias("variation_now"),
        )
    )
    return moves, signals, targets


def changes_since(
    previous: dict | None,
    before: pl.DataFrame | None,
    values: pl.DataFrame,
    period: str,
    names: dict[str, str],
) -> Changes:
    """What changed between the previous circulated pack and this one.

    ``previous`` is a :func:`kpi.contract.meetings.previous_pack` row (None: no pack circulated yet) and ``before``
    the KPI values as at its as-at time, read through the same scope as ``values``.
    """
    if not previous or before is None:
        empty = pl.DataFrame()
        return Changes(None, period, empty, empty, empty)
    moves, signals, targets = compare(before, previous["period"], values, period, names)
    return Changes(previous, period, moves, signals, targets)


def trajectory_breaches(before: pl.DataFrame | None, now: pl.DataFrame) -> pl.DataFrame:
    """Trajectories off trajectory in ``now`` that were not off in ``before``.

    Both are :func:`kpi.contract.trajectory_status.trajectory_status` frames; ``before`` None: every one off now.

    Columns: kpi_code, kpi_name, where, period, value, planned_pct, status_before.
    """
    off = now.filter(pl.col("status") == "off trajectory") if now.height else now
    if off.is_empty():
        return pl.DataFrame()
    was = (
        before.select("trajectory_id", pl.col("status").alias("status_before"))
        if before is not None and before.height
        else pl.DataFrame(schema={"trajectory_id": pl.Int64, "status_before": pl.String})
    )
    return (
        off.join(was, on="trajectory_id", how="left")
        .filter(pl.col("status_before").ne_missing("off trajectory"))
        .select("kpi_code", "kpi_name", "where", "period", "value", "planned_pct", "status_before")
    )


def changes_blocks(changes: Changes, late: int, resubmitted: int) -> list:
    """The pack's "What changed since the last pack" section as document blocks.

    ``late`` and ``resubmitted``: how many returns arrived late, or were resubmitted, since the last pack (the data
    quality section lists them).
    """
    from kpi.reports import words
    from kpi.reports.document import Bullets, Cell, Heading, Paragraph, Table

    blocks: list = [Heading("What changed since the last pack", 2, anchor="changes")]
    previous = changes.previous
    if previous is None:
        blocks.append(
            Paragraph("No pack has been circulated before this one: there is nothing to compare with.")
        )
        return blocks
    moves, signals, targets = changes.rag_moves, changes.new_signals, changes.targets
    breaches = changes.trajectory_breaches
    blocks.append(
        Paragraph(
            f"Against the last circulated pack ({previous['period']}, data as at "
            f"{words.as_at_text(previous['as_at'])}, version {previous['data_version']}): {moves.height} RAG "
            f"move{'s' if moves.height != 1 else ''}, {signals.height} new SPC signal"
            f"{'s' if signals.height != 1 else ''}, {targets.height} target{'s' if targets.height != 1 else ''} "
            f"changed, {breaches.height} trajectory breach{'es' if breaches.height != 1 else ''}; {late} late and {resubmitted} resubmitted return{'s' if late + resubmitted != 1 else ''} "
            "(see Data quality)."
        )
    )
    if moves.height:
        rows = [
            [
                f"{row['kpi_code']} {row['kpi_name']}",
                row["where"],
                Cell(words.rag(row["rag_before"]), rag=row["rag_before"] or "not rated"),
                Cell(words.rag(row["rag_now"]), rag=row["rag_now"] or "not rated"),
                Cell(f"{words.pct(row['value_before'])} → {words.pct(row['value_now'])}", numeric=True),
            ]
            for row in moves.iter_rows(named=True)
        ]
        blocks.append(
            Table(
                f"RAG moves: {previous['period']} in the last pack, {changes.period} now",
                ["KPI", "Where", "RAG before", "RAG now", "Value before → now"],
                rows,
                key="rag-moves",
                widths=(3.2, 1.6, 1.3, 1.3, 1.8),
            )
        )
    lines = (
        [
            f"{row['kpi_code']} {row['kpi_name']}: {row['variation_now']} (was {row['variation_before']})"
            for row in signals.iter_rows(named=True)
        ]
        + [
            f"{row['kpi_code']} {row['kpi_name']}: target {_target(row['target_before'])} → {_target(row['target_now'])}"
            for row in targets.iter_rows(named=True)
        ]
        + [
            f"{row['kpi_code']} {row['kpi_name']}, {row['where']}: off trajectory in {row['period']} "
            f"({words.pct(row['value'])} against a planned {words.pct(row['planned_pct'])})"
            for row in breaches.iter_rows(named=True)
        ]
    )
    if lines:
        blocks.append(Bullets(lines))
    return blocks


def _target(value: float | None) -> str:
    return "none" if value is None else f"{value:g}%"
