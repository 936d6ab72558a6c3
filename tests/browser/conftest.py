"""Browser tests: the real app served by `hcp serve` on a free loopback port, driven in Debian's Chromium.

Playwright's own browser download cannot run here, so Chromium comes from Debian (`.ci/run` installs it). Without
it these tests skip with a reason, except under HCP_REQUIRE_BROWSER=1 (CI), where a missing browser fails.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    if os.environ.get("HCP_REQUIRE_BROWSER") == "1":
        pytest.fail(
            "Debian's chromium is not installed but HCP_REQUIRE_BROWSER=1: install it (apt-get install chromium)"
        )
    pytest.skip("Debian's chromium is not installed: apt-get install chromium to run the browser tests")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(db_path: Path, env_extra: dict | None = None, port: int | None = None):
    """Start `hcp serve` on a free port (or ``port``); returns (process, base_url) once /_stcore/health answers."""
    port = port or _free_port()
    env = dict(os.environ, HCP_DB=str(db_path), HCP_TODAY="2026-11-23", **(env_extra or {}))
    process = subprocess.Popen(
        [sys.executable, "-m", "kpi", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited: {process.stdout.read().decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the app did not answer /_stcore/health within 90 s")


@pytest.fixture()
def serve_app():
    """``start_app`` for tests that need a server of their own (a fresh start, a special database)."""
    _chromium()
    return start_app


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The sample app, served from its own copy of the sample database."""
    _chromium()
    from kpi.sample import build_sample

    db = tmp_path_factory.mktemp("browser") / "sample.duckdb"
    build_sample(db)
    process, base = start_app(db)
    yield base
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


def settle(page, timeout: float = 90_000) -> None:
    """Wait until the app has finished the rerun that the last action set off.

    Streamlit marks its root element with the script's state (``data-test-script-state``: running, notRunning) and
    the connection's; a rerun may start a moment after the click, so wait briefly, then for a connected, idle app.
    This is how Streamlit's own end-to-end tests wait (``wait_for_app_run``). Typing into a form while its page
    is being re-rendered can lose what was typed, so tests settle before they fill in a form and before they submit.
    """
    page.wait_for_timeout(300)
    page.locator(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
        "[data-test-script-state='notRunning']"
    ).wait_for(timeout=timeout)
    page.wait_for_timeout(100)


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()
