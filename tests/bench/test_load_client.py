"""The load-test client (bench/load_client.py) against a real served app on loopback: two sessions, pages render
to the end with no errors. Speed is measured by ``make bench`` (docs/performance.md), never asserted here."""

from bench import load_test
from bench.load_client import READING_PAGES, sessions_views
from tests.serving import serving


def test_two_sessions_render_every_reading_page_without_errors(sample_db_copy):
    with serving(sample_db_copy) as base:
        views = sessions_views([base], 2, 1.0, READING_PAGES)
    assert len(views) >= 2
    assert [v.errors for v in views if v.errors] == []
    assert {v.page for v in views} <= set(READING_PAGES)
    # a view ends at script_finished, after the page's own elements (the Overview alone sends dozens of messages)
    assert all(v.seconds > 0 and v.messages >= 10 for v in views)


def test_a_missing_page_is_an_error_of_its_view(sample_db_copy):
    with serving(sample_db_copy) as base:
        views = sessions_views([base], 1, 0.1, ("no-such-page",))
    assert views and views[0].errors and "page not found" in " ".join(views[0].errors)


def test_the_headline_reports_both_deployments_honestly():
    level = {"p50_s": 0.5, "p95_s": 1.5, "errors": 0, "mb_per_session": 3.2}
    figures = {
        "one_process": {"levels": {"1": level}},
        "writer_and_replicas": {"status": "not run", "reason": "no --replica"},
    }
    line = load_test.headline(figures)
    assert "1 sessions p50 0.5 s p95 1.5 s, 0 errors, 3.2 MB/session" in line
    assert "(b) writer+2 replicas: no --replica" in line
