"""The one load lifecycle every dataset goes through, and the two writing steps every loader shares.

A load (docs/operations.md, how data is stored) is: check the caller; hash the file; recognise a file already loaded
by its SHA-256 (nothing changes); read it into text columns; validate it (every problem at once, in a
:class:`~kpi.ingest.report.Report`); give the verdict (``check_only`` writes nothing; errors, and warnings not
confirmed with a reason, write nothing but one audit entry); otherwise write in **one transaction** the load row, its
rows, the supersession of what it replaces (which stays in history) and the audit entry.

What differs between datasets is declared in a :class:`DatasetSpec` (reader, validator, writer, the table and keys
it supersedes); :func:`run_load` runs the lifecycle for any of them and returns one :class:`LoadResult`. Ids come
from :func:`next_id`, a load's row from :func:`insert_load` (the facts every load records: :func:`load_facts`), and
supersession from :func:`supersede_current` (a load row per key) or :func:`supersede_matching` (value rows matching
the new rows on their keys): each written once, here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.ingest.files import ReadError, base_name, sha256
from kpi.ingest.report import Report, problem

WRITTEN, REJECTED, UNCONFIRMED, DUPLICATE, CHECKED, FAILED = (
    "written",
    "rejected",
    "warnings unconfirmed",
    "duplicate",
    "checked",
    "failed",
)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass
class LoadResult:
    """What happened to one file."""

    outcome: str  # written | rejected | warnings unconfirmed | duplicate | checked | failed
    report: Report
    submission_id: int | None = None
    superseded_id: int | None = None
    message: str = ""
    #: For a check: whether the same load without ``check_only`` would write the file.
    would_write: bool = False

    @property
    def load_id(self) -> int | None:
        """The id of the load written (or found already loaded): a submission, an NCMP or an outcome load."""
        return self.submission_id

    @property
    def exit_code(self) -> int:
        """The CLI's exit status: 0 written, already loaded, or checked and a load would write; 1 otherwise."""
        return (
            0 if self.outcome in (WRITTEN, DUPLICATE) or (self.outcome == CHECKED and self.would_write) else 1
        )


@dataclass
class LoadRun:
    """One load in progress: what the reader, validator and writer of a :class:`DatasetSpec` are given."""

    store: Store
    council_code: str
    principal: Principal
    report: Report
    data: bytes
    source: str
    reason: str | None
    at: datetime
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        """Who loads, for the audit log and the load row."""
        return self.principal.email

    @property
    def warnings_reason(self) -> str | None:
        """The reason the warnings were confirmed with, when the report has warnings (else None)."""
        return self.reason if not self.report.warnings.is_empty() else None

    def read_as(self, table):
        """``table`` (a :class:`~kpi.ingest.files.TextTable`), with a note in the report when it was not UTF-8 text."""
        if table.encoding not in ("UTF-8", "xlsx"):
            self.report.notes.append(f"read as {table.encoding}")
        return table


@dataclass(frozen=True)
class DatasetSpec:
    """What one dataset's load does at each step of :func:`run_load`.

    ``read(run)`` turns the bytes into a frame of text columns (raising :class:`ReadError` with what to do);
    ``validate(run, frame)`` adds every problem to ``run.report`` and returns what the writer needs, or None when
    nothing can be stored; ``write(cur, run, checked)`` inserts inside the one transaction and returns the result
    and the audit entry's detail (None: nothing was written, so no entry). ``duplicate(run)`` finds an earlier load
    of the same file by its SHA-256.
    """

    name: str  #: the ``hcp load`` dataset name
    label: str  #: the dataset in audit entries ("<label> rejected")
    loaded_action: str  #: the audit entry of a written load
    read: Callable[[LoadRun], pl.DataFrame]
    validate: Callable[[LoadRun, pl.DataFrame], Any]
    write: Callable[[Any, LoadRun, Any], tuple[LoadResult, dict | None]]
    #: the table whose current rows a load supersedes, and the keys a new row replaces an old one on
    supersedes: tuple[str, tuple[str, ...]]
    duplicate: Callable[[LoadRun], int | None] | None = None
    duplicate_message: str = "this file was already loaded (load {id}): nothing changed"
    #: warnings stop the load unless confirmed with a reason (else the load goes ahead and keeps them)
    stops_at_warnings: bool = True
    #: a check of a file already loaded says so (else it says what a first load would do)
    check_names_duplicate: bool = False
    permission: str = "load_data"
    #: the option naming the provider whose data this is (the caller must be allowed that provider)
    provider_option: str | None = None
    #: facts of a refusal's audit entry besides the SHA-256
    refusal_detail: Callable[[LoadRun], dict] | None = None
    #: what the load's id is called (``hcp load --json`` prints it under this key)
    id_name: str = "load"
    #: the options the loader takes (``provider_code``, ``mapping``...), passed through to its steps
    options: tuple[str, ...] = ()


