"""Issue #13 finding 7: forged backups (kpi/backup.py, ``hcp backup``/``hcp restore``, the Admin page).

Against real files and the real store: a crafted snapshot whose table name would run SQL during the restore, a
manifest changed with its SHA-256 recomputed, malformed manifests, two restores in one second, and principals
without the ``backup`` permission.
"""

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from kpi import cli
from kpi.access.principal import Principal, local_principal
from kpi.access.rules import AccessDenied
from kpi.core import backup as backup

ADMIN = local_principal("tester")


@pytest.fixture(scope="module")
def made(sample_db_path, tmp_path_factory):
    """A genuine backup of a copy of the sample, made as ``hcp backup`` makes it (the key beside the source)."""
    folder = tmp_path_factory.mktemp("made")
    shutil.copyfile(sample_db_path, folder / "source.duckdb")
    assert cli.main(["--db", str(folder / "source.duckdb"), "backup", str(folder / "snapshot")]) == 0
    return folder


@pytest.fixture
def snapshot(made, tmp_path):
    return Path(shutil.copytree(made / "snapshot", tmp_path / "snapshot"))


@pytest.fixture
def target(made, tmp_path):
    """A database to restore over, with the installation's backup key beside it (the source's own key)."""
    place = tmp_path / "live"
    place.mkdir()
    shutil.copyfile(made / "source.duckdb", place / "hcp.duckdb")
    shutil.copyfile(backup.key_file(made / "source.duckdb"), backup.key_file(place / "hcp.duckdb"))
    return place / "hcp.duckdb"


def _rewrite(folder: Path, change_database, change_manifest=None) -> None:
    """Change the snapshot file, then recompute its SHA-256, size and row counts in the manifest (no key)."""
    database = folder / "hcp.duckdb"
    con = duckdb.connect(str(database))
    try:
        change_database(con)
        con.execute("checkpoint")
        counts = {
            name: con.execute(f"select count(*) from {backup.ident(name)}").fetchone()[0]
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        }
    finally:
        con.close()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(
        sha256=hashlib.sha256(database.read_bytes()).hexdigest(), bytes=database.stat().st_size, tables=counts
    )
    if change_manifest:
        change_manifest(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _evil_table(written: Path):
    name = f"councils\"; copy (select 'pwned') to '{written}'; select count(*) from \"councils"

    def change(con):
        con.execute(f"create table {backup.ident(name)} (x integer)")

    return change


@pytest.mark.parametrize("accept", [False, True], ids=["as is", "accepted unsigned"])
def test_a_table_name_that_would_run_sql_is_refused_and_writes_no_file(
    snapshot, target, tmp_path, accept, capsys
):
    written = tmp_path / "pwned.csv"
    _rewrite(snapshot, _evil_table(written))
    before = target.read_bytes()
    extra = ["--accept-unsigned", "--reason", "testing a crafted snapshot"] if accept else []
    assert cli.main(["--db", str(target), "restore", str(snapshot), *extra]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "nothing was restored" in err
    assert ("tables this program does not make" if accept else "cannot be trusted") in err
    assert not written.exists(), "the crafted table name ran SQL"
    assert target.read_bytes() == before
    assert not list(target.parent.glob("*before-restore*")) and not list(target.parent.glob("*.restoring*"))


def _make_admin(con):
    """A forged change: an administrator added (the manifest's row counts are recomputed to match)."""
    con.execute(
        "insert into users (email, role, provider_code, added_at, added_by) "
        "values ('attacker@evil.example', 'admin', null, timestamp '2026-11-23 10:00', 'forger')"
    )


def _new_key_signature(manifest):
    manifest.update(backup.sign_manifest(manifest, b"\x01" * 32))  # another installation's key, or a guess


@pytest.mark.parametrize(
    ("change_manifest", "why"),
    [
        (lambda m: m.pop("signature"), "not signed"),
        (None, "signature does not match"),
        (_new_key_signature, "signature does not match"),
    ],
    ids=["signature removed", "signature kept", "signed with another key"],
)
def test_a_changed_snapshot_with_its_sha256_recomputed_is_refused(
    snapshot, target, change_manifest, why, capsys
):
    _rewrite(snapshot, _make_admin, change_manifest)
    backup.read_manifest(snapshot)  # the manifest is well formed and its SHA-256 matches the changed file
    before = target.read_bytes()
    with pytest.raises(backup.BackupError, match=why):
        backup.restore(snapshot, target, principal=ADMIN)
    assert cli.main(["--db", str(target), "restore", str(snapshot)]) == 2
    err = capsys.readouterr().err
    assert "cannot be trusted" in err and "--accept-unsigned" in err and "Traceback" not in err
    assert target.read_bytes() == before


def test_an_unsigned_backup_is_restored_only_when_accepted_with_a_reason(snapshot, target, capsys):
    _rewrite(snapshot, lambda con: None, lambda m: m.pop("signature"))
    assert cli.main(["--db", str(target), "restore", str(snapshot), "--accept-unsigned"]) == 2
    assert "needs a reason" in capsys.readouterr().err
    assert (
        cli.main(
            ["--db", str(target), "restore", str(snapshot), "--accept-unsigned", "--reason", "old backup"]
        )
        == 0
    )
    with duckdb.connect(str(target), read_only=True) as con:
        detail = con.execute(
            "select detail_json from audit_log where action = 'database restored' order by audit_id desc limit 1"
        ).fetchone()[0]
    assert json.loads(detail)["signature"] == "unsigned"
    assert json.loads(detail)["accepted_unsigned_because"] == "old backup"


def test_a_restore_into_a_new_place_needs_the_key(snapshot, made, tmp_path, capsys):
    fresh = tmp_path / "new" / "hcp.duckdb"
    assert cli.main(["--db", str(fresh), "restore", str(snapshot)]) == 2
    assert "no backup key" in capsys.readouterr().err and not fresh.exists()
    key = backup.key_file(made / "source.duckdb")
    assert cli.main(["--db", str(fresh), "restore", str(snapshot), "--key", str(key)]) == 0
    assert backup.key_file(fresh).read_bytes() == key.read_bytes()
    assert backup.key_file(fresh).stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in snapshot.iterdir()) == [
        "hcp.duckdb",
        "manifest.json",
    ]  # no key in the folder


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '"a manifest"',
        '{"format": 1, "file": "hcp.duckdb", "sha256": "x", "schema_version": 1, "tables": []}',
        '{"format": 1, "file": "hcp.duckdb", "sha256": 5, "schema_version": 1, "tables": {}}',
        '{"format": "1", "file": "hcp.duckdb", "sha256": "'
        + "0" * 64
        + '", "schema_version": 1, "tables": {}}',
        '{"format": 1, "file": ["hcp.duckdb"], "sha256": "'
        + "0" * 64
        + '", "schema_version": 1, "tables": {}}',
        '{"format": 1, "file": "../x", "sha256": "' + "0" * 64 + '", "schema_version": 1, "tables": {}}',
        '{"format": 1, "file": "hcp.duckdb", "sha256": "'
        + "0" * 64
        + '", "schema_version": "new", "tables": {}}',
        '{"format": 1, "file": "hcp.duckdb", "sha256": "'
        + "0" * 64
        + '", "schema_version": 1, "tables": {"a": "b"}}',
        "[" * 100_000,
    ],
    ids=[
        "list",
        "text",
        "tables list",
        "sha256 number",
        "format text",
        "file list",
        "file path",
        "schema text",
        "count text",
        "deep",
    ],
)
def test_a_malformed_manifest_is_a_plain_message(snapshot, target, text, capsys):
    (snapshot / "manifest.json").write_text(text)
    before = target.read_bytes()
    for accept in ([], ["--accept-unsigned", "--reason", "testing"]):
        assert cli.main(["--db", str(target), "restore", str(snapshot), *accept]) == 2
        err = capsys.readouterr().err
        assert "manifest.json" in err and "Traceback" not in err, err
        assert any(
            words in err for words in ("malformed", "not a JSON object", "is damaged", "is incomplete")
        )
    assert backup.list_backups(snapshot.parent)[0]["error"]
    assert target.read_bytes() == before


