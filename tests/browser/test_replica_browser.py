"""A read-only replica in Debian's Chromium (issue #20): ``hcp serve --replica DIR`` serves reading pages with
"Data as at <snapshot time>" while the writer keeps publishing newer snapshots, switching to each without a restart
and without a failed page."""

import shutil
import subprocess
import sys

import pytest

from tests.browser.conftest import _chromium, settle
from tests.serving import ROOT, app_env, free_port, start, stop

pytestmark = pytest.mark.browser

READING_PAGES = [
    ("overview", "Overview"),
    ("returns", "Returns"),
    ("mandated-contacts", "Mandated contacts"),
    ("targets-settings", "Targets and settings"),
    ("audit-log", "Audit log"),
    ("exceptions", "Exceptions"),
]


@pytest.fixture(scope="module")
def replica_url(sample_db_path, tmp_path_factory):
    """A replica of a copy of the sample, and a writer (``hcp snapshot --every 2s``) publishing all the while."""
    _chromium()
    folder = tmp_path_factory.mktemp("replica_browser")
    db, snapshots = folder / "hcp.duckdb", folder / "snapshots"
    shutil.copyfile(sample_db_path, db)
    command = [sys.executable, "-m", "kpi", "--db", str(db), "snapshot", "--out", str(snapshots)]
    subprocess.run(command, check=True, cwd=ROOT, env=app_env(db), capture_output=True)
    writer = subprocess.Popen(
        [*command, "--every", "2s", "--keep", "2"],
        cwd=ROOT,
        env=app_env(db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    replica = start(
        [sys.executable, "-m", "kpi", "serve", "--replica", str(snapshots), "--port", str(port)],
        ready_url=f"{base}/_stcore/health",
        what="the replica",
        env=app_env(db, {"HCP_DB": str(folder / "no-database-here.duckdb")}),
    )
    try:
        yield base
    finally:
        stop(replica)
        writer.terminate()
        writer.wait(timeout=30)


def _banner(page) -> str:
    banner = page.get_by_text("Data as at").first
    banner.wait_for()
    return banner.inner_text().split(".")[0]


def _no_failure(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0


def test_reading_pages_while_newer_snapshots_appear(page, replica_url):
    seen = set()
    for _ in range(2):
        for url_path, title in READING_PAGES:
            page.goto(f"{replica_url}/{url_path}")
            page.get_by_role("heading", name=title).wait_for()
            settle(page)
            seen.add(_banner(page))
            _no_failure(page)
    # In one session too: each rerun reads the snapshot that is newest when it starts.
    for _url_path, title in READING_PAGES[:3] * 2:
        page.get_by_role("link", name=title).first.click()
        page.get_by_role("heading", name=title).wait_for()
        settle(page)
        seen.add(_banner(page))
        _no_failure(page)
    assert len(seen) >= 3, f"the replica did not move to newer snapshots: {sorted(seen)}"


def test_only_reading_pages_and_no_write_controls(page, replica_url):
    page.goto(f"{replica_url}/")
    page.get_by_role("heading", name="Overview").wait_for()
    settle(page)
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    for title in ("Upload a return", "Review returns", "Meetings", "Meeting pack", "Alerts", "Admin"):
        assert title not in nav.splitlines(), title
    page.goto(f"{replica_url}/upload")
    page.get_by_role("heading", name="Overview").wait_for()  # not a page here: the default page instead
    settle(page)
    assert page.get_by_role("heading", name="Upload a return").count() == 0
    page.goto(f"{replica_url}/targets-settings")
    page.get_by_role("heading", name="Targets and settings").wait_for()
    settle(page)
    assert page.get_by_role("button", name="Set the target").count() == 0
    assert page.locator("[data-testid='stForm']").count() == 0
    _no_failure(page)
