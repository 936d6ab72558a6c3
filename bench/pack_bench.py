"""Meeting pack and briefing speed for issue 8 (reported, never asserted in tests).

For the sample borough's latest quarter (2026-27 Q2, as at 20 November 2026 09:00) it times, ``--runs`` times each
(3 by default), in one process after a warm-up build:

* the pack's data (``kpi.reports.build``: marts, SPC, SII, narratives, data quality, logs);
* the HTML preview (this is where the SVG charts are drawn), the PDF (WeasyPrint) and the DOCX (python-docx; the
  charts drawn again as PNG at 220 pixels per inch), each chart drawn once per format per build;
* the scrutiny briefing (data, PDF, DOCX);

and reports the time spent drawing charts (building the Altair charts and converting them with vl-convert) as a
share of the whole pack. The sample database is built once under ``--work`` (default: a temporary folder).

Run: ``uv run python -m bench.pack_bench`` (a table, then the figures as one JSON line), or ``--json`` for the JSON
line only (``make bench`` runs it that way as its ``pack`` step and reads the last line).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

PERIOD = "2026-27 Q2"
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


def _pack_run(store) -> dict:
    from kpi import reports
    from kpi.access.principal import LOCAL_USER
    from kpi.reports.html import render_html
    from kpi.reports.pdf import render_pdf

    out: dict = {}
    started = time.perf_counter()
    built = reports.build(store, "pack", PERIOD, AS_AT, principal=LOCAL_USER)
    out["build"] = time.perf_counter() - started
    step = time.perf_counter()
    html = render_html(built.document)
    out["html"] = time.perf_counter() - step
    step = time.perf_counter()
    pdf = render_pdf(built.document, html)
    out["pdf"] = time.perf_counter() - step
    step = time.perf_counter()
    docx = reports.render(built.document, "docx")
    out["docx"] = time.perf_counter() - step
    out["total"] = time.perf_counter() - started
    # the baseline: the same document with its charts left out, as HTML and laid out as PDF, so the ratios show
    # what the charts and the page layout cost
    bare = without_charts(built.document)
    step = time.perf_counter()
    bare_html = render_html(bare)
    out["html_no_charts"] = time.perf_counter() - step
    step = time.perf_counter()
    render_pdf(bare, bare_html)
    out["pdf_no_charts"] = time.perf_counter() - step
    figures = built.document.figures
    out["chart_seconds"] = figures.seconds
    out["charts"] = len(figures)
    out["renders"] = dict(figures.renders)
    out["pdf_mb"] = len(pdf) / 1e6
    out["docx_mb"] = len(docx) / 1e6
    out["exceptions"] = len(built.data.exceptions)
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


def measure(work: Path, runs: int) -> dict:
    """Build the sample under ``work`` and time the pack and the briefing ``runs`` times."""
    os.environ["HCP_TODAY"] = TODAY
    from kpi.core.store import Store
    from kpi.sample import build_sample

    work.mkdir(parents=True, exist_ok=True)
    db = work / "pack_bench.duckdb"
    started = time.perf_counter()
    build_sample(db, force=True)
    sample_s = time.perf_counter() - started
    with Store.open(db, read_only=True) as store:
        started = time.perf_counter()
        _pack_run(store)  # first build in the process: imports, vl-convert and WeasyPrint warm-up
        cold_s = time.perf_counter() - started
        packs = [_pack_run(store) for _ in range(runs)]
        briefings = [_briefing_run(store) for _ in range(runs)]
    db.unlink(missing_ok=True)
    chart_share = [p["chart_seconds"] / p["total"] for p in packs]
    return {
        "period": PERIOD,
        "as_at": AS_AT.isoformat(),
        "runs": runs,
        "sample_database_s": round(sample_s, 2),
        "pack_first_in_process_s": round(cold_s, 2),
        "pack": {
            **{
                part: _summary([p[part] for p in packs])
                for part in ("build", "html", "pdf", "docx", "total", "html_no_charts", "pdf_no_charts")
            },
            "charts": packs[0]["charts"],
            "renders_per_build": packs[0]["renders"],
            "exceptions": packs[0]["exceptions"],
            "chart_seconds": _summary([p["chart_seconds"] for p in packs]),
            "chart_share_of_total": round(statistics.median(chart_share), 3),
            "pdf_over_html_no_charts": round(
                statistics.median([p["pdf"] / p["html_no_charts"] for p in packs if p["html_no_charts"]]), 1
            ),
            "pdf_mb": round(packs[0]["pdf_mb"], 2),
            "docx_mb": round(packs[0]["docx_mb"], 2),
        },
        "briefing": {
            part: _summary([b[part] for b in briefings]) for part in ("build", "pdf", "docx", "total")
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", help="folder for the sample database (default: a temporary folder)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    if args.work:
        figures = measure(Path(args.work), args.runs)
    else:
        with tempfile.TemporaryDirectory() as folder:
            figures = measure(Path(folder), args.runs)
    if not args.json:
        pack, brief = figures["pack"], figures["briefing"]
        print(f"Meeting pack, sample borough, {PERIOD} (median of {args.runs} runs, seconds)")
        print(
            f"  data {pack['build']['median_s']}, HTML with SVG charts {pack['html']['median_s']}, "
            f"PDF {pack['pdf']['median_s']}, DOCX with PNG charts {pack['docx']['median_s']}; "
            f"total {pack['total']['median_s']}"
        )
        print(
            f"  {pack['charts']} charts, renders per build {pack['renders_per_build']}; charts "
            f"{pack['chart_seconds']['median_s']} s = {100 * pack['chart_share_of_total']:.0f}% of the total"
        )
        print(
            f"  baseline, the same pack without charts: HTML {pack['html_no_charts']['median_s']}, "
            f"PDF {pack['pdf_no_charts']['median_s']}; PDF with charts = "
            f"{pack['pdf_over_html_no_charts']} x the chart-less HTML"
        )
        print(f"  first pack in a fresh process: {figures['pack_first_in_process_s']} s")
        print(
            f"Scrutiny briefing: data {brief['build']['median_s']}, PDF {brief['pdf']['median_s']}, "
            f"DOCX {brief['docx']['median_s']}; total {brief['total']['median_s']}"
        )
        print(f"(load average {figures['load_average']} on {figures['cpus']} CPUs)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
