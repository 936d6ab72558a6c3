"""Meeting pack and briefing speed for issue 8 (reported, never asserted in tests).

For the sample borough's latest quarter (2026-27 Q2, as at 20 November 2026 09:00) it times, ``--runs`` times each
(5 by default), in one process after a warm-up build of a different quarter (2026-27 Q1: imports, vl-convert,
the typesetter and DuckDB warmed up, nothing of Q2 drawn), with the process's chart cache cleared before every build
(:func:`kpi.reports.figures.clear_chart_cache`), so each figure is what a commissioner pressing "Build PDF" or
"Build DOCX" waits for:

* a cold PDF end to end: the pack's data (``kpi.reports.build``: marts, SPC, SII, narratives, data quality, logs),
  then ``render_pdf``, split into the charts (building the Altair charts and drawing them with vl-convert) and the
  rest (Typst's layout and drawing); against the 3 s target;
* a cold DOCX end to end, from a new build: data, charts (SVG, then PNG drawn by the typesetter) and python-docx; against 2 s;
* the baseline: the same pack with no charts, as HTML and as PDF; the ratios of the PDF to the chart-less PDF
  (what the charts cost in the PDF) and of each end-to-end time to data plus chart-less HTML (what charts and
  layout cost on top of the data every format needs);
* the HTML preview of a new build (its charts drawn cold) and the PDF after it (charts already drawn for the build,
  as on the Meeting pack page): shown apart, never as the build time;
* the scrutiny briefing (data, PDF, DOCX).

The sample database is built once under ``--work`` (default: a temporary folder).

Run: ``uv run python -m bench.pack_bench`` (a table, then the figures as one JSON line), or ``--json`` for the JSON
line only (``make bench`` runs it that way as its ``pack`` step and reads the last line).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

PERIOD = "2026-27 Q2"
#: The quarter of the warm-up build (a different one, so nothing of the measured quarter is drawn before).
WARM_UP_PERIOD = "2026-27 Q1"
AS_AT = datetime(2026, 11, 20, 9, 0)
TODAY = "2026-11-23"


def _summary(values: list[float]) -> dict:
    return {
        "min_s": round(min(values), 3),
        "median_s": round(statistics.median(values), 3),
        "max_s": round(max(values), 3),
    }


def without_charts(document):
    """The document with every chart block left out (same text, tables and page breaks)."""
    from dataclasses import replace

    from kpi.reports.document import FigureBlock

    return replace(
        document, blocks=[block for block in document.blocks if not isinstance(block, FigureBlock)]
    )


def _cold_build(store, period: str = PERIOD):
    """The pack built with the process's chart cache cleared, and the seconds the build took."""
    from kpi import reports
    from kpi.access.principal import LOCAL_USER
    from kpi.reports.figures import clear_chart_cache

    clear_chart_cache()
    started = time.perf_counter()
    built = reports.build(store, "pack", period, AS_AT, principal=LOCAL_USER)
    return built, time.perf_counter() - started


def _timed(render, document) -> tuple[float, float, bytes]:
    """Seconds to render ``document``, the part of them spent on its charts, and the file."""
    charts_before = document.figures.seconds
    started = time.perf_counter()
    content = render(document)
    seconds = time.perf_counter() - started
    return seconds, document.figures.seconds - charts_before, content


def _parts(data: float, seconds: float, charts: float, figures) -> dict:
    """A cold build's time by part: data, charts (of which Altair's charts and specs), the rest, in all."""
    return {
        "data": data,
        "charts": charts,
        "chart_specs": figures.spec_seconds,
        "layout": seconds - charts,
        "total": data + seconds,
    }


def _pack_run(store) -> dict:
    from kpi.reports.docx import render_docx
    from kpi.reports.html import render_html
    from kpi.reports.pdf import render_pdf

    out: dict = {}
    built, data = _cold_build(store)
    seconds, charts, pdf = _timed(render_pdf, built.document)
    out["pdf"] = _parts(data, seconds, charts, built.document.figures)
    out["pdf_render"] = seconds
    figures = built.document.figures
    out["charts"], out["renders"], out["pdf_mb"] = len(figures), dict(figures.renders), len(pdf) / 1e6
    out["exceptions"] = len(built.data.exceptions)
    # the baseline: the same document with its charts left out, as HTML and laid out as PDF
    bare = without_charts(built.document)
    out["html_no_charts"], _, _ = _timed(render_html, bare)
    out["pdf_no_charts"], _, _ = _timed(render_pdf, bare)
    out["baseline_total"] = data + out["html_no_charts"]

    built, data = _cold_build(store)
    seconds, charts, docx = _timed(render_docx, built.document)
    out["docx"] = _parts(data, seconds, charts, built.document.figures)
    out["docx_mb"] = len(docx) / 1e6
    out["docx_renders"] = dict(built.document.figures.renders)

    built, data = _cold_build(store)
    out["html_preview"], _, _ = _timed(render_html, built.document)
    out["pdf_after_preview"], _, _ = _timed(render_pdf, built.document)
    return out


def _briefing_run(store) -> dict:
    from kpi import reports
    from kpi.access.principal import LOCAL_USER

    out: dict = {}
    started = time.perf_counter()
    built = reports.build(store, "briefing", PERIOD, AS_AT, principal=LOCAL_USER)
    out["build"] = time.perf_counter() - started
    step = time.perf_counter()
    reports.render(built.document, "pdf")
    out["pdf"] = time.perf_counter() - step
    step = time.perf_counter()
    reports.render(built.document, "docx")
    out["docx"] = time.perf_counter() - step
    out["total"] = time.perf_counter() - started
    return out


