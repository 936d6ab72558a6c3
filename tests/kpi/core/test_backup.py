"""Backup and its round trips through restore (kpi/core/backup.py, ``hcp backup DIR``, ``hcp restore DIR``, the Admin page's Backups section).

* The round trip keeps every table row for row and every archived file (``submissions.file_bytes``) byte for byte.
* A snapshot taken inside the running app's process, while loads are being written, is one consistent moment:
  every submission in it is whole.
* Restore's refusals are in test_backup_restore.py, the manifest's form and signature in test_backup_manifest.py.
* The manifest is signed with the backup key beside the source database; a restore into a new place gives that
  key (``key=``, ``--key FILE``). The forged-backup attacks are in tests/security/test_forged_backups.py.
"""

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import duckdb
import pytest

from kpi import cli
from kpi.access.principal import local_principal
from kpi.core import backup as backup
from kpi.core.store import BUSY_MESSAGE, Store
from kpi.sample import COUNCIL_CODE, PROVIDER_CODE, SAMPLE_DIR

SAMPLE_Q2_RETURN = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"
ADMIN = local_principal("tester")
#: Audit entries a backup or restore adds to the source or the restored database (not part of the snapshot).
OWN_AUDIT = ("backup made", "database restored")


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only, with the store's configuration (DuckDB refuses two configurations of one open file)."""
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    return duckdb.connect(str(path), read_only=True, config=config)


def _tables(path: Path) -> list[str]:
    with _connect(path) as con:
        return [row[0] for row in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]


def _differences(left: Path, right: Path) -> dict[str, tuple[int, int]]:
    """Tables whose rows differ (as multisets, BLOBs included): name -> (rows only left, rows only right)."""
    out = {}
    with _connect(left) as con:
        con.execute("attach ? as other (read_only)", [str(right)])
        mine = con.execute("select current_database()").fetchone()[0]
        for table in _tables(left):
            where = f" where action not in {OWN_AUDIT}" if table == "audit_log" else ""
            a = f'select * from "{mine}".main."{table}"{where}'
            b = f'select * from other.main."{table}"{where}'
            only_left = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
            only_right = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
            if only_left or only_right:
                out[table] = (only_left, only_right)
    return out


def _archived(path: Path) -> dict[int, tuple[str, bytes | None]]:
    with _connect(path) as con:
        rows = con.execute("select submission_id, file_sha256, file_bytes from submissions").fetchall()
    return {sid: (digest, data) for sid, digest, data in rows}


def _load(store: Store, number: int):
    from kpi.access.principal import local_principal
    from kpi.returns.load import load_return

    data = SAMPLE_Q2_RETURN.read_bytes() + b"\n" * number  # a new file each time: the same rows
    return load_return(
        store,
        data,
        f"return_{number}.csv",
        council_code=COUNCIL_CODE,
        provider_code=PROVIDER_CODE,
        principal=local_principal("test"),
    )


def test_round_trip_keeps_every_table_and_every_archived_file(sample_store, sample_db_copy, tmp_path):
    _load(sample_store, 1)  # one more submission, superseding the sample's Q2 return
    sample_store.close()
    before = sample_db_copy.with_name("before.duckdb")
    before.write_bytes(sample_db_copy.read_bytes())

    with Store.open(sample_db_copy) as store:
        manifest = backup.backup(store, tmp_path / "snapshot", principal=ADMIN)
    restored = tmp_path / "restored" / "hcp.duckdb"
    key = backup.key_file(sample_db_copy)
    result = backup.restore(tmp_path / "snapshot", restored, principal=ADMIN, key=key)

    assert result["kept"] is None  # there was no database at the target
    assert result["signature_status"] == "signed"
    assert backup.key_file(restored).read_bytes() == key.read_bytes()  # it signs its own backups with the key
    assert _tables(restored) == _tables(before)
    assert _differences(before, restored) == {}
    archived_before, archived_after = _archived(before), _archived(restored)
    assert archived_after == archived_before
    with_files = [sid for sid, (_, data) in archived_after.items() if data is not None]
    assert len(with_files) == manifest["archived_files"]["with_file_bytes"] >= 18
    for sid in with_files:
        digest, data = archived_after[sid]
        assert hashlib.sha256(data).hexdigest() == digest, f"submission {sid}'s archived file changed"
    with Store.open(restored, read_only=True) as store:
        counts = {t: store.query(f'select count(*) from "{t}"').item() for t in manifest["tables"]}
        actions = store.query("select action, actor from audit_log order by audit_id desc limit 1").row(0)
    assert {t: n for t, n in counts.items() if t != "audit_log"} == {
        t: n for t, n in manifest["tables"].items() if t != "audit_log"
    }
    assert counts["audit_log"] == manifest["tables"]["audit_log"] + 1
    assert actions == ("database restored", "tester")


