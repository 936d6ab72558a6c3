"""Submissions: load a provider return in one transaction, supersede, review, and list the history.

A load (docs/operations.md, how data is stored; :func:`kpi.ingest.pipeline.run_load` with :data:`RETURN_SPEC`) reads
and checks the file (:mod:`kpi.returns.checks`), then in **one transaction** writes the submission row (who, when,
SHA-256, the raw file as a BLOB), its typed rows, its status event and an audit entry, and marks the return it
replaces as superseded. A rejected file writes nothing but an audit entry; the same file twice is recognised by its
hash and changes nothing; ``check_only`` writes nothing.

The provider portal (issue 7) goes through :func:`portal_load`: the upload is stamped with the signed-in
provider's code and stays *submitted* until a commissioner accepts it (:func:`accept_submission`, which supersedes
the return it replaces) or queries it with a comment (:func:`query_submission`); the provider then resubmits.
Every status change is a row of ``submission_events``. The reading functions take the principal and keep a
provider to its own submissions and a viewer to accepted ones (:mod:`kpi.access.rules`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import AccessDenied, accepted_only, provider_scope, require
from kpi.core import periods as periods
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.councils import localities, locality_cells
from kpi.core.store import Store, setting
from kpi.ingest.files import read_text_table, sha256
from kpi.ingest.pipeline import (
    CHECKED,
    DUPLICATE,
    FAILED,
    REJECTED,
    UNCONFIRMED,
    WRITTEN,
    DatasetSpec,
    LoadResult,
    LoadRun,
    next_id,
    registered,
    run_load,
    same_file,
    supersede_current,
)
from kpi.ingest.pipeline import check_verdict as check_verdict  # the same for every loader
from kpi.ingest.pipeline import refuse as refuse
from kpi.ingest.report import Report
from kpi.returns.checks import DATASET, ReturnContext, validate_return


class ReviewError(ValueError):
    """A review decision that cannot be made (already decided, superseded...); the message says why."""


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
    store: Store, council_code: str, provider_code: str, today: date | None = None, *, principal: Principal
) -> ReturnContext:
    """Everything a return is checked against, read from the store (the provider's previous values among them)."""
    require(principal, "upload", provider_code)
    locs = localities(store, council_code)
    cells = locality_cells(store, council_code)
    when = today or periods.today()
    return ReturnContext(
        council_code=council_code,
        provider_code=provider_code.upper(),
        kpis=catalogue_in_force(store, council_code, periods.quarter_of(when)),
        kpis_for_period=lambda period: catalogue_in_force(store, council_code, period),
        localities=dict(zip(locs["locality_code"].to_list(), locs["locality_name"].to_list(), strict=True)),
        cells={(loc, int(dec)) for loc, dec in cells.select("locality_code", "imd_decile").iter_rows()},
        today=when,
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
    principal: Principal,
    received_at: datetime | None = None,
    status: str = "accepted",
    **load: Any,
) -> LoadResult:
    """Check a provider return and, unless ``check_only``, store it as one submission, as ``principal``.

    ``load``: ``source``, ``check_only``, ``accept_warnings``, ``reason`` (:func:`kpi.ingest.pipeline.run_load`,
    with :data:`RETURN_SPEC`). Warnings load only with ``accept_warnings`` and a non-blank ``reason``; the rows
    they concern are flagged. A provider may load only its own provider's return, and it waits for review
    (``status`` "submitted") whatever ``status`` asks for.
    """
    require(principal, "upload", provider_code)
    if provider_scope(principal):
        status = "submitted"
    return run_load(
        store,
        RETURN_SPEC,
        data,
        file_name,
        council_code=council_code,
        principal=principal,
        loaded_at=received_at,
        provider_code=provider_code,
        status=status,
        **load,
    )


def _read(run: LoadRun) -> pl.DataFrame:
    return run.read_as(read_text_table(run.data, run.report.file_name)).frame


def _validate(run: LoadRun, frame: pl.DataFrame):
    provider_code = run.options["provider_code"]
    context = return_context(run.store, run.council_code, provider_code, principal=run.principal)
    checked = validate_return(frame, run.report, context)
    return None if checked.rows is None or checked.period is None else checked


def _write(cur, run: LoadRun, checked) -> tuple[LoadResult, dict | None]:
    """Store the submission, its status event and rows, and supersede the return it replaces (one transaction)."""
    report, rows, period = run.report, checked.rows, checked.period
    council_code, provider_code = run.council_code, run.options["provider_code"].upper()
    # A provider's upload waits for review whatever was asked for (run_load may be called without load_return).
    status = "submitted" if provider_scope(run.principal) else run.options.get("status", "accepted")
    reason, received_at = run.reason, run.at
    warning_rows = report.warnings.get_column("row").drop_nulls().to_list()
    rows = rows.with_columns(pl.col("source_row").is_in(warning_rows).alias("is_warning_row"))
    # Checked again under the write lock: two uploads of the same file at the same moment store it once.
    twin = cur.execute(
        "select min(submission_id) from submissions where council_code = ? and provider_code = ? "
        "and dataset = ? and file_sha256 = ?",
        [council_code, provider_code, DATASET, report.sha256],
    ).fetchone()[0]
    if twin is not None:
        message = f"this file was already loaded as submission {twin}: nothing changed"
        return LoadResult(DUPLICATE, report, twin, message=message), None
    sid = next_id(cur, "submissions", "submission_id")
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
            run.actor,
            run.source,
            report.file_name,
            report.sha256,
            run.data,
            len(run.data),
            rows.height,
            report.warnings.height,
            (reason or None),
            report.to_json(),
            status,
            accepted_at,
        ],
    )
    cur.execute(
        "insert into submission_events values (?, ?, ?, ?, ?)", [sid, received_at, status, run.actor, reason]
    )
    insert_rows(cur, rows, sid, council_code, provider_code, period)
    superseded = None
    if status == "accepted":
        superseded = supersede_previous(cur, sid, council_code, provider_code, period.code, received_at)
    detail = {
        "submission_id": sid,
        "period": period.code,
        "provider": provider_code,
        "status": status,
        "rows": rows.height,
        "warnings_confirmed": report.warnings.height,
        "reason": reason,
        "supersedes": superseded,
        "sha256": report.sha256,
    }
    message = f"loaded as submission {sid} ({period.code}, {rows.height} rows, {status})"
    if superseded:
        message += f"; it supersedes submission {superseded}, which stays in the history"
    return LoadResult(WRITTEN, report, sid, superseded, message), detail


