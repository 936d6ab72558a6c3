"""Write the latest ``make bench`` figures into docs/performance.md, so the page never quotes a stale run.

The section between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` is generated from ``bench/results.json``:
when and where the run was, each step's wall time, peak memory and headline figures, and the meeting pack's cold
end-to-end times against its targets beside the same pack rendered without charts. The rest of the page (what the figures
mean) is prose. ``tests/bench/test_bench_report.py`` checks that the page's section is the one the committed
results give.
"""

from __future__ import annotations

from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
#: The meeting pack's speed targets (seconds, median over runs, sample borough).
PACK_TARGETS = {"pdf": 3.0, "docx": 2.0}


def _specs(parts: dict) -> str:
    """ ", of which Altair 0.4" when the run timed the building of the charts and their specs apart."""
    return f", of which Altair {parts['chart_specs']['median_s']}" if "chart_specs" in parts else ""


def _pack_lines(steps: dict) -> list[str]:
    figures = steps.get("pack", {}).get("figures", {})
    pack = figures.get("pack")
    if not pack:
        return ["The meeting pack step did not run in the last bench."]
    if "pdf" not in pack or "total" not in pack["pdf"]:
        return ["The meeting pack step of the last bench measured no cold end-to-end times."]
    runs = figures.get("runs", "?")

    def med(part: dict) -> float:
        return part["median_s"]

    lines = [
        f"**Meeting pack, sample borough**, built cold (chart cache cleared; median of {runs} runs after a warm-up "
        f"build of another quarter, seconds), end to end from the data to the file:"
    ]
    for fmt, layout in (("pdf", "Typst"), ("docx", "python-docx")):
        parts, target = pack[fmt], PACK_TARGETS[fmt]
        total = med(parts["total"])
        verdict = "within" if total <= target else "over"
        lines.append(
            f"- {fmt.upper()}: {total} s, {verdict} the {target:g} s target (data {med(parts['data'])}, charts "
            f"{med(parts['charts'])}{_specs(parts)}, {layout} {med(parts['layout'])})."
        )
    ratios = pack["ratios"]
    lines += [
        f"- Baseline, the same pack without charts: HTML {med(pack['html_no_charts'])} s, PDF "
        f"{med(pack['pdf_no_charts'])} s; data and chart-less HTML {med(pack['baseline_total'])} s. The PDF takes "
        f"{ratios['pdf_over_pdf_no_charts']} times the chart-less PDF (what the charts cost in it); end to end the "
        f"PDF takes {ratios['pdf_total_over_baseline']} times and the DOCX {ratios['docx_total_over_baseline']} "
        "times the data and chart-less HTML (what charts and layout cost on top of the data).",
        f"- Charts: {pack['charts']}, drawn once per build as SVG (the DOCX's PNG made from it).",
        f"- Not the build time: the HTML preview of a new build takes {med(pack['html_preview'])} s (its charts "
        f"drawn), and the PDF after it {med(pack['pdf_after_preview'])} s.",
    ]
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