def test_the_manifest_lists_what_the_snapshot_holds(sample_store, tmp_path):
    manifest = backup.backup(sample_store, tmp_path / "b", principal=ADMIN)
    assert manifest["method"] == "checkpoint and file copy under the write lock"
    on_disk = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert on_disk == manifest
    key = backup.key_file(sample_store.path)
    assert key.stat().st_mode & 0o777 == 0o600  # beside the database, never in the backup folder
    assert manifest["signature"]["algorithm"] == "HMAC-SHA256"
    assert backup.signed_by(manifest, bytes.fromhex(key.read_text().strip()))
    snapshot = tmp_path / "b" / manifest["file"]
    assert manifest["sha256"] == hashlib.sha256(snapshot.read_bytes()).hexdigest()
    assert manifest["bytes"] == snapshot.stat().st_size
    assert manifest["schema_version"] == backup.known_schema_version()
    assert manifest["councils"] == [COUNCIL_CODE]
    assert manifest["tables"]["submissions"] == 17 and manifest["tables"]["return_rows"] > 10_000
    assert manifest["duckdb_version"] == duckdb.__version__
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["hcp.duckdb", "manifest.json"]
    last = sample_store.query("select action, subject from audit_log order by audit_id desc limit 1").row(0)
    assert last == ("backup made", str(tmp_path / "b"))


def test_a_read_only_connection_copies_every_table_instead(sample_db_copy, tmp_path):
    """A read-only connection cannot checkpoint: the snapshot is made with COPY FROM DATABASE, and is as whole."""
    with Store.open(sample_db_copy, read_only=True) as store:
        manifest = backup.backup(store, tmp_path / "ro", principal=ADMIN)
    assert manifest["method"] == "copy from database"
    backup.restore(
        tmp_path / "ro", tmp_path / "restored.duckdb", principal=ADMIN, key=backup.key_file(sample_db_copy)
    )
    assert _differences(sample_db_copy, tmp_path / "restored.duckdb") == {}
    with Store.open(sample_db_copy, read_only=True) as store:  # nothing was written to the source
        assert store.query("select count(*) from audit_log where action = 'backup made'").item() == 0


def test_a_snapshot_taken_inside_the_app_while_loads_run_is_consistent(sample_store, tmp_path):
    """The app's own store (no second connection), writes running in another thread: each snapshot is whole."""
    stop = threading.Event()
    loaded = []

    def uploads():
        number = 0
        while not stop.is_set():
            number += 1
            loaded.append(_load(sample_store, number).outcome)

    def views():
        while not stop.is_set():
            sample_store.query("select count(*), sum(numerator) from return_rows")

    worker = threading.Thread(target=uploads)
    reader = threading.Thread(target=views)
    worker.start()
    reader.start()
    try:
        folders = []
        for number in range(3):
            time.sleep(0.3)
            folder = tmp_path / f"snapshot_{number}"
            backup.backup(sample_store, folder, principal=ADMIN)
            folders.append(folder)
    finally:
        stop.set()
        worker.join(timeout=60)
        reader.join(timeout=60)
    assert loaded and set(loaded) == {"written"}
    seen = set()
    for folder in folders:
        manifest = backup.verify(folder, key=backup.key_file(sample_store.path))
        with _connect(folder / "hcp.duckdb") as con:
            partial = con.execute(
                "select s.submission_id from submissions s left join "
                "(select submission_id, count(*) n from return_rows group by 1) r using (submission_id) "
                "where coalesce(r.n, 0) <> s.row_count"
            ).fetchall()
            current = con.execute(
                "select count(*) from submissions where period = '2026-27 Q2' and superseded_at is null"
            ).fetchone()[0]
            loads = con.execute("select count(*) from audit_log where action = 'return loaded'").fetchone()[0]
            submissions = con.execute("select count(*) from submissions").fetchone()[0]
        assert partial == [], "a snapshot holds a partial submission"
        assert current == 1 and loads == submissions == manifest["tables"]["submissions"]
        seen.add(submissions)
    assert len(seen) > 1 or len(loaded) > 0


