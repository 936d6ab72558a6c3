"""A read-only replica: serve the newest snapshot, switch to a newer one without a restart, log sign-ins aside.

Design (docs/operations.md, scaling; snapshots are :mod:`kpi.core.snapshot`):

* :class:`Replica` opens the newest complete snapshot of a snapshot directory read-only (DuckDB ``read_only``),
  after checking its file against the manifest's SHA-256, and marks the store a replica
  (:meth:`kpi.core.store.Store.make_replica`): from then on the process refuses every write action
  (:func:`kpi.access.rules.require`) and the store refuses every transaction;
* :meth:`Replica.current` looks for a newer snapshot at most every ``check_every`` seconds and, when there is one,
  opens it and serves it to every render that starts after. A render that started on the older snapshot keeps it
  (the app pins one store per render) until it ends: the older store is never closed by the replica, and its
  connection closes when the last render holding it lets go (Python's own reference counting). A snapshot the
  writer deletes stays readable by a replica that has it open (an open file outlives its name); one that cannot be
  opened (deleted or damaged between listing and opening) is skipped and the current one kept;
* a sign-in on a replica is audited in the replica's sign-in log, ``signins/<replica>.jsonl`` in the snapshot
  directory (:func:`log_sign_in`, one JSON line each, written and flushed before the page goes on); the writer moves
  these into its audit log before its next snapshot (:mod:`kpi.core.snapshot`).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

from kpi.core.backup_manifest import BackupError, read_manifest, sha256_of
from kpi.core.snapshot import SIGNINS, snapshot_folders
from kpi.core.store import Store, StoreError

#: How often (seconds) a replica looks for a newer snapshot.
CHECK_EVERY = 2.0
_LOG_LOCK = threading.Lock()


def replica_name() -> str:
    """The name of this replica in sign-in logs: ``HCP_REPLICA_NAME``, else host name and process id."""
    named = os.environ.get("HCP_REPLICA_NAME", "").strip()
    return named or f"{socket.gethostname()}-{os.getpid()}"


def open_snapshot(folder: str | Path, root: str | Path | None = None) -> Store:
    """Open one snapshot folder read-only as a replica store (its file checked against the manifest first).

    Raises:
        StoreError: the manifest or file is missing or does not match (the snapshot is damaged or incomplete).
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    file = folder / manifest["file"]
    if not file.is_file() or sha256_of(file) != manifest["sha256"]:
        raise BackupError(f"the snapshot {folder.name} does not match its manifest (damaged or incomplete)")
    store = Store.open(file, read_only=True)
    root = Path(root) if root is not None else folder.parent
    store.make_replica(
        {
            **manifest,
            "folder": str(folder),
            "snapshot_at": manifest.get("snapshot_at") or manifest["created_at"],
            "signin_log": str(root / SIGNINS / f"{replica_name()}.jsonl"),
        }
    )
    return store


class Replica:
    """The snapshots of one directory, served newest first; thread-safe."""

    def __init__(self, root: str | Path, *, check_every: float = CHECK_EVERY) -> None:
        self.root = Path(root)
        self.check_every = check_every
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._checked = float("-inf")
        self.switches = 0
        if self.current() is None:  # pragma: no cover - current() raises instead
            raise StoreError(f"no snapshot in {self.root}")

    def current(self) -> Store:
        """The store of the newest snapshot (a newer one is looked for at most every ``check_every`` seconds).

        Raises:
            StoreError: there is no usable snapshot at all (run ``hcp snapshot --out DIR`` on the writer).
        """
        with self._lock:
            if time.monotonic() - self._checked >= self.check_every:
                self._checked = time.monotonic()
                self._switch_to_newest()
            if self._store is None:
                raise StoreError(
                    f"there is no usable snapshot in {self.root}: publish one on the writer with "
                    f"'hcp snapshot --out {self.root}'"
                )
            return self._store

    def _switch_to_newest(self) -> None:
        serving = self._store.replica["folder"] if self._store is not None else None
        for folder in reversed(snapshot_folders(self.root)):
            if str(folder) == serving:
                return
            try:
                store = open_snapshot(folder, self.root)
            except (StoreError, OSError):
                continue  # deleted or damaged since it was listed: try the next older one
            # Renders that hold the older store keep it; it closes when the last of them lets go.
            self._store = store
            self.switches += 1
            return

    @property
    def snapshot_at(self) -> str:
        """The time of the snapshot being served (the writer's clock when it was taken)."""
        return str(self.current().replica["snapshot_at"])


def log_sign_in(store: Store, row: list) -> None:
    """Append one sign-in audit entry to the replica's sign-in log (flushed to disk before returning).

    ``row`` is the audit entry (:meth:`kpi.core.store.Store.audit`): time, actor, action, council, subject, detail.
    """
    event_at, actor, action, _council, _subject, detail_json = row
    entry = {
        "event_at": event_at.isoformat(sep=" ", timespec="seconds"),
        "actor": actor,
        "action": action,
        "detail_json": detail_json,
        "replica": replica_name(),
        "snapshot": Path(store.replica["folder"]).name,
    }
    log = Path(store.replica["signin_log"])
    line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
    try:
        with _LOG_LOCK:
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "ab") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as exc:
        raise StoreError(
            f"this replica cannot write its sign-in log {log} ({exc.strerror or exc}): the sign-in was not "
            "recorded, so it is refused; give the replica's user write access to that folder"
        ) from exc


def manifest_of(root: str | Path) -> dict:
    """The newest snapshot's manifest in ``root`` (for ``hcp serve --replica`` to check before starting).

    Raises:
        StoreError: there is none.
    """
    for folder in reversed(snapshot_folders(root)):
        try:
            return {**read_manifest(folder), "folder": str(folder)}
        except BackupError:
            continue
    raise StoreError(
        f"there is no snapshot in {root}: publish one on the writer with 'hcp snapshot --out {root}'"
    )
