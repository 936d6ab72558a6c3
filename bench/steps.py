"""The benchmark's steps. Each runs in its own process (``python -m bench.steps NAME WORK OUT``) so that its peak
memory can be read on its own; it writes its figures as JSON to ``OUT``.

The national database (``WORK/national.duckdb``) is built in steps: councils, localities (real loader), provider
returns (the real loader for :data:`REAL_LOADER_COUNCILS` councils, a bulk insert of the same typed rows for the
rest, to keep the run within 15 minutes), NCMP children and eligible pupils (real loader, every council and year),
a Fingertips export and local outcome measures (real loaders). The measuring steps are in bench/measure_steps.py; :data:`STEPS` names them all.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from bench import hv_records_bench, load_test, national
from bench.cache_share import step_cache_share
from bench.common import ACTOR, ENGLAND, REASON, WHO, load_bench_return
from bench.common import dataset as _dataset
from bench.common import db as _db
from bench.common import summary as _summary
from bench.measure_steps import (
    step_backup_restore,
    step_comparison,
    step_concurrency,
    step_pack,
    step_pages,
    step_sii,
)

REAL_LOADER_COUNCILS = 12  # councils whose 16 returns go through kpi.returns.load.load_return (192 loads)
OUTCOME_COUNCILS = 30  # councils whose local outcome measures go through the real loader

# ---- helpers -----------------------------------------------------------------------------------------------


def _read_csv_seconds(paths: list[str]) -> tuple[float, int]:
    """DuckDB's bare ``read_csv`` of the same files (all columns as text, materialised as Arrow)."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    started = time.perf_counter()
    rows = 0
    for path in paths:
        table = con.sql("select * from read_csv($p, header = true, all_varchar = true)", params={"p": path})
        rows += table.to_arrow_table().num_rows
    seconds = time.perf_counter() - started
    con.close()
    return seconds, rows


