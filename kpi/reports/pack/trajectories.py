"""The pack's section on recovery trajectories, SPC changes and events on the charts.

Each trajectory in force is judged for the pack's quarter and drawn, then the SPC baselines and rebases in force and
the annotations on the charts are listed (docs/methods.md section 5.10).

The judgement is :func:`kpi.contract.trajectory_status.trajectory_board` (docs/methods.md section 5.9), the one the
Overview shows; each trajectory's XmR chart of its place (:func:`kpi.contract.trajectory_status.trajectory_views`)
carries its trajectory line with the quarters to come drawn empty. Status is a word and a shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.contract import spc_controls as spc_controls
from kpi.contract import trajectories as trajectories
from kpi.contract import trajectory_status as status
from kpi.core.store import Store
from kpi.reports.figures import FigureSet
from kpi.spc import assurance
from kpi.spc import charts as spc_charts

CHART_WIDTH = 460


@dataclass
class Trajectories:
    """The trajectories judged for the pack's quarter and the keys of their charts."""

    status: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=status.COLUMNS))
    figure_keys: list[str] = field(default_factory=list)
    #: SPC baselines and rebases in force (:func:`kpi.contract.spc_controls.spc_changes`)
    changes: pl.DataFrame = field(default_factory=pl.DataFrame)
    #: annotations on the charts (:func:`kpi.contract.spc_controls.annotations`)
    events: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def is_empty(self) -> bool:
        """Nothing to show: no trajectory, no SPC change and no annotation."""
        return self.status.is_empty() and self.changes.is_empty() and self.events.is_empty()


def trajectory_section(
    store: Store,
    council: str,
    values: pl.DataFrame,
    period: str,
    names: dict[str, str],
    at: datetime,
    figures: FigureSet,
    *,
    principal: Principal,
    controls: dict | None = None,
    events: pl.DataFrame | None = None,
) -> Trajectories:
    """Judge the trajectories in force as at ``at`` for ``period`` and register each one's XmR chart.

    ``controls`` and ``events``: the SPC controls and annotations as at ``at`` (read here when not given).
    """
    points = trajectories.trajectory_points(store, council, at, principal=principal)
    judged = status.trajectory_board(store, council, values, period, names, at, principal=principal)
    changes = spc_controls.spc_changes(store, council, at, principal=principal)
    controls = spc_controls.controls_from(changes) if controls is None else controls
    events = spc_controls.annotations(store, council, at, principal=principal) if events is None else events
    keys = []
    for kpi_code in judged["kpi_code"].unique(maintain_order=True).to_list():
        notes = spc_controls.for_kpi(events, kpi_code)
        views = status.trajectory_views(values, points, kpi_code, period, names, controls)
        for number, view in enumerate(views):
            key = f"trajectory-{kpi_code.replace('.', '-')}-{number}"
            title = f"{kpi_code} {view.where}: XmR chart with its recovery trajectory, to {period}"
            figures.add(
                key,
                lambda v=view, t=title, n=notes: spc_charts.xmr_chart(
                    v.chart, t, trajectory=v.plan, annotations=n
                ).properties(width=CHART_WIDTH, height=170),
                title=title,
                alt=f"XmR chart of {kpi_code} in {view.where} with its recovery trajectory as a dash-dot line, the "
                "quarters to come drawn empty. " + assurance.xmr_summary(view.chart),
            )
            keys.append(key)
    return Trajectories(judged, keys, changes, events)


def trajectory_blocks(section: Trajectories, period: str) -> list:
    """The section as document blocks: a paragraph, the table, the flag and the charts."""
    from kpi.reports.document import Cell, FigureBlock, Heading, Paragraph, Table

    frame = section.status
    blocks: list = [Heading(f"Recovery trajectories, {period}", 2, anchor="trajectories")]
    if frame.is_empty():
        blocks.append(Paragraph("No recovery trajectory is in force."))
        return blocks + spc_blocks(section)
    off = frame.filter(pl.col("status") == "off trajectory").height
    blocks.append(
        Paragraph(
            f"{off} of {frame.height} recovery trajector{'ies' if frame.height != 1 else 'y'} off trajectory in "
            f"{period}: each quarter's value against its planned value. Assurance compares the planned value with "
            "the process limits of the place's XmR chart (methods, section 5.9)."
        )
    )
    rows = [
        [
            f"{row['kpi_code']} {row['kpi_name']}",
            row["where"],
            Cell(_pct(row["value"]), numeric=True),
            Cell(_pct(row["planned_pct"]), numeric=True),
            row["status_label"],
            row["assurance_label"],
            f"{row['final_period']} at {_pct(row['final_planned'])}"
            + (f" (short of the {_pct(row['target_final'])} target)" if row["ends_short"] else ""),
        ]
        for row in frame.iter_rows(named=True)
    ]
    blocks.append(
        Table(
            f"Recovery trajectories judged for {period}",
            ["KPI", "Where", "Value", "Planned", "Status", "Assurance", "Ends"],
            rows,
            key="trajectories",
            widths=(2.4, 1.4, 0.9, 0.9, 1.4, 1.4, 1.8),
        )
    )
    short = frame.filter(pl.col("ends_short"))
    if short.height:
        blocks.append(
            Paragraph(
                "Flagged: "
                + "; ".join(f"{r['kpi_code']} {r['where']}" for r in short.iter_rows(named=True))
                + " plan to finish short of the contract target."
            )
        )
    blocks += [FigureBlock(key) for key in section.figure_keys]
    return blocks + spc_blocks(section)


def spc_blocks(section: Trajectories) -> list:
    """The SPC baselines and rebases in force and the annotations drawn on the charts, as bullets."""
    from kpi.reports.document import Bullets, Heading, Paragraph

    blocks: list = [Heading("SPC changes and events on the charts", 3, anchor="spc-changes")]
    lines = []
    for row in section.changes.iter_rows(named=True) if section.changes.height else []:
        place = "" if row["locality_code"] == "ALL" else f" ({row['locality_code']})"
        if row["kind"] == "rebase":
            lines.append(f"{row['kpi_code']}{place}: rebased from {row['period']}: {row['reason']}")
        elif row["baseline_points"] is not None:
            lines.append(
                f"{row['kpi_code']}{place}: baseline of the first {row['baseline_points']} points: {row['reason']}"
            )
        else:
            lines.append(f"{row['kpi_code']}{place}: baseline from {row['period']}: {row['reason']}")
    for row in section.events.iter_rows(named=True) if section.events.height else []:
        lines.append(f"{row['period']}, {row['kpi_code'] or 'every KPI'}: {row['label']}")
    if not lines:
        blocks.append(
            Paragraph("No baseline, rebase or annotation is recorded: every chart uses every quarter.")
        )
        return blocks
    blocks.append(Bullets(lines))
    return blocks


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"
