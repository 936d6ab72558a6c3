"""Health visiting records speed figures (reported, never asserted in tests).

1. A national-size quarter: an extract of ``--children`` children (600,000 by default) with about ``--contacts``
   contact rows in all (10,000,000), real LSOA codes drawn from the IoD2019 lookup; ``hcp load hv-records`` of it
   (read, every check, cohorts, keyed hashes, derivation and the write in one transaction) against DuckDB's bare
   ``read_csv`` of the same file into a table; the load's peak memory (maximum resident set size of its process).
   Targets (issue 17): under 60 s, within 5x DuckDB's read, under 4 GB.
2. A council-size year: 20,000 children with their year of contacts (target: under 3 s).

Each load runs in its own process (its peak memory is its own). DuckDB's bare read is timed two ways: into an
in-memory table of text columns, and into a table of a database file (typed, as a load writes): the ratio is given
to each. ``make bench`` runs both sizes as its ``hv_records`` step (:func:`figures`). The files are written to
``bench/work/`` (git-ignored) once and reused. Run with ``uv run python -m bench.hv_records_bench [--quick]``; one
JSON object is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "work"
COUNCIL = "E08000009"
SEED = 17
REVIEWS = np.array(["08", "09", "10", "11", "97", "04"])
#: The issue's targets: national quarter load seconds, its ratio to DuckDB's read, its peak MB; council year seconds.
TARGETS = {"national_s": 60.0, "national_ratio": 5.0, "national_peak_mb": 4096.0, "council_s": 3.0}
NATIONAL = ("hv_national.csv", 600_000, 10_000_000)
COUNCIL_YEAR = ("hv_council_year.csv", 20_000, 330_000)


def extract(children: int, contacts: int, seed: int = SEED) -> pl.DataFrame:
    """A synthetic extract: ``children`` children and about ``contacts`` contact rows, vectorised."""
    rng = np.random.default_rng(seed)
    lsoas = pl.read_parquet(ROOT / "reference" / "lsoa11_imd2019.parquet")["lsoa_code"].to_numpy()
    born = np.datetime64(date(2023, 10, 1)) + rng.integers(0, 1000, children).astype("timedelta64[D]")
    per_child = rng.poisson(max(contacts / children - 1, 0), children) + 1
    child = np.repeat(np.arange(children), per_child)
    ages = rng.integers(-60, 900, child.size).astype("timedelta64[D]")
    contact = born[child] + ages
    latest = np.datetime64(date(2026, 9, 30))
    contact = np.where(contact > latest, latest, contact)
    frame = pl.DataFrame(
        {
            "LocalPatientId": pl.Series(child).cast(pl.String).str.pad_start(9, "0"),
            "DateOfBirth": pl.Series(born[child]).dt.strftime("%Y-%m-%d"),
            "Gender": pl.Series(rng.choice(["1", "2"], children)[child]),
            "EthnicCategory": pl.Series(rng.choice(list("ABCDHJMNRSZ"), children)[child]),
            "LSOA2011": pl.Series(rng.choice(lsoas, children)[child]),
            "Contact_Date": pl.Series(contact).dt.strftime("%Y-%m-%d"),
            "ConsMechanism": pl.Series(rng.choice(["01", "01", "01", "02", "11"], child.size)),
            "Activity_LocationType": pl.Series(rng.choice(["A01", "B01", "K01", "C01"], child.size)),
            "AttendanceStatus": pl.Series(rng.choice(["5", "5", "5", "3"], child.size)),
            "Activity_Type": pl.Series(rng.choice(REVIEWS, child.size)),
            "practitioner_role": pl.Series(rng.choice(["SCPHN", "STAFF_NURSE", "NURSERY_NURSE"], child.size)),
        }
    )
    return frame


def _file(name: str, children: int, contacts: int, work: Path = WORK) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    path = work / name
    if not path.exists():
        extract(children, contacts).write_csv(path)
    return path


def _database(folder: Path) -> Path:
    """A database with the council, its localities (every LSOA of the council) and provider ZZ1."""
    from kpi.access.principal import local_principal
    from kpi.core.councils import add_provider, init_council, load_localities
    from kpi.core.store import Store

    path = folder / "bench.duckdb"
    who = local_principal("bench")
    with Store.open(path) as store:
        init_council(store, COUNCIL, principal=who)
        add_provider(store, COUNCIL, "ZZ1", "Bench trust", "HCP", principal=who)
        codes = store.query("select lsoa_code from lsoa_reference where lad_code = ?", [COUNCIL])["lsoa_code"]
        text = "lsoa_code,locality_code,locality_name\n" + "".join(f"{c},ALL1,All\n" for c in codes)
        load_localities(store, COUNCIL, text.encode(), "localities.csv", principal=who)
    return path


def load_once(db: Path, file: Path) -> dict:
    """Load ``file`` into ``db`` in this process: wall and CPU seconds, outcome, peak memory."""
    from kpi.access.principal import local_principal
    from kpi.core.store import Store
    from kpi.hvrecords.load import load_hv_records

    data = file.read_bytes()
    start, cpu = time.perf_counter(), time.process_time()
    with Store.open(db) as store:
        result = load_hv_records(
            store,
            data,
            file.name,
            council_code=COUNCIL,
            principal=local_principal("bench"),
            provider_code="ZZ1",
        )
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "outcome": result.outcome,
        "message": result.message,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bare_read(file: Path) -> float:
    """DuckDB's bare ``read_csv`` of the file into an in-memory table (seconds)."""
    start = time.perf_counter()
    with duckdb.connect() as con:
        con.execute("create table t as select * from read_csv(?, all_varchar = true)", [str(file)])
    return round(time.perf_counter() - start, 2)


