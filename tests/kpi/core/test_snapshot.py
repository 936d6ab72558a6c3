"""Snapshots for replicas (kpi.core.snapshot): complete, consistent while the writer writes, atomic, the last N kept,
the replicas' sign-ins taken into the writer's audit log exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from kpi.access.principal import LOCAL_USER, Principal
from kpi.access.rules import AccessDenied
from kpi.access.users import record_sign_in
from kpi.core.backup_manifest import BackupError, read_manifest, sha256_of
from kpi.core.replica import Replica
from kpi.core.snapshot import parse_every, publish_snapshot, snapshot_folders, start_publisher
from kpi.core.store import Store, data_version, open_replica


@pytest.fixture(autouse=True)
def no_replica_left_open():
    """A test that fails half-way must not leave this process a replica for the tests after it."""
    yield
    while (left := open_replica()) is not None:
        left.close()


def _publish(store: Store, root: Path, keep: int = 3) -> dict:
    return publish_snapshot(store, root, principal=LOCAL_USER, keep=keep)


def test_a_snapshot_is_complete_with_its_time_versions_and_checksum(sample_store, tmp_path, monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-23T10:15")
    manifest = _publish(sample_store, tmp_path / "snaps")
    folder = Path(manifest["folder"])
    assert folder.name == "snapshot-000001-20261123T101500"
    assert manifest["snapshot_at"] == "2026-11-23T10:15:00"
    assert manifest["data_versions"] == {
        "E08000009": data_version(sample_store, "E08000009"),
        "all": data_version(sample_store),
    }
    assert read_manifest(folder)["sha256"] == sha256_of(folder / "hcp.duckdb") == manifest["sha256"]
    assert sorted(p.name for p in folder.iterdir()) == ["hcp.duckdb", "manifest.json"]
    assert [p.name for p in (tmp_path / "snaps").iterdir()] == [folder.name]  # nothing partial left
    with duckdb.connect(str(folder / "hcp.duckdb"), read_only=True) as con:
        for table, rows in manifest["tables"].items():
            assert con.execute(f'select count(*) from "{table}"').fetchone()[0] == rows


def test_the_last_n_are_kept(sample_store, tmp_path):
    root = tmp_path / "snaps"
    names = [Path(_publish(sample_store, root, keep=2)["folder"]).name for _ in range(4)]
    assert [f.name for f in snapshot_folders(root)] == names[-2:]
    assert [int(name.split("-")[1]) for name in names] == [1, 2, 3, 4]
    with pytest.raises(BackupError, match="--keep must be 1 or more"):
        _publish(sample_store, root, keep=0)


def test_only_an_administrator_publishes(sample_store, tmp_path):
    with pytest.raises(AccessDenied):
        publish_snapshot(sample_store, tmp_path / "snaps", principal=Principal("c@x.gov.uk", "commissioner"))
    assert not (tmp_path / "snaps").exists()


def test_consistent_while_the_writer_keeps_writing(sample_store, tmp_path):
    """Each snapshot is one moment: its audit log ends at the data version its manifest records, and every table's
    row count is the manifest's, while another thread writes all the time."""
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            with sample_store.transaction() as cur:
                sample_store.audit("setting changed", actor="writer", detail={"n": 1}, cur=cur)
                cur.execute("insert into database_info values ('x', '1') on conflict do nothing")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        manifests = [_publish(sample_store, tmp_path / "snaps", keep=5) for _ in range(4)]
    finally:
        stop.set()
        writer.join()
    versions = [m["data_versions"]["all"] for m in manifests]
    assert versions == sorted(versions) and versions[0] < versions[-1]
    for manifest in manifests:
        with duckdb.connect(str(Path(manifest["folder"]) / "hcp.duckdb"), read_only=True) as con:
            assert (
                con.execute("select max(audit_id) from audit_log").fetchone()[0]
                == manifest["data_versions"]["all"]
            )
            assert (
                con.execute("select count(*) from audit_log").fetchone()[0] == manifest["tables"]["audit_log"]
            )


def _hcp(db: Path, *arguments: str) -> None:
    """The writer is another process (as it is in service): this one becomes a replica once it opens a snapshot."""
    subprocess.run(
        [sys.executable, "-m", "kpi", "--db", str(db), "--actor", "writer", *arguments],
        check=True,
        capture_output=True,
        env={**os.environ, "HCP_TODAY": "2026-11-23"},
    )


def test_a_replica_switches_and_a_render_keeps_its_snapshot(sample_db_copy, tmp_path):
    root = tmp_path / "snaps"
    _hcp(sample_db_copy, "snapshot", "--out", str(root), "--keep", "1")
    replica = Replica(root, check_every=0)
    first = replica.current()  # a render pins this one
    before = data_version(first)
    _hcp(sample_db_copy, "settings", "set", "movement_warn_points", "12", "--reason", "test")
    _hcp(sample_db_copy, "snapshot", "--out", str(root), "--keep", "1")  # the first one's folder is deleted
    assert len(snapshot_folders(root)) == 1
    second = replica.current()
    assert second is not first and replica.switches == 2
    assert data_version(second) > before
    # The render that started on the first snapshot reads it to the end, though its folder is gone.
    assert data_version(first) == before
    assert first.query("select count(*) from submissions").item() > 0
    first.close()
    second.close()