def test_the_cli_backs_up_from_a_path_but_not_while_the_app_holds_it(held, tmp_path, capsys):
    assert cli.main(["--db", str(held), "backup", str(tmp_path / "b")]) == 2
    assert capsys.readouterr().err.strip() == BUSY_MESSAGE  # ... "or use the Admin page"
    assert not (tmp_path / "b" / "manifest.json").exists()


def test_cli_backup_then_restore_over_an_existing_database(sample_db_copy, tmp_path, capsys):
    assert cli.main(["--db", str(sample_db_copy), "backup", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert f"backed up {sample_db_copy}" in out and "tables" in out and "SHA-256" in out
    with Store.open(sample_db_copy) as store:
        _load(store, 7)  # a change made after the backup, which the restore takes away
    changed = sample_db_copy.read_bytes()
    assert cli.main(["--db", str(sample_db_copy), "restore", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "kept as" in out
    kept = list(sample_db_copy.parent.glob("hcp.duckdb.before-restore-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == changed
    assert "not signed" not in out  # the database's own key signed the backup
    with Store.open(sample_db_copy, read_only=True) as store:
        assert store.query("select count(*) from submissions").item() == 17


def test_backup_needs_a_new_folder_and_an_existing_database(sample_db_copy, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("x")
    with pytest.raises(backup.BackupError, match="is not empty"):
        backup.backup(sample_db_copy, tmp_path / "used", principal=ADMIN)
    with pytest.raises(backup.BackupError, match="there is no database"):
        backup.backup(tmp_path / "absent.duckdb", tmp_path / "new", principal=ADMIN)
    with pytest.raises(backup.BackupError, match="no backup folder"):
        backup.restore(
            tmp_path / "absent", tmp_path / "x.duckdb", principal=ADMIN, accept_unsigned=True, reason="t"
        )


def test_list_backups_newest_first_and_names_unreadable_folders(sample_store, tmp_path):
    folder = tmp_path / "backups"
    first = backup.new_backup_folder(folder)
    backup.backup(sample_store, first, principal=ADMIN)
    second = backup.new_backup_folder(folder)
    assert second != first
    backup.backup(sample_store, second, principal=ADMIN)
    (folder / "stray").mkdir()
    listed = backup.list_backups(folder)
    assert [Path(item["folder"]).name for item in listed if "error" not in item] == sorted(
        [first.name, second.name], reverse=True
    )
    assert any("error" in item and item["folder"].endswith("stray") for item in listed)
    assert backup.list_backups(tmp_path / "none") == []


def test_default_folder_is_beside_the_database_or_hcp_backup_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("HCP_BACKUP_DIR", raising=False)
    assert (
        backup.default_folder(tmp_path / "data" / "hcp.duckdb") == (tmp_path / "data" / "backups").resolve()
    )
    monkeypatch.setenv("HCP_BACKUP_DIR", str(tmp_path / "elsewhere"))
    assert backup.default_folder(tmp_path / "data" / "hcp.duckdb") == tmp_path / "elsewhere"


def test_admin_page_takes_a_snapshot_inside_the_app(sample_db_copy, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("HCP_DB", str(sample_db_copy))
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    monkeypatch.setenv("HCP_BACKUP_DIR", str(tmp_path / "backups"))
    app = str(Path(__file__).resolve().parents[3] / "app.py")
    try:
        at = AppTest.from_file(app, default_timeout=60)
        at.switch_page("pages/admin.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("No backups yet" in item.value for item in at.info)
        at.button(key="admin_backup_now").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("Snapshot saved" in item.value for item in at.success)
        listed = backup.list_backups(tmp_path / "backups")
        assert len(listed) == 1 and "error" not in listed[0]
        backup.verify(listed[0]["folder"], key=backup.key_file(sample_db_copy))
        assert any(listed[0]["folder"] in item.value for item in at.code)  # the restore command is shown
    finally:
        from pages._app import ui as _ui

        _ui.store.clear()
    assert os.path.exists(sample_db_copy)
