"""The portal pages under each role (``AppTest.user``), with sign-in configured by a temporary secrets file.

Sign-in is "configured" by pointing ``STREAMLIT_SECRETS_FILES`` at a file with an ``[auth]`` section; the signed-in
user is ``AppTest.user`` (``is_logged_in`` and the e-mail claim). Users are added to a copy of the sample database:
a commissioner, a viewer, an admin, a provider for ZZ1 and one for a second provider ZZ2.
"""

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi.sample import COUNCIL_CODE, SAMPLE_DIR
from tests.portal_people import add_portal_people

APP = str(Path(__file__).resolve().parents[2] / "app.py")
Q2 = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"
PEOPLE = {
    "commissioner": ("commissioner@council.gov.uk", "commissioner", None),
    "viewer": ("scrutiny@council.gov.uk", "viewer", None),
    "admin": ("it@council.gov.uk", "admin", None),
    "provider": ("lead@zz1.nhs.uk", "provider", "ZZ1"),
    "other provider": ("lead@zz2.nhs.uk", "provider", "ZZ2"),
}
SECRETS = """
[auth]
redirect_uri = "http://127.0.0.1:8501/oauth2callback"
cookie_secret = "not-a-secret-only-for-tests"
client_id = "hcp"
client_secret = "hcp"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
"""


