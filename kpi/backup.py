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
method, the DuckDB version and the time. A snapshot holds everything: submissions with their archived files
(``file_bytes``), history, the audit log.

**Restore** (:func:`restore`, ``hcp restore DIR``) only works when no process holds the database (stop the dashboard
first): it checks the manifest (format, schema version not newer than this program knows, SHA-256 of the file),
copies the snapshot beside the target, checks every table's row count against the manifest, keeps the current file
as ``<name>.before-restore-<time>`` and moves the copy into place in one rename
(:func:`kpi.store.replace_database`). The restored database is then opened once, which applies any newer migrations,
and the restore is written to its audit log.

Example:
    >>> # manifest = backup(store, "backups/2026-11-23")   # then, with the app stopped:
    >>> # restore("backups/2026-11-23", "data/hcp.duckdb")
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from kpi import periods
from kpi.store import SQL_DIR, DatabaseBusy, Store, StoreError, _translate, ensure_not_held, replace_database

FORMAT = 1
SNAPSHOT_FILE = "hcp.duckdb"
MANIFEST_FILE = "manifest.json"
#: Tables whose BLOB column holds archived files, checked by the round-trip test and listed in the manifest.
ARCHIVE_COLUMNS = {"submissions": ("file_bytes", "file_sha256")}


class BackupError(StoreError):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def known_schema_version() -> int:
    """The newest migration this program has (``sql/schema/NNN_*.sql``)."""
    return max((int(f.name[:3]) for f in (SQL_DIR / "schema").glob("[0-9][0-9][0-9]_*.sql")), default=0)


def _tables(cur: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = cur.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = 'main' order by 1",
        [catalog],
    ).fetchall()
    return [row[0] for row in rows]


def _counts(cur: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    quoted = catalog.replace('"', '""')
    return {
        table: int(cur.execute(f'select count(*) from "{quoted}".main."{table}"').fetchone()[0])
        for table in _tables(cur, catalog)
    }


def _empty_folder(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise BackupError(f"{directory} is a file, not a folder: give a new folder for the backup")
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"the folder {directory} is not empty: give a new folder for each backup")


def backup(source: Store | str | Path, directory: str | Path, *, actor: str = "cli") -> dict:
    """Write a consistent snapshot of the database and its manifest into ``directory`` (new or empty).

    ``source`` is the open :class:`~kpi.store.Store` (inside the app: the app's own store, no second connection) or
    the path of a database no process holds. Returns the manifest.

    Raises:
        BackupError: the folder is not empty, or the snapshot does not match the database.
        DatabaseBusy: ``source`` is a path and another process (the dashboard) holds it: use the Admin page.
    """
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
    if store.path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up to a folder here")
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / (SNAPSHOT_FILE + ".partial")
    started = periods.now()
    try:
        with store._write_lock:  # no write starts while the snapshot is taken
            cur = store.cursor()
            catalog = cur.execute("select current_database()").fetchone()[0]
            method = _checkpoint_and_copy(store, cur, partial) if not store.read_only else None
            if method is None:
                method = _copy_database(cur, catalog, partial)
            counts = _counts(cur, catalog)
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
        "sha256": _sha256(snapshot),
        "schema_version": max((row[0] for row in migrations), default=0),
        "migrations": [row[1] for row in migrations],
        "duckdb_version": duckdb.__version__,
        "councils": councils,
        "tables": counts,
        "archived_files": {"submissions": int(archived[0]), "with_file_bytes": int(archived[1])},
    }
    _write_manifest(directory, manifest)
    if not store.read_only:
        store.audit(
            "backup made",
            actor=actor,
            subject=str(directory),
            detail={"sha256": manifest["sha256"], "rows": sum(counts.values()), "method": method},
        )
    return manifest


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
        return _counts(con, con.execute("select current_database()").fetchone()[0])
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


def _write_manifest(directory: Path, manifest: dict) -> None:
    temporary = directory / (MANIFEST_FILE + ".partial")
    temporary.write_text(json.dumps(manifest, indent=2, sort_keys=False), encoding="utf-8")
    os.replace(temporary, directory / MANIFEST_FILE)


