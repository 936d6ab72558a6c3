"""The example reverse-proxy configuration works (issue #20): ``deploy/nginx/hcp.conf`` on loopback in front of a
writer and two replicas, each signed in through an OIDC provider (``oidc-provider-mock``), in Debian's Chromium.

nginx runs as this user with a temporary prefix (pid, logs, temporary files); the configuration file is used as it
is shipped except for its ports and host names (``hcp.test`` and ``hcp-admin.test``, which Chromium resolves to
127.0.0.1). Skipped when nginx is not installed, unless HCP_REQUIRE_BROWSER=1 (CI), where that fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.browser.conftest import CHROMIUM_FLAGS, _chromium, settle
from tests.portal_people import add_portal_people
from tests.serving import ROOT, app_env, free_port, start, stop

pytestmark = pytest.mark.browser

CONFIG = ROOT / "deploy" / "nginx" / "hcp.conf"
READER, STAFF = "hcp.test", "hcp-admin.test"
COMMISSIONER = "commissioner@council.gov.uk"


def _nginx() -> str:
    path = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
    )
    if path:
        return path
    if os.environ.get("HCP_REQUIRE_BROWSER") == "1":
        pytest.fail("nginx is not installed but HCP_REQUIRE_BROWSER=1: install it (apt-get install nginx)")
    pytest.skip("nginx is not installed: apt-get install nginx to run the reverse-proxy test")


def render(config: str, *, listen: int, writer: int, replicas: tuple[int, int]) -> str:
    """The shipped configuration with this test's ports and host names (nothing else changed)."""
    rendered = (
        config.replace("listen 80;", f"listen 127.0.0.1:{listen};")
        .replace("server 127.0.0.1:8501;", f"server 127.0.0.1:{writer};")
        .replace("server 127.0.0.1:8502 ", f"server 127.0.0.1:{replicas[0]} ")
        .replace("server 127.0.0.1:8503 ", f"server 127.0.0.1:{replicas[1]} ")
        .replace("hcp-admin.example.gov.uk", STAFF)
        .replace("hcp.example.gov.uk", READER)
    )
    assert rendered.count(f"listen 127.0.0.1:{listen};") == 2 and str(replicas[1]) in rendered
    return rendered


def _main_config(prefix: Path, site: Path) -> str:
    """nginx's own main file for an ordinary user: everything it writes under ``prefix``."""
    return (
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{}}\nhttp {{\n"
        f"    access_log {prefix}/access.log;\n"
        + "".join(
            f"    {kind}_temp_path {prefix}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"    include {site};\n}}\n"
    )


def _secrets(folder: Path, name: str, host: str, port: int, oidc: str) -> Path:
    secrets = folder / f"{name}.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://{host}:{port}/oauth2callback"\n'
        'cookie_secret = "one-secret-every-process-shares"\n'
        'client_id = "hcp-contract-monitor"\n'
        'client_secret = "any-secret-the-mock-accepts"\n'
        f'server_metadata_url = "{oidc}/.well-known/openid-configuration"\n'
    )
    return secrets