#: The provider return (``hcp load mandated-contacts``, the portal's upload).
RETURN_SPEC = DatasetSpec(
    name="mandated-contacts",
    label="return",
    id_name="submission",
    loaded_action="return loaded",
    read=_read,
    validate=_validate,
    write=_write,
    supersedes=("submissions", ("council_code", "provider_code", "dataset", "period")),
    duplicate=same_file("submissions", "submission_id", DATASET),
    duplicate_message="this file was already loaded as submission {id}: nothing changed",
    check_names_duplicate=True,
    permission="upload",
    provider_option="provider_code",
    refusal_detail=lambda run: {"provider": run.options["provider_code"]},
    options=("provider_code", "status"),
)


def insert_rows(cur, rows: pl.DataFrame, sid: int, council_code: str, provider_code: str, period) -> None:
    """Insert a submission's typed rows (inside the caller's transaction)."""
    with registered(cur, "rows_frame", rows):
        cur.execute(
            """
            insert into return_rows
            select ?, ?, ?, ?, ?, kpi_code, locality_code, imd_decile, numerator, denominator, comment,
                   source_row, is_warning_row
            from rows_frame
            """,
            [sid, council_code, provider_code, period.code, period.index],
        )


def supersede_previous(
    cur, submission_id: int, council_code: str, provider_code: str, period: str, at: datetime
) -> int | None:
    """Mark the accepted return this one replaces as superseded (inside the caller's transaction)."""
    keys = {
        "council_code": council_code,
        "provider_code": provider_code,
        "dataset": DATASET,
        "period": period,
    }
    replaced = supersede_current(
        cur, "submissions", "submission_id", keys, at=at, by=submission_id, condition="status = 'accepted'"
    )
    return replaced[0] if replaced else None


