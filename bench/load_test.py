"""Load test: N concurrent reader sessions against served apps on loopback, with the real client protocol.

Each session is a :mod:`bench.load_client` session (Streamlit's WebSocket protocol, as a browser tab speaks it) that
views the reading pages in turn for ``--seconds``; 1, 10 and 50 sessions at a time. For each number of sessions: the
page-render time (request to ``script_finished``) p50 / p95 / max, page views per second, errors (exceptions on
the page, failed runs, timeouts, dropped connections) and memory per session (the server processes' resident memory
at its peak while the sessions ran, less what it was before they opened, divided by the sessions).

Deployments: (a) one ``hcp serve`` process (:func:`start_one`); (b) one writer and two read replicas
(:func:`start_writer_and_replicas`), measured only when this checkout's ``hcp serve`` offers ``--replica``; until
then (b) is reported as not run, with the reason. Both serve the sample database (one council, built fresh), in local
mode: the sessions are on loopback and served as the local commissioner, as a local browser is.

Usage: ``python -m bench.load_test [--work DIR] [--sessions 1,10,50] [--seconds 25] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.common import percentile
from bench.load_client import READING_PAGES, PageView, run_sessions, view_each

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-11-23"
SESSIONS = (1, 10, 50)
SECONDS = 25.0
#: The goal for deployment (b) on a 2-core machine (issue #20).
GOAL = {"sessions": 50, "p95_s": 2.0, "errors": 0}


@dataclass
class Deployment:
    """Served apps: the base URLs sessions are spread over and the processes whose memory is counted."""

    name: str
    base_urls: list[str]
    processes: list[subprocess.Popen]

    def rss_mb(self) -> float:
        """Resident memory of every process of the deployment and their children, in MB."""
        return round(sum(_tree_rss_kb(p.pid) for p in self.processes) / 1024, 1)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _tree_rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` and its descendants (kB; 0 for a process that has gone)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _tree_rss_kb(int(child))
    except (OSError, ValueError):
        pass
    return total


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(db: Path, extra: list[str], log: Path, **more_env: str) -> tuple[subprocess.Popen, str]:
    """``hcp serve`` on a free loopback port (with ``extra`` options and environment); the process and its base URL
    once healthy."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ, HCP_DB=str(db), HCP_TODAY=TODAY, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", **more_env
    )
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "kpi", "serve", "--port", str(port), *extra],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"hcp serve {' '.join(extra)} exited: {log.read_text(errors='replace')[-1500:]}"
            )
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"hcp serve {' '.join(extra)} did not answer within 90 s")


def start_one(db: Path, work: Path) -> Deployment:
    """Deployment (a): one app process."""
    process, base = _serve(db, [], work / "load_test_serve.log")
    return Deployment("one app process", [base], [process])


