"""Issue #13 findings 4 and 9f: local mode answers only to this computer's names, directly.

A page on ``attacker.example`` whose name resolves to 127.0.0.1 (DNS rebinding) must get no session, and a request
relayed by a forwarder (X-Forwarded-For, Forwarded, X-Real-IP) is refused in local mode. The real app is served by
``hcp serve`` on a loopback port; the WebSocket handshake is made by hand and the page is opened in Chromium with a
host-resolver rule that sends ``attacker.example`` to 127.0.0.1.
"""

import shutil
import socket

import pytest

from kpi.access import principal as auth
from tests.browser.conftest import CHROMIUM_FLAGS, _chromium
from tests.serving import serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def local_app(sample_db_path, tmp_path_factory):
    _chromium()
    db = tmp_path_factory.mktemp("hosts") / "local.duckdb"
    shutil.copyfile(sample_db_path, db)
    with serving(db) as base:
        yield base


def handshake(base: str, host: str, extra: str = "") -> str:
    """The status line the server answers a WebSocket upgrade of /_stcore/stream with, under ``host``."""
    port = int(base.rsplit(":", 1)[1])
    request = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"{extra}\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        answer = sock.recv(4096).decode(errors="replace")
    return answer.split("\r\n", 1)[0]


def test_a_session_under_another_host_name_is_refused(local_app):
    port = local_app.rsplit(":", 1)[1]
    assert " 101 " in handshake(local_app, f"127.0.0.1:{port}")
    assert " 101 " in handshake(local_app, f"localhost:{port}")
    for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1.attacker.example:{port}"):
        assert " 101 " not in handshake(local_app, host), host


@pytest.fixture(scope="module")
def rebinding_browser(playwright_driver):
    launched = playwright_driver.chromium.launch(
        executable_path=_chromium(),
        args=[*CHROMIUM_FLAGS, "--host-resolver-rules=MAP attacker.example 127.0.0.1"],
    )
    yield launched
    launched.close()


def _page(browser, **options):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, **options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def test_a_rebound_name_never_reaches_the_admin_page(local_app, rebinding_browser):
    port = local_app.rsplit(":", 1)[1]
    context, page = _page(rebinding_browser)
    try:
        page.goto(f"http://127.0.0.1:{port}/admin")
        page.get_by_role("heading", name="Admin").wait_for()  # the same browser reaches it under 127.0.0.1
        page.goto(f"http://attacker.example:{port}/admin")
        page.wait_for_timeout(6_000)
        text = page.locator("body").inner_text()
        assert "Admin" not in text and "Overview" not in text and "users" not in text.lower()
    finally:
        context.close()


@pytest.mark.parametrize(
    "header",
    [{"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}, {"X-Real-IP": "203.0.113.9"}],
)
def test_local_mode_refuses_a_forwarded_request(local_app, rebinding_browser, header):
    context, page = _page(rebinding_browser, extra_http_headers=header)
    try:
        page.goto(f"{local_app}/admin")
        page.get_by_text("came through a proxy or forwarder").wait_for()
        assert not page.get_by_role("heading", name="Admin").count()
    finally:
        context.close()


# ---- the rule itself (kpi.access.principal.request_refusal), which app.py applies to every session -------------------------

LOCAL = auth.LOCAL_HOSTS


@pytest.mark.parametrize(
    ("address", "headers", "refused"),
    [
        (None, {"host": "127.0.0.1:8501"}, None),
        (None, {"Host": "localhost:8501"}, None),
        (None, {"host": "[::1]:8501"}, None),
        (None, {"host": "attacker.example:8501"}, auth.HOST_REFUSAL),
        (None, {"host": "127.0.0.1@attacker.example"}, auth.HOST_REFUSAL),
        (None, {}, None),  # Streamlit's test harness: no headers, no network client
        (None, {"host": "127.0.0.1:8501", "X-Forwarded-For": "127.0.0.1"}, auth.FORWARDED_REFUSAL),
        (None, {"host": "127.0.0.1:8501", "x-real-ip": "10.0.0.1"}, auth.FORWARDED_REFUSAL),
        ("10.1.2.3", {"host": "127.0.0.1:8501"}, auth.REFUSAL),
    ],
)
def test_what_local_mode_trusts(address, headers, refused):
    assert auth.request_refusal(address, headers, signed_in=False, hosts=LOCAL) == refused


def test_signed_in_mode_answers_to_its_configured_host_and_accepts_a_proxys_headers(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "https://HCP.example.gov.uk/oauth2callback"\n')
    hosts = auth.allowed_hosts(secrets)
    assert hosts == ["hcp.example.gov.uk"]
    proxied = {"host": "hcp.example.gov.uk", "x-forwarded-for": "10.0.0.7", "x-forwarded-proto": "https"}
    assert auth.request_refusal("10.0.0.7", proxied, signed_in=True, hosts=hosts) is None
    assert (
        auth.request_refusal("10.0.0.7", {"host": "127.0.0.1"}, signed_in=True, hosts=hosts)
        == auth.HOST_REFUSAL
    )
    secrets.write_text('[auth]\nclient_id = "x"\n')
    assert auth.allowed_hosts(secrets) == []
    assert auth.allowed_hosts(tmp_path / "none.toml") == list(LOCAL)


def _served_command(db, monkeypatch, secrets=None):
    from kpi import cli

    started = []
    monkeypatch.setattr("os.execvpe", lambda program, command, env: started.append(command))
    if secrets is not None:
        monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(secrets))
    else:
        monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(db.parent / "no-secrets.toml"))
    code = cli.main(["--db", str(db), "serve"])
    return code, started[0] if started else None


def _hosts(command):
    return [command[i + 1] for i, part in enumerate(command) if part == "--server.allowedHosts"]


def test_hcp_serve_restricts_the_host_names(sample_db_copy, tmp_path, monkeypatch, capsys):
    code, command = _served_command(sample_db_copy, monkeypatch)
    assert code == 0 and _hosts(command) == ["localhost", "127.0.0.1", "::1"]
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "https://hcp.example.gov.uk/oauth2callback"\n')
    code, command = _served_command(sample_db_copy, monkeypatch, secrets)
    assert code == 0 and _hosts(command) == ["hcp.example.gov.uk"]
    secrets.write_text('[auth]\nclient_id = "x"\n')
    code, command = _served_command(sample_db_copy, monkeypatch, secrets)
    assert code == 2 and command is None
    assert "no usable redirect_uri" in capsys.readouterr().err