@pytest.fixture(scope="module")
def portal_db(sample_db_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("portal") / "portal.duckdb"
    shutil.copyfile(sample_db_path, path)
    add_portal_people(path, list(PEOPLE.values()))
    return path


@pytest.fixture()
def signed_in(portal_db, tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS)
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(secrets))
    monkeypatch.setenv("HCP_DB", str(portal_db))
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")

    def run(who: str | None, page: str | None = None, email: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        if who is None and email is None:
            at.user = {"is_logged_in": False}
        else:
            at.user = {"is_logged_in": True, "email": email or PEOPLE[who][0]}
        at.run()  # first the app as it lands, so that switch_page sees the pages the role is offered
        if page:
            try:
                at.switch_page(page)
            except ValueError:
                return None  # the navigation does not offer this page to the role
            at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield run
    from pages._app import ui as _ui

    _ui.store.clear()


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [w.value for w in at.warning]
    parts += [i.value for i in at.info] + [s.value for s in at.success] + [c.value for c in at.caption]
    return "\n".join(parts)


def test_a_visitor_sees_only_the_sign_in_button(signed_in):
    at = signed_in(None)
    assert titles(at) == ["HCP Contract Monitor"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric


def test_a_stranger_sees_a_polite_refusal_and_nothing_else(signed_in):
    at = signed_in(None, email="someone@elsewhere.org")
    assert "has not been given access" in at.error[0].value
    assert "someone@elsewhere.org" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.dataframe and not at.metric and titles(at) == ["HCP Contract Monitor"]
    from pages._app import ui as _ui  # the app's own connection (this process holds the file)

    refused = _ui.store().query("select actor from audit_log where action = 'sign-in refused'")
    assert "someone@elsewhere.org" in refused["actor"].to_list()


def test_a_commissioner_is_offered_every_portal_page(signed_in):
    at = signed_in("commissioner", "pages/review.py")
    assert titles(at) == ["Review returns"]
    for page, title in [
        ("pages/upload.py", "Upload a return"),
        ("pages/exceptions.py", "Exceptions"),
        ("pages/data_quality.py", "Data quality"),
        ("pages/targets_settings.py", "Targets and settings"),
        ("pages/audit_log.py", "Audit log"),
    ]:
        assert titles(signed_in("commissioner", page)) == [title]


def test_a_provider_lands_on_its_own_data_and_cannot_open_commissioner_pages(signed_in):
    at = signed_in("provider", "pages/upload.py")
    assert titles(at) == ["Upload a return"]
    assert "Returns for provider ZZ1" in texts(at)
    for page in ("pages/review.py", "pages/targets_settings.py", "pages/audit_log.py", "pages/admin.py"):
        assert signed_in("provider", page) is None  # not offered: not in the provider's navigation


def test_a_second_provider_sees_none_of_the_first_ones_returns(signed_in):
    at = signed_in("other provider", "pages/returns.py")
    assert "No returns have been loaded yet" in texts(at)
    own = signed_in("provider", "pages/returns.py")
    assert own.dataframe[0].value["Provider"].unique().tolist() == ["ZZ1"]


def test_a_viewer_reads_but_cannot_change_targets_or_review(signed_in):
    at = signed_in("viewer", "pages/targets_settings.py")
    assert titles(at) == ["Targets and settings"]
    assert "targets_save" not in [b.key for b in at.button]
    assert signed_in("viewer", "pages/review.py") is None
    assert signed_in("viewer", "pages/upload.py") is None


def test_an_admin_manages_users(signed_in):
    at = signed_in("admin", "pages/admin.py")
    assert titles(at) == ["Admin"]
    assert "lead@zz2.nhs.uk" in at.dataframe[0].value["Email"].to_list()
    assert signed_in("admin", "pages/review.py") is None


def test_a_provider_checks_a_broken_file_then_submits_and_the_commissioner_accepts(
    signed_in, return_rows, write_return
):
    good = Q2.read_bytes().replace(b"\n", b"\r\n")  # the same rows, a new file
    return_rows.row("C2", "NORTH", "2")["numerator"] = "n/a"
    broken = write_return(return_rows, "broken.csv").read_bytes()
    at = signed_in("provider", "pages/upload.py")
    at = _upload(at, "broken.csv", broken, "upload_check")
    assert "would be rejected" in at.error[0].value
    problems = at.table[0].value
    assert problems["Severity"].tolist()[0] == "Error"
    assert str(return_rows.source_row("C2", "NORTH", "2")) in problems["Rows"].tolist()[0]

    at = signed_in("provider", "pages/upload.py")
    at = _upload(at, "good.csv", good, "upload_submit")
    assert "waits for the commissioner's review" in at.success[0].value

    review = signed_in("commissioner", "pages/review.py")
    assert int(review.metric[0].value) == 1
    review.button(key="review_accept").click().run()
    assert not review.exception
    assert "accepted" in texts(review)


def _upload(at: AppTest, name: str, data: bytes, button: str) -> AppTest:
    at.file_uploader(key="upload_file").set_value((name, data, "text/csv"))
    at.run()
    at.button(key=button).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_agreed_exception_shows_on_the_overview(signed_in):
    from datetime import date

    from kpi.access.users import find_user
    from kpi.contract import narratives as exceptions
    from pages._app import ui as _ui

    at = signed_in("provider", "pages/exceptions.py")
    assert titles(at) == ["Exceptions"]
    assert at.text_area[0].label == "Explanation"
    assert at.text_area[0].value.startswith("North team")  # pre-filled from the return's comment
    store = _ui.store()
    where = dict(provider_code="ZZ1", kpi_code="C2", period="2026-27 Q2", locality_code="NORTH")
    exceptions.save_narrative(
        store,
        find_user(store, PEOPLE["provider"][0]),
        COUNCIL_CODE,
        **where,
        explanation="Three posts vacant in the North team.",
        remedial_action="Agency cover; two posts recruited.",
        owner="Head of 0-19 service",
        due_date=date(2027, 1, 31),
    )
    exceptions.agree_narrative(store, find_user(store, PEOPLE["commissioner"][0]), COUNCIL_CODE, **where)
    for who in ("commissioner", "viewer", "provider"):
        overview = signed_in(who, "pages/overview.py")
        shown = "\n".join(m.value for m in overview.markdown)
        assert "Three posts vacant in the North team\\." in shown, who  # provider text shown as typed
    other = signed_in("other provider", "pages/overview.py")
    assert "Three posts vacant" not in "\n".join(m.value for m in other.markdown)


def test_warnings_need_a_tick_and_a_reason_before_submission(signed_in, return_rows, write_return):
    for key in (("C5", "NORTH", "U"), ("C5", "NORTH", "")):  # NORTH's unknown-decile share rises to 19%
        row = return_rows.row(*key)
        row["numerator"] = str(int(row["numerator"]) + 40)
        row["denominator"] = str(int(row["denominator"]) + 40)
    at = signed_in("provider", "pages/upload.py")
    at = _upload(at, "warned.csv", write_return(return_rows, "warned.csv").read_bytes(), "upload_submit")
    assert "The file has warnings and nothing was written" in at.warning[0].value
    assert at.table[0].value["Severity"].tolist() == ["Warning"]
    at.checkbox(key="upload_confirm").check()
    at.button(key="upload_submit").click()
    at.run()
    assert "Say why the figures are right" in at.error[0].value
    at.text_input(key="upload_reason").input("LSOAs not recorded during the records system change")
    at.button(key="upload_submit").click()
    at.run()
    assert "waits for the commissioner's review" in at.success[0].value
    history = at.dataframe[0].value
    assert "warned.csv" in history["File"].tolist()


def test_a_provider_sees_only_its_own_draft_pack(signed_in):
    at = signed_in("provider", "pages/meeting_pack.py")
    at.button(key="mp_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    html = at.get("iframe")[0].proto.srcdoc
    assert "DRAFT" in html and "ZZ1" in html
    # ZZ2 has sent no return: its pack page has no figures to show, not ZZ1's
    other = signed_in("other provider", "pages/meeting_pack.py")
    assert "nothing to put in a pack" in texts(other)
    assert not other.get("iframe")
