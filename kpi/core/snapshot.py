"""Snapshots for read-only replicas: the writer publishes, keeps the last few, and takes in the replicas' sign-ins.

Design (docs/operations.md, scaling): one process writes the database (the writer: the dashboard staff upload to,
or ``hcp snapshot``); any number of replicas serve reading pages from a snapshot of it (:mod:`kpi.core.replica`).

* :func:`publish_snapshot` writes a consistent, complete copy of the database into a folder of the snapshot
  directory: the backup's copy (:mod:`kpi.core.backup`: checkpoint and file copy under the store's write lock,
  so writes wait and readers go on) with its manifest, plus the snapshot time (``periods.now()``) and every
  council's data version. It is written under a temporary name (``.partial-...``) and renamed into place only when
  complete, so a replica never sees half a snapshot. Folders are named ``snapshot-<sequence>-<time>``; the newest
  is the highest sequence. Only the newest ``keep`` (default 3) are kept; a replica that still reads an older one
  keeps reading it (an open file outlives its name), and a replica only ever opens the newest;
* before each snapshot the writer moves the replicas' sign-in logs (``signins/*.jsonl`` in the snapshot
  directory, :func:`kpi.core.replica.log_sign_in`) into its audit log, so every sign-in on a replica is audited in
  the one audit log; how far each log was read is kept in ``database_info`` in the same transaction. The log of a
  replica that stopped is deleted once it is read to its end and idle for as long as the snapshots kept go back.

Publishing is not itself an audit entry: it changes nothing in the database (the sign-ins it takes in are).

Example:
    >>> # publish_snapshot(store, "snapshots", principal=who, keep=3)
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from pathlib import Path

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.backup import _copy_store
from kpi.core.backup_manifest import MANIFEST_FILE, BackupError, key_for_backup, sign_manifest
from kpi.core.store import Store, StoreError, data_version, get_info, set_info

#: How many snapshots a writer keeps by default.
DEFAULT_KEEP = 3
PREFIX = "snapshot-"
PARTIAL = ".partial-"
#: Where replicas write their sign-ins, inside the snapshot directory.
SIGNINS = "signins"
_OFFSET_KEY = "replica sign-ins read: "
#: How far a retired sign-in log was read (:func:`_retire_idle`), under its ``.retiring`` name.
_RETIRED_KEY = "retired replica sign-ins read: "
_RETIRING = ".retiring"


def snapshot_folders(root: str | Path) -> list[Path]:
    """The complete snapshots in ``root``, oldest first (by sequence number)."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [
        child
        for child in root.iterdir()
        if child.is_dir() and child.name.startswith(PREFIX) and (child / MANIFEST_FILE).is_file()
    ]
    return sorted(found, key=_sequence)


def _sequence(folder: Path) -> int:
    try:
        return int(folder.name[len(PREFIX) :].split("-")[0])
    except ValueError:
        return -1


def publish_snapshot(
    store: Store, root: str | Path, *, principal: Principal, keep: int = DEFAULT_KEEP
) -> dict:
    """Take in the replicas' sign-ins, write a new snapshot into ``root``, keep the newest ``keep``; the manifest.

    ``principal`` needs the ``backup`` permission (an administrator, or the local user of the command line).

    Raises:
        AccessDenied: the principal may not publish snapshots.
        BackupError: ``keep`` is below 1 or the snapshot does not match the database (nothing kept).
    """
    require(principal, "backup")
    return _publish(store, root, actor=principal.email, keep=keep)


