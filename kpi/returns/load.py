"""Submissions: load a provider return in one transaction and supersede the return it replaces.

A load (docs/operations.md, how data is stored; :func:`kpi.ingest.pipeline.run_load` with :data:`RETURN_SPEC`) reads
and checks the file (:mod:`kpi.returns.checks`), then in **one transaction** writes the submission row (who, when,
SHA-256, the raw file as a BLOB), its typed rows, its status event and an audit entry, and marks the return it
replaces as superseded. A rejected file writes nothing but an audit entry; the same file twice is recognised by its
hash and changes nothing; ``check_only`` writes nothing.

The portal's upload, the commissioner's review and the listing of submissions are :mod:`kpi.returns.review`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require
from kpi.core import deprivation
from kpi.core import periods as periods
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.councils import localities, locality_cells
from kpi.core.store import Store, setting
from kpi.ingest.files import read_text_table
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
    insert_load,
    registered,
    run_load,
    same_file,
    supersede_current,
)
from kpi.ingest.pipeline import check_verdict as check_verdict  # the same for every loader
from kpi.ingest.pipeline import refuse as refuse
from kpi.returns.checks import DATASET, ReturnContext, validate_return


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
        kpis=catalogue_in_force(store, council_code, periods.quarter_of(when), source="return"),
        kpis_for_period=lambda period: catalogue_in_force(store, council_code, period, source="return"),
        index_for_period=lambda period: deprivation.index_for_period(store, council_code, period),
        cells_for_index=lambda index: {
            (loc, int(dec))
            for loc, dec in locality_cells(store, council_code, index_code=index)
            .select("locality_code", "imd_decile")
            .iter_rows()
        },
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
    sid = insert_load(
        cur,
        run,
        "submissions",
        "submission_id",
        keep_file=True,
        names={"loaded_at": "received_at", "loaded_by": "submitted_by"},
        provider_code=provider_code,
        dataset=DATASET,
        period=period.code,
        period_index=period.index,
        row_count=rows.height,
        warnings_reason=reason or None,
        status=status,
        accepted_at=received_at if status == "accepted" else None,
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


#: What callers import from here: the load, its spec, and the pipeline's outcomes and verdicts.
__all__ = [
    "CHECKED",
    "DUPLICATE",
    "FAILED",
    "REJECTED",
    "RETURN_SPEC",
    "UNCONFIRMED",
    "WRITTEN",
    "LoadResult",
    "check_verdict",
    "insert_rows",
    "load_return",
    "refuse",
    "return_context",
    "supersede_previous",
]
