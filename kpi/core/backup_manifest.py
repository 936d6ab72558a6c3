"""A backup's manifest and its signature: what a snapshot holds, signed with the installation's backup key.

``manifest.json`` records every table's row count, the SHA-256 and size of the snapshot file, the schema version
(the newest migration applied), the method, the DuckDB version and the time, and is signed with HMAC-SHA256 under
the installation's **backup key**: ``<database>.backup-key`` beside the database (mode 0600, made by the first
backup; it never goes into a backup folder). :func:`read_manifest` checks a manifest's form (every field a restore
uses, of the right type); :func:`signature_status` says whether it is signed with a key. Writing a backup is
:mod:`kpi.core.backup`, restoring one :mod:`kpi.core.backup_restore`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

import duckdb

from kpi.core.store import SQL_DIR, StoreError

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


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
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
    """The tables of a database's main schema, by name."""
    rows = cur.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = 'main' order by 1",
        [catalog],
    ).fetchall()
    return [row[0] for row in rows]


def database_objects(cur: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, set[str]]:
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
def own_objects() -> dict[str, frozenset[str]]:
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
        found: dict[str, set[str]] = database_objects(con, catalog)
        for file in sorted((SQL_DIR / "schema").glob("[0-9][0-9][0-9]_*.sql")):
            con.execute(file.read_text(encoding="utf-8"))
            for kind, names in database_objects(con, catalog).items():
                found[kind] |= names
    finally:
        con.close()
    return {kind: frozenset(names) for kind, names in found.items()}


def own_tables() -> frozenset[str]:
    """The tables this program's migrations make: the only tables a restore reads."""
    return own_objects()["tables"]


def row_counts(cur: duckdb.DuckDBPyConnection, catalog: str, tables=None) -> dict[str, int]:
    """Row counts of ``tables`` (default: every table of ``catalog``), each name quoted as an identifier."""
    names = sorted(tables) if tables is not None else _tables(cur, catalog)
    return {
        table: int(cur.execute(f"select count(*) from {ident(catalog)}.main.{ident(table)}").fetchone()[0])
        for table in names
    }


def key_file(db_file: str | Path) -> Path:
    """The backup key of the database at ``db_file``: ``<db_file>.backup-key`` beside it."""
    return Path(str(Path(db_file).resolve()) + KEY_SUFFIX)


def read_key(path: Path) -> bytes:
    """A backup key from its file; a plain :class:`BackupError` when there is none or it is not a key."""
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
        return read_key(key_file(db_file))
    except BackupError:
        return None


def key_for_backup(db_file: str | Path) -> bytes | None:
    """The database's backup key, made (mode 0600) on its first backup; None when it cannot be made (read-only)."""
    path = key_file(db_file)
    if path.exists():
        return read_key(path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key(path)
    except OSError:
        return None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return read_key(path)


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


def write_manifest(directory: Path, manifest: dict) -> None:
    """Write ``manifest.json`` whole or not at all (a temporary file, then one rename)."""
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
