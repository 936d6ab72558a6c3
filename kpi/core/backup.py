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
first): it checks the manifest (its form, its signature under the target's backup key or the key file given,
schema version not newer than this program knows, SHA-256 of the file), copies the snapshot beside the target,
checks that it holds only the tables, views and macros this program's migrations make and every table's row count
against the manifest (reading the program's own tables by name, never a name taken from the snapshot), keeps the
current file as ``<name>.before-restore-<time>`` (a new name each time) and moves the copy into place in one rename
(:func:`kpi.core.store.replace_database`). The restored database is then opened once, which applies any newer migrations,
and the restore is written to its audit log. A backup that is not signed with the key (unsigned, changed, forged or
from another installation) is refused unless ``accept_unsigned`` is given with a reason, which the audit log keeps.

Example:
    >>> # manifest = backup(store, "backups/2026-11-23", principal=who)   # then, with the app stopped:
    >>> # restore("backups/2026-11-23", "data/hcp.duckdb", principal=who)
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import (
    SQL_DIR,
    DatabaseBusy,
    Store,
    StoreError,
    _translate,
    ensure_not_held,
    replace_database,
)

FORMAT = 1
SNAPSHOT_FILE = "hcp.duckdb"
MANIFEST_FILE = "manifest.json"
KEY_SUFFIX = ".backup-key"
SIGNATURE_ALGORITHM = "HMAC-SHA256"
#: A manifest is a few kilobytes; anything much larger is not one this program wrote.
MANIFEST_MAX_BYTES = 1 << 20
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


def ident(name: str) -> str:
    """A SQL identifier, quoted: ``"name"`` with any double quote doubled (DuckDB's rule), so a name is only a name.

    Example:
        >>> ident('a"b')
        '"a""b"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def _tables(cur: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = cur.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = 'main' order by 1",
        [catalog],
    ).fetchall()
    return [row[0] for row in rows]


def _objects(cur: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, set[str]]:
    """The tables, views and macros a database holds (names, read as data: never put into SQL)."""
    return {
        "tables": set(_tables(cur, catalog)),
        "views": {
            row[0]
            for row in cur.execute(
                "select view_name from duckdb_views() where database_name = ? and not internal", [catalog]
            ).fetchall()
        },
        "macros": {
            row[0]
            for row in cur.execute(
                "select distinct function_name from duckdb_functions() where database_name = ? and not internal",
                [catalog],
            ).fetchall()
        },
    }


@functools.cache
def _own_objects() -> dict[str, frozenset[str]]:
    """The tables, views and macros this program's migrations make, at any schema version a backup may have.

    Read from the live schema of an in-memory database as each migration of ``sql/schema/`` is applied in turn (as
    :meth:`kpi.core.store.Store.migrate` applies them), so a table an older schema had and a later migration replaced
    is known too.
    """
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    con = duckdb.connect(":memory:", config=config)
    try:
        con.execute(
            "create table schema_migrations "
            "(version integer primary key, name varchar not null, applied_at timestamp not null)"
        )
        catalog = con.execute("select current_database()").fetchone()[0]
        found: dict[str, set[str]] = _objects(con, catalog)
        for file in sorted((SQL_DIR / "schema").glob("[0-9][0-9][0-9]_*.sql")):
            con.execute(file.read_text(encoding="utf-8"))
            for kind, names in _objects(con, catalog).items():
                found[kind] |= names
    finally:
        con.close()
    return {kind: frozenset(names) for kind, names in found.items()}


def own_tables() -> frozenset[str]:
    """The tables this program's migrations make: the only tables a restore reads."""
    return _own_objects()["tables"]


def _counts(cur: duckdb.DuckDBPyConnection, catalog: str, tables=None) -> dict[str, int]:
    """Row counts of ``tables`` (default: every table of ``catalog``), each name quoted as an identifier."""
    names = sorted(tables) if tables is not None else _tables(cur, catalog)
    return {
        table: int(cur.execute(f"select count(*) from {ident(catalog)}.main.{ident(table)}").fetchone()[0])
        for table in names
    }


def key_file(db_file: str | Path) -> Path:
    """The backup key of the database at ``db_file``: ``<db_file>.backup-key`` beside it."""
    return Path(str(Path(db_file).resolve()) + KEY_SUFFIX)


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError as exc:
        raise BackupError(f"there is no backup key at {path}") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"the backup key {path} cannot be read or is not a key: {exc}") from exc
    if len(key) < 32:
        raise BackupError(f"the backup key {path} is too short to be a key made by this program")
    return key