def test_two_restores_in_one_second_keep_both_replaced_databases(snapshot, target, monkeypatch):
    monkeypatch.setattr(backup.periods, "now", lambda: datetime(2026, 11, 23, 10, 15, 0))
    original = target.read_bytes()
    first = backup.restore(snapshot, target, principal=ADMIN)
    after_first = target.read_bytes()
    second = backup.restore(snapshot, target, principal=ADMIN)
    assert first["kept"] != second["kept"]
    assert Path(first["kept"]).read_bytes() == original
    assert Path(second["kept"]).read_bytes() == after_first != original


OUTSIDERS = [
    None,
    Principal("v@council.gov.uk", "viewer"),
    Principal("lead@trust.nhs.uk", "provider", "ZZ1"),
    Principal("c@council.gov.uk", "commissioner"),
]


@pytest.mark.parametrize("who", OUTSIDERS, ids=["none", "viewer", "provider", "commissioner"])
def test_only_an_administrator_backs_up_or_restores(made, snapshot, target, tmp_path, who):
    source = tmp_path / "other.duckdb"
    shutil.copyfile(made / "source.duckdb", source)
    with pytest.raises(AccessDenied):
        backup.backup(source, tmp_path / "b", principal=who)
    assert not (tmp_path / "b").exists() and not backup.key_file(source).exists()
    before = target.read_bytes()
    with pytest.raises(AccessDenied):
        backup.restore(snapshot, target, principal=who)
    assert target.read_bytes() == before and not list(target.parent.glob("*before-restore*"))
    admin = Principal("a@council.gov.uk", "admin")
    assert backup.backup(source, tmp_path / "b", principal=admin)["signature"]
    assert backup.restore(snapshot, target, principal=admin)["signature_status"] == "signed"