def list_submissions(store: Store, council_code: str, principal: Principal) -> pl.DataFrame:
    """Every submission the principal may see, with its status, review, due date and whether it arrived late.

    A provider sees its own provider's submissions; a viewer sees accepted ones only (superseded ones included,
    as they were accepted once). Without a principal nothing is shown (:class:`AccessDenied`): the command line
    passes its local principal (:func:`kpi.access.principal.local_principal`).
    """
    who = principal
    require(who, "read_submissions")
    due_days = int(setting(store, council_code, "return_due_working_days"))
    frame = store.run_sql(
        "marts/mart_submissions",
        council_code=council_code,
        provider_code=provider_scope(who),
        due_working_days=due_days,
    )
    if accepted_only(who):
        frame = frame.filter(pl.col("accepted_at").is_not_null())
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


def _visible_submission(store: Store, principal: Principal, submission_id: int) -> dict:
    """The submission's key facts, once the principal is allowed to see it (else :class:`AccessDenied`)."""
    require(principal, "read_submissions")
    frame = store.query(
        "select submission_id, council_code, provider_code, dataset, period, period_index, status, accepted_at, "
        "superseded_at, received_at, file_name, file_sha256 from submissions where submission_id = ?",
        [int(submission_id)],
    )
    if frame.is_empty():
        raise LookupError(f"there is no submission {submission_id}")
    row = frame.row(0, named=True)
    require(principal, "read_submissions", row["provider_code"])
    if row["accepted_at"] is None and accepted_only(principal):
        raise AccessDenied(
            f"Submission {submission_id} has not been accepted, and a viewer can only see accepted returns."
        )
    return row


def submission_rows(store: Store, submission_id: int, principal: Principal) -> pl.DataFrame:
    """The typed rows of one submission, in file order (if the principal may see the submission)."""
    _visible_submission(store, principal, submission_id)
    return store.query(
        "select kpi_code, locality_code, imd_decile, numerator, denominator, comment, source_row, is_warning_row "
        "from return_rows where submission_id = ? order by source_row nulls last",
        [submission_id],
    )


def submission_report(store: Store, submission_id: int, principal: Principal) -> dict:
    """The validation report stored with a submission (if the principal may see the submission)."""
    _visible_submission(store, principal, submission_id)
    return json.loads(
        store.query("select report_json from submissions where submission_id = ?", [submission_id]).item()
    )


def submission_file(store: Store, principal: Principal, submission_id: int) -> tuple[str, bytes | None]:
    """The file as it was received (name and bytes; no bytes for personal data), if the principal may see it."""
    row = _visible_submission(store, principal, submission_id)
    data = store.query("select file_bytes from submissions where submission_id = ?", [submission_id]).item()
    return row["file_name"] or f"submission_{submission_id}.csv", data


def submission_history(store: Store, principal: Principal, submission_id: int) -> pl.DataFrame:
    """Every status event of a submission (submitted, accepted, queried) with who, when and the comment."""
    _visible_submission(store, principal, submission_id)
    return store.query(
        "select event_at, status, actor, comment from submission_events where submission_id = ? "
        "order by event_at",
        [submission_id],
    )


# ---- the provider portal ------------------------------------------------------------------------------------------