PARTS = ("data", "charts", "chart_specs", "layout", "total")


def _pack_summary(packs: list[dict]) -> dict:
    """Medians (with min and max) of the runs, the ratios of each run's medians, facts of the first run."""
    from bench.report import PACK_TARGETS

    def ratio(over: str, under: str) -> float:
        values = [_value(p, over) / _value(p, under) for p in packs if _value(p, under)]
        return round(statistics.median(values), 1) if values else 0.0

    first = packs[0]
    return {
        **{fmt: {part: _summary([p[fmt][part] for p in packs]) for part in PARTS} for fmt in ("pdf", "docx")},
        **{
            part: _summary([p[part] for p in packs])
            for part in (
                "html_no_charts",
                "pdf_no_charts",
                "baseline_total",
                "html_preview",
                "pdf_after_preview",
            )
        },
        "targets_s": dict(PACK_TARGETS),
        "ratios": {
            "pdf_over_pdf_no_charts": ratio("pdf_render", "pdf_no_charts"),
            "pdf_total_over_baseline": ratio("pdf.total", "baseline_total"),
            "docx_total_over_baseline": ratio("docx.total", "baseline_total"),
        },
        "charts": first["charts"],
        "renders_per_build": {"pdf": first["renders"], "docx": first["docx_renders"]},
        "exceptions": first["exceptions"],
        "pdf_mb": round(first["pdf_mb"], 2),
        "docx_mb": round(first["docx_mb"], 2),
    }


def _value(run: dict, path: str) -> float:
    """``run["pdf"]["total"]`` for ``"pdf.total"``."""
    value = run
    for part in path.split("."):
        value = value[part]
    return value


def measure(work: Path, runs: int) -> dict:
    """Build the sample under ``work`` and time the pack and the briefing ``runs`` times."""
    os.environ["HCP_TODAY"] = TODAY
    from kpi.core.store import Store
    from kpi.reports.docx import render_docx
    from kpi.reports.pdf import render_pdf
    from kpi.sample import build_sample

    work.mkdir(parents=True, exist_ok=True)
    db = work / "pack_bench.duckdb"
    started = time.perf_counter()
    build_sample(db, force=True)
    sample_s = time.perf_counter() - started
    with Store.open(db, read_only=True) as store:
        # the first pack in the process (imports, vl-convert start-up, the typesetter reading its fonts), of another quarter
        started = time.perf_counter()
        warm_up, _ = _cold_build(store, WARM_UP_PERIOD)
        render_pdf(warm_up.document)
        render_docx(warm_up.document)
        first_s = time.perf_counter() - started
        packs = [_pack_run(store) for _ in range(runs)]
        briefings = [_briefing_run(store) for _ in range(runs)]
    db.unlink(missing_ok=True)
    return {
        "period": PERIOD,
        "as_at": AS_AT.isoformat(),
        "runs": runs,
        "sample_database_s": round(sample_s, 2),
        "warm_up_period": WARM_UP_PERIOD,
        "first_pack_in_process_s": round(first_s, 2),
        "pack": _pack_summary(packs),
        "briefing": {
            part: _summary([b[part] for b in briefings]) for part in ("build", "pdf", "docx", "total")
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def report_lines(figures: dict) -> list[str]:
    """The figures as a few lines of text (``--json`` prints only the JSON)."""
    pack, brief = figures["pack"], figures["briefing"]

    def med(part: dict) -> float:
        return part["median_s"]

    lines = [
        f"Meeting pack, sample borough, {figures['period']}: cold (chart cache cleared), median of "
        f"{figures['runs']} runs, seconds"
    ]
    for fmt in ("pdf", "docx"):
        parts = pack[fmt]
        lines.append(
            f"  {fmt.upper()} end to end {med(parts['total'])} (target {pack['targets_s'][fmt]:g}): data "
            f"{med(parts['data'])}, charts {med(parts['charts'])} (Altair {med(parts['chart_specs'])}), "
            f"{'Typst' if fmt == 'pdf' else 'python-docx'} {med(parts['layout'])}"
        )
    ratios = pack["ratios"]
    lines += [
        f"  baseline, the same pack without charts: HTML {med(pack['html_no_charts'])}, PDF "
        f"{med(pack['pdf_no_charts'])}; data + chart-less HTML {med(pack['baseline_total'])}",
        f"  PDF = {ratios['pdf_over_pdf_no_charts']} x the chart-less PDF; end to end, PDF = "
        f"{ratios['pdf_total_over_baseline']} x and DOCX = {ratios['docx_total_over_baseline']} x data + "
        "chart-less HTML",
        f"  {pack['charts']} charts; renders per build {pack['renders_per_build']}",
        f"  not the build time: HTML preview with cold charts {med(pack['html_preview'])}, then the PDF "
        f"{med(pack['pdf_after_preview'])} (charts already drawn for the build)",
        f"  first pack in the process ({figures['warm_up_period']}, PDF and DOCX): "
        f"{figures['first_pack_in_process_s']} s",
        f"Scrutiny briefing: data {med(brief['build'])}, PDF {med(brief['pdf'])}, DOCX {med(brief['docx'])}; "
        f"total {med(brief['total'])}",
        f"(load average {figures['load_average']} on {figures['cpus']} CPUs)",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    from bench.sample_cli import run

    return run(__doc__.split("\n\n")[0], measure, lambda figures, runs: report_lines(figures), argv, runs=5)


if __name__ == "__main__":
    sys.exit(main())
