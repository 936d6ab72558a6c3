"""The real app in Debian's Chromium: the Outcomes page's tartan rug, its filter and a measure's detail."""

import pytest

pytestmark = pytest.mark.browser


def test_outcomes_rug_reads_a_statement_and_a_comparison_word(page, app_url):
    page.goto(f"{app_url}/outcomes")
    page.get_by_role("heading", name="Outcomes").wait_for()
    page.get_by_text("Sample data: synthetic figures").first.wait_for()
    first = page.locator('table.outcome-rug[data-outcome="1"]')
    first.wait_for()
    assert (
        first.locator("caption")
        .inner_text()
        .startswith("1. The very youngest children have the best start in life")
    )
    # Year 6 excess weight: worse than England in words and a shape, not by colour alone
    year6 = page.locator('tr[data-measure="fingertips:20602"] td[data-col="england_comparison"]')
    assert year6.get_attribute("data-outcome") == "worse"
    assert "■ Worse than England" in year6.inner_text()
    trend = page.locator('tr[data-measure="fingertips:20602"] td[data-col="trend"]').inner_text()
    assert "Increasing and getting worse" in trend

    page.get_by_text("Only measures worse than England and getting worse").click()
    page.locator('table.outcome-rug[data-outcome="1"]').wait_for(state="detached")
    rows = page.locator("table.outcome-rug tbody tr")
    assert rows.count() >= 1
    assert rows.count() == page.locator('[data-flag="worse-and-worsening"]').count()
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for()


def test_outcomes_deep_link_to_the_second_framework(page, app_url):
    page.goto(f"{app_url}/outcomes?framework=stockport_family&measure=fingertips:90319")
    page.locator("table.outcome-rug caption", has_text="I feel safe").wait_for()
    page.get_by_text("By deprivation decile: Trafford, 2022/23").wait_for()
