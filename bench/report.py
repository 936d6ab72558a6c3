"""Write the latest ``make bench`` figures into docs/performance.md, so the page never quotes a stale run.

The section between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` is generated from ``bench/results.json``:
when and where the run was, each step's wall time, peak memory and headline figures, and the meeting pack's
times against its targets beside the same pack rendered without charts. The rest of the page (what the figures
mean) is prose. ``tests/bench/test_bench_report.py`` checks that the page's section is the one the committed
results give.
"""

from __future__ import annotations

from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
#: The meeting pack's speed targets (seconds, median over runs, sample borough).
PACK_TARGETS = {"pdf": 3.0, "docx": 2.0}


def _pack_lines(steps: dict) -> list[str]:
    figures = steps.get("pack", {}).get("figures", {})
    pack = figures.get("pack")
    if not pack:
        return ["The meeting pack step did not run in the last bench."]
    runs = figures.get("runs", "?")
    lines = [
        f"**Meeting pack, sample borough** (median of {runs} runs after a warm-up build, seconds): "
        f"data {pack['build']['median_s']}, HTML {pack['html']['median_s']}, PDF {pack['pdf']['median_s']}, "
        f"DOCX {pack['docx']['median_s']}."
    ]
    for part, target in PACK_TARGETS.items():
        median = pack[part]["median_s"]
        verdict = "within" if median <= target else "over"
        lines.append(f"- {part.upper()}: {median} s, {verdict} the {target:g} s target.")
    if "html_no_charts" in pack:
        lines.append(
            f"- Baseline, the same pack without charts: HTML {pack['html_no_charts']['median_s']} s, PDF "
            f"{pack['pdf_no_charts']['median_s']} s. The PDF with charts takes {pack['pdf_over_html_no_charts']} "
            "times the chart-less HTML: that ratio is what charts and page layout cost."
        )
    else:
        lines.append("- The chart-less baseline was not measured in this run.")
    lines.append(
        f"- Charts: {pack['charts']}, {pack['chart_seconds']['median_s']} s to draw "
        f"({100 * pack['chart_share_of_total']:.0f}% of the whole pack)."
    )
    return lines


def performance_section(results: dict, headline) -> str:
    """The generated Markdown for ``results`` (``headline(name, figures)`` gives a step's one-line summary)."""
    machine = results.get("machine", {})
    packages = machine.get("packages", {})
    lines = [
        START,
        "",
        f"Last run: {str(machine.get('date', '?'))[:10]}, on {machine.get('cpu', '?')} ({machine.get('cores', '?')} "
        f"cores, {machine.get('memory_gb', '?')} GB, {machine.get('os', '?')}), Python {machine.get('python', '?')}, "
        f"DuckDB {packages.get('duckdb', '?')}, polars {packages.get('polars', '?')}; load average "
        f"{machine.get('load_average_at_start', '?')} at the start, {machine.get('load_average_at_end', '?')} at "
        f"the end; {results.get('total_wall_s', '?')} s in all.",
        "",
        "| step | status | wall s | peak MB | figures |",
        "|---|---|---|---|---|",
    ]
    for name, record in results.get("steps", {}).items():
        figures = record.get("figures")
        summary = headline(name, figures) if figures else record.get("reason", "")
        summary = summary.replace("|", "/").replace("\n", " ")
        lines.append(
            f"| {name} | {record.get('status', '')} | {record.get('wall_s', '')} | {record.get('peak_rss_mb', '')} "
            f"| {summary} |"
        )
    lines += ["", *_pack_lines(results.get("steps", {})), "", END]
    return "\n".join(lines)


def write_performance(results: dict, page: Path, headline) -> None:
    """Replace the generated section of ``page`` with the one for ``results``."""
    text = page.read_text(encoding="utf-8")
    before, _, rest = text.partition(START)
    _, found, after = rest.partition(END)
    if not found:
        raise ValueError(f"{page} has no {START} ... {END} section to write the figures into")
    page.write_text(before + performance_section(results, headline) + after, encoding="utf-8")
