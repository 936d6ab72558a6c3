"""Issue #13 finding 1: every page runs the guard and sign-in itself, however the server was started.

With ``pages/`` beside ``app.py``, ``streamlit run app.py`` serves ``/<page>`` by running ``pages/<page>.py``
directly until some session has run ``app.py``. So each server here is started fresh, the ways a user starts it
(``hcp serve``, ``make run``, ``streamlit run app.py``, ``python -m streamlit run app.py``), and every page's URL is
requested before anything else, in Chromium:

* **signed-in mode** (``[auth]`` configured): every page shows only the sign-in button, none of its content;
* **local mode**: a request relayed by a forwarder (it may come from another computer) sees only the refusal, on
  every page; a direct request from this computer opens the page.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from pages._app.page_table import PAGE_TABLE
from tests.serving import app_env, free_port, start, stop

pytestmark = pytest.mark.browser

VENV_BIN = Path(sys.executable).parent
LAUNCHERS = {
    "hcp serve": lambda port: [sys.executable, "-m", "kpi", "serve", "--port", str(port)],
    "make run": lambda port: ["make", "--no-print-directory", "run", f"PORT={port}"],
    "streamlit run app.py": lambda port: [
        str(VENV_BIN / "streamlit"),
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
    ],
    "python -m streamlit run app.py": lambda port: [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
    ],
}
#: Streamlit's folder mode runs page files directly: every page is requested first there. The launchers that
#: tell Streamlit up front (serve.py) are checked on a few pages, the sensitive ones first.
FEW = ("admin", "returns", "review")


def _pages(launcher: str) -> list:
    if launcher.startswith(("streamlit", "python -m streamlit")):
        return list(PAGE_TABLE)
    return [entry for entry in PAGE_TABLE if entry.url_path in FEW]


def _start(launcher: str, db: Path, secrets: Path | None):
    port = free_port()
    if secrets:
        secrets.write_text(secrets.read_text().replace("PORT", str(port)))
    env = app_env(db, {"STREAMLIT_SECRETS_FILES": str(secrets if secrets else db.parent / "no-secrets.toml")})
    base = f"http://127.0.0.1:{port}"
    process = start(
        LAUNCHERS[launcher](port),
        ready_url=f"{base}/_stcore/health",
        what=launcher,
        env=env,
        seconds=120,
        own_group=True,
    )
    return process, base


SECRETS = """[auth]
redirect_uri = "http://127.0.0.1:PORT/oauth2callback"
cookie_secret = "a-test-cookie-secret-of-some-length-0123456789"
client_id = "hcp-test"
client_secret = "hcp-test-secret"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
"""


@pytest.fixture(scope="module")
def database(sample_db_path, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("guard") / "sample.duckdb"
    shutil.copyfile(sample_db_path, db)
    return db


def _open(browser, url: str, headers: dict | None = None):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, extra_http_headers=headers or {})
    page = context.new_page()
    page.set_default_timeout(45_000)
    page.goto(url)
    return context, page


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_signed_in_mode_shows_every_page_only_after_sign_in(launcher, database, browser, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS)
    process, base = _start(launcher, database, secrets)
    try:
        for entry in _pages(launcher):
            context, page = _open(browser, f"{base}/{entry.url_path}")
            try:
                page.get_by_role("button", name="Sign in").wait_for()
                text = page.locator("[data-testid='stMain']").inner_text()
                assert "Sample data: synthetic figures" not in text, (launcher, entry.url_path)
                assert not page.get_by_role("heading", name=entry.title, exact=True).count(), entry.url_path
            finally:
                context.close()
    finally:
        stop(process)


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_local_mode_refuses_a_forwarded_request_on_every_page(launcher, database, browser):
    process, base = _start(launcher, database, None)
    try:
        for entry in _pages(launcher):
            context, page = _open(browser, f"{base}/{entry.url_path}", {"X-Forwarded-For": "203.0.113.9"})
            try:
                page.get_by_text("came through a proxy or forwarder").wait_for()
                assert not page.get_by_role("heading", name=entry.title, exact=True).count(), entry.url_path
            finally:
                context.close()
        # a browser on this computer, talking to it directly, opens the page it asked for first
        context, page = _open(browser, f"{base}/returns")
        try:
            page.get_by_role("heading", name="Returns", exact=True).wait_for()
        finally:
            context.close()
    finally:
        stop(process)