def portal_load(
    store: Store,
    principal: Principal,
    data: bytes,
    file_name: str,
    *,
    council_code: str,
    provider_code: str | None = None,
    check_only: bool = False,
    accept_warnings: bool = False,
    reason: str | None = None,
) -> LoadResult:
    """Check or submit a return through the portal, as the signed-in principal.

    A provider's upload is stamped with the principal's own provider (a file naming another provider is rejected
    by the checks) and is *submitted* until a commissioner decides; a commissioner uploading for a provider
    (``provider_code``) is accepted at once, as a command-line load is. A check writes nothing but an audit entry;
    a failure half-way through writing leaves nothing but the audit entry saying so.
    """
    require(principal, "upload")
    scope = provider_scope(principal)
    provider = scope or (provider_code or "").strip().upper()
    require(principal, "upload", provider_code or scope)
    if not provider:
        raise ValueError("choose the provider whose return this is")
    status = "submitted" if scope else "accepted"
    try:
        result = load_return(
            store,
            data,
            file_name,
            council_code=council_code,
            provider_code=provider,
            principal=principal,
            source="portal",
            check_only=check_only,
            accept_warnings=accept_warnings,
            reason=reason,
            status=status,
        )
    except Exception as exc:
        store.audit(
            "return submission failed",
            actor=principal.email,
            council_code=council_code,
            subject=Path(file_name).name,
            detail={"provider": provider, "error": f"{type(exc).__name__}: {exc}"[:500]},
        )
        report = Report(file_name=Path(file_name).name, sha256=sha256(data))
        return LoadResult(
            FAILED,
            report,
            message="the return could not be stored because of a problem on our side: nothing was written. "
            "Try again; if it happens again, tell the commissioning team.",
        )
    result.message = _portal_message(result, status)
    if result.outcome == DUPLICATE:
        store.audit(
            "return already received",
            actor=principal.email,
            council_code=council_code,
            subject=result.report.file_name,
            detail={
                "provider": provider,
                "sha256": result.report.sha256,
                "submission_id": result.submission_id,
            },
        )
    if check_only:
        store.audit(
            "return checked",
            actor=principal.email,
            council_code=council_code,
            subject=result.report.file_name,
            detail={
                "provider": provider,
                "sha256": result.report.sha256,
                "errors": result.report.errors.height,
                "warnings": result.report.warnings.height,
                "would_write": result.would_write,
            },
        )
    return result


def _portal_message(result: LoadResult, status: str) -> str:
    """The outcome in the portal's words (buttons and ticks rather than command-line options)."""
    sid = result.submission_id
    if result.outcome == WRITTEN and status == "submitted":
        return f"submitted as submission {sid}: it waits for the commissioner's review"
    if result.outcome == WRITTEN:
        return result.message
    if result.outcome == DUPLICATE:
        return f"this file was already received as submission {sid}: nothing changed"
    if result.outcome == REJECTED:
        return "the file was rejected and nothing was written: correct the problems below and upload it again"
    if result.outcome == UNCONFIRMED:
        return (
            "the file has warnings and nothing was written: check them below, tick the box, say why the figures "
            "are right, and submit again"
        )
    if result.outcome == CHECKED and not result.report.ok:
        return "checked only, nothing was written: the file has errors, so it would be rejected"
    if result.outcome == CHECKED and not result.would_write:
        return "checked only, nothing was written: the file has warnings, which need a tick and a reason to submit"
    if result.outcome == CHECKED and "already loaded" in result.message:
        return "checked only, nothing was written: this file has been received before"
    if result.outcome == CHECKED:
        return "checked only, nothing was written: no errors, so the file can be submitted"
    return result.message


def _decide(
    store: Store, principal: Principal, submission_id: int, decision: str, comment: str | None
) -> dict:
    require(principal, "review")
    at = periods.now()
    with store.transaction() as cur:
        # Read under the write lock: a resubmission or another decision made meanwhile is seen here.
        found = cur.execute(
            "select council_code, provider_code, dataset, period, status, superseded_at, received_at "
            "from submissions where submission_id = ?",
            [int(submission_id)],
        ).fetchone()
        if found is None:
            raise ReviewError(f"there is no submission {submission_id}")
        council, provider, dataset, period, status, superseded_at, received_at = found
        if superseded_at is not None:
            raise ReviewError(
                f"submission {submission_id} has been superseded by a newer return: review that one instead"
            )
        if status == "accepted":
            raise ReviewError(f"submission {submission_id} has already been accepted: nothing was changed")
        if status == decision:
            raise ReviewError(f"submission {submission_id} is already {decision}: nothing was changed")
        newer = cur.execute(
            "select submission_id from submissions where council_code = ? and provider_code = ? and dataset = ? "
            "and period = ? and status = 'accepted' and superseded_at is null "
            "and (received_at > ? or (received_at = ? and submission_id > ?)) "
            "order by received_at desc limit 1",
            [council, provider, dataset, period, received_at, received_at, submission_id],
        ).fetchone()
        if decision == "accepted" and newer is not None:
            raise ReviewError(
                f"a newer return for {provider} {period} (submission {newer[0]}) is already accepted: submission "
                f"{submission_id} cannot replace it"
            )
        superseded = None
        replaced: list[int] = []
        if decision == "accepted":
            cur.execute(
                "update submissions set status = 'accepted', accepted_at = ? where submission_id = ?",
                [at, submission_id],
            )
            superseded = supersede_previous(cur, submission_id, council, provider, period, at)
            # Older returns for the period still waiting or queried are replaced by this one too.
            replaced = [
                row[0]
                for row in cur.execute(
                    "select submission_id from submissions where council_code = ? and provider_code = ? "
                    "and dataset = ? and period = ? and status in ('submitted', 'queried') "
                    "and superseded_at is null "
                    "and (received_at < ? or (received_at = ? and submission_id < ?))",
                    [council, provider, dataset, period, received_at, received_at, submission_id],
                ).fetchall()
            ]
            for old in replaced:
                cur.execute(
                    "update submissions set superseded_at = ?, superseded_by = ? where submission_id = ?",
                    [at, submission_id, old],
                )
        else:
            cur.execute("update submissions set status = 'queried' where submission_id = ?", [submission_id])
        cur.execute(
            "insert into submission_events values (?, ?, ?, ?, ?)",
            [submission_id, at, decision, principal.email, comment],
        )
        store.audit(
            "submission accepted" if decision == "accepted" else "submission queried",
            actor=principal.email,
            council_code=council,
            subject=f"submission {submission_id}",
            cur=cur,
            detail={
                "submission_id": submission_id,
                "provider": provider,
                "period": period,
                "comment": comment,
                "supersedes": superseded,
                "replaces_waiting": replaced,
            },
        )
    return {
        "submission_id": submission_id,
        "provider_code": provider,
        "period": period,
        "supersedes": superseded,
    }


