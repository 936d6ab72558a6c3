"""The page benchmark (bench/page_bench.py): it runs real pages and reports what it measured, honestly.

Speed itself is measured by ``make bench`` (docs/performance.md), never asserted here.
"""

import pytest

from bench import page_bench
from bench.__main__ import _headline


@pytest.fixture()
def sample_env(tmp_path, monkeypatch):
    from kpi.sample import build_sample

    db = tmp_path / "sample.duckdb"
    build_sample(db)
    monkeypatch.setenv("HCP_DB", str(db))
    monkeypatch.setenv("HCP_TODAY", page_bench.TODAY)
    yield
    from pages._app import ui as _ui

    _ui.store.clear()


def test_a_session_renders_a_page_and_reports_its_errors(sample_env):
    at = page_bench._session("pages/meetings.py")
    seconds, errors = page_bench._render(at)
    assert seconds > 0 and errors == []
    assert any("Sample data: synthetic figures" in info.value for info in at.info)
    again, errors = page_bench._render(at)  # the warm run is the same script again
    assert again > 0 and errors == []


def test_the_headline_names_the_slowest_page_and_any_over_the_target():
    pages = {
        "pages/overview.py": {"cold_s": 1.3, "warm_median_s": 0.4, "warm_max_s": 0.5, "errors": []},
        "pages/ncmp.py": {"cold_s": 2.0, "warm_median_s": 1.2, "warm_max_s": 1.3, "errors": []},
    }
    figures = {"pages": pages, "slowest_warm_page": "pages/ncmp.py", "slowest_warm_s": 1.2, "target_s": 1.0}
    line = _headline("page_render", figures)
    assert line.startswith("slowest warm page ncmp.py 1.2 s (target under 1.0 s)")
    assert line.endswith("over: pages/ncmp.py")
    pages["pages/ncmp.py"]["warm_median_s"] = 0.9
    figures["slowest_warm_s"] = 0.9
    assert _headline("page_render", figures).endswith("every page under the target")
