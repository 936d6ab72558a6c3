"""docs/performance.md quotes the last bench run: its generated section is the one bench/results.json gives."""

import json
from pathlib import Path

import pytest

from bench.__main__ import PERFORMANCE, RESULTS, _headline
from bench.report import END, START, performance_section, write_performance


def test_the_page_quotes_the_committed_results():
    page = PERFORMANCE.read_text(encoding="utf-8")
    section = page[page.index(START) : page.index(END) + len(END)]
    assert section == performance_section(json.loads(RESULTS.read_text()), _headline), (
        "docs/performance.md is not the last run's: run `make bench` (or bench.report.write_performance)"
    )


def test_the_pack_is_judged_against_its_targets_with_the_chart_less_baseline(tmp_path: Path):
    def seconds(median):
        return {"min_s": median, "median_s": median, "max_s": median}

    pack = {
        "build": seconds(0.8),
        "html": seconds(0.9),
        "pdf": seconds(2.5),
        "docx": seconds(2.4),
        "html_no_charts": seconds(0.05),
        "pdf_no_charts": seconds(1.1),
        "pdf_over_html_no_charts": 50.0,
        "charts": 12,
        "chart_seconds": seconds(1.0),
        "chart_share_of_total": 0.15,
    }
    results = {
        "machine": {"date": "2026-11-23T10:00:00"},
        "steps": {"pack": {"figures": {"pack": pack, "runs": 5}}},
    }
    page = tmp_path / "performance.md"
    page.write_text(f"# Performance\n\n{START}\nold figures\n{END}\n\nprose stays\n", encoding="utf-8")
    write_performance(results, page, lambda name, figures: "headline")
    text = page.read_text(encoding="utf-8")
    assert "old figures" not in text and text.endswith("prose stays\n")
    assert "median of 5 runs" in text
    assert "PDF: 2.5 s, within the 3 s target." in text
    assert "DOCX: 2.4 s, over the 2 s target." in text
    assert "without charts: HTML 0.05 s, PDF 1.1 s" in text and "50.0 times" in text


def test_a_page_without_the_markers_is_refused(tmp_path: Path):
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bench:start"):
        write_performance({}, page, _headline)
