"""AppTest: every page renders without an exception on the sample database, with the sample banner."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = ["pages/overview.py", "pages/mandated_contacts.py", "pages/returns.py"]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    from kpi.sample import build_sample

    path = tmp_path_factory.mktemp("apptest") / "sample.duckdb"
    build_sample(path)
    return path


@pytest.fixture()
def app(sample_db, monkeypatch):
    monkeypatch.setenv("HCP_DB", str(sample_db))
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")

    def run(page: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.switch_page(page)
        at.run()
        return at

    yield run
    from pages import _ui

    _ui.store.clear()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app, page):
    at = app(page)
    assert not at.exception, [e.value for e in at.exception]
    assert any("Sample data: synthetic figures" in info.value for info in at.info)


def test_overview_defaults_to_latest_complete_period(app):
    at = app("pages/overview.py")
    assert at.selectbox(key="overview_period").value == "2026-27 Q2"
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["■ Red (locality cells)"]) >= 1


def test_overview_decile_view(app):
    at = app("pages/overview.py")
    at.radio(key="overview_view").set_value("Deprivation deciles").run()
    assert not at.exception


def test_mandated_contacts_for_c2_shows_the_gap(app):
    at = app("pages/mandated_contacts.py")
    at.selectbox(key="mc_kpi").set_value("C2").run()
    assert not at.exception
    assert any("Deprivation gap" in m.value for m in at.markdown)


def test_returns_page_lists_the_late_return(app):
    at = app("pages/returns.py")
    assert any("Late return: 2025-26 Q2" in w.value for w in at.warning)