def bare_read_into_file(file: Path, folder: Path) -> float:
    """DuckDB's bare ``read_csv`` of the file into a table of a new database file (seconds, typed columns)."""
    target = folder / "bare_read.duckdb"
    start = time.perf_counter()
    with duckdb.connect(str(target)) as con:
        con.execute("set enable_progress_bar = false")
        con.execute("create table bare as select * from read_csv(?)", [str(file)])
    seconds = round(time.perf_counter() - start, 2)
    target.unlink(missing_ok=True)
    return seconds


def measure(name: str, children: int, contacts: int, work: Path = WORK) -> dict:
    file = _file(name, children, contacts, work)
    with tempfile.TemporaryDirectory() as folder:
        db = _database(Path(folder))
        run = subprocess.run(
            [sys.executable, "-m", "bench.hv_records_bench", "--load-only", str(db), str(file)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    load = json.loads(lines[-1]) if lines else {"error": run.stderr[-2000:]}
    duck = bare_read(file)
    with tempfile.TemporaryDirectory(dir=work) as folder:
        into_file = bare_read_into_file(file, Path(folder))
    seconds = load.get("seconds")
    return {
        "children": children,
        "rows": contacts,
        "file_mb": round(file.stat().st_size / 1e6, 1),
        "duckdb_read_s": duck,
        "duckdb_read_into_database_file_s": into_file,
        "load": load,
        "ratio_to_duckdb": round(seconds / duck, 1) if seconds and duck else None,
        "ratio_to_duckdb_into_database_file": round(seconds / into_file, 1)
        if seconds and into_file
        else None,
    }


def figures(work: Path = WORK, quick: bool = False) -> dict:
    """Both sizes (the council year only when ``quick``), each beside its target, and the load average."""
    result = {"targets": TARGETS, "council_year": measure(*COUNCIL_YEAR, work)}
    council = result["council_year"]["load"]
    result["council_year"]["within_target"] = council.get("seconds", float("inf")) < TARGETS["council_s"]
    if not quick:
        national = measure(*NATIONAL, work)
        load = national["load"]
        ratio = national["ratio_to_duckdb_into_database_file"]
        national["within_target"] = {
            "seconds": load.get("seconds", float("inf")) < TARGETS["national_s"],
            "ratio": ratio is not None and ratio <= TARGETS["national_ratio"],
            "peak_mb": load.get("peak_rss_mb", float("inf")) < TARGETS["national_peak_mb"],
        }
        result["national_quarter"] = national
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=600_000)
    parser.add_argument("--contacts", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="the council-size year only")
    parser.add_argument("--load-only", nargs=2, metavar=("DB", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_only:
        print(json.dumps(load_once(Path(args.load_only[0]), Path(args.load_only[1]))))
        return 0
    if (args.children, args.contacts) == NATIONAL[1:]:
        result = figures(quick=args.quick)
    else:  # another size: its own file
        size = f"hv_{args.children}_{args.contacts}.csv"
        result = {
            "council_year": measure(*COUNCIL_YEAR),
            "national_quarter": measure(size, args.children, args.contacts),
        }
    print(json.dumps({"hv_records": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