def test_a_damaged_newer_snapshot_is_skipped(sample_db_copy, tmp_path):
    root = tmp_path / "snaps"
    _hcp(sample_db_copy, "snapshot", "--out", str(root))
    replica = Replica(root, check_every=0)
    serving = replica.current()
    _hcp(sample_db_copy, "snapshot", "--out", str(root))
    with open(snapshot_folders(root)[-1] / "hcp.duckdb", "r+b") as handle:
        handle.seek(5000)
        handle.write(b"damaged")
    assert replica.current() is serving
    serving.close()


def test_replica_sign_ins_reach_the_audit_log_once(sample_store, tmp_path):
    root = tmp_path / "snaps"
    _publish(sample_store, root)
    replica = Replica(root).current()
    lead = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
    record_sign_in(replica, "Lead@Trust.nhs.uk", lead)
    record_sign_in(replica, "stranger@x.org", None)
    log = Path(replica.replica["signin_log"])
    assert len(log.read_text().splitlines()) == 2
    with open(log, "ab") as handle:
        handle.write(b'{"half": "a line being written')  # not complete: left for the next snapshot
    replica.close()  # the replica is another process in service; this one is the writer again
    before = data_version(sample_store)
    _publish(sample_store, root)
    _publish(sample_store, root)  # nothing taken in twice
    rows = sample_store.query(
        "select actor, action, detail_json from audit_log where action in ('signed in', 'sign-in refused') "
        "order by audit_id"
    ).rows()
    assert [(actor, action) for actor, action, _ in rows[-2:]] == [
        ("lead@trust.nhs.uk", "signed in"),
        ("stranger@x.org", "sign-in refused"),
    ]
    assert len([row for row in rows if json.loads(row[2]).get("replica")]) == 2
    assert data_version(sample_store) == before  # sign-ins are no data change


def test_the_writer_publishes_after_a_change(sample_store, tmp_path):
    root = tmp_path / "snaps"
    publisher = start_publisher(sample_store, root, every=3600, keep=3)
    publisher.poll = 0.1
    try:
        _wait(lambda: publisher.published == 1)
        sample_store.audit("setting changed", actor="writer")
        _wait(lambda: publisher.published == 2)
    finally:
        publisher.stop()
    assert publisher.last_error is None
    newest = read_manifest(snapshot_folders(root)[-1])
    assert newest["data_versions"]["all"] == data_version(sample_store)


def _wait(condition, seconds: float = 60) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_intervals():
    assert parse_every("10m") == 600
    with pytest.raises(BackupError, match="not an interval"):
        parse_every("ten minutes")


def _older(path: Path, seconds: float) -> None:
    """Make a file look ``seconds`` older than it is."""
    stat = path.stat()
    os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


def _sign_in_on_a_replica(root: Path, email: str) -> Path:
    replica = Replica(root).current()
    record_sign_in(replica, email, None)
    log = Path(replica.replica["signin_log"])
    replica.close()  # the replica is another process in service; this one is the writer again
    return log


def _sign_in_rows(store: Store) -> list[str]:
    return store.query("select actor from audit_log where action = 'sign-in refused' order by audit_id")[
        "actor"
    ].to_list()


def test_a_stopped_replicas_sign_in_log_is_deleted_once_read_and_idle_and_nothing_is_lost(
    sample_store, tmp_path
):
    root = tmp_path / "snaps"
    _publish(sample_store, root)
    log = _sign_in_on_a_replica(root, "first@x.org")
    _publish(sample_store, root)
    _publish(sample_store, root)
    assert log.exists()  # written since the oldest snapshot kept: its replica may still be serving
    _older(log, 3600)  # the replica stopped an hour ago
    _publish(sample_store, root)
    retiring = log.with_name(log.name + ".retiring")
    assert retiring.exists() and not log.exists()
    late = {**json.loads(retiring.read_text().splitlines()[0]), "actor": "late@x.org"}
    with open(retiring, "a", encoding="utf-8") as handle:  # a line being written as the log was renamed
        handle.write(json.dumps(late) + "\n")
    _publish(sample_store, root)
    assert not retiring.exists()
    assert _sign_in_rows(sample_store)[-2:] == ["first@x.org", "late@x.org"]
    _publish(sample_store, root)  # nothing taken in twice, nothing of the log kept
    assert _sign_in_rows(sample_store).count("first@x.org") == 1
    info = sample_store.query("select info_key from database_info where info_key like '%" + log.name + "%'")
    assert info.is_empty()
    again = _sign_in_on_a_replica(
        root, "again@x.org"
    )  # a replica of the same name: a new log, read from its start
    assert again == log and again.exists()
    _publish(sample_store, root)
    _publish(sample_store, root)
    assert _sign_in_rows(sample_store)[-3:] == ["first@x.org", "late@x.org", "again@x.org"]