@pytest.fixture(scope="module")
def site(sample_db_path, tmp_path_factory):
    """nginx on a free loopback port in front of a writer publishing snapshots and two replicas of them."""
    nginx = _nginx()
    _chromium()
    folder = tmp_path_factory.mktemp("nginx")
    db, snapshots = folder / "hcp.duckdb", folder / "snapshots"
    shutil.copyfile(sample_db_path, db)
    add_portal_people(db, [(COMMISSIONER, "commissioner", None)])
    listen, writer, first, second, oidc_port = (free_port() for _ in range(5))
    processes = []
    try:
        oidc = f"http://127.0.0.1:{oidc_port}"
        processes.append(
            start(
                [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(oidc_port)],
                ready_url=f"{oidc}/.well-known/openid-configuration",
                what="oidc-provider-mock",
                seconds=30,
            )
        )
        staff = _secrets(folder, "writer", STAFF, listen, oidc)
        readers = _secrets(folder, "replica", READER, listen, oidc)
        serve = [sys.executable, "-m", "kpi", "serve", "--port"]
        processes.append(
            start(
                [*serve, str(writer), "--snapshots", str(snapshots), "--snapshot-every", "3s"],
                ready_url=f"http://127.0.0.1:{writer}/_stcore/health",
                what="the writer",
                env=app_env(db, {"STREAMLIT_SECRETS_FILES": str(staff)}),
            )
        )
        _wait_for(lambda: any(snapshots.glob("snapshot-*/manifest.json")), "the writer's first snapshot")
        for port, name in ((first, "replica-a"), (second, "replica-b")):
            processes.append(
                start(
                    [*serve, str(port), "--replica", str(snapshots)],
                    ready_url=f"http://127.0.0.1:{port}/_stcore/health",
                    what=name,
                    env=app_env(db, {"STREAMLIT_SECRETS_FILES": str(readers), "HCP_REPLICA_NAME": name}),
                )
            )
        prefix = folder / "nginx"
        prefix.mkdir()
        site_file = prefix / "hcp.conf"
        site_file.write_text(
            render(CONFIG.read_text(), listen=listen, writer=writer, replicas=(first, second))
        )
        (prefix / "nginx.conf").write_text(_main_config(prefix, site_file))
        checked = subprocess.run(
            [nginx, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        processes.append(
            start(
                [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                ready_url=f"http://127.0.0.1:{listen}/_stcore/health",
                what="nginx",
                own_group=True,
            )
        )
        yield {"port": listen, "db": db, "snapshots": snapshots, "processes": processes}
    finally:
        for process in reversed(processes):
            stop(process)


def _wait_for(condition, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture()
def chromium(playwright_driver):
    """Chromium that resolves the test's two host names to this machine."""
    rules = f"--host-resolver-rules=MAP {READER} 127.0.0.1, MAP {STAFF} 127.0.0.1"
    launched = playwright_driver.chromium.launch(executable_path=_chromium(), args=[*CHROMIUM_FLAGS, rules])
    yield launched
    launched.close()


def _sign_in(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_placeholder("sub").fill(COMMISSIONER)  # the mock's authorisation form
    page.get_by_role("button", name="Authorize").click()
    page.get_by_text("Signed in as").wait_for()
    settle(page)
    return context, page


def test_readers_reach_a_replica_and_staff_the_writer_through_nginx(site, chromium):
    base = f"http://{READER}:{site['port']}"
    context, page = _sign_in(chromium, base)
    try:
        page.get_by_role("heading", name="Overview").wait_for()
        page.get_by_text("Data as at").first.wait_for()
        nav = page.locator("[data-testid='stSidebarNav']").inner_text().splitlines()
        assert "Returns" in nav and "Upload a return" not in nav
        page.get_by_role("link", name="Returns").first.click()
        page.get_by_role("heading", name="Returns").wait_for()
        settle(page)
        assert page.locator("[data-testid='stException']").count() == 0
        cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
        assert cookies.get("hcp_replica"), "the pool is sticky by the hcp_replica cookie"
        page.screenshot(path=str(Path(site["db"]).parent / "replica-through-nginx.png"))
    finally:
        context.close()
    context, page = _sign_in(chromium, f"http://{STAFF}:{site['port']}")
    try:
        page.get_by_role("heading", name="Overview").wait_for()
        nav = page.locator("[data-testid='stSidebarNav']").inner_text().splitlines()
        assert "Upload a return" in nav
        assert page.get_by_text("Data as at").count() == 0
    finally:
        context.close()
    # The replica's sign-in reached the writer's audit log with a later snapshot (the writer takes it in).
    logs = list((site["snapshots"] / "signins").glob("replica-*.jsonl"))
    assert logs and COMMISSIONER in "".join(log.read_text() for log in logs)

    def audited() -> bool:
        newest = sorted(site["snapshots"].glob("snapshot-*/hcp.duckdb"))[-1]
        with duckdb.connect(str(newest), read_only=True) as con:
            rows = con.execute(
                "select detail_json from audit_log where action = 'signed in' and actor = ?", [COMMISSIONER]
            ).fetchall()
        return any(json.loads(row[0]).get("replica", "").startswith("replica-") for row in rows)

    _wait_for(audited, "the replica's sign-in in the writer's audit log")
