"""The provider portal through a real OIDC sign-in, in Debian's Chromium.

``oidc-provider-mock`` runs on a free loopback port in a subprocess; the app is served by ``hcp serve`` with its
secrets file (``STREAMLIT_SECRETS_FILES``, Streamlit's own variable for ``secrets.files``) pointing at a temporary
``[auth]`` section, so the developer's ``.streamlit/secrets.toml`` is never touched. Each person signs in in a
browser context of their own (own cookies) by typing their e-mail as the subject on the mock's form.

The story: provider ZZ1 uploads a broken return and sees its problems, uploads a good one and submits it; provider
ZZ2 cannot see it; the commissioner accepts it; a stranger gets a polite refusal; ZZ1 loads its child-level records
as the separate tables of its CSDS submission.
"""

import shutil
import sys

import pytest

from kpi.sample import SAMPLE_DIR
from tests.browser.conftest import _chromium, settle
from tests.portal_people import add_portal_people
from tests.serving import free_port, serving, start, stop

pytestmark = pytest.mark.browser

Q2 = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"
COMMISSIONER, ZZ1, ZZ2 = "commissioner@council.gov.uk", "lead@zz1.nhs.uk", "lead@zz2.nhs.uk"


@pytest.fixture(scope="module")
def oidc_server():
    """``oidc-provider-mock`` in a process of its own (its library warnings are not this suite's errors)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start(
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
        ready_url=f"{base}/.well-known/openid-configuration",
        what="oidc-provider-mock",
        seconds=30,
    )
    yield base
    stop(process)


@pytest.fixture(scope="module")
def portal_url(oidc_server, sample_db_path, tmp_path_factory):
    _chromium()
    folder = tmp_path_factory.mktemp("portal_browser")
    db = folder / "portal.duckdb"
    shutil.copyfile(sample_db_path, db)
    add_portal_people(
        db, [(COMMISSIONER, "commissioner", None), (ZZ1, "provider", "ZZ1"), (ZZ2, "provider", "ZZ2")]
    )
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-long-random-string-only-for-this-test"\n'
        'client_id = "hcp-contract-monitor"\n'
        'client_secret = "any-secret-the-mock-accepts"\n'
        f'server_metadata_url = "{oidc_server}/.well-known/openid-configuration"\n'
    )
    with serving(db, {"STREAMLIT_SECRETS_FILES": str(secrets)}, port=port) as base:
        yield base


@pytest.fixture()
def sign_in(browser, portal_url):
    contexts = []

    def as_(email: str):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(portal_url)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_placeholder("sub").fill(email)  # the mock's authorisation form
        page.get_by_role("button", name="Authorize").click()
        page.get_by_text("Signed in as").wait_for()
        return page

    yield as_
    for context in contexts:
        context.close()


def _idle(page) -> None:
    """Wait until the app has finished its rerun."""
    settle(page)


def _upload(page, path, button: str) -> None:
    page.locator("input[type=file]").first.set_input_files(
        str(path)
    )  # the return's uploader (records come after)
    page.get_by_text(path.name).first.wait_for()
    # the upload's own rerun must start and finish before the button is pressed, or the click can be lost: give it
    # a moment to start, then wait until the app is idle
    page.wait_for_timeout(1_500)
    _idle(page)
    page.get_by_role("button", name=button, exact=True).first.click()
    page.wait_for_timeout(500)
    _idle(page)


def test_sign_in_upload_submit_review(sign_in, portal_url, return_rows, write_return):
    # provider ZZ1: a broken return first
    page = sign_in(ZZ1)
    page.goto(f"{portal_url}/upload")
    page.get_by_role("heading", name="Upload a return").wait_for()
    page.get_by_text("Returns for provider ZZ1").wait_for()
    broken_rows = type(return_rows)(dict(row) for row in return_rows)
    broken_rows.row("C2", "NORTH", "2")["numerator"] = "n/a"
    broken_rows.row("C8i", "WEST")["provider_code"] = "ZZ2"
    _upload(page, write_return(broken_rows, "broken_return.csv"), "Check only")
    page.get_by_text("the file has errors, so it would be rejected").wait_for()
    problems = page.locator("[data-testid='stTable']")
    problems.wait_for()
    text = problems.inner_text()
    assert "n/a" in text and "numerator" in text
    assert "the provider code 'ZZ2' is not ZZ1" in text
    assert str(broken_rows.source_row("C2", "NORTH", "2")) in text

    # then a good one, submitted
    good = write_return(return_rows, "good_return.csv", line_end="\r\n")
    _upload(page, good, "Submit")
    page.get_by_text("waits for the commissioner's review").wait_for(timeout=90_000)

    # provider ZZ2 sees none of it, and is not offered the review page
    other = sign_in(ZZ2)
    other.goto(f"{portal_url}/returns")
    other.get_by_text("No returns have been loaded yet").wait_for()
    other.goto(f"{portal_url}/upload")
    other.get_by_text("Returns for provider ZZ2").wait_for()
    other.get_by_text("No returns yet.").wait_for()
    assert other.get_by_text("good_return.csv").count() == 0
    assert other.get_by_role("link", name="Review returns").count() == 0
    other.goto(f"{portal_url}/review")  # a deep link to a page the role is not offered
    other.get_by_role("heading", name="Overview").wait_for()
    assert other.get_by_role("heading", name="Review returns").count() == 0

    # the commissioner accepts it
    commissioner = sign_in(COMMISSIONER)
    commissioner.goto(f"{portal_url}/review")
    commissioner.get_by_role("heading", name="Review returns").wait_for()
    commissioner.get_by_text("good_return.csv").first.wait_for()
    commissioner.get_by_role("button", name="Accept", exact=True).click()
    commissioner.get_by_text("accepted; it supersedes submission 17").wait_for()
    commissioner.get_by_text("No return is waiting for review.").wait_for()


def test_a_stranger_is_refused_politely(sign_in, browser, portal_url):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(portal_url)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_placeholder("sub").fill("someone@elsewhere.org")
        page.get_by_role("button", name="Authorize").click()
        page.get_by_text("has not been given access to HCP Contract Monitor").wait_for()
        page.get_by_role("button", name="Sign out").wait_for()
        _idle(page)  # the whole run has rendered: still no navigation
        assert page.get_by_role("button", name="Sign out").count() == 1
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
    finally:
        context.close()


def test_a_provider_loads_its_csds_tables_through_the_records_uploader(sign_in, portal_url, tmp_path):
    from kpi.sample import HV_RECORDS_TABLES

    page = sign_in(ZZ1)
    page.goto(f"{portal_url}/upload")
    page.get_by_role("heading", name="Upload a return").wait_for()
    page.get_by_text("Child-level health visiting records").wait_for()
    files = sorted(HV_RECORDS_TABLES.iterdir())
    page.locator("input[type=file]").nth(1).set_input_files([str(path) for path in files])  # the records'
    page.get_by_text(files[-1].name).first.wait_for()
    page.wait_for_timeout(1_500)
    _idle(page)
    page.get_by_role("button", name="Load", exact=True).last.click()
    page.wait_for_timeout(500)
    _idle(page)
    page.get_by_text("3726 children").first.wait_for()
    shot = tmp_path / "upload_csds_tables.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


def test_the_records_uploader_takes_a_council_size_extract_the_return_uploader_refuses(
    sign_in, portal_url, tmp_path
):
    """A council's year of child-level records is about 25 MB as CSV: over a return's 20 MB, within the records'."""
    big = tmp_path / "hv_extract_25mb.csv"
    row = "000000001,2025-03-02,1,A,E01000001,2025-05-01,01,A01,5,09,SCPHN\n"
    with open(big, "w", encoding="utf-8") as handle:
        handle.write("LocalPatientId,DateOfBirth,Gender,EthnicCategory,LSOA2011,Contact_Date,ConsMechanism,")
        handle.write("Activity_LocationType,AttendanceStatus,Activity_Type,practitioner_role\n")
        handle.write(row * (25 * 1024 * 1024 // len(row)))
    page = sign_in(ZZ1)
    page.goto(f"{portal_url}/upload")
    page.get_by_text("Child-level health visiting records").wait_for()
    page.locator("input[type=file]").nth(1).set_input_files(str(big))  # the records' uploader
    page.get_by_text(big.name).first.wait_for()
    page.locator("input[type=file]").first.set_input_files(str(big))  # the return's uploader
    page.get_by_text("20.0MB or smaller").first.wait_for(timeout=15_000)
    assert page.get_by_text("200.0MB or smaller").count() == 0
    page.wait_for_timeout(1_500)
    _idle(page)
    assert page.get_by_role("button", name="Load", exact=True).last.is_enabled()  # the records took the file
