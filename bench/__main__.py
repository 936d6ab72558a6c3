"""``make bench`` (``python -m bench``): the national-size benchmark, every step in its own process.

Builds a seeded national-size synthetic dataset under ``bench/work/`` (git-ignored), loads it through the real
loaders into one DuckDB database, measures what a council and a national deployment would ask about, and writes
``bench/results.json`` (with the machine it ran on) and a table on stdout. Each step runs in a subprocess whose peak
resident memory is read from ``os.wait4`` (``ru_maxrss`` of that child alone). Scripts other engineers own
(``bench/ncmp_bench.py``, ``bench/pack_bench.py``) are run as steps when present.

Options: ``--only STEP[,STEP]`` runs chosen steps on an existing ``bench/work`` (e.g. ``--only pages,sii``);
``--keep`` keeps the generated files and database (they are removed at the end otherwise, except the JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from bench.load_test import headline as load_test_headline
from bench.report import write_performance
from kpi.core import periods

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "results.json"
PERFORMANCE = HERE.parent / "docs" / "performance.md"
TODAY = "2026-11-23"
BUDGET_S = 15 * 60

#: (name, what it measures, timeout in seconds). Order matters: each builds on the database the last one left.
STEPS = [
    ("generate", "seeded national-size synthetic dataset (bench/national.py)", 240),
    ("init", "database with 150 councils, catalogue and targets", 120),
    ("load_localities", "150 LSOA -> locality lookups through the real loader", 120),
    ("bulk_returns", "returns of 138 councils inserted in bulk (typed rows + archived files)", 240),
    ("load_mandated_contacts", "12 councils x 16 quarters through the real loader", 240),
    (
        "load_ncmp",
        "NCMP: 3 national files (3.6 million children) and one council's returns, real loaders",
        360,
    ),
    ("load_fingertips", "Fingertips-size export through the real loader", 120),
    ("load_outcome_measures", "30 councils' local outcome measures through the real loader", 120),
    ("ncmp_classify", "UK90 BMI classification per child vs rcpchgrowth (bench/ncmp_bench.py)", 480),
    ("pages", "data functions behind every page, one council, national database", 240),
    ("page_render", "each sample page rendered by Streamlit, cold and warm (bench/page_bench.py)", 300),
    ("sii", "SII at 100,000 draws: one area at a time, and a batch of many areas at once", 240),
    ("concurrency", "page data and uploads from several threads of one process", 180),
    ("pack", "meeting pack for the sample borough: cold PDF and DOCX end to end (bench/pack_bench.py)", 300),
    ("pack_national", "meeting pack for Birmingham out of the national database: build, PDF, DOCX", 300),
    ("backup_restore", "snapshot and restore of the national database", 180),
    (
        "comparison",
        "comparison with similar councils: one council and one KPI out of 153 councils x 16 quarters, uncached",
        240,
    ),
    (
        "cache_share",
        "uncached page views, 150 councils, while 12 upload: one global data version vs one per council",
        240,
    ),
    (
        "hv_records",
        "health visiting records: a national quarter (600,000 children, 10 million rows) and a council year loaded",
        420,
    ),
    (
        "load_test",
        "1, 10 and 50 concurrent reader sessions (Streamlit's WebSocket protocol) against served apps, sample",
        420,
    ),
]
#: Steps that build the national database: when one fails, the rest cannot run.
BUILD = ("generate", "init", "load_localities", "bulk_returns", "load_mandated_contacts")
#: Steps that need a module another engineer owns: skipped (with the reason) when it is absent.
NEEDS = {
    "pack": "kpi.reports",
    "pack_national": "kpi.reports",
    "load_ncmp": "kpi.ncmp.load",
    "load_fingertips": "kpi.outcomes.load",
    "load_outcome_measures": "kpi.outcomes.load",
}
PACKAGES = [
    "duckdb",
    "polars",
    "numpy",
    "pyarrow",
    "streamlit",
    "scipy",
    "rcpchgrowth",
    "fastexcel",
    "altair",
]


def machine() -> dict:
    """CPU model, cores, memory, operating system, Python and package versions, date."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": versions,
        "date": periods.now().isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


