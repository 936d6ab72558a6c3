"""The closing sections of the meeting pack: data quality, the actions log and the risks log.

:func:`kpi.reports.pack.layout.pack_document` lays them out after the inequalities (and NCMP and outcomes); the
data come from :func:`kpi.reports.pack.frames.data_quality` and :mod:`kpi.contract.meetings`.
"""

from __future__ import annotations

import polars as pl

from kpi.reports import words
from kpi.reports.document import Cell, Heading, Paragraph, Table
from kpi.reports.pack.model import Pack


def _table_or_none(blocks: list, frame: pl.DataFrame, table: Table, none: str) -> None:
    blocks.append(table if frame.height else Paragraph(none))


def data_quality_section(pack: Pack, blocks: list) -> None:
    """Returns received, resubmitted and overdue since the last pack, each as a table (or a sentence when none)."""
    q = pack.data_quality
    since = words.as_at_text(q.since) if q.since else "the first return"
    blocks.append(Heading("Data quality", 2, anchor="data-quality"))
    blocks.append(
        Paragraph(
            f"Since {since}: {q.received.height} returns received, {q.late.height} late, "
            f"{q.resubmitted.height} resubmitted; {q.missing.height} returns overdue and not received; "
            f"{q.waiting.height} newer submissions waiting for review (as at {words.as_at_text(pack.cover.as_at)})."
        )
    )
    received = [
        [
            f"{row['period']} {row['provider_code']}",
            row["dataset"],
            words.short_time(row["received_at"]),
            words.short_day(row["due_date"]),
            row["timeliness"].capitalize(),
            row["status_at"].capitalize(),
            Cell(str(row["submission_id"]), numeric=True),
        ]
        for row in q.received.iter_rows(named=True)
    ]
    _table_or_none(
        blocks,
        q.received,
        Table(
            f"Returns received since {since}",
            ["Return", "Dataset", "Received", "Due", "Timeliness", "Status", "Submission"],
            received,
            key="returns-received",
            widths=(1.3, 1.7, 1.9, 1.4, 1.4, 1.4, 1.4),
        ),
        "No return has been received since the last pack.",
    )
    resubmitted = [
        [
            f"{row['period']} {row['provider_code']}",
            Cell(str(row["submission_id"]), numeric=True),
            Cell(str(row["replaced_submission"]), numeric=True),
            words.as_at_text(row["received_at"]) if row["received_at"] else "–",
        ]
        for row in q.resubmitted.iter_rows(named=True)
    ]
    _table_or_none(
        blocks,
        q.resubmitted,
        Table(
            "Resubmissions",
            ["Return", "New submission", "Replaces", "Received"],
            resubmitted,
            key="resubmissions",
        ),
        "No return was resubmitted since the last pack.",
    )
    missing = [
        [f"{row['period']} {row['provider_code']}", words.day_text(row["due_date"])]
        for row in q.missing.iter_rows(named=True)
    ]
    _table_or_none(
        blocks,
        q.missing,
        Table("Returns overdue and not received", ["Return", "Was due"], missing, key="missing"),
        "No return is overdue.",
    )


def actions_section(pack: Pack, blocks: list) -> None:
    """The actions carried until closed, with those closed since the last pack."""
    blocks.append(Heading("Actions log", 2, anchor="actions"))
    frame = pack.actions
    rows = []
    for row in frame.iter_rows(named=True):
        due = words.short_day(row["due_date"]) + (" (overdue)" if row["is_overdue"] else "")
        raised = words.short_day(row["meeting_date"] or row["raised_at"])
        rows.append(
            [
                f"A{row['action_id']}",
                row["what"] + (f" [{row['kpi_code']}]" if row["kpi_code"] else ""),
                row["owner"] + (f" ({row['provider_code']})" if row["provider_code"] else ""),
                due,
                row["status"].capitalize(),
                row["notes"] or "",
                raised,
            ]
        )
    _table_or_none(
        blocks,
        frame,
        Table(
            "Actions carried until closed (and those closed since the last pack)",
            ["Action", "What", "Owner", "Due", "Status", "Notes", "Raised"],
            rows,
            key="actions",
            widths=(1.0, 3.2, 1.8, 1.6, 1.4, 2.6, 1.4),
        ),
        "There are no open actions.",
    )


def risks_section(pack: Pack, blocks: list) -> None:
    """The open risks, highest rating first."""
    blocks.append(Heading("Risks log", 2, anchor="risks"))
    frame = pack.risks
    rows = [
        [
            f"R{row['risk_id']}",
            row["risk"],
            Cell(f"{row['rating']} {row['rating_band']} ({row['likelihood']}×{row['impact']})", numeric=True),
            row["owner"],
            row["mitigation"] or "",
            words.short_day(row["review_date"]) + (" (overdue)" if row["is_review_overdue"] else ""),
        ]
        for row in frame.iter_rows(named=True)
    ]
    _table_or_none(
        blocks,
        frame,
        Table(
            "Open risks, highest rating first",
            ["Risk", "Description", "Rating", "Owner", "Mitigation", "Review"],
            rows,
            key="risks",
            widths=(0.8, 3.3, 1.7, 1.7, 3.2, 1.5),
            note="Rating = likelihood × impact on the 5 × 5 matrix (NPSA 2008): 1-3 low, 4-6 moderate, 8-12 high, "
            "15-25 extreme.",
        ),
        "The risks log is empty.",
    )
