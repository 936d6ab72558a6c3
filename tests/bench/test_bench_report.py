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


def test_the_pack_is_judged_cold_end_to_end_against_its_targets_with_the_chart_less_baseline(tmp_path: Path):
    def seconds(median):
        return {"min_s": median, "median_s": median, "max_s": median}

    def parts(data, charts, layout):
        return {
            "data": seconds(data),
            "charts": seconds(charts),
            "chart_specs": seconds(round(charts / 2, 3)),
            "layout": seconds(layout),
            "total": seconds(round(data + charts + layout, 3)),
        }

    pack = {
        "pdf": parts(0.8, 0.7, 1.3),
        "docx": parts(0.8, 1.1, 0.5),
        "html_no_charts": seconds(0.05),
        "pdf_no_charts": seconds(1.1),
        "baseline_total": seconds(0.85),
        "html_preview": seconds(0.75),
        "pdf_after_preview": seconds(1.4),
        "ratios": {
            "pdf_over_pdf_no_charts": 1.8,
            "pdf_total_over_baseline": 3.3,
            "docx_total_over_baseline": 2.8,
        },
        "charts": 12,
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
    assert "built cold (chart cache cleared; median of 5 runs" in text
    assert (
        "PDF: 2.8 s, within the 3 s target (data 0.8, charts 0.7, of which Altair 0.35, Typst 1.3)." in text
    )
    assert (
        "DOCX: 2.4 s, over the 2 s target (data 0.8, charts 1.1, of which Altair 0.55, python-docx 0.5)."
        in text
    )
    assert "without charts: HTML 0.05 s, PDF 1.1 s; data and chart-less HTML 0.85 s" in text
    assert "1.8 times the chart-less PDF" in text and "3.3 times and the DOCX 2.8 times" in text
    assert "Not the build time" in text and "0.75 s" in text and "1.4 s" in text


def test_a_pack_step_without_cold_times_is_not_judged(tmp_path: Path):
    results = {"steps": {"pack": {"figures": {"pack": {"pdf": {"median_s": 2.5}}, "runs": 3}}}}
    section = performance_section(results, lambda name, figures: "headline")
    assert "measured no cold end-to-end times" in section and "target" not in section


def test_a_page_without_the_markers_is_refused(tmp_path: Path):
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bench:start"):
        write_performance({}, page, _headline)