def run_load(
    store: Store,
    spec: DatasetSpec,
    data: bytes,
    file_name: str,
    *,
    council_code: str,
    principal: Principal,
    source: str = "cli",
    check_only: bool = False,
    accept_warnings: bool = False,
    reason: str | None = None,
    loaded_at: datetime | None = None,
    **options: Any,
) -> LoadResult:
    """Check a file of ``spec``'s dataset and, unless ``check_only``, store it in one transaction, as ``principal``.

    Example:
        >>> # run_load(store, dataset_spec("ncmp"), data, "ncmp.csv", council_code="E08000009", principal=who)
    """
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise TypeError(f"the {spec.name} load takes no option {', '.join(unknown)}")
    provider = options.get(spec.provider_option) if spec.provider_option else None
    require(principal, spec.permission, provider)
    report = Report(file_name=base_name(file_name), sha256=sha256(data))
    run = LoadRun(store, council_code, principal, report, data, source, reason, periods.now(), dict(options))
    if spec.stops_at_warnings and accept_warnings and not (reason or "").strip():
        report.add(
            problem("error", "reason_needed", 'confirming warnings needs a reason: add --reason "..."')
        )
        return LoadResult(REJECTED, report, message="warnings can only be confirmed with a reason")
    existing = spec.duplicate(run) if spec.duplicate else None
    if existing is not None and not check_only:
        return LoadResult(DUPLICATE, report, existing, message=spec.duplicate_message.format(id=existing))
    try:
        frame = spec.read(run)
    except ReadError as exc:
        report.add(problem("error", exc.check, str(exc)))
        frame = None
    checked = spec.validate(run, frame) if frame is not None else None
    del frame  # personal data read from the file (NCMP identifiers, dates of birth) goes with it
    confirmed = accept_warnings or not spec.stops_at_warnings
    if check_only:
        already = existing if spec.check_names_duplicate else None
        return check_verdict(report, confirmed, already_loaded=already)
    if checked is None or not report.ok or (not report.warnings.is_empty() and not confirmed):
        detail = spec.refusal_detail(run) if spec.refusal_detail else None
        return refuse(
            store, report, council_code=council_code, principal=principal, dataset=spec.label, detail=detail
        )
    run.at = loaded_at or periods.now()
    with store.transaction() as cur:
        result, detail = spec.write(cur, run, checked)
        if detail is not None:
            store.audit(
                spec.loaded_action,
                actor=run.actor,
                council_code=council_code,
                subject=report.file_name,
                cur=cur,
                detail=detail,
            )
    return result


def check_verdict(
    report: Report, accept_warnings: bool = False, *, already_loaded: int | None = None
) -> LoadResult:
    """The outcome of ``--check`` (nothing written): what a real load of the same file would do, for every loader."""
    if already_loaded is not None:
        verdict = f"this file was already loaded as submission {already_loaded}: a load would change nothing"
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


def refuse(
    store: Store,
    report: Report,
    *,
    council_code: str,
    principal: Principal,
    dataset: str,
    detail: dict | None = None,
) -> LoadResult:
    """Refuse a file with errors or unconfirmed warnings, for every loader, as ``principal`` (who may upload).

    One audit entry ("<dataset> rejected" or "<dataset> warnings unconfirmed") and nothing else is written.
    """
    require(principal, "upload")
    actor = principal.email
    facts = {"sha256": report.sha256, **(detail or {})}
    if not report.ok:
        store.audit(
            f"{dataset} rejected",
            actor=actor,
            council_code=council_code,
            subject=report.file_name,
            detail={**facts, "errors": report.errors.height},
        )
        return LoadResult(REJECTED, report, message="the file was rejected: nothing was written")
    store.audit(
        f"{dataset} warnings unconfirmed",
        actor=actor,
        council_code=council_code,
        subject=report.file_name,
        detail={**facts, "warnings": report.warnings.height},
    )
    return LoadResult(
        UNCONFIRMED,
        report,
        message="the file has warnings: check them, then load again with "
        '--accept-warnings --reason "..." to confirm; nothing was written',
    )


def _name(identifier: str) -> str:
    """A table or column name from the code (never from a file), checked before it goes into SQL."""
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"'{identifier}' is not a table or column name")
    return identifier


def next_id(cur, table: str, column: str) -> int:
    """The next id of a load table (inside the caller's transaction, under the store's one write lock)."""
    return int(cur.execute(f"select coalesce(max({_name(column)}), 0) + 1 from {_name(table)}").fetchone()[0])


def load_facts(run: LoadRun, *, keep_file: bool) -> dict[str, Any]:
    """The facts every load row records, by the column names load tables give them.

    Who loaded what and when: the council, the load's time, who, from where (cli, portal, sample...), the file's
    name, SHA-256 and size, the file itself when ``keep_file`` (never a child-level file: docs/methods.md section 3),
    the warnings confirmed and the report.
    """
    report = run.report
    return {
        "council_code": run.council_code,
        "loaded_at": run.at,
        "loaded_by": run.actor,
        "source": run.source,
        "file_name": report.file_name,
        "file_sha256": report.sha256,
        "file_size_bytes": len(run.data),
        "file_bytes": run.data if keep_file else None,
        "warning_count": report.warnings.height,
        "report_json": report.to_json(),
    }