def replicas_supported() -> str | None:
    """Why deployment (b) cannot run in this checkout (``None`` when ``hcp serve`` offers ``--replica``)."""
    result = subprocess.run(
        [sys.executable, "-m", "kpi", "serve", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    if "--replica" in result.stdout:
        return None
    return "hcp serve has no --replica option in this checkout (read replicas are not built yet)"


def start_writer_and_replicas(db: Path, work: Path, replicas: int = 2) -> Deployment:
    """Deployment (b): one writer publishing snapshots and ``replicas`` read replicas serving them; sessions are
    spread over all three.

    The first snapshot is published with ``hcp snapshot`` before the writer starts (the database is free then);
    the writer runs ``hcp serve --snapshots DIR`` and each replica ``hcp serve --replica DIR``, as
    docs/operations.md describes.
    """
    snapshots = work / "load_test_snapshots"
    shutil.rmtree(snapshots, ignore_errors=True)
    env = dict(os.environ, HCP_DB=str(db), HCP_TODAY=TODAY)
    subprocess.run(
        [sys.executable, "-m", "kpi", "snapshot", "--out", str(snapshots)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    writer, base = _serve(db, ["--snapshots", str(snapshots)], work / "load_test_writer.log")
    deployment = Deployment(f"one writer and {replicas} replicas", [base], [writer])
    try:
        for index in range(replicas):
            process, url = _serve(
                db,
                ["--replica", str(snapshots)],
                work / f"load_test_replica_{index}.log",
                HCP_REPLICA_NAME=f"replica-{index}",
            )
            deployment.processes.append(process)
            deployment.base_urls.append(url)
    except Exception:
        deployment.stop()
        raise
    return deployment


async def _level(deployment: Deployment, sessions: int, seconds: float) -> dict:
    """``sessions`` readers for ``seconds``, with the deployment's memory sampled every half second."""
    before = deployment.rss_mb()
    peak = before
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    task = asyncio.ensure_future(run_sessions(deployment.base_urls, sessions, seconds))
    started = time.perf_counter()
    while not task.done():
        await asyncio.sleep(0.5)
        peak = max(peak, deployment.rss_mb())
    views: list[PageView] = task.result()
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return _figures(views, sessions, wall, before, peak, client_cpu)


def _figures(
    views: list[PageView], sessions: int, wall: float, before: float, peak: float, client_cpu: float
) -> dict:
    times = [v.seconds for v in views if v.ok]
    errors = [e for v in views for e in v.errors]
    per_page = {}
    for page in READING_PAGES:
        mine = [v.seconds for v in views if v.ok and v.page == page]
        if mine:
            per_page[page] = {"views": len(mine), "p50_s": round(percentile(mine, 0.5), 3)}
    return {
        "sessions": sessions,
        "wall_s": round(wall, 1),
        "page_views": len(views),
        "views_per_s": round(len(views) / wall, 2) if wall else None,
        "p50_s": round(percentile(times, 0.5), 3) if times else None,
        "p95_s": round(percentile(times, 0.95), 3) if times else None,
        "max_s": round(max(times), 3) if times else None,
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "rss_before_mb": before,
        "rss_peak_mb": peak,
        "mb_per_session": round((peak - before) / sessions, 1),
        "client_cpu_s": round(client_cpu, 1),
        "per_page": per_page,
    }


def measure_deployment(deployment: Deployment, levels: tuple[int, ...], seconds: float) -> dict:
    """Warm the deployment's caches (one session views every page once per base URL), then run each level."""
    warm = [view for url in deployment.base_urls for view in asyncio.run(view_each(url, READING_PAGES))]
    result = {
        "deployment": deployment.name,
        "processes": len(deployment.processes),
        "first_views_s": {v.page: round(v.seconds, 3) for v in warm},
        "warm_up_errors": [e for v in warm for e in v.errors][:5],
        "levels": {},
    }
    for sessions in levels:
        result["levels"][str(sessions)] = asyncio.run(_level(deployment, sessions, seconds))
    return result


def measure(work: Path, levels: tuple[int, ...] = SESSIONS, seconds: float = SECONDS) -> dict:
    """Build the sample under ``work``, then load-test (a) one process and, when available, (b) a writer and two
    replicas."""
    os.environ["HCP_TODAY"] = TODAY
    from kpi.sample import build_sample

    work.mkdir(parents=True, exist_ok=True)
    db = work / "load_test.duckdb"
    build_sample(db, force=True)
    load_before = [round(x, 2) for x in os.getloadavg()]
    figures: dict = {"today": TODAY, "seconds_per_level": seconds, "pages": list(READING_PAGES)}
    deployment = start_one(db, work)
    try:
        figures["one_process"] = measure_deployment(deployment, levels, seconds)
    finally:
        deployment.stop()
    reason = replicas_supported()
    if reason is None:
        deployment = start_writer_and_replicas(db, work)
        try:
            figures["writer_and_replicas"] = measure_deployment(deployment, levels, seconds)
        finally:
            deployment.stop()
    else:
        figures["writer_and_replicas"] = {"status": "not run", "reason": reason}
    figures["goal"] = GOAL
    figures["load_average"] = {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]}
    figures["cpus"] = os.cpu_count()
    figures["client"] = (
        "bench/load_client.py: Streamlit's WebSocket protocol (BackMsg/ForwardMsg), no browser"
    )
    for suffix in ("", ".wal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.rmtree(work / "load_test_snapshots", ignore_errors=True)
    return figures


def _level_line(sessions: str, v: dict) -> str:
    times = f"p50 {v['p50_s']} s p95 {v['p95_s']} s" if v["p50_s"] is not None else "no view finished"
    return f"{sessions} sessions {times}, {v['errors']} errors, {v['mb_per_session']} MB/session"


def headline(figures: dict) -> str:
    """One line for the bench table: p50/p95/errors at each level, per deployment."""
    parts = []
    for key, label in (("one_process", "(a) 1 process"), ("writer_and_replicas", "(b) writer+2 replicas")):
        found = figures.get(key, {})
        if "levels" not in found:
            parts.append(f"{label}: {found.get('reason', 'not run')}")
            continue
        levels = "; ".join(_level_line(n, v) for n, v in found["levels"].items())
        parts.append(f"{label}: {levels}")
    return " // ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", help="folder for the sample database and server logs (default: temporary)")
    parser.add_argument("--sessions", default=",".join(map(str, SESSIONS)), help="levels, e.g. 1,10,50")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="seconds per level")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    levels = tuple(int(n) for n in args.sessions.split(","))
    if args.work:
        figures = measure(Path(args.work), levels, args.seconds)
    else:
        with tempfile.TemporaryDirectory() as folder:
            figures = measure(Path(folder), levels, args.seconds)
    if not args.json:
        print(headline(figures))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