def _read_csv_into_file_seconds(paths: list[str]) -> float:
    """DuckDB's bare ``read_csv`` of the same files into a table of a database file, as a loader writes (typed)."""
    target = Path(paths[0]).parent / "_read_csv_bench.duckdb"
    seconds = 0.0
    for path in paths:
        for suffix in ("", ".wal"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        started = time.perf_counter()
        con = duckdb.connect(str(target), config={"autoload_known_extensions": False})
        con.execute("set enable_progress_bar = false")
        con.execute("create table bare as select * from read_csv(?)", [path])
        con.close()
        seconds += time.perf_counter() - started
    for suffix in ("", ".wal"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    return seconds


def _loader_figures(
    name: str, times: list[float], rows: int, nbytes: int, paths: list[str], outcomes: dict
) -> dict:
    bare, bare_rows = _read_csv_seconds(paths)
    into_file = _read_csv_into_file_seconds(paths)
    total = sum(times)
    return {
        "loader": name,
        "files": len(paths),
        "rows": rows,
        "megabytes": round(nbytes / 1e6, 2),
        "seconds": round(total, 3),
        "rows_per_s": round(rows / total) if total else None,
        "mb_per_s": round(nbytes / 1e6 / total, 2) if total else None,
        "per_file": _summary(times),
        "duckdb_read_csv_seconds": round(bare, 3),
        "duckdb_read_csv_rows": bare_rows,
        "ratio_to_read_csv": round(total / bare, 1) if bare else None,
        "duckdb_read_csv_into_database_file_seconds": round(into_file, 3),
        "ratio_to_read_csv_into_database_file": round(total / into_file, 1) if into_file else None,
        "outcomes": outcomes,
    }


def _count(outcomes: dict, outcome: str) -> None:
    outcomes[outcome] = outcomes.get(outcome, 0) + 1


# ---- building the national database ----------------------------------------------------------------------


def step_generate(work: Path) -> dict:
    """The seeded national-size dataset (bench/national.py)."""
    summary = national.generate(work)
    return {k: v for k, v in summary.items() if k not in ("councils", "quarters")}


def _clone_rows(cur, table: str, source: str, skip: tuple[str, ...] = ()) -> None:
    """Copy ``source`` council's rows of ``table`` to every council in ``new_councils``."""
    columns = [
        row[0]
        for row in cur.execute(
            "select column_name from duckdb_columns() where table_name = ? order by column_index", [table]
        ).fetchall()
        if row[0] not in skip
    ]
    chosen = ", ".join("n.council_code" if c == "council_code" else f"t.{c}" for c in columns)
    cur.execute(
        f"insert into {table} ({', '.join(columns)}) select {chosen} from {table} t cross join new_councils n "
        "where t.council_code = ?",
        [source],
    )


def step_init(work: Path) -> dict:
    """A fresh database with the 150 councils, their catalogue, default targets and one provider each.

    Birmingham and Trafford go through kpi.core.councils.init_council (timed); the other 148 get copies of the same
    catalogue and target rows in one statement per table, which keeps the benchmark within its time.
    """
    from kpi.core import deprivation
    from kpi.core import periods as periods
    from kpi.core.councils import add_provider, init_council
    from kpi.core.store import Store

    path = _db(work)
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    councils = _dataset(work)["councils"]
    times = []
    with Store.open(path) as store:
        for code in national.ALWAYS:
            started = time.perf_counter()
            init_council(store, code, principal=WHO)
            add_provider(
                store,
                code,
                national.PROVIDER,
                "Benchmark provider (synthetic)",
                "0-19 HCP (benchmark)",
                principal=WHO,
            )
            times.append(time.perf_counter() - started)
        others = [code for code in councils if code not in national.ALWAYS]
        started = time.perf_counter()
        with store.transaction() as cur:
            cur.register("new_councils", pl.DataFrame({"council_code": others}))
            cur.execute(
                "insert into councils (council_code, council_name, created_at) "
                "select distinct n.council_code, r.lad_name, ? from new_councils n "
                "join lsoa_reference r on r.lad_code = n.council_code",
                [periods.now()],
            )
            _clone_rows(cur, "kpi_versions", national.FOCUS, skip=("kpi_version_id",))
            _clone_rows(cur, "targets", national.FOCUS, skip=("target_id",))
            _clone_rows(cur, "providers", national.FOCUS)
            cur.unregister("new_councils")
            # the database serves every council: it is a (synthetic) benchmark, and the focus council is "its" one
            cur.execute("update database_info set info_value = 'true' where info_key = 'is_sample'")
            cur.execute(
                "update database_info set info_value = ? where info_key = 'council_code'", [national.FOCUS]
            )
            # The synthetic returns (bench/national.py) give IoD2019 deciles in every quarter: the councils' returns
            # stay on IoD2019 past the benchmark's last quarter (docs/methods.md section 7.1); NCMP years are
            # unaffected (IoD2025 from 2025/26)
            cur.execute(
                "insert into settings (council_code, setting_key, value_json, set_at, set_by, reason) "
                "select council_code, ?, ?, ?, ?, ? from councils",
                [
                    deprivation.QUARTER_SETTING,
                    json.dumps(national.RETURNS_ON_IOD2019_UNTIL),
                    periods.now(),
                    ACTOR,
                    "benchmark returns are on IoD2019 deciles throughout",
                ],
            )
            store.audit("bench councils", actor=ACTOR, cur=cur, detail={"councils": len(others)})
        bulk = time.perf_counter() - started
        made = int(store.query("select count(*) from councils").item())
    return {"councils": made, "init_council": _summary(times), "bulk_copy_148_s": round(bulk, 2)}


def step_load_localities(work: Path) -> dict:
    """Every council's LSOA -> locality lookup through kpi.core.councils.load_localities."""
    from kpi.core.councils import load_localities
    from kpi.core.store import Store

    councils = _dataset(work)["councils"]
    times, rows, nbytes, paths, outcomes = [], 0, 0, [], {}
    with Store.open(_db(work)) as store:
        for code in councils:
            path = work / "localities" / f"{code}_localities.csv"
            data = path.read_bytes()
            started = time.perf_counter()
            report = load_localities(store, code, data, path.name, principal=WHO)
            times.append(time.perf_counter() - started)
            _count(outcomes, "written" if report.ok else "rejected")
            rows += report.rows_read
            nbytes += len(data)
            paths.append(str(path))
    return _loader_figures("localities", times, rows, nbytes, paths, outcomes)


def _real_loader_councils(work: Path) -> list[str]:
    councils = _dataset(work)["councils"]
    return councils[:REAL_LOADER_COUNCILS]


def _bulk_submission_records(
    files: pl.DataFrame, first_id: int, period_index: dict, received: dict
) -> list[dict]:
    """One accepted submission record per return file (council x quarter), numbered from ``first_id``."""
    files = files.sort("lad_code", "period").with_row_index("offset")
    records = []
    for row in files.iter_rows(named=True):
        data = Path(row["path"]).read_bytes()
        records.append(
            {
                "submission_id": first_id + row["offset"],
                "council_code": row["lad_code"],
                "provider_code": national.PROVIDER,
                "dataset": "mandated-contacts",
                "period": row["period"],
                "period_index": period_index[row["period"]],
                "received_at": received[row["period"]],
                "submitted_by": ACTOR,
                "source": "bench-bulk",
                "file_name": Path(row["path"]).name,
                "file_sha256": hashlib.sha256(data).hexdigest(),
                "file_bytes": data,
                "file_size_bytes": len(data),
                "row_count": 0,
                "warning_count": 0,
                "report_json": "{}",
                "status": "accepted",
                "accepted_at": received[row["period"]],
            }
        )
    return records


def step_bulk_returns(work: Path) -> dict:
    """The returns of the other councils, inserted in bulk as the loader would store them (typed rows + file)."""
    from kpi.core import periods as periods
    from kpi.core.store import Store

    real = set(_real_loader_councils(work))
    files = pl.read_parquet(work / "returns.parquet").filter(~pl.col("lad_code").is_in(list(real)))
    rows = pl.read_parquet(work / "return_rows.parquet").filter(~pl.col("lad_code").is_in(list(real)))
    period_index = {p: periods.parse_period(p).index for p in national.quarters()}
    received = {
        p: datetime.combine(periods.parse_period(p).end, datetime.min.time()) + timedelta(days=15, hours=10)
        for p in national.quarters()
    }
    started = time.perf_counter()
    with Store.open(_db(work)) as store:
        first_id = int(store.query("select coalesce(max(submission_id), 0) + 1 from submissions").item())
        records = _bulk_submission_records(files, first_id, period_index, received)
        submissions = pl.DataFrame(records)
        ids = submissions.select(pl.col("council_code").alias("lad_code"), "period", "submission_id")
        typed = rows.join(ids, on=["lad_code", "period"]).select(
            "submission_id",
            pl.col("lad_code").alias("council_code"),
            pl.lit(national.PROVIDER).alias("provider_code"),
            "period",
            pl.col("period").replace_strict(period_index, return_dtype=pl.Int32).alias("period_index"),
            "kpi_code",
            "locality_code",
            "imd_decile",
            "numerator",
            "denominator",
            pl.lit(None, dtype=pl.String).alias("comment"),
            "source_row",
            pl.lit(False).alias("is_warning_row"),
        )
        counts = typed.group_by("submission_id").agg(pl.len().cast(pl.Int32).alias("row_count"))
        submissions = submissions.drop("row_count").join(counts, on="submission_id")
        columns = [c for c in records[0] if c != "row_count"] + ["row_count"]
        with store.transaction() as cur:
            cur.register("bulk_submissions", submissions.select(columns))
            cur.execute(f"insert into submissions ({', '.join(columns)}) select * from bulk_submissions")
            cur.unregister("bulk_submissions")
            cur.register("bulk_rows", typed)
            cur.execute(f"insert into return_rows ({', '.join(typed.columns)}) select * from bulk_rows")
            cur.unregister("bulk_rows")
            cur.execute(
                "insert into submission_events (submission_id, event_at, status, actor, comment) "
                "select submission_id, received_at, 'accepted', ?, null from submissions where source = 'bench-bulk'",
                [ACTOR],
            )
            store.audit(
                "bench bulk returns", actor=ACTOR, cur=cur, detail={"submissions": submissions.height}
            )
        store.query("checkpoint")
    return {
        "councils": files["lad_code"].n_unique(),
        "submissions": submissions.height,
        "return_rows": typed.height,
        "seconds": round(time.perf_counter() - started, 2),
    }


def step_load_mandated_contacts(work: Path) -> dict:
    """The returns of REAL_LOADER_COUNCILS councils, 16 quarters each, through kpi.returns.load.load_return."""
    from kpi.core.store import Store

    real = _real_loader_councils(work)
    files = (
        pl.read_parquet(work / "returns.parquet")
        .filter(pl.col("lad_code").is_in(real))
        .sort("lad_code", "period")
    )
    times, rows, nbytes, paths, outcomes = [], 0, 0, [], {}
    with Store.open(_db(work)) as store:
        for row in files.iter_rows(named=True):
            data = Path(row["path"]).read_bytes()
            started = time.perf_counter()
            result = load_bench_return(store, row, data)
            times.append(time.perf_counter() - started)
            _count(outcomes, result.outcome)
            rows += result.report.rows_read
            nbytes += len(data)
            paths.append(row["path"])
        store.query("checkpoint")
    return _loader_figures("mandated-contacts", times, rows, nbytes, paths, outcomes)


def step_load_ncmp(work: Path) -> dict:
    """NCMP through kpi.ncmp.load: a national file a year (1.2 million children) and Birmingham's own returns.

    The national files go to a council made for them, England (E92000001), so that Birmingham's pages show
    Birmingham's children while the database holds the national 3.6 million.
    """
    from kpi.core.councils import init_council
    from kpi.core.store import Store
    from kpi.ncmp.load import load_ncmp, load_ncmp_eligible

    files = pl.read_parquet(work / "ncmp.parquet").sort("academic_year")
    runs = {
        "ncmp national (one file a year)": [
            (row["national_path"], ENGLAND, load_ncmp) for row in files.iter_rows(named=True)
        ],
        "ncmp-eligible (Birmingham)": [
            (row["eligible_path"], national.FOCUS, load_ncmp_eligible) for row in files.iter_rows(named=True)
        ],
        "ncmp (Birmingham)": [
            (row["path"], national.FOCUS, load_ncmp) for row in files.iter_rows(named=True)
        ],
    }
    figures: dict = {}
    with Store.open(_db(work)) as store:
        init_council(store, ENGLAND, council_name="England (all benchmark councils' schools)", principal=WHO)
        for label, items in runs.items():
            times, rows, nbytes, paths, outcomes = [], 0, 0, [], {}
            for path, council, loader in items:
                data = Path(path).read_bytes()
                started = time.perf_counter()
                result = loader(
                    store,
                    data,
                    Path(path).name,
                    council_code=council,
                    principal=WHO,
                    accept_warnings=True,
                    reason=REASON,
                )
                times.append(time.perf_counter() - started)
                del data
                _count(outcomes, result.outcome)
                if result.outcome != "written" and "example_problem" not in outcomes:
                    outcomes["example_problem"] = result.report.to_text()[:600]
                rows += result.report.rows_read
                nbytes += Path(path).stat().st_size
                paths.append(path)
            figures[label] = _loader_figures(label, times, rows, nbytes, paths, outcomes)
        store.query("checkpoint")
        figures["children_stored"] = int(store.query("select count(*) from ncmp_children").item())
    # the database serves Birmingham: init_council made England "its" council
    with Store.open(_db(work)) as store, store.transaction() as cur:
        cur.execute(
            "update database_info set info_value = ? where info_key = 'council_code'", [national.FOCUS]
        )
    return figures


def step_load_fingertips(work: Path) -> dict:
    """The national Fingertips-size export into the focus council through kpi.outcomes.load.load_fingertips."""
    from kpi.core.store import Store
    from kpi.outcomes.load import load_fingertips

    path = work / "fingertips_all_data.csv"
    data = path.read_bytes()
    outcomes: dict = {}
    with Store.open(_db(work)) as store:
        started = time.perf_counter()
        result = load_fingertips(store, data, path.name, council_code=national.FOCUS, principal=WHO)
        seconds = time.perf_counter() - started
        _count(outcomes, result.outcome)
        if result.outcome != "written":
            outcomes["example_problem"] = result.report.to_text()[:600]
    return _loader_figures("fingertips", [seconds], result.report.rows_read, len(data), [str(path)], outcomes)


def step_load_outcome_measures(work: Path) -> dict:
    """Each council's local outcome measures through kpi.outcomes.load.load_outcome_measures."""
    from kpi.core.store import Store
    from kpi.outcomes.load import load_outcome_measures

    chosen = _dataset(work)["councils"][:OUTCOME_COUNCILS]  # Birmingham and Trafford first
    files = pl.read_parquet(work / "outcome_measures.parquet").filter(pl.col("lad_code").is_in(chosen))
    times, rows, nbytes, paths, outcomes = [], 0, 0, [], {}
    with Store.open(_db(work)) as store:
        for row in files.iter_rows(named=True):
            data = Path(row["path"]).read_bytes()
            started = time.perf_counter()
            result = load_outcome_measures(
                store, data, Path(row["path"]).name, council_code=row["lad_code"], principal=WHO
            )
            times.append(time.perf_counter() - started)
            _count(outcomes, result.outcome)
            if result.outcome != "written" and "example_problem" not in outcomes:
                outcomes["example_problem"] = result.report.to_text()[:600]
            rows += result.report.rows_read
            nbytes += len(data)
            paths.append(row["path"])
        store.query("checkpoint")
    return _loader_figures("outcome-measures", times, rows, nbytes, paths, outcomes)


# ---- measuring ----------------------------------------------------------------------------------------------


def step_ncmp_classify(work: Path) -> dict:
    """UK90 BMI z-scores per child: kpi.ncmp.bmi.bmi_zscore (vectorised) next to rcpchgrowth (per child).

    Used only when bench/ncmp_bench.py (the NCMP engineer's benchmark) is absent; the orchestrator prefers it.
    """
    import numpy as np
    from rcpchgrowth.global_functions import sds_for_measurement

    from kpi.ncmp.bmi import bmi_zscore

    rng = np.random.default_rng(national.SEED)
    n = 200_000
    sex = np.where(rng.random(n) < 0.5, "M", "F")
    age = np.where(rng.random(n) < 0.5, rng.uniform(4.0, 6.0, n), rng.uniform(10.0, 12.0, n))
    bmi = np.where(age < 7, rng.normal(16, 1.5, n), rng.normal(19, 3, n))
    ours = []
    for _ in range(5):
        started = time.perf_counter()
        z = bmi_zscore(sex, age, bmi)
        ours.append(time.perf_counter() - started)
    sample = 500
    theirs = []
    for _ in range(5):
        started = time.perf_counter()
        expected = [
            sds_for_measurement(
                "uk-who", float(age[i]), "bmi", float(bmi[i]), "male" if sex[i] == "M" else "female"
            )
            for i in range(sample)
        ]
        theirs.append(time.perf_counter() - started)
    agree = float(np.max(np.abs(np.asarray(z[:sample]) - np.asarray(expected))))
    ours_per_child = min(ours) / n
    theirs_per_child = min(theirs) / sample
    return {
        "source": "bench/steps.py (fallback: bench/ncmp_bench.py not found)",
        "children": n,
        "kpi_seconds_best_of_5": round(min(ours), 3),
        "kpi_us_per_child": round(ours_per_child * 1e6, 3),
        "rcpchgrowth_children_timed": sample,
        "rcpchgrowth_us_per_child": round(theirs_per_child * 1e6, 1),
        "ratio_rcpchgrowth_to_kpi": round(theirs_per_child / ours_per_child),
        "max_abs_z_difference": agree,
        "rcpchgrowth_estimate_for_1_2_million_s": round(theirs_per_child * national.NCMP_CHILDREN_PER_YEAR),
    }


STEPS: dict[str, Callable[[Path], dict]] = {
    "generate": step_generate,
    "init": step_init,
    "load_localities": step_load_localities,
    "bulk_returns": step_bulk_returns,
    "load_mandated_contacts": step_load_mandated_contacts,
    "load_ncmp": step_load_ncmp,
    "load_fingertips": step_load_fingertips,
    "load_outcome_measures": step_load_outcome_measures,
    "ncmp_classify": step_ncmp_classify,
    "pages": step_pages,
    "sii": step_sii,
    "concurrency": step_concurrency,
    "pack": step_pack,
    "pack_national": lambda work: step_pack(work, runs=2),
    "backup_restore": step_backup_restore,
    "comparison": step_comparison,
    "load_test": lambda work: load_test.measure(work),
    "cache_share": step_cache_share,
    "hv_records": lambda work: hv_records_bench.figures(work),
}


def main(argv: list[str]) -> int:
    """Run one step: ``python -m bench.steps NAME WORK OUT``."""
    name, work, out = argv[0], Path(argv[1]), Path(argv[2])
    started = time.perf_counter()
    figures = STEPS[name](work)
    figures["_wall_s"] = round(time.perf_counter() - started, 2)
    figures["_peak_rss_mb_self"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out.write_text(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