#: Steps another engineer's script measures, when present, and the options it is run with (those it accepts).
EXTERNAL = {
    "ncmp_classify": ("ncmp_bench.py", ["--work", "{work}", "--json", "--runs", "1"]),
    "pack": ("pack_bench.py", ["--work", "{work}", "--json"]),
    "page_render": ("page_bench.py", ["--work", "{work}", "--json"]),
}


def _external(name: str) -> Path | None:
    """An engineer's own benchmark script for a step, when present."""
    script = HERE / EXTERNAL[name][0] if name in EXTERNAL else None
    return script if script is not None and script.is_file() else None


def _external_command(name: str, script: Path) -> list[str]:
    """Run the script with the options of :data:`EXTERNAL` that its source mentions (it may not take them all)."""
    source = script.read_text(encoding="utf-8", errors="replace")
    options, wanted = [], EXTERNAL[name][1]
    index = 0
    while index < len(wanted):
        option = wanted[index]
        takes_value = index + 1 < len(wanted) and not wanted[index + 1].startswith("--")
        if f'"{option}"' in source:
            options.append(option)
            if takes_value:
                options.append(wanted[index + 1].format(work=WORK))
        index += 2 if takes_value else 1
    return [sys.executable, str(script), *options]


def _module_present(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _last_json(text: str) -> dict | None:
    """The last JSON object printed by a script (whole output, or its last line that parses)."""
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else {"result": value}
    except json.JSONDecodeError:
        pass
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def run_step(name: str, timeout: int, env: dict) -> dict:
    """Run one step in a subprocess; its figures, wall time, exit status and peak memory (``ru_maxrss``)."""
    out = WORK / f"step_{name}.json"
    log = WORK / f"step_{name}.log"
    out.unlink(missing_ok=True)
    script = _external(name)
    if script is not None:
        command = _external_command(name, script)
    else:
        command = [sys.executable, "-m", "bench.steps", name, str(WORK), str(out)]
    started = time.perf_counter()
    with open(log, "w") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        deadline = started + timeout
        status, usage = None, None
        while True:
            pid, raw, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                status = os.waitstatus_to_exitcode(raw)
                process.returncode = status
                break
            if time.perf_counter() > deadline:
                process.kill()
                _, raw, usage = os.wait4(process.pid, 0)
                process.returncode = status = "timeout"
                break
            time.sleep(0.05)
    wall = time.perf_counter() - started
    record: dict = {"wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}
    text = log.read_text(errors="replace")
    if status != 0:
        record.update(
            status="failed" if status != "timeout" else "timeout", exit=status, log_tail=text[-2500:]
        )
        return record
    if script is not None:
        figures = _last_json(text) or {"output": text[-2500:]}
        figures["source"] = str(script.relative_to(ROOT))
    else:
        figures = json.loads(out.read_text())
        figures.pop("_wall_s", None)
        figures.pop("_peak_rss_mb_self", None)
    record.update(status="ok", figures=figures)
    return record


def _headline(name: str, figures: dict) -> str:
    """One line of the key figures of a step, for the table."""
    f = figures
    try:
        if name == "generate":
            return (
                f"{f['return_files']:,} returns ({f['return_rows']:,} rows), {f['ncmp_children']:,} NCMP children, "
                f"{f['fingertips_rows']:,} Fingertips rows"
            )
        if name == "init":
            return f"{f['councils']} councils; init_council p50 {f['init_council']['p50_ms']:.0f} ms"
        if name == "bulk_returns":
            return f"{f['submissions']:,} submissions, {f['return_rows']:,} rows in {f['seconds']} s"
        if name == "load_test":
            return load_test_headline(f)
        if name == "cache_share":
            return (
                f"{f['page_views']:,} views of {f['councils']} councils' pages, {sum(f['uploads'].values())} uploads by "
                f"{f['uploading_councils']} councils, {f['sign_ins']} sign-ins: uncached before (one global version) "
                f"{f['uncached_share_pct']['before']}%, after (per council) {f['uncached_share_pct']['after']}%"
            )
        if name.startswith("load_") and name != "load_ncmp":
            return _loader_line(f)
        if name == "load_ncmp":
            return "; ".join(_loader_line(v) for v in f.values() if isinstance(v, dict) and "loader" in v)
        if name == "ncmp_classify" and "kpi_us_per_child" in f:
            return (
                f"{f['kpi_us_per_child']} us/child vs rcpchgrowth {f['rcpchgrowth_us_per_child']} us/child: "
                f"x{f['ratio_rcpchgrowth_to_kpi']:,} faster"
            )
        if name == "pages":
            parts = [f"{page} {v['sum_of_p50_ms']:.0f} ms" for page, v in f.items() if isinstance(v, dict)]
            return "sum of p50 per page: " + ", ".join(parts)
        if name == "page_render" and "pages" in f:
            over = [page for page, v in f["pages"].items() if v["warm_median_s"] >= f["target_s"]]
            return (
                f"slowest warm page {f['slowest_warm_page'].removeprefix('pages/')} {f['slowest_warm_s']} s "
                f"(target under {f['target_s']} s); "
                + (f"over: {', '.join(over)}" if over else "every page under the target")
            )
        if name == "sii" and "batch" in f:
            b = f["batch"]
            verdict = "under" if b["within_target"] else "over"
            return (
                f"one area at a time p50 {f['per_area']['p50_ms']:.0f} ms/area; batch of {b['areas']:,} areas "
                f"{b['ms_per_area']:.1f} ms/area on {b['threads']} threads: national {f['national_areas']:,} areas "
                f"~{b['national_estimate_s'] / 60:.1f} min ({verdict} the {b['target_s'] // 60} min target; "
                f"~{b['national_estimate_s_cores_free'] / 60:.1f} min from its CPU time, cores to itself)"
            )
        if name == "sii":
            return (
                f"p50 {f['per_area']['p50_ms']:.0f} ms/area; national {f['national_areas']:,} areas ~"
                f"{f['national_estimate_s_one_core'] / 60:.0f} min on one core"
            )
        if name == "concurrency":
            return ", ".join(
                f"{key.replace('_threads', 'T')}: {v.get('views_per_s', v.get('loads_per_s'))}/s"
                for key, v in f.items()
            )
        if name == "pack" and "pack" in f:
            pack = f["pack"]
            return (
                f"sample borough, cold end to end, median: PDF {pack['pdf']['total']['median_s']} s, DOCX "
                f"{pack['docx']['total']['median_s']} s (data {pack['pdf']['data']['median_s']} s); briefing "
                f"total {f['briefing']['total']['median_s']} s"
            )
        if name.startswith("pack") and "build" in f:
            return (
                f"build p50 {f['build']['p50_ms']:.0f} ms, PDF p50 {f['pdf']['p50_ms']:.0f} ms, "
                f"DOCX p50 {f['docx']['p50_ms']:.0f} ms"
            )
        if name == "comparison" and "view" in f:
            verdict = "within" if f["within_target"] else "over"
            return (
                f"{f['councils']} councils x {f['quarters']} quarters, {f['kpi']}: view p50 {f['view']['p50_ms']:.0f} ms, "
                f"p95 {f['view']['p95_ms']:.0f} ms ({verdict} the {f['target_p95_ms']} ms target); with the KPI mart "
                f"p95 {f['view_with_kpi_mart']['p95_ms']:.0f} ms; every mapped KPI p50 "
                f"{f['summary_every_kpi']['p50_ms']:.0f} ms"
            )
        if name == "hv_records":
            return _hv_records_line(f)
        if name == "backup_restore":
            return f"{f['database_mb']} MB: backup {f['backup_s']} s, restore {f['restore_s']} s"
    except (KeyError, TypeError, ValueError):
        pass
    return json.dumps(f)[:110]


def _hv_records_line(f: dict) -> str:
    """National quarter and council year loads, each beside the issue's target."""
    targets, council = f["targets"], f["council_year"]
    line = f"council year {council['load']['seconds']} s (target under {targets['council_s']:g} s)"
    if "national_quarter" in f:
        national = f["national_quarter"]
        load = national["load"]
        line = (
            f"national quarter {national['rows']:,} rows {load['seconds']} s (target under {targets['national_s']:g} "
            f"s), x{national['ratio_to_duckdb_into_database_file']} DuckDB read_csv into a database file (target "
            f"x{targets['national_ratio']:g}; x{national['ratio_to_duckdb']} its all-text read into memory), peak "
            f"{load['peak_rss_mb']:,.0f} MB (target under {targets['national_peak_mb']:,.0f} MB); " + line
        )
    return line + f"; load average {f['load_average'][0]}"


def _loader_line(f: dict) -> str:
    into_file = f.get("ratio_to_read_csv_into_database_file")
    return (
        f"{f['loader']}: {f['rows']:,} rows/{f['files']} files, {f['rows_per_s']:,} rows/s, "
        f"x{f['ratio_to_read_csv']} DuckDB read_csv"
        + (f" (x{into_file} into a database file)" if into_file is not None else "")
    )


def print_table(results: dict) -> None:
    """The results as a plain-text table."""
    print()
    print(f"{'step':<24} {'status':<8} {'wall s':>8} {'peak MB':>8}  figures")
    print("-" * 120)
    for name, record in results["steps"].items():
        figures = record.get("figures")
        line = (
            _headline(name, figures) if figures else record.get("reason", record.get("log_tail", "")[-100:])
        )
        wall = record.get("wall_s", "")
        peak = record.get("peak_rss_mb", "")
        print(f"{name:<24} {record['status']:<8} {wall!s:>8} {peak!s:>8}  {line.replace(chr(10), ' ')}")
    print("-" * 120)
    print(
        f"total {results['total_wall_s']} s on {results['machine']['cpu']} ({results['machine']['cores']} cores)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every step ran (or was skipped for a missing module), 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated steps to run on an existing bench/work")
    parser.add_argument(
        "--keep", action="store_true", help="keep bench/work (the data and database) afterwards"
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",")] if args.only else [name for name, _, _ in STEPS]
    unknown = set(chosen) - {name for name, _, _ in STEPS}
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    if not args.only:
        shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        HCP_TODAY=TODAY,
        HCP_DB=str(WORK / "national.duckdb"),
        PYTHONUNBUFFERED="1",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
    )
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    previous = json.loads(RESULTS.read_text()) if args.only and RESULTS.is_file() else {"steps": {}}
    results = {"machine": machine(), "today": TODAY, "steps": dict(previous.get("steps", {}))}
    started = time.perf_counter()
    failed = False
    for name, what, timeout in STEPS:
        if name not in chosen:
            continue
        module = NEEDS.get(name)
        if module and not _module_present(module):
            results["steps"][name] = {
                "status": "skipped",
                "what": what,
                "reason": f"{module} is not in this checkout",
            }
            continue
        print(f"[{time.perf_counter() - started:6.0f} s] {name}: {what}", flush=True)
        record = run_step(name, timeout, env)
        record["what"] = what
        results["steps"][name] = record
        if record["status"] in ("failed", "timeout"):
            failed = True
            print(f"    {record['status']}: {record.get('log_tail', '')[-800:]}", flush=True)
        if name in BUILD and record["status"] != "ok":
            print("    the national database could not be built: the remaining steps are not run", flush=True)
            break
    results["total_wall_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["within_budget"] = results["total_wall_s"] <= BUDGET_S
    RESULTS.write_text(json.dumps(results, indent=1, default=str) + "\n")
    write_performance(results, PERFORMANCE, _headline)
    print_table(results)
    print(f"written {RESULTS.relative_to(ROOT)} and the figures in {PERFORMANCE.relative_to(ROOT)}")
    if not args.keep and not args.only:
        for item in WORK.iterdir():
            if item.suffix not in (".json", ".log"):
                shutil.rmtree(item) if item.is_dir() else item.unlink()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
