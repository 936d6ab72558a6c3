"""Backups: a consistent snapshot of the database with a manifest, and its restore when the app is stopped.

**Backup** (:func:`backup`, ``hcp backup DIR``, the Admin page) works through the store's own connection and
under its write lock, so the running dashboard takes a snapshot without a second connection (DuckDB allows one
writer process) and no write can start until it is done: the snapshot is one consistent moment, while readers go
on. It checkpoints the database (the write-ahead log into the file) and copies the file, which takes about as long
as copying the file (a second for 250 MB); on a read-only connection, or if the log is not empty after the
checkpoint, it copies every table, sequence and macro into a new file with DuckDB's ``COPY FROM DATABASE``
instead (one statement, one transaction; about fifty times slower). Either way the snapshot is opened read-only and
every table's row count compared with the database's before it is kept. Beside it, ``manifest.json`` records those
row counts, the SHA-256 and size of the snapshot file, the schema version (the newest migration applied), the
method, the DuckDB version and the time, and is signed with HMAC-SHA256 under the installation's **backup key**:
``<database>.backup-key`` beside the database (mode 0600, made by the first backup; it never goes into a backup
folder). A snapshot holds everything: submissions with their archived files (``file_bytes``), history, the audit
log. Backing up and restoring need the ``backup`` permission (an administrator, or the local user).

**Restore** (:func:`restore`, ``hcp restore DIR``) only works when no process holds the database (stop the dashboard
first); it is :mod:`kpi.core.backup_restore`, and the manifest, its signature and the backup key are
:mod:`kpi.core.backup_manifest`. Their names are importable from here too.

Example:
    >>> # manifest = backup(store, "backups/2026-11-23", principal=who)   # then, with the app stopped:
    >>> # restore("backups/2026-11-23", "data/hcp.duckdb", principal=who)
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.backup_manifest import (
    ARCHIVE_COLUMNS,
    FORMAT,
    KEY_SUFFIX,
    MANIFEST_FILE,
    MANIFEST_MAX_BYTES,
    SIGNATURE_ALGORITHM,
    SNAPSHOT_FILE,
    BackupError,
    ident,
    installation_key,
    key_file,
    key_for_backup,
    known_schema_version,
    own_tables,
    read_manifest,
    row_counts,
    sha256_of,
    sign_manifest,
    signature_status,
    signed_by,
    write_manifest,
)
from kpi.core.backup_restore import UNSIGNED_HELP, restore, verify
from kpi.core.store import DatabaseBusy, Store, StoreError, _translate

__all__ = [
    "ARCHIVE_COLUMNS",
    "FORMAT",
    "KEY_SUFFIX",
    "MANIFEST_FILE",
    "MANIFEST_MAX_BYTES",
    "SIGNATURE_ALGORITHM",
    "SNAPSHOT_FILE",
    "UNSIGNED_HELP",
    "BackupError",
    "StoreError",
    "backup",
    "default_folder",
    "ident",
    "installation_key",
    "key_file",
    "known_schema_version",
    "list_backups",
    "new_backup_folder",
    "own_tables",
    "read_manifest",
    "restore",
    "sign_manifest",
    "signature_status",
    "signed_by",
    "verify",
]


def _empty_folder(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise BackupError(f"{directory} is a file, not a folder: give a new folder for the backup")
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"the folder {directory} is not empty: give a new folder for each backup")


def backup(source: Store | str | Path, directory: str | Path, *, principal: Principal) -> dict:
    """Write a consistent snapshot of the database and its signed manifest into ``directory`` (new or empty).

    ``source`` is the open :class:`~kpi.core.store.Store` (inside the app: the app's own store, no second connection) or
    the path of a database no process holds. ``principal`` must have the ``backup`` permission; its e-mail is
    written to the manifest and the audit log. Returns the manifest.

    Raises:
        AccessDenied: the principal may not back up.
        BackupError: the folder is not empty, or the snapshot does not match the database.
        DatabaseBusy: ``source`` is a path and another process (the dashboard) holds it: use the Admin page.
    """
    require(principal, "backup")
    actor = principal.email
    directory = Path(directory)
    _empty_folder(directory)
    if isinstance(source, Store):
        return _backup_store(source, directory, actor)
    path = Path(source)
    if not path.is_file():
        raise BackupError(f"there is no database at {path}: nothing to back up")
    try:
        store = Store.open(path, migrate=False)
    except DatabaseBusy:
        raise
    except StoreError:  # a read-only file or folder: a read-only connection can still copy every table
        store = Store.open(path, read_only=True)
    with store:
        return _backup_store(store, directory, actor)


def _backup_store(store: Store, directory: Path, actor: str) -> dict:
    manifest = _copy_store(store, directory, actor)
    if not store.read_only:
        store.audit(
            "backup made",
            actor=actor,
            subject=str(directory),
            detail={
                "sha256": manifest["sha256"],
                "rows": sum(manifest["tables"].values()),
                "method": manifest["method"],
                "signed": "signature" in manifest,
            },
        )
    return manifest


def _copy_store(store: Store, directory: Path, actor: str) -> dict:
    """The consistent copy and its signed manifest in ``directory``, without an audit entry; returns the manifest.

    The common part of a backup (:func:`backup`, which checks the caller and audits) and a replica's snapshot
    (:mod:`kpi.core.snapshot`, which checks the caller).
    """
    if store.path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up to a folder here")
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / (SNAPSHOT_FILE + ".partial")
    started = periods.now()
    method, counts, migrations, councils, archived = _take_snapshot(store, directory, partial)
    snapshot_counts = _snapshot_counts(partial)
    if snapshot_counts != counts:
        partial.unlink(missing_ok=True)
        raise BackupError(
            "the snapshot does not hold what the database holds (a table's row count differs): nothing was kept; "
            "try again"
        )
    snapshot = directory / SNAPSHOT_FILE
    os.replace(partial, snapshot)
    manifest = {
        "format": FORMAT,
        "application": "HCP Contract Monitor",
        "created_at": started.isoformat(timespec="seconds"),
        "created_by": actor,
        "source": str(Path(store.path).resolve()),
        "method": method,
        "file": SNAPSHOT_FILE,
        "bytes": snapshot.stat().st_size,
        "sha256": sha256_of(snapshot),
        "schema_version": max((row[0] for row in migrations), default=0),
        "migrations": [row[1] for row in migrations],
        "duckdb_version": duckdb.__version__,
        "councils": councils,
        "tables": counts,
        "archived_files": {"submissions": int(archived[0]), "with_file_bytes": int(archived[1])},
    }
    key = key_for_backup(store.path)
    if key is not None:
        manifest = sign_manifest(manifest, key)
    write_manifest(directory, manifest)
    return manifest


def _take_snapshot(
    store: Store, directory: Path, partial: Path
) -> tuple[str, dict[str, int], list, list, tuple]:
    """Under the write lock: copy the database to ``partial`` and read what the manifest records of it.

    Returns the method, every table's row count, the migrations applied, the councils and the archived files'
    counts. On failure the partial copy is removed.
    """
    try:
        with store._write_lock:  # no write starts while the snapshot is taken
            cur = store.cursor()
            catalog = cur.execute("select current_database()").fetchone()[0]
            method = _checkpoint_and_copy(store, cur, partial) if not store.read_only else None
            if method is None:
                method = _copy_database(cur, catalog, partial)
            counts = row_counts(cur, catalog)
            quoted = catalog.replace('"', '""')
            migrations = cur.execute(
                f'select version, name from "{quoted}".main.schema_migrations order by version'
            ).fetchall()
            councils = [
                row[0]
                for row in cur.execute(
                    f'select council_code from "{quoted}".main.councils order by 1'
                ).fetchall()
            ]
            archived = cur.execute(
                f'select count(*), count(file_bytes) from "{quoted}".main.submissions'
            ).fetchone()
    except duckdb.Error as exc:
        for leftover in (partial, Path(str(partial) + ".wal")):
            leftover.unlink(missing_ok=True)
        raise _translate(exc, str(directory)) from exc
    except OSError as exc:
        for leftover in (partial, Path(str(partial) + ".wal")):
            leftover.unlink(missing_ok=True)
        raise _os_error(exc, directory) from exc
    return method, counts, migrations, councils, archived


def _checkpoint_and_copy(store: Store, cur: duckdb.DuckDBPyConnection, partial: Path) -> str | None:
    """Checkpoint (the write-ahead log into the file) and copy the file; None when the log is not empty after.

    Called under the store's write lock, so nothing is written between the checkpoint and the end of the copy;
    readers go on (DuckDB checkpoints beside open read transactions and reading never changes the file).
    """
    cur.execute("checkpoint")
    wal = Path(str(store.path) + ".wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None
    shutil.copyfile(store.path, partial)
    return "checkpoint and file copy under the write lock"


def _copy_database(cur: duckdb.DuckDBPyConnection, catalog: str, partial: Path) -> str:
    """Copy every table, sequence and macro into a new DuckDB file (works on a read-only connection too)."""
    alias = f"hcp_backup_{uuid.uuid4().hex[:12]}"
    quoted = catalog.replace('"', '""')
    cur.execute(f"attach ? as {alias} (read_write)", [str(partial)])
    try:
        cur.execute(f'copy from database "{quoted}" to {alias}')
    finally:
        _quietly(cur, f"detach {alias}")
    return "copy from database"


def _snapshot_counts(snapshot: Path) -> dict[str, int]:
    """Every table's row count in the snapshot file, read without changing it."""
    con = duckdb.connect(
        str(snapshot),
        read_only=True,
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    try:
        return row_counts(con, con.execute("select current_database()").fetchone()[0])
    finally:
        con.close()


def _os_error(exc: OSError, directory: Path) -> StoreError:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return StoreError(f"the disk holding {directory} is full: free some space and try again")
    return BackupError(f"the backup could not be written to {directory}: {exc.strerror or exc}")


def _quietly(cur: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run a clean-up statement whose own failure must not hide the error being raised."""
    try:
        cur.execute(statement)
    except duckdb.Error:
        pass


def list_backups(folder: str | Path) -> list[dict]:
    """The backups in ``folder`` (one sub-folder each), newest first, each manifest with its ``folder``.

    Folders whose manifest cannot be read are listed with an ``error`` instead.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for child in sorted(folder.iterdir(), reverse=True):
        if not child.is_dir():
            continue
        try:
            found.append({**read_manifest(child), "folder": str(child)})
        except BackupError as exc:
            found.append({"folder": str(child), "error": str(exc)})
    return sorted(found, key=lambda item: item.get("created_at", ""), reverse=True)


def default_folder(db_file: str | Path) -> Path:
    """Where the Admin page keeps snapshots: ``HCP_BACKUP_DIR``, else ``backups/`` beside the database."""
    named = os.environ.get("HCP_BACKUP_DIR", "").strip()
    return Path(named) if named else Path(db_file).resolve().parent / "backups"


def new_backup_folder(folder: str | Path, now: datetime | None = None) -> Path:
    """A new sub-folder of ``folder`` named after the time (``hcp-backup-20261123T101500``)."""
    stamp = (now or periods.now()).strftime("%Y%m%dT%H%M%S")
    candidate = Path(folder) / f"hcp-backup-{stamp}"
    number = 1
    while candidate.exists():
        number += 1
        candidate = Path(folder) / f"hcp-backup-{stamp}-{number}"
    return candidate