def read_manifest(directory: str | Path) -> dict:
    """The manifest of a backup folder, checked for form.

    Raises:
        BackupError: no manifest, or one this program cannot use.
    """
    directory = Path(directory)
    file = directory / MANIFEST_FILE
    if not directory.is_dir():
        raise BackupError(f"there is no backup folder at {directory}")
    if not file.is_file():
        raise BackupError(
            f"{directory} has no {MANIFEST_FILE}: it is not a folder made by 'hcp backup' or the Admin page"
        )
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(
            f"the {MANIFEST_FILE} in {directory} is damaged: restore from another backup"
        ) from exc
    needed = ("format", "file", "sha256", "schema_version", "tables")
    if not isinstance(manifest, dict) or any(key not in manifest for key in needed):
        raise BackupError(f"the {MANIFEST_FILE} in {directory} is incomplete: restore from another backup")
    if manifest["format"] != FORMAT:
        raise BackupError(
            f"this backup has format {manifest['format']}, which this version of the program does not read"
        )
    return manifest


def verify(directory: str | Path) -> dict:
    """Check a backup folder: the manifest, the snapshot file's SHA-256 and the schema version; returns the manifest.

    Raises:
        BackupError: what is wrong, and that nothing was restored.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    snapshot = directory / Path(str(manifest["file"])).name
    if not snapshot.is_file():
        raise BackupError(
            f"the backup file {snapshot.name} is missing from {directory}: nothing was restored"
        )
    if _sha256(snapshot) != manifest["sha256"]:
        raise BackupError(
            f"the backup file in {directory} does not match its manifest (SHA-256 differs: damaged or changed): "
            "nothing was restored; use another backup"
        )
    known = known_schema_version()
    if int(manifest["schema_version"]) > known:
        raise BackupError(
            f"this backup was made by a newer version of the program (schema {manifest['schema_version']}, this "
            f"one knows up to {known}): update the program first; nothing was restored"
        )
    return manifest


def restore(directory: str | Path, target: str | Path, *, actor: str = "cli") -> dict:
    """Replace the database at ``target`` with the snapshot in ``directory`` (the app must be stopped).

    The current file is kept beside it as ``<name>.before-restore-<time>``. Returns the manifest plus ``kept``
    (that file's path, or None when there was no database).

    Raises:
        DatabaseBusy: a process (the dashboard) holds ``target``: stop it first.
        BackupError: the backup is damaged, incomplete or from a newer program; nothing was changed.
    """
    directory, target = Path(directory), Path(target)
    manifest = verify(directory)
    ensure_not_held(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    restoring = target.with_name(target.name + ".restoring")
    leftovers = (restoring, Path(str(restoring) + ".wal"))
    kept = None
    try:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        shutil.copyfile(directory / Path(str(manifest["file"])).name, restoring)
        if _sha256(restoring) != manifest["sha256"]:
            raise BackupError(
                "the copy of the backup file differs from it (disk problem?): nothing was restored"
            )
        with Store.open(restoring, read_only=True) as copy:
            cur = copy.cursor()
            counts = _counts(cur, cur.execute("select current_database()").fetchone()[0])
        if counts != {name: int(n) for name, n in manifest["tables"].items()}:
            raise BackupError(
                "the backup's tables do not hold the rows its manifest lists: nothing was restored; use another "
                "backup"
            )
        if target.exists():
            stamp = periods.now().strftime("%Y%m%dT%H%M%S")
            kept = target.with_name(f"{target.name}.before-restore-{stamp}")
            _keep(target, kept)
            wal = Path(str(target) + ".wal")
            if wal.exists():
                _keep(wal, Path(str(kept) + ".wal"))
        replace_database(restoring, target)
    except DatabaseBusy:
        raise
    finally:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
    with Store.open(target) as store:  # applies newer migrations, if the backup is older than the program
        store.audit(
            "database restored",
            actor=actor,
            subject=str(directory),
            detail={
                "backup_created_at": manifest.get("created_at"),
                "sha256": manifest["sha256"],
                "previous_file_kept_as": str(kept) if kept else None,
            },
        )
    return {**manifest, "kept": str(kept) if kept else None}


def _keep(source: Path, kept: Path) -> None:
    """Keep ``source`` as ``kept`` without copying when the file system allows (a hard link)."""
    try:
        os.link(source, kept)
    except OSError:
        shutil.copy2(source, kept)


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