def installation_key(db_file: str | Path) -> bytes | None:
    """The backup key beside the database at ``db_file``, or None when there is none or it cannot be read."""
    try:
        return _read_key(key_file(db_file))
    except BackupError:
        return None


def _key_for_backup(db_file: str | Path) -> bytes | None:
    """The database's backup key, made (mode 0600) on its first backup; None when it cannot be made (read-only)."""
    path = key_file(db_file)
    if path.exists():
        return _read_key(path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    except OSError:
        return None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return _read_key(path)


def _canonical(manifest: dict) -> bytes:
    body = {key: value for key, value in manifest.items() if key != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"hcp backup key id:" + key).hexdigest()[:16]


def sign_manifest(manifest: dict, key: bytes) -> dict:
    """The manifest with its ``signature``: HMAC-SHA256 of every other field (canonical JSON) under ``key``."""
    value = hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()
    return {
        **manifest,
        "signature": {"algorithm": SIGNATURE_ALGORITHM, "key_id": _key_id(key), "value": value},
    }


def signed_by(manifest: dict, key: bytes) -> bool:
    """Whether the manifest carries a valid signature under ``key``."""
    signature = manifest.get("signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != SIGNATURE_ALGORITHM:
        return False
    value = signature.get("value")
    if not isinstance(value, str):
        return False
    expected = hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, value)


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
    key = _key_for_backup(store.path)
    if key is not None:
        manifest = sign_manifest(manifest, key)
    _write_manifest(directory, manifest)
    if not store.read_only:
        store.audit(
            "backup made",
            actor=actor,
            subject=str(directory),
            detail={
                "sha256": manifest["sha256"],
                "rows": sum(counts.values()),
                "method": method,
                "signed": "signature" in manifest,
            },
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


def _bad_manifest(directory: Path, what: str) -> BackupError:
    return BackupError(
        f"the {MANIFEST_FILE} in {directory} is {what}: it is not a manifest this program wrote; nothing was "
        "restored; use another backup"
    )


def _check_form(manifest: object, directory: Path) -> dict:
    """The manifest, if every field a restore uses has the type it must have; else a plain :class:`BackupError`."""
    if not isinstance(manifest, dict):
        raise _bad_manifest(directory, "not a JSON object")
    needed = ("format", "file", "sha256", "schema_version", "tables")
    if any(key not in manifest for key in needed):
        raise BackupError(f"the {MANIFEST_FILE} in {directory} is incomplete: restore from another backup")

    def whole(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    if not whole(manifest["format"]):
        raise _bad_manifest(directory, "malformed (format is not a number)")
    if manifest["format"] != FORMAT:
        raise BackupError(
            f"this backup has format {manifest['format']}, which this version of the program does not read"
        )
    if not isinstance(manifest["file"], str) or Path(manifest["file"]).name != manifest["file"]:
        raise _bad_manifest(directory, "malformed (file is not a file name)")
    digest = manifest["sha256"]
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise _bad_manifest(directory, "malformed (sha256 is not a SHA-256)")
    if not whole(manifest["schema_version"]):
        raise _bad_manifest(directory, "malformed (schema_version is not a number)")
    tables = manifest["tables"]
    if not isinstance(tables, dict) or not all(isinstance(k, str) and whole(v) for k, v in tables.items()):
        raise _bad_manifest(directory, "malformed (tables is not a list of row counts)")
    for key in ("created_at", "created_by", "method", "source"):
        if key in manifest and not isinstance(manifest[key], str):
            raise _bad_manifest(directory, f"malformed ({key} is not text)")
    if "bytes" in manifest and not whole(manifest["bytes"]):
        raise _bad_manifest(directory, "malformed (bytes is not a number)")
    if "signature" in manifest and not isinstance(manifest["signature"], dict):
        raise _bad_manifest(directory, "malformed (signature)")
    return manifest


def read_manifest(directory: str | Path) -> dict:
    """The manifest of a backup folder, checked for form (every field a restore uses, of the right type).

    Raises:
        BackupError: no manifest, or one this program cannot use (damaged, incomplete, malformed, other format).
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
        if file.stat().st_size > MANIFEST_MAX_BYTES:
            raise _bad_manifest(directory, "far too large")
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise BackupError(
            f"the {MANIFEST_FILE} in {directory} is damaged: restore from another backup"
        ) from exc
    except OSError as exc:
        raise BackupError(
            f"the {MANIFEST_FILE} in {directory} cannot be read: {exc.strerror or exc}"
        ) from exc
    return _check_form(manifest, directory)


def signature_status(manifest: dict, key: bytes | None) -> str:
    """``"signed"`` (valid under ``key``), ``"unsigned"`` (no signature) or ``"foreign"`` (a signature that fails)."""
    if "signature" not in manifest:
        return "unsigned"
    return "signed" if key is not None and signed_by(manifest, key) else "foreign"


UNSIGNED_HELP = (
    "nothing was restored. Restore only a backup you trust; to restore this one anyway, give the key of the "
    "installation that made it (hcp restore DIR --key FILE), or accept it explicitly "
    '(hcp restore DIR --accept-unsigned --reason "why"), which the audit log records'
)


def verify(
    directory: str | Path,
    *,
    key: str | Path | bytes | None = None,
    accept_unsigned: bool = False,
) -> dict:
    """Check a backup folder: the manifest's form and signature, the file's SHA-256, the schema version.

    ``key`` is the backup key (bytes) or its file; a manifest not signed with it (unsigned, changed after it was
    signed, or from another installation) is refused unless ``accept_unsigned``. Returns the manifest with
    ``signature_status`` ("signed", "unsigned" or "foreign").

    Raises:
        BackupError: what is wrong, and that nothing was restored.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    secret = _read_key(Path(key)) if isinstance(key, (str, Path)) else key
    status = signature_status(manifest, secret)
    if status != "signed" and not accept_unsigned:
        if secret is None:
            why = "there is no backup key to check its signature with (a database restored to a new place)"
        elif status == "unsigned":
            why = "its manifest is not signed"
        else:
            why = "its manifest's signature does not match the backup key (changed, forged or another installation's)"
        raise BackupError(f"the backup in {directory} cannot be trusted: {why}; {UNSIGNED_HELP}")
    snapshot = directory / manifest["file"]
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
    if manifest["schema_version"] > known:
        raise BackupError(
            f"this backup was made by a newer version of the program (schema {manifest['schema_version']}, this "
            f"one knows up to {known}): update the program first; nothing was restored"
        )
    return {**manifest, "signature_status": status}


def _shown(names) -> str:
    """Names from a snapshot, for a message: repr'd and cut short (they are untrusted text)."""
    listed = sorted(names)
    text = ", ".join(repr(name[:60]) for name in listed[:5])
    return text + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")


def _check_snapshot(path: Path, manifest: dict) -> None:
    """The snapshot holds only this program's tables, views and macros, with the rows its manifest lists.

    Names are read from the snapshot as data and compared with the program's own; only the program's own table
    names are ever put into SQL (quoted). The file is opened read-only, without extensions.
    """
    own = _own_objects()
    listed = set(manifest["tables"])
    if listed - own["tables"]:
        raise BackupError(
            f"the backup's manifest lists tables this program does not make ({_shown(listed - own['tables'])}): "
            "nothing was restored; use another backup"
        )
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    try:
        con = duckdb.connect(str(path), read_only=True, config=config)
    except duckdb.Error as exc:
        raise BackupError(
            f"the backup file is not a database this program can open: nothing was restored ({exc})"
        ) from exc
    try:
        catalog = con.execute("select current_database()").fetchone()[0]
        found = _objects(con, catalog)
        for kind in ("tables", "views", "macros"):
            strange = found[kind] - own[kind]
            if strange:
                raise BackupError(
                    f"the backup holds {kind} this program does not make ({_shown(strange)}): it was not made by "
                    "this program; nothing was restored"
                )
        counts = _counts(con, catalog, found["tables"] & own["tables"])
    except duckdb.Error as exc:
        raise BackupError(f"the backup file could not be read: nothing was restored ({exc})") from exc
    finally:
        con.close()
    if counts != manifest["tables"]:
        raise BackupError(
            "the backup's tables do not hold the rows its manifest lists: nothing was restored; use another backup"
        )


def restore(
    directory: str | Path,
    target: str | Path,
    *,
    principal: Principal,
    key: str | Path | None = None,
    accept_unsigned: bool = False,
    reason: str | None = None,
) -> dict:
    """Replace the database at ``target`` with the snapshot in ``directory`` (the app must be stopped).

    The manifest must be signed with the backup key: the file ``key`` when given, else the target's own key
    (:func:`key_file`). ``accept_unsigned`` with a non-blank ``reason`` restores a backup that is not (unsigned,
    forged, another installation's); the audit log records it and the reason. The current file is kept beside it as
    ``<name>.before-restore-<time>`` (a new name each time). Returns the manifest plus ``kept`` (that file's path,
    or None when there was no database).

    Raises:
        AccessDenied: the principal may not restore.
        DatabaseBusy: a process (the dashboard) holds ``target``: stop it first.
        BackupError: the backup is damaged, malformed, unsigned, incomplete or from a newer program; nothing was
            changed.
    """
    require(principal, "backup")
    actor = principal.email
    directory, target = Path(directory), Path(target)
    if accept_unsigned and not (reason or "").strip():
        raise BackupError('restoring a backup that is not signed needs a reason: add --reason "..."')
    key_path = Path(key) if key is not None else key_file(target)
    secret = _read_key(key_path) if key is not None or key_path.exists() else None
    manifest = verify(directory, key=secret, accept_unsigned=accept_unsigned)
    ensure_not_held(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    restoring = target.with_name(target.name + ".restoring")
    leftovers = (restoring, Path(str(restoring) + ".wal"))
    kept = None
    try:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        shutil.copyfile(directory / manifest["file"], restoring)
        if _sha256(restoring) != manifest["sha256"]:
            raise BackupError(
                "the copy of the backup file differs from it (disk problem?): nothing was restored"
            )
        _check_snapshot(restoring, manifest)
        if target.exists():
            kept = _keep_current(target)
        replace_database(restoring, target)
    except DatabaseBusy:
        raise
    finally:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
    own_key = key_file(target)
    if (
        secret is not None and not own_key.exists()
    ):  # the restored database signs its next backups with the key
        _write_key(own_key, secret)
    signature = manifest.pop("signature_status")
    with Store.open(target) as store:  # applies newer migrations, if the backup is older than the program
        store.audit(
            "database restored",
            actor=actor,
            subject=str(directory),
            detail={
                "backup_created_at": manifest.get("created_at"),
                "sha256": manifest["sha256"],
                "signature": signature,
                "accepted_unsigned_because": reason.strip() if signature != "signed" else None,
                "previous_file_kept_as": str(kept) if kept else None,
            },
        )
    return {**manifest, "signature_status": signature, "kept": str(kept) if kept else None}


def _write_key(path: Path, key: bytes) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")


def _keep_current(target: Path) -> Path:
    """Keep the database being replaced (and its log) under a name no earlier restore used."""
    stamp = periods.now().strftime("%Y%m%dT%H%M%S")
    number = 1
    while True:
        kept = target.with_name(
            f"{target.name}.before-restore-{stamp}" + (f"-{number}" if number > 1 else "")
        )
        try:
            _keep(target, kept)
        except FileExistsError:
            number += 1
            continue
        break
    wal = Path(str(target) + ".wal")
    if wal.exists():
        _keep(wal, Path(str(kept) + ".wal"))
    return kept


def _keep(source: Path, kept: Path) -> None:
    """Keep ``source`` as ``kept`` without copying when the file system allows (a hard link); never over a file.

    Raises:
        FileExistsError: ``kept`` exists already.
    """
    try:
        os.link(source, kept)
    except FileExistsError:
        raise
    except OSError:
        with open(source, "rb") as reading, open(kept, "xb") as writing:
            shutil.copyfileobj(reading, writing)
        shutil.copystat(source, kept)


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
