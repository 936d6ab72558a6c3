"""``hcp serve`` (kpi/cli/serve.py): refused off loopback without sign-in; never started in a test.

Commands run in-process through :func:`kpi.cli.main` (output captured with ``capsys``); the database is a copy of
the sample, or a fresh one in ``tmp_path``. No test starts the server.
"""

import pytest

from kpi.core import periods as periods
from tests.kpi.cli.commands import hcp

# ---- serve ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_refuses_a_non_loopback_address(db, capsys, monkeypatch, address):
    def never(*args, **kwargs):
        raise AssertionError("the server must not start")

    monkeypatch.setattr("kpi.access.principal.auth_configured", lambda *args, **kwargs: False)
    monkeypatch.setattr("os.execvpe", never)
    assert hcp(db, "serve", "--address", address) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"refusing to serve on {address}: without sign-in configured")
    assert "127.0.0.1" in err


def test_serve_without_a_database_says_what_to_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("os.execvpe", lambda *args: pytest.fail("the server must not start"))
    assert hcp(tmp_path / "absent.duckdb", "serve") == 2
    assert "run 'hcp sample' (or 'hcp init --council CODE')" in capsys.readouterr().err


# ---- replicas ---------------------------------------------------------------------------------------------------


def test_serve_a_replica_without_a_snapshot_says_what_to_run(db, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("os.execvpe", lambda *args: pytest.fail("the server must not start"))
    assert hcp(db, "serve", "--replica", str(tmp_path / "snaps")) == 2
    assert (
        f"publish one on the writer with 'hcp snapshot --out {tmp_path / 'snaps'}'" in capsys.readouterr().err
    )


def test_serve_a_replica_starts_on_the_newest_snapshot(db, tmp_path, capsys, monkeypatch):
    started = {}
    monkeypatch.setattr("os.execvpe", lambda path, command, env: started.update(env=env, command=command))
    monkeypatch.setattr("os.chdir", lambda *args: None)
    assert hcp(db, "snapshot", "--out", str(tmp_path / "snaps")) == 0
    assert "published snapshot-000001-" in capsys.readouterr().out
    assert hcp(db, "serve", "--replica", str(tmp_path / "snaps")) == 0
    assert started["env"]["HCP_REPLICA"] == str((tmp_path / "snaps").resolve())
    assert "HCP_SNAPSHOT_DIR" not in started["env"]


def test_the_writer_publishes_when_asked(db, tmp_path, monkeypatch):
    started = {}
    monkeypatch.setattr("os.execvpe", lambda path, command, env: started.update(env=env))
    monkeypatch.setattr("os.chdir", lambda *args: None)
    assert (
        hcp(db, "serve", "--snapshots", str(tmp_path / "snaps"), "--snapshot-every", "5m", "--keep", "4") == 0
    )
    assert started["env"]["HCP_SNAPSHOT_EVERY"] == "5m" and started["env"]["HCP_SNAPSHOT_KEEP"] == "4"
    assert "HCP_REPLICA" not in started["env"]


def test_snapshot_while_the_dashboard_holds_the_database(db, tmp_path, capsys):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"held"
        assert hcp(db, "snapshot", "--out", str(tmp_path / "snaps")) == 2
        assert "hcp serve --snapshots DIR" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert not (tmp_path / "snaps").exists() or not any((tmp_path / "snaps").iterdir())
