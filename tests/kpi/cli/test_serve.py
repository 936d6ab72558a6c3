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