def _publish(store: Store, root: str | Path, *, actor: str, keep: int = DEFAULT_KEEP) -> dict:
    """:func:`publish_snapshot` once the caller is checked."""
    if keep < 1:
        raise BackupError(f"--keep must be 1 or more (it was {keep}): a replica needs a snapshot to read")
    if store.replica is not None or store.read_only:
        raise StoreError("snapshots are published by the writer, which opens the database for writing")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    _ingest_sign_ins(store, root)
    folders = snapshot_folders(root)
    sequence = max((_sequence(folder) for folder in folders), default=0) + 1
    at = periods.now()
    name = f"{PREFIX}{sequence:06d}-{at.strftime('%Y%m%dT%H%M%S')}"
    partial = root / f"{PARTIAL}{name}-{uuid.uuid4().hex[:8]}"
    try:
        manifest = _copy_store(store, partial, actor)
        manifest = _add_versions(partial, manifest, at)
        manifest = {key: value for key, value in manifest.items() if key != "signature"}
        key = key_for_backup(store.path)
        if key is not None:  # signed again: the signature covers the snapshot's fields too
            manifest = sign_manifest(manifest, key)
        (partial / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        final = root / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    prune(root, keep)
    return {**manifest, "folder": str(final)}


def _add_versions(folder: Path, manifest: dict, at) -> dict:
    """The manifest with the snapshot time and every council's data version, read from the snapshot itself."""
    snap = Store.open(folder / manifest["file"], read_only=True)
    try:
        versions = {code: data_version(snap, code) for code in manifest.get("councils", [])}
        versions["all"] = data_version(snap)
    finally:
        snap.close()
    return {**manifest, "snapshot_at": at.isoformat(timespec="seconds"), "data_versions": versions}


def prune(root: str | Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` snapshots (and leftovers of interrupted ones); the folders deleted."""
    root = Path(root)
    removed = []
    for folder in snapshot_folders(root)[:-keep]:
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    newest = snapshot_folders(root)
    cutoff = newest[0].stat().st_mtime if newest else None
    for leftover in root.glob(f"{PARTIAL}*"):
        # A partial folder older than the oldest kept snapshot was left by an interrupted publish.
        if cutoff is not None and leftover.stat().st_mtime < cutoff:
            shutil.rmtree(leftover, ignore_errors=True)
    return removed


def _ingest_sign_ins(store: Store, root: str | Path) -> int:
    """Move the replicas' new sign-in entries into the audit log (one transaction); how many were taken in.

    Each log is read from where the last ingestion stopped, up to its last complete line. A log that is idle
    (:func:`_retire_idle`) is renamed ``<name>.jsonl.retiring`` and read to its end; at the next ingestion it is read
    once more from there (a line a replica was writing as it was renamed lands in it) and then deleted, with what
    was kept of it. A replica that signs someone in again starts a new log of the same name, read from its start.
    """
    folder = Path(root) / SIGNINS
    if not folder.is_dir():
        return 0
    info = get_info(store)
    # logs retired at an earlier ingestion are looked at once more, then deleted
    earlier = sorted(folder.glob(f"*.jsonl{_RETIRING}"))
    retired = _retire_idle(folder, info, snapshot_folders(root))
    rows: list[list] = []
    offsets: dict[str, int] = {}
    # what was kept of logs deleted at an earlier ingestion (deleted after its transaction, so never read twice)
    forget = [
        key
        for key in info
        if key.startswith(_RETIRED_KEY) and not (folder / key.removeprefix(_RETIRED_KEY)).exists()
    ]
    for log in earlier:
        name = log.name.removesuffix(_RETIRING)
        start = int(info.get(_RETIRED_KEY + log.name, info.get(_OFFSET_KEY + name, "0")))
        entries, end = _entries(log, start)
        rows += entries
        offsets[_RETIRED_KEY + log.name] = end
    for log in retired:
        name = log.name.removesuffix(_RETIRING)
        entries, end = _entries(log, int(info.get(_OFFSET_KEY + name, "0")))
        rows += entries
        offsets[_RETIRED_KEY + log.name] = end
        forget.append(_OFFSET_KEY + name)
    just_retired = {log.name.removesuffix(_RETIRING) for log in retired}
    for log in sorted(folder.glob("*.jsonl")):
        start = 0 if log.name in just_retired else int(info.get(_OFFSET_KEY + log.name, "0"))
        entries, end = _entries(log, start)
        rows += entries
        if end != start:
            offsets[_OFFSET_KEY + log.name] = end
    forget = [key for key in forget if key not in offsets]
    if rows or offsets or forget:
        with store.transaction() as cur:
            for row in rows:
                cur.execute(
                    "insert into audit_log (event_at, actor, action, council_code, subject, detail_json) "
                    "values (?, ?, ?, ?, ?, ?)",
                    row,
                )
            for key, offset in offsets.items():
                set_info(cur, key, str(offset))
            for key in forget:
                cur.execute("delete from database_info where info_key = ?", [key])
    for log in earlier:
        log.unlink(missing_ok=True)
    return len(rows)


def _entries(log: Path, start: int) -> tuple[list[list], int]:
    """The audit rows of a sign-in log's complete lines from byte ``start``, and where they end."""
    with open(log, "rb") as handle:
        handle.seek(start)
        data = handle.read()
    complete = data[: data.rfind(b"\n") + 1]
    rows = []
    for line in complete.decode("utf-8").splitlines():
        entry = json.loads(line)
        detail = {**json.loads(entry["detail_json"]), "replica": entry["replica"]}
        rows.append([entry["event_at"], entry["actor"], entry["action"], None, None, json.dumps(detail)])
    return rows, start + len(complete)


def _retire_idle(folder: Path, info: dict[str, str], snapshots: list[Path]) -> list[Path]:
    """Rename the idle sign-in logs to ``<name>.jsonl.retiring``; the renamed files.

    Idle: read to its end, and not written to since the oldest snapshot kept was published (a replica's log is
    named after its host and process, so the log of a replica that stopped is never written again). No clock is
    read: the log's time is compared with the snapshot folder's.
    """
    if not snapshots:
        return []
    oldest = snapshots[0].stat().st_mtime
    retired = []
    for log in sorted(folder.glob("*.jsonl")):
        target = log.with_name(log.name + _RETIRING)
        stat = log.stat()
        read_to_end = int(info.get(_OFFSET_KEY + log.name, "0")) == stat.st_size
        if read_to_end and stat.st_mtime < oldest and not target.exists():
            log.rename(target)
            retired.append(target)
    return retired


def parse_every(text: str) -> float:
    """Seconds in an interval written ``90s``, ``10m`` or ``2h`` (a bare number is minutes).

    Example:
        >>> parse_every("10m"), parse_every("90s"), parse_every("2h"), parse_every("5")
        (600.0, 90.0, 7200.0, 300.0)
    """
    value = str(text).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (value[:-1], value[-1]) if value[-1:] in units else (value, "m")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise BackupError(f"'{text}' is not an interval: write it as 90s, 10m or 2h") from None
    if seconds < 1:
        raise BackupError(f"'{text}' is too short an interval: give at least 1s")
    return seconds


class Publisher:
    """The writer's own snapshots, on a thread: every ``every`` seconds, and soon after any data changes.

    The dashboard that writes starts one when ``HCP_SNAPSHOT_DIR`` is set (:func:`start_publisher`): a load, a
    review or any other write (a new data version, :func:`kpi.core.store.data_version`) is published within
    ``poll`` seconds, and nothing newer means a snapshot every ``every`` seconds still (its sign-ins taken in).
    """

    def __init__(self, store: Store, root: str | Path, *, every: float, keep: int, poll: float = 5.0) -> None:
        self.store, self.root, self.every, self.keep, self.poll = store, Path(root), every, keep, poll
        self.published = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hcp-snapshots", daemon=True)

    def start(self) -> Publisher:
        """Start publishing (on a daemon thread: it ends with the process)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the snapshot under way, if any."""
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        version, due = None, 0.0
        while not self._stop.is_set():
            try:
                current = data_version(self.store)
                if current != version or time.monotonic() >= due:
                    _publish(self.store, self.root, actor="scheduled snapshots", keep=self.keep)
                    self.published += 1
                    version, due, self.last_error = current, time.monotonic() + self.every, None
            except Exception as exc:  # noqa: BLE001 - a failed snapshot is retried at the next poll
                self.last_error = str(exc)
            self._pause()

    def _pause(self) -> None:
        """Wait ``poll`` seconds, or less when stopped, in short relative sleeps.

        No timed wait on an event: its deadline is read from the wall clock, and under a shifted clock it might
        never come.
        """
        end = time.monotonic() + self.poll
        while not self._stop.is_set() and time.monotonic() < end:
            time.sleep(min(0.05, self.poll))


_RUNNING: list[Publisher] = []


def start_publisher(store: Store, root: str | Path, *, every: float, keep: int = DEFAULT_KEEP) -> Publisher:
    """Start the writer's own scheduled snapshots into ``root`` (see :class:`Publisher`)."""
    publisher = Publisher(store, root, every=every, keep=keep).start()
    _RUNNING.append(publisher)
    return publisher


def start_publisher_from_env() -> Publisher | None:
    """Start the writer's publisher as ``hcp serve --snapshots DIR`` asks; ``None`` when no folder is set.

    Reads ``HCP_SNAPSHOT_DIR``, ``HCP_SNAPSHOT_EVERY`` and ``HCP_SNAPSHOT_KEEP``; started with the server so that
    snapshots flow before anyone visits. The app then uses the publisher's store as its own
    (:func:`running_publisher`): one connection, one write lock, so every snapshot is one consistent moment.
    """
    import os

    from kpi.core.store import db_path

    folder = os.environ.get("HCP_SNAPSHOT_DIR", "").strip()
    if not folder:
        return None
    every = parse_every(os.environ.get("HCP_SNAPSHOT_EVERY", "10m"))
    keep = int(os.environ.get("HCP_SNAPSHOT_KEEP", str(DEFAULT_KEEP)))
    return start_publisher(Store.open(db_path()), folder, every=every, keep=keep)


def running_publisher() -> Publisher | None:
    """The publisher this process started, if any (the writer's app shares its store)."""
    return _RUNNING[-1] if _RUNNING else None
