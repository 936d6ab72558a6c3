"""The submissions and their review: the provider portal's upload, the commissioner's decision, the listing.

The provider portal goes through :func:`portal_load`: the upload is stamped with the signed-in provider's code and
stays *submitted* until a commissioner accepts it (:func:`accept_submission`, which supersedes the return it
replaces) or queries it with a comment (:func:`query_submission`); the provider then resubmits. Every status change
is a row of ``submission_events``. The reading functions take the principal and keep a provider to its own
submissions and a viewer to accepted ones (:mod:`kpi.access.rules`). Loading itself is :mod:`kpi.returns.load`,
whose names the pages use are importable from here too.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import AccessDenied, accepted_only, provider_scope, require
from kpi.core import periods as periods
from kpi.core.store import Store, setting
from kpi.ingest.files import sha256
from kpi.ingest.report import Report
from kpi.returns.load import (
    CHECKED,
    DUPLICATE,
    FAILED,
    REJECTED,
    UNCONFIRMED,
    WRITTEN,
    LoadResult,
    load_return,
    supersede_previous,
)


class ReviewError(ValueError):
    """A review decision that cannot be made (already decided, superseded...); the message says why."""


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
        _audit_upload(
            store,
            principal,
            council_code,
            result,
            "return already received",
            provider=provider,
            submission_id=result.submission_id,
        )
    if check_only:
        _audit_upload(
            store,
            principal,
            council_code,
            result,
            "return checked",
            provider=provider,
            errors=result.report.errors.height,
            warnings=result.report.warnings.height,
            would_write=result.would_write,
        )
    return result


def _audit_upload(
    store: Store, principal: Principal, council_code: str, result: LoadResult, event: str, **detail
) -> None:
    """Audit an upload that wrote nothing (a duplicate, or checked only): who, which file, its SHA-256."""
    store.audit(
        event,
        actor=principal.email,
        council_code=council_code,
        subject=result.report.file_name,
        detail={"provider": detail.pop("provider"), "sha256": result.report.sha256, **detail},
    )


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
        council, provider, dataset, period, received_at = _decidable(cur, submission_id, decision)
        superseded = None
        replaced: list[int] = []
        if decision == "accepted":
            superseded, replaced = _accept(
                cur, submission_id, council, provider, dataset, period, received_at, at
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


def _decidable(cur, submission_id: int, decision: str) -> tuple:
    """The submission's council, provider, dataset, period and receipt time, if ``decision`` may be made on it.

    Raises :class:`ReviewError` when it does not exist, was superseded, is already accepted or already has this
    decision, or (to accept) a newer return for the same period is already accepted.
    """
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
    return council, provider, dataset, period, received_at


def _accept(cur, submission_id, council, provider, dataset, period, received_at, at) -> tuple:
    """Accept: the submission becomes current, supersedes the accepted one, and replaces older waiting ones.

    Returns the superseded submission (or None) and the list of waiting or queried submissions it replaced.
    """
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
    return superseded, replaced


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


__all__ = [
    "CHECKED",
    "DUPLICATE",
    "FAILED",
    "REJECTED",
    "WRITTEN",
    "ReviewError",
    "accept_submission",
    "list_submissions",
    "load_return",
    "portal_load",
    "query_submission",
    "report_from_dict",
    "report_table",
    "submission_file",
    "submission_history",
    "submission_report",
    "submission_rows",
    "supersede_previous",
]