def insert_load(
    cur,
    run: LoadRun,
    table: str,
    id_column: str,
    *,
    keep_file: bool,
    names: Mapping[str, str] | None = None,
    supersede: Mapping[str, Any] | None = None,
    **values: Any,
) -> int:
    """Write a load's row of ``table`` (inside the caller's transaction); returns the load's id.

    With ``supersede`` (key values: :func:`supersede_current`), the current load rows of ``table`` with those keys
    are first marked superseded at the load's time. The row is the next id (:func:`next_id`), the facts of
    :func:`load_facts` that ``table`` has a column for (under ``names`` where it calls one otherwise, e.g.
    ``{"loaded_at": "received_at"}``) and the load's own ``values``, which take precedence.
    """
    load_id = next_id(cur, table, id_column)
    if supersede is not None:
        supersede_current(cur, table, id_column, supersede, at=run.at)
    columns = {item[0] for item in cur.execute(f"select * from {_name(table)} limit 0").description}
    renamed = names or {}
    facts = {renamed.get(key, key): value for key, value in load_facts(run, keep_file=keep_file).items()}
    row = {id_column: load_id, **{k: v for k, v in facts.items() if k in columns}, **values}
    marks = ", ".join("?" for _ in row)
    cur.execute(
        f"insert into {_name(table)} ({', '.join(map(_name, row))}) values ({marks})", list(row.values())
    )
    return load_id


def _where(keys: Mapping[str, Any]) -> tuple[str, list]:
    parts, params = [], []
    for column, value in keys.items():
        if isinstance(value, list | tuple):
            parts.append(f"{_name(column)} in (select unnest(?::varchar[]))")
            params.append(list(value))
        else:
            parts.append(f"{_name(column)} = ?")
            params.append(value)
    return " and ".join([*parts, "superseded_at is null"]), params


def supersede_current(
    cur,
    table: str,
    id_column: str,
    keys: Mapping[str, Any],
    *,
    at: datetime,
    by: int | None = None,
    condition: str = "",
) -> list[int]:
    """Mark the current rows of ``table`` with these key values superseded (at ``at``, by load ``by``).

    A list value matches any of its items; ``condition`` is a further fixed SQL condition. Returns the ids
    superseded, oldest first. Runs inside the caller's transaction; the superseded rows stay in history.
    """
    where, params = _where(keys)
    if condition:
        where += f" and ({condition})"
    if by is not None:
        where += f" and {_name(id_column)} <> ?"
        params.append(by)
    found = cur.execute(
        f"select distinct {_name(id_column)} from {_name(table)} where {where} order by 1", params
    ).fetchall()
    setting = "superseded_at = ?" + (", superseded_by = ?" if by is not None else "")
    cur.execute(
        f"update {_name(table)} set {setting} where {where}",
        [at, *([by] if by is not None else []), *params],
    )
    return [row[0] for row in found]


def supersede_matching(
    cur,
    table: str,
    frame: str,
    keys: Sequence[str],
    *,
    council_code: str,
    at: datetime,
    nullable: Sequence[str] = (),
) -> int:
    """Mark the council's current rows of ``table`` that a new row of the registered ``frame`` replaces.

    A row is replaced when it has the same values of ``keys`` (``nullable`` keys: null matches null). Returns how
    many rows were superseded; runs inside the caller's transaction, before the new rows are inserted.
    """
    matches = " and ".join(
        f"f.{_name(k)} {'is not distinct from' if k in nullable else '='} {_name(table)}.{_name(k)}"
        for k in keys
    )
    return int(
        cur.execute(
            f"update {_name(table)} set superseded_at = ? where council_code = ? and superseded_at is null "
            f"and exists (select 1 from {_name(frame)} as f where {matches})",
            [at, council_code],
        ).fetchone()[0]
    )


def same_file(table: str, id_column: str, dataset: str) -> Callable[[LoadRun], int | None]:
    """A :attr:`DatasetSpec.duplicate`: the first load of ``table`` of the same council, dataset and SHA-256.

    For a provider's dataset (option ``provider_code``) the provider must be the same too.
    """

    def find(run: LoadRun) -> int | None:
        keys = {"council_code": run.council_code, "dataset": dataset, "file_sha256": run.report.sha256}
        if "provider_code" in run.options:
            keys["provider_code"] = str(run.options["provider_code"]).upper()
        where = " and ".join(f"{_name(column)} = ?" for column in keys)
        found = run.store.query(
            f"select {_name(id_column)} from {_name(table)} where {where} order by 1 limit 1",
            list(keys.values()),
        )
        return None if found.is_empty() else int(found.item())

    return find


@contextmanager
def registered(cur, name: str, frame) -> Iterator[str]:
    """``frame`` (polars or Arrow) as the relation ``name`` for the statements inside, then gone again."""
    cur.register(_name(name), frame)
    try:
        yield name
    except BaseException:
        # An aborted transaction (a full disk) refuses even this; the error to report is the one that aborted it.
        with suppress(Exception):
            cur.unregister(name)
        raise
    cur.unregister(name)
