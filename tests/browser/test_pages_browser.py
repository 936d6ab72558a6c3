"""The real app in Debian's Chromium: the Returns page, the overview's RAG matrix and the mandated-contacts page."""

import pytest

from tests.serving import stop

pytestmark = pytest.mark.browser


def test_the_first_request_after_start_runs_through_app_navigation(page, tmp_path, serve_app):
    """A fresh server's first session goes through app.py (serve.py), never a page file on its own."""
    from kpi.sample import build_sample

    build_sample(tmp_path / "fresh.duckdb")
    process, base = serve_app(tmp_path / "fresh.duckdb")
    try:
        page.goto(f"{base}/mandated-contacts?kpi=C2")
        page.get_by_role("heading", name="Mandated contacts").wait_for()
        page.get_by_text("Contract monitoring").first.wait_for()
        assert page.get_by_text("Page not found").count() == 0
    finally:
        stop(process)


def test_returns_page_shows_the_late_return(page, app_url):
    page.goto(f"{app_url}/returns")
    page.get_by_role("heading", name="Returns").wait_for()
    late = page.get_by_text("Late return: 2025-26 Q2")
    late.wait_for()
    assert "after its due date" in late.inner_text()
    page.get_by_text("Sample data: synthetic figures").first.wait_for()


def test_overview_rag_cell_decile_view_and_mandated_contacts(page, app_url):
    page.goto(f"{app_url}/")
    matrix = page.locator("table.rag-matrix:not(.exceptions-board)")
    matrix.wait_for()
    assert "2026-27 Q2" in matrix.locator("caption").inner_text()
    # NORTH's new birth visits slipped below target: the cell says so in words and shape, not colour alone
    north_c2 = page.locator('tr[data-kpi="C2"] td[data-col="NORTH"]')
    assert north_c2.get_attribute("data-rag") == "red"
    assert "■ Red" in north_c2.inner_text()

    page.get_by_text("Deprivation deciles").click()
    page.locator("table.rag-matrix:not(.exceptions-board) caption", has_text="national IMD decile").wait_for()
    assert page.locator('tr[data-kpi="C2"] td[data-col="d1"]').inner_text().strip() != ""

    page.goto(f"{app_url}/mandated-contacts?kpi=C2")
    page.get_by_role("heading", name="Mandated contacts").wait_for()
    page.get_by_text("Gap between the most and least deprived decile:").wait_for()
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for()


@pytest.mark.parametrize("path", ["overview", "overview?period=2026-27+Q1", "admin", "meeting-pack"])
def test_every_page_opens_from_its_own_url(page, app_url, path):
    """A deep link opens that page, the default page (Overview) included, with no "Page not found"."""
    from pages._app.page_table import PAGE_TABLE

    title = next(entry.title for entry in PAGE_TABLE if entry.url_path == path.split("?")[0])
    page.goto(f"{app_url}/{path}")
    page.get_by_role("heading", name=title, exact=True).wait_for()
    page.get_by_text("Sample data: synthetic figures").first.wait_for()
    assert page.get_by_text("Page not found").count() == 0
