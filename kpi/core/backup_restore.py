"""Restoring a backup (``hcp restore DIR``) when no process holds the database.

:func:`verify` checks the manifest (its form, its signature under the target's backup key or the key file given,
schema version not newer than this program knows, SHA-256 of the file); :func:`restore` then copies the snapshot
beside the target, checks that it holds only the tables, views and macros this program's migrations make and every
table's row count against the manifest (reading the program's own tables by name, never a name taken from the
snapshot), keeps the current file as ``<name>.before-restore-<time>`` (a new name each time) and moves the copy into
place in one rename (:func:`kpi.core.store.replace_database`). The restored database is then opened once, which
applies any newer migrations, and the restore is written to its audit log. A backup that is not signed with the key
(unsigned, changed, forged or from another installation) is refused unless ``accept_unsigned`` is given with a
reason, which the audit log keeps.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.backup_manifest import (
    BackupError,
    database_objects,
    key_file,
    known_schema_version,
    own_objects,
    read_key,
    read_manifest,
    row_counts,
    sha256_of,
    signature_status,
)
from kpi.core.store import DatabaseBusy, Store, ensure_not_held, replace_database

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
    secret = read_key(Path(key)) if isinstance(key, (str, Path)) else key
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
    if sha256_of(snapshot) != manifest["sha256"]:
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
    own = own_objects()
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
        found = database_objects(con, catalog)
        for kind in ("tables", "views", "macros"):
            strange = found[kind] - own[kind]
            if strange:
                raise BackupError(
                    f"the backup holds {kind} this program does not make ({_shown(strange)}): it was not made by "
                    "this program; nothing was restored"
                )
        counts = row_counts(con, catalog, found["tables"] & own["tables"])
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
    secret = read_key(key_path) if key is not None or key_path.exists() else None
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
        if sha256_of(restoring) != manifest["sha256"]:
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