def accept_submission(
    store: Store, principal: Principal, submission_id: int, comment: str | None = None
) -> str:
    """Accept a submitted (or queried) return: it becomes current and supersedes the one it replaces; audited.

    Returns what happened in words. Only commissioners may accept.
    """
    done = _decide(store, principal, submission_id, "accepted", (comment or "").strip() or None)
    message = f"submission {submission_id} ({done['provider_code']} {done['period']}) accepted"
    if done["supersedes"]:
        message += f"; it supersedes submission {done['supersedes']}, which stays in the history"
    return message


def query_submission(store: Store, principal: Principal, submission_id: int, comment: str) -> str:
    """Query a submitted return with a comment the provider will see; it stays out of the figures; audited."""
    text = (comment or "").strip()
    require(principal, "review")
    if not text:
        raise ReviewError("a query needs a comment saying what the provider should check or correct")
    done = _decide(store, principal, submission_id, "queried", text)
    return f"submission {submission_id} ({done['provider_code']} {done['period']}) queried: the provider will see your comment"


def _row_ranges(rows: list[int]) -> str:
    """``[2, 3, 4, 9]`` -> ``"2-4, 9"``."""
    ordered, parts = sorted(set(rows)), []
    for row in ordered:
        if parts and row == parts[-1][1] + 1:
            parts[-1][1] = row
        else:
            parts.append([row, row])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def report_table(report: Report) -> pl.DataFrame:
    """A validation report for people: one row per problem (grouped), with its rows as ranges, errors first."""
    grouped = report.grouped()
    return pl.DataFrame(
        [
            {
                "severity": "Error" if item["severity"] == "error" else "Warning",
                "rows": _row_ranges(item["rows"]),
                "row_count": len(item["rows"]),
                "column": item["column"] or "",
                "problem": item["message"],
            }
            for item in grouped.iter_rows(named=True)
        ],
        schema={
            "severity": pl.String,
            "rows": pl.String,
            "row_count": pl.Int64,
            "column": pl.String,
            "problem": pl.String,
        },
    )


def report_from_dict(stored: dict) -> Report:
    """A :class:`Report` again from its stored form (``report_json`` / :meth:`Report.to_dict`)."""
    from kpi.ingest.report import PROBLEM_SCHEMA

    report = Report(
        file_name=stored.get("file_name") or "",
        sha256=stored.get("sha256") or "",
        rows_read=stored["rows_read"],
    )
    report.notes = list(stored.get("notes") or [])
    if stored.get("problems"):
        report.add(pl.DataFrame(stored["problems"], schema=PROBLEM_SCHEMA))
    return report
