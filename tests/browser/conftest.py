"""Browser tests: the real app served by `hcp serve` on a free loopback port, driven in Debian's Chromium.

Playwright's own browser download cannot run here, so Chromium comes from Debian (`.ci/run` installs it). Without
it these tests skip with a reason, except under HCP_REQUIRE_BROWSER=1 (CI), where a missing browser fails.
"""

import os
import shutil

import pytest

from tests.serving import serving, start_app

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
    with serving(db) as base:
        yield base


def settle(page, timeout: float = 90_000) -> None:
    """Wait until the app has finished the rerun that the last action set off.

    Streamlit marks its root element with the script's state (``data-test-script-state``: running, notRunning) and
    the connection's; a rerun may start a moment after the click, so wait briefly, then for a connected, idle app.
    This is how Streamlit's own end-to-end tests wait (``wait_for_app_run``). Typing into a form while its page
    is being re-rendered can lose what was typed, so tests settle before they fill in a form and before they submit.
    """
    page.wait_for_timeout(300)
    page.locator(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
    ).wait_for(timeout=timeout)
    page.wait_for_timeout(100)


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()
