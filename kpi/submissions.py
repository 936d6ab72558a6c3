"""Submissions: load a provider return in one transaction, supersede, and list the history.

A load (architecture.md section 2) reads and checks the file (:mod:`kpi.ingest.provider_return`), then in **one
transaction** writes the submission row (who, when, SHA-256, the raw file as a BLOB), its typed rows, its status
event and an audit entry, and marks the return it replaces as superseded. A rejected file writes nothing but an
audit entry; the same file twice is recognised by its hash and changes nothing; ``check_only`` writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from kpi import periods
from kpi.catalogue import load_catalogue
from kpi.councils import localities, locality_cells
from kpi.ingest.files import ReadError, read_text_table, sha256
from kpi.ingest.provider_return import DATASET, ReturnContext, validate_return
from kpi.ingest.report import Report, problem
from kpi.store import Store, setting

WRITTEN, REJECTED, UNCONFIRMED, DUPLICATE, CHECKED = (
    "written",
    "rejected",
    "warnings unconfirmed",
    "duplicate",
    "checked",
)


@dataclass
class LoadResult:
    """What happened to one file."""

    outcome: str  # written | rejected | warnings unconfirmed | duplicate | checked
    report: Report
    submission_id: int | None = None
    superseded_id: int | None = None
    message: str = ""
    #: For a check: whether the same load without ``check_only`` would write the file.
    would_write: bool = False

    @property
    def exit_code(self) -> int:
        """The CLI's exit status: 0 written, already loaded, or checked and a load would write; 1 otherwise."""
        return (
            0 if self.outcome in (WRITTEN, DUPLICATE) or (self.outcome == CHECKED and self.would_write) else 1
        )


def _previous_values(store: Store, council_code: str, provider_code: str):
    def fetch(period: periods.Period) -> pl.DataFrame:
        return store.query(
            """
            select kpi_code, locality_code, sum(numerator) / sum(denominator) * 100 as value_pct
            from return_rows as r
            join submissions as s using (submission_id)
            where s.council_code = ? and s.provider_code = ? and s.period = ? and s.dataset = ?
              and s.status = 'accepted' and s.superseded_at is null and r.imd_decile = 'ALL'
            group by all having sum(denominator) > 0
            """,
            [council_code, provider_code, period.previous().code, DATASET],
        )

    return fetch


def return_context(
    store: Store, council_code: str, provider_code: str, today: date | None = None
) -> ReturnContext:
    """Everything a return is checked against, read from the store."""
    locs = localities(store, council_code)
    cells = locality_cells(store, council_code)
    return ReturnContext(
        council_code=council_code,
        provider_code=provider_code.upper(),
        kpis=load_catalogue(),
        localities=dict(zip(locs["locality_code"].to_list(), locs["locality_name"].to_list(), strict=True)),
        cells={(loc, int(dec)) for loc, dec in cells.select("locality_code", "imd_decile").iter_rows()},
        today=today or periods.today(),
        unknown_decile_warn_pct=float(setting(store, council_code, "unknown_decile_warn_pct")),
        movement_warn_points=float(setting(store, council_code, "movement_warn_points")),
        previous_values=_previous_values(store, council_code, provider_code.upper()),
    )


def load_return(
    store: Store,
    data: bytes,
    file_name: str,
    *,
    council_code: str,
    provider_code: str,
    actor: str,
    source: str = "cli",
    check_only: bool = False,
    accept_warnings: bool = False,
    reason: str | None = None,
    received_at: datetime | None = None,
    status: str = "accepted",
) -> LoadResult:
    """Check a provider return and, unless ``check_only``, store it as one submission.

    Warnings load only with ``accept_warnings`` and a non-blank ``reason``; the rows they concern are flagged.
    """
    name = Path(file_name).name
    report = Report(file_name=name, sha256=sha256(data))
    if accept_warnings and not (reason or "").strip():
        report.add(
            problem("error", "reason_needed", 'confirming warnings needs a reason: add --reason "..."')
        )
        return LoadResult(REJECTED, report, message="warnings can only be confirmed with a reason")

    existing = store.query(
        "select submission_id from submissions where council_code = ? and provider_code = ? and dataset = ? "
        "and file_sha256 = ? order by submission_id limit 1",
        [council_code, provider_code.upper(), DATASET, report.sha256],
    )
    if not existing.is_empty() and not check_only:
        sid = existing.item()
        return LoadResult(
            DUPLICATE,
            report,
            sid,
            message=f"this file was already loaded as submission {sid}: nothing changed",
        )

    try:
        table = read_text_table(data, name)
    except ReadError as exc:
        report.add(problem("error", "unreadable", str(exc)))
        checked = None
    else:
        if table.encoding not in ("UTF-8", "xlsx"):
            report.notes.append(f"read as {table.encoding}")
        checked = validate_return(table.frame, report, return_context(store, council_code, provider_code))

    if check_only:
        if not existing.is_empty():
            verdict = (
                f"this file was already loaded as submission {existing.item()}: a load would change nothing"
            )
            would_write = True
        elif not report.ok:
            verdict, would_write = "a load would be rejected", False
        elif not report.warnings.is_empty() and not accept_warnings:
            verdict, would_write = (
                'a load would stop at the warnings unless confirmed with --accept-warnings --reason "..."',
                False,
            )
        else:
            verdict, would_write = "a load would be accepted", True
        return LoadResult(
            CHECKED, report, message=f"checked only: nothing was written; {verdict}", would_write=would_write
        )
    if checked is None or not report.ok or checked.rows is None or checked.period is None:
        store.audit(
            "return rejected",
            actor=actor,
            council_code=council_code,
            subject=name,
            detail={"sha256": report.sha256, "errors": report.errors.height, "provider": provider_code},
        )
        return LoadResult(REJECTED, report, message="the file was rejected: nothing was written")
    if not report.warnings.is_empty() and not accept_warnings:
        store.audit(
            "return warnings unconfirmed",
            actor=actor,
            council_code=council_code,
            subject=name,
            detail={"sha256": report.sha256, "warnings": report.warnings.height, "provider": provider_code},
        )
        return LoadResult(
            UNCONFIRMED,
            report,
            message="the file has warnings: check them, then load again with "
            '--accept-warnings --reason "..." to confirm; nothing was written',
        )

    return _write(
        store,
        data,
        report,
        checked.rows,
        checked.period,
        council_code=council_code,
        provider_code=provider_code.upper(),
        actor=actor,
        source=source,
        reason=reason,
        received_at=received_at or periods.now(),
        status=status,
    )


