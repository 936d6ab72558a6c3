"""Server time of every page of the sample to its first full render, cold and with the cache warm.

Each page of the one page table (``pages/_app/page_table.py``) is run through Streamlit's own test runner
(``streamlit.testing.v1.AppTest``), which executes ``app.py`` and the page script in this process exactly as the
server would for one browser session, without a browser: the time measured is the server's, from the start of the
script run to the last element sent. The first run of a page fills the page caches (``st.cache_data``); the next
``--runs`` runs of the same session are the warm renders a reader of the same data sees (a rerun executes the whole
page script again, as a new visit does; it leaves out only the test runner's one-off start-up, which a served app
pays once when the server starts). The target is under 1 s per page, warm.

Usage: ``python bench/page_bench.py [--work DIR] [--runs N] [--json]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TODAY = "2026-11-23"
TARGET_S = 1.0


def _session(page: str):
    """One browser session's worth of ``app.py`` opened on ``page`` (not yet run)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(page)
    return at


def _render(at) -> tuple[float, list[str]]:
    """Run the session's script once; the wall time and any exceptions the page raised."""
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    return elapsed, [str(e.value) for e in at.exception]


def measure(work: Path, runs: int) -> dict:
    """Build the sample under ``work`` and time each page cold once, then warm ``runs`` times."""
    os.environ["HCP_TODAY"] = TODAY
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    from kpi.sample import build_sample
    from pages._app.page_table import PAGE_TABLE

    work.mkdir(parents=True, exist_ok=True)
    db = work / "page_bench.duckdb"
    build_sample(db, force=True)
    os.environ["HCP_DB"] = str(db)
    pages: dict[str, dict] = {}
    for entry in PAGE_TABLE:
        at = _session(entry.script)
        cold, errors = _render(at)
        warm = []
        for _ in range(runs):
            seconds, more = _render(at)
            warm.append(seconds)
            errors += more
        pages[entry.script] = {
            "cold_s": round(cold, 3),
            "warm_median_s": round(statistics.median(warm), 3),
            "warm_max_s": round(max(warm), 3),
            "errors": sorted(set(errors)),
        }
    db.unlink(missing_ok=True)
    slowest = max(pages, key=lambda page: pages[page]["warm_median_s"])
    return {
        "today": TODAY,
        "runs": runs,
        "pages": pages,
        "slowest_warm_page": slowest,
        "slowest_warm_s": pages[slowest]["warm_median_s"],
        "target_s": TARGET_S,
        "all_under_target": all(p["warm_median_s"] < TARGET_S for p in pages.values()),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "source": "bench/page_bench.py",
    }


def _report(figures: dict, runs: int) -> list[str]:
    lines = [f"Pages of the sample, server time to a full render (median of {runs} warm runs, seconds)"]
    for page, f in figures["pages"].items():
        flag = "" if f["warm_median_s"] < TARGET_S else "  OVER 1 s"
        lines.append(f"  {page:<32} cold {f['cold_s']:>6}  warm {f['warm_median_s']:>6}{flag}")
    return lines


def main(argv: list[str] | None = None) -> int:
    from bench.sample_cli import run

    return run(__doc__.split("\n\n")[0], measure, _report, argv, runs=3)


if __name__ == "__main__":
    sys.exit(main())
