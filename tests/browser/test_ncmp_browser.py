"""The real app in Debian's Chromium: the NCMP page shows its prevalence heading, the locality map with its OS
attribution, and keeps the academic year in its address (a deep link)."""

import pytest

pytestmark = pytest.mark.browser

ATTRIBUTION = "Contains National Statistics and OS data © Crown copyright and database right 2023"


def test_ncmp_page_prevalence_and_map_attribution(page, app_url):
    page.goto(f"{app_url}/ncmp")
    page.get_by_role("heading", name="Child measurement (NCMP)").wait_for()
    page.get_by_text("Sample data: synthetic figures").first.wait_for()
    page.get_by_role("heading", name="Prevalence by weight category").wait_for()
    page.get_by_text(ATTRIBUTION).first.wait_for()
    page.get_by_text("Gap between the most and least deprived decile:").first.wait_for()
    page.locator("[data-testid='stVegaLiteChart']").nth(2).wait_for()  # at least three charts


def test_ncmp_page_opens_at_the_year_in_its_address(page, app_url):
    page.goto(f"{app_url}/ncmp?year=2023/24")
    page.get_by_role("heading", name="Prevalence by weight category").wait_for()
    page.get_by_text("Weight categories, Reception, 2023/24").first.wait_for(state="attached")