def _write(
    store: Store,
    data: bytes,
    report: Report,
    rows: pl.DataFrame,
    period: periods.Period,
    *,
    council_code: str,
    provider_code: str,
    actor: str,
    source: str,
    reason: str | None,
    received_at: datetime,
    status: str,
) -> LoadResult:
    warning_rows = report.warnings.get_column("row").drop_nulls().to_list()
    rows = rows.with_columns(pl.col("source_row").is_in(warning_rows).alias("is_warning_row"))
    with store.transaction() as cur:
        sid = cur.execute("select coalesce(max(submission_id), 0) + 1 from submissions").fetchone()[0]
        accepted_at = received_at if status == "accepted" else None
        cur.execute(
            "insert into submissions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null)",
            [
                sid,
                council_code,
                provider_code,
                DATASET,
                period.code,
                period.index,
                received_at,
                actor,
                source,
                report.file_name,
                report.sha256,
                data,
                len(data),
                rows.height,
                report.warnings.height,
                (reason or None),
                report.to_json(),
                status,
                accepted_at,
            ],
        )
        cur.execute(
            "insert into submission_events values (?, ?, ?, ?, ?)", [sid, received_at, status, actor, reason]
        )
        cur.register("rows_frame", rows)
        cur.execute(
            """
            insert into return_rows
            select ?, ?, ?, ?, ?, kpi_code, locality_code, imd_decile, numerator, denominator, comment,
                   source_row, is_warning_row
            from rows_frame
            """,
            [sid, council_code, provider_code, period.code, period.index],
        )
        cur.unregister("rows_frame")
        superseded = None
        if status == "accepted":
            superseded = supersede_previous(cur, sid, council_code, provider_code, period.code, received_at)
        store.audit(
            "return loaded",
            actor=actor,
            council_code=council_code,
            subject=report.file_name,
            cur=cur,
            detail={
                "submission_id": sid,
                "period": period.code,
                "provider": provider_code,
                "status": status,
                "rows": rows.height,
                "warnings_confirmed": report.warnings.height,
                "reason": reason,
                "supersedes": superseded,
                "sha256": report.sha256,
            },
        )
    message = f"loaded as submission {sid} ({period.code}, {rows.height} rows, {status})"
    if superseded:
        message += f"; it supersedes submission {superseded}, which stays in the history"
    return LoadResult(WRITTEN, report, sid, superseded, message)


def supersede_previous(
    cur, submission_id: int, council_code: str, provider_code: str, period: str, at: datetime
) -> int | None:
    """Mark the accepted return this one replaces as superseded (inside the caller's transaction)."""
    row = cur.execute(
        "select submission_id from submissions where council_code = ? and provider_code = ? and dataset = ? "
        "and period = ? and status = 'accepted' and superseded_at is null and submission_id <> ? "
        "order by accepted_at desc limit 1",
        [council_code, provider_code, DATASET, period, submission_id],
    ).fetchone()
    if row is None:
        return None
    cur.execute(
        "update submissions set superseded_at = ?, superseded_by = ? where submission_id = ?",
        [at, submission_id, row[0]],
    )
    return row[0]


def list_submissions(store: Store, council_code: str) -> pl.DataFrame:
    """Every submission with its status, due date and whether it arrived late."""
    due_days = int(setting(store, council_code, "return_due_working_days"))
    frame = store.run_sql("marts/mart_submissions", council_code=council_code, due_working_days=due_days)
    if frame.is_empty():
        return frame.with_columns(
            pl.lit(None, dtype=pl.Date).alias("due_date"), pl.lit(None, dtype=pl.String).alias("timeliness")
        )
    due = {p: periods.due_date(periods.parse_period(p), due_days) for p in frame["period"].unique().to_list()}
    return frame.with_columns(
        pl.col("period").replace_strict(due, return_dtype=pl.Date).alias("due_date"),
    ).with_columns(
        pl.when(pl.col("received_at").dt.date() > pl.col("due_date"))
        .then(pl.lit("late"))
        .otherwise(pl.lit("on time"))
        .alias("timeliness")
    )


def submission_rows(store: Store, submission_id: int) -> pl.DataFrame:
    """The typed rows of one submission, in file order."""
    return store.query(
        "select kpi_code, locality_code, imd_decile, numerator, denominator, comment, source_row, is_warning_row "
        "from return_rows where submission_id = ? order by source_row nulls last",
        [submission_id],
    )


def submission_report(store: Store, submission_id: int) -> dict:
    """The validation report stored with a submission."""
    return json.loads(
        store.query("select report_json from submissions where submission_id = ?", [submission_id]).item()
    )
