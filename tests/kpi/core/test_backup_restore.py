"""Restore (kpi/core/backup_restore.py, ``hcp restore DIR``).

* Restore refuses while the database is held (the dashboard is running), and refuses a damaged, incomplete or
  newer backup, changing nothing; it keeps the file it replaces.
* A backup made before the newest migration is brought up to date when restored. The forged-backup attacks are in
  tests/security/test_forged_backups.py; the backup-then-restore round trips in test_backup.py.
"""

import json
from pathlib import Path

import pytest

from kpi import cli
from kpi.access.principal import local_principal
from kpi.core import backup as backup
from kpi.core.store import BUSY_MESSAGE, DatabaseBusy, Store

ADMIN = local_principal("tester")


@pytest.fixture(scope="module")
def pristine_snapshot(sample_db_path, tmp_path_factory):
    """One backup of a copy of the sample (made from its path, as ``hcp backup`` does), for tests to spoil copies of.

    Never from the session's sample itself: a read-write backup writes its "backup made" audit entry to the source.
    """
    import shutil

    made = tmp_path_factory.mktemp("pristine")
    shutil.copyfile(sample_db_path, made / "source.duckdb")
    backup.backup(made / "source.duckdb", made / "snapshot", principal=ADMIN)
    return made / "snapshot"


@pytest.fixture
def snapshot(pristine_snapshot, tmp_path):
    """A copy of the module's backup folder."""
    import shutil

    return Path(shutil.copytree(pristine_snapshot, tmp_path / "snapshot"))


@pytest.fixture
def snapshot_key(pristine_snapshot) -> Path:
    """The backup key of the database the module's backup was made from (a key file outside the backup folder)."""
    return backup.key_file(pristine_snapshot.parent / "source.duckdb")


def test_restore_refuses_while_the_dashboard_holds_the_database(held, snapshot, snapshot_key, capsys):
    before = held.read_bytes()
    with pytest.raises(DatabaseBusy, match=BUSY_MESSAGE):
        backup.restore(snapshot, held, principal=ADMIN, key=snapshot_key)
    assert cli.main(["--db", str(held), "restore", str(snapshot), "--key", str(snapshot_key)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == BUSY_MESSAGE
    assert held.read_bytes() == before
    assert not list(held.parent.glob("*.restoring*")) and not list(held.parent.glob("*before-restore*"))


def _damage(folder: Path) -> None:
    snapshot = folder / "hcp.duckdb"
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snapshot.write_bytes(bytes(data))


def _manifest_edit(key, value):
    """Change a manifest field and sign the result with the backup key: a genuine manifest with that value."""

    def edit(folder: Path, key_file: Path) -> None:
        manifest = json.loads((folder / "manifest.json").read_text())
        if value is None:
            del manifest[key]
        else:
            manifest[key] = value
        manifest = backup.sign_manifest(manifest, bytes.fromhex(key_file.read_text().strip()))
        (folder / "manifest.json").write_text(json.dumps(manifest))

    return edit


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda f, k: _damage(f), "does not match its manifest"),
        (lambda f, k: (f / "manifest.json").unlink(), "has no manifest.json"),
        (lambda f, k: (f / "manifest.json").write_text("{not json"), "is damaged"),
        (lambda f, k: (f / "hcp.duckdb").unlink(), "is missing"),
        (_manifest_edit("sha256", None), "is incomplete"),
        (_manifest_edit("schema_version", 999), "made by a newer version"),
        (_manifest_edit("format", 7), "does not read"),
        (_manifest_edit("tables", {"councils": 99}), "do not hold the rows its manifest lists"),
    ],
    ids=["damaged", "no manifest", "bad json", "no file", "incomplete", "newer", "format", "counts"],
)
def test_restore_refuses_a_bad_backup_and_changes_nothing(
    snapshot, snapshot_key, sample_db_copy, spoil, message, capsys
):
    spoil(snapshot, snapshot_key)
    before = sample_db_copy.read_bytes()
    with pytest.raises(backup.BackupError, match=message):
        backup.restore(snapshot, sample_db_copy, principal=ADMIN, key=snapshot_key)
    assert cli.main(["--db", str(sample_db_copy), "restore", str(snapshot), "--key", str(snapshot_key)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert sample_db_copy.read_bytes() == before
    assert sorted(p.name for p in sample_db_copy.parent.iterdir()) == ["hcp.duckdb"]


def test_an_older_backup_is_migrated_when_restored(tmp_path):
    """A backup made before the newest migration is brought up to date when the restored file is opened."""
    import shutil

    import kpi.core.store

    last = backup.known_schema_version()
    old_sql = tmp_path / "sql" / "schema"
    old_sql.mkdir(parents=True)
    for file in (kpi.core.store.SQL_DIR / "schema").glob("[0-9][0-9][0-9]_*.sql"):
        if int(file.name[:3]) < last:
            shutil.copy(file, old_sql / file.name)
    old = tmp_path / "old.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kpi.core.store, "SQL_DIR", tmp_path / "sql")
        Store.open(old).close()
    folder = tmp_path / "old_backup"
    manifest = backup.backup(old, folder, principal=ADMIN)
    assert manifest["schema_version"] < last
    target = tmp_path / "restored.duckdb"
    backup.restore(folder, target, principal=ADMIN, key=backup.key_file(old))
    with Store.open(target, read_only=True) as store:
        assert store.query("select max(version) from schema_migrations").item() == last
