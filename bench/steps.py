"""The benchmark's steps. Each runs in its own process (``python -m bench.steps NAME WORK OUT``) so that its peak
memory can be read on its own; it writes its figures as JSON to ``OUT``.

The national database (``WORK/national.duckdb``) is built in steps: councils, localities (real loader), provider
returns (the real loader for :data:`REAL_LOADER_COUNCILS` councils, a bulk insert of the same typed rows for the
rest, to keep the run within 15 minutes), NCMP children and eligible pupils (real loader, every council and year),
a Fingertips export and local outcome measures (real loaders). Then it is measured: page data functions for one
council, SII, concurrency, backup and restore.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import secrets
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from bench import national
from kpi.access.principal import LOCAL_USER, local_principal

REAL_LOADER_COUNCILS = 12  # councils whose 16 returns go through kpi.returns.load.load_return (192 loads)
OUTCOME_COUNCILS = 30  # councils whose local outcome measures go through the real loader
ENGLAND = "E92000001"
ACTOR = "bench"
WHO = local_principal(ACTOR)  # the bench loads as the local user, named "bench" in the audit log
REASON = "synthetic benchmark data"


# ---- helpers -----------------------------------------------------------------------------------------------


def _dataset(work: Path) -> dict:
    return json.loads((work / "dataset.json").read_text())


def _db(work: Path) -> Path:
    return work / "national.duckdb"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _summary(seconds: list[float]) -> dict:
    return {
        "n": len(seconds),
        "p50_ms": round(_percentile(seconds, 0.5) * 1000, 2),
        "p95_ms": round(_percentile(seconds, 0.95) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2) if seconds else None,
        "total_s": round(sum(seconds), 3),
    }


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


def _loader_figures(
    name: str, times: list[float], rows: int, nbytes: int, paths: list[str], outcomes: dict
) -> dict:
    bare, bare_rows = _read_csv_seconds(paths)
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
            _clone_rows(cur, "kpis", national.FOCUS)
            _clone_rows(cur, "targets", national.FOCUS, skip=("target_id",))
            _clone_rows(cur, "providers", national.FOCUS)
            cur.unregister("new_councils")
            # the database serves every council: it is a (synthetic) benchmark, and the focus council is "its" one
            cur.execute("update database_info set info_value = 'true' where info_key = 'is_sample'")
            cur.execute(
                "update database_info set info_value = ? where info_key = 'council_code'", [national.FOCUS]
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
    from kpi.returns.load import load_return

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
            result = load_return(
                store,
                data,
                Path(row["path"]).name,
                council_code=row["lad_code"],
                provider_code=national.PROVIDER,
                principal=WHO,
                accept_warnings=True,
                reason=REASON,
            )
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


def _timed(function: Callable[[], object], repeats: int, budget_s: float) -> list[float]:
    times = []
    deadline = time.perf_counter() + budget_s
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
        if time.perf_counter() > deadline and len(times) >= 3:
            break
    return times


def _page_functions(store, council: str) -> dict[str, dict[str, Callable[[], object]]]:
    """The data functions behind each page, called as the pages call them (uncached: the cost of a cache miss).

    The pages cache these per data version (``st.cache_data`` in pages/_ui.py), so a figure here is what the first
    viewer after a load waits for; later viewers get the cached frame.
    """
    from kpi.access.principal import LOCAL_USER as who
    from kpi.contract import values as overview
    from kpi.core.councils import locality_cells
    from kpi.inequality import views as inequalities
    from kpi.returns import review as submissions
    from kpi.spc import assurance as assurance

    values = overview.kpi_values(store, council, principal=WHO)
    bench = overview.benchmarks(store, council)
    names = overview.locality_names(store, council)
    period = overview.latest_complete_period(values) or overview.available_periods(values)[0]
    kpi = "C2"
    listing = submissions.list_submissions(store, council, LOCAL_USER)
    newest = int(listing["submission_id"].max())
    pages: dict[str, dict[str, Callable[[], object]]] = {
        "overview": {
            "kpi_values (mart_kpi_values)": lambda: overview.kpi_values(store, council, principal=WHO),
            "benchmarks (mart_benchmarks)": lambda: overview.benchmarks(store, council),
            "pending": lambda: overview.pending(store, council, principal=WHO),
            "locality_names": lambda: overview.locality_names(store, council),
            "overview_matrix + rag_counts": lambda: (
                overview.rag_counts(values, period),
                overview.overview_matrix(values, period, names),
            ),
            "spc_summary": lambda: assurance.spc_summary(values, period),
            "decile_matrix": lambda: overview.decile_matrix(values, period),
            "england_column": lambda: overview.england_column(values, bench, period),
        },
        "mandated_contacts": {
            "trend + with_benchmark": lambda: overview.with_benchmark(overview.trend(values, kpi), bench),
            "xmr_frame": lambda: assurance.xmr_frame(assurance.kpi_series(values, kpi, period)),
            "by_locality": lambda: overview.by_locality(values, kpi, period, names),
            "by_decile + decile_gap": lambda: inequalities.decile_gap(
                overview.by_decile(values, kpi, period)
            ),
        },
        "inequalities": {
            "deprivation_kpis": lambda: inequalities.deprivation_kpis(values),
            "rolling_quintiles (mart)": lambda: inequalities.rolling_quintiles(store, council, principal=WHO),
            "quantile_frame borough": lambda: inequalities.quantile_frame("borough", kpi, values=values),
            "sii_table one period (100,000 draws)": lambda: inequalities.sii_table(
                inequalities.quantile_frame("borough", kpi, values=values).filter(pl.col("period") == period),
                n_quantiles=10,
            ),
            "missing_deciles": lambda: inequalities.missing_deciles(locality_cells(store, council)),
        },
        "returns and review": {
            "list_submissions (mart_submissions)": lambda: submissions.list_submissions(store, council, who),
            "submission_rows": lambda: submissions.submission_rows(store, newest, who),
            "submission_report": lambda: submissions.submission_report(store, newest, who),
        },
    }
    for name, build in _LATER_PAGES.items():
        try:
            pages[name] = build(store, council, who, values, bench)
        except (ImportError, AttributeError, KeyError, IndexError) as exc:
            pages[name] = {"(not measured)": _raiser(f"{type(exc).__name__}: {exc}")}
    return pages


def _raiser(message: str) -> Callable[[], object]:
    def fail() -> object:
        raise RuntimeError(message)

    return fail


def _ncmp_page(store, council, who, values, bench):
    from kpi.ncmp import views as views

    data = views.ncmp_data(store, council, principal=WHO)
    year, group, category = views.academic_years(data)[0], "R", "obese"
    basis = next(iter(views.LOCALITY_BREAKDOWNS))
    return {
        "ncmp_data (NCMP marts)": lambda: views.ncmp_data(store, council, principal=WHO),
        "categories + decile_gradient + gap": lambda: (
            views.categories(data, year, group),
            views.decile_gradient(data, year, group, category),
            views.gap(data, year, group, category),
        ),
        "gap_trend + run_chart": lambda: (
            views.gap_trend(data, group, category),
            views.run_chart(data, group, category),
        ),
        "breakdown + participation + data_quality": lambda: (
            views.breakdown(data, year, group, category, basis),
            views.participation(data, year, group, "school"),
            views.data_quality(data, year, group),
        ),
    }


def _outcomes_page(store, council, who, values, bench):
    from kpi.outcomes import frameworks as frameworks
    from kpi.outcomes import rug as rug_view
    from kpi.outcomes import series as outcomes

    available = frameworks.load_frameworks()
    framework = available[frameworks.default_framework_key(available)]
    series = outcomes.measure_series(
        store, council, framework, kpi_values=values, benchmarks=bench, principal=WHO
    )
    return {
        "measure_series (marts + trends)": lambda: outcomes.measure_series(
            store, council, framework, kpi_values=values, benchmarks=bench, principal=WHO
        ),
        "outcome_rug + rug_export": lambda: rug_view.rug_export(rug_view.outcome_rug(framework, series)),
    }


def _admin_pages(store, council, who, values, bench):
    from kpi.access import audit as audit_log
    from kpi.access import users as users
    from kpi.contract import narratives as exceptions
    from kpi.contract import targets as targets
    from kpi.core import backup as backup
    from kpi.returns import timeliness as data_quality

    return {
        "exception_candidates": lambda: exceptions.exception_candidates(store, who, council),
        "data_quality (3 tables)": lambda: (
            data_quality.return_timeliness(store, who, council),
            data_quality.resubmissions(store, who, council),
            data_quality.confirmed_warnings(store, who, council),
        ),
        "list_targets + list_settings": lambda: (
            targets.list_targets(store, council, who),
            targets.list_settings(store, council, who),
        ),
        "audit_actions": lambda: audit_log.audit_actions(store, who),
        "list_users + list_backups": lambda: (
            users.list_users(store, who),
            backup.list_backups(backup.default_folder(store.path)),
        ),
    }


def _upload_page(store, council, who, values, bench):
    from kpi.returns import template as return_template

    period = return_template.open_periods()[0]
    return {
        "template_csv": lambda: return_template.template_csv(store, who, council, national.PROVIDER, period),
        "template_xlsx": lambda: return_template.template_xlsx(
            store, who, council, national.PROVIDER, period
        ),
    }


_LATER_PAGES = {
    "ncmp": _ncmp_page,
    "outcomes": _outcomes_page,
    "exceptions, data quality, targets, audit log, admin": _admin_pages,
    "upload": _upload_page,
}


def step_pages(work: Path) -> dict:
    """p50 and p95 of the data functions behind every page, for the focus council, out of the national database."""
    from kpi.core.store import Store

    council = national.FOCUS
    out: dict = {"council": council}
    with Store.open(_db(work), read_only=True) as store:
        out["database_mb"] = round(_db(work).stat().st_size / 1e6, 1)
        out["submissions_in_database"] = int(store.query("select count(*) from submissions").item())
        out["return_rows_in_database"] = int(store.query("select count(*) from return_rows").item())
        pages = _page_functions(store, council)
        for page, functions in pages.items():
            page_out: dict = {}
            page_total = 0.0
            for name, function in functions.items():
                repeats = 5 if "sii" in name else 15
                try:
                    times = _timed(function, repeats, budget_s=8.0)
                except Exception as exc:  # noqa: BLE001  (a page's function that fails here is reported, not fatal)
                    page_out[name] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
                    continue
                page_out[name] = _summary(times)
                page_total += _percentile(times, 0.5)
            out[page] = {"functions": page_out, "sum_of_p50_ms": round(page_total * 1000, 1)}
    return out


def step_sii(work: Path) -> dict:
    """SII per area (borough deciles) at 100,000 draws on a sample of councils, KPIs and quarters."""
    from kpi.contract import values as overview
    from kpi.core.store import Store
    from kpi.inequality import views as inequalities

    councils = _dataset(work)["councils"][:8]
    kpis = ["C2", "C8ii", "C6i"]
    times, rated = [], 0
    with Store.open(_db(work), read_only=True) as store:
        for council in councils:
            values = overview.kpi_values(store, council, principal=WHO)
            for kpi in kpis:
                frame = inequalities.quantile_frame("borough", kpi, values=values)
                for period in national.quarters()[-2:]:
                    one = frame.filter(pl.col("period") == period)
                    started = time.perf_counter()
                    table = inequalities.sii_table(one, n_quantiles=10, repetitions=100_000)
                    times.append(time.perf_counter() - started)
                    rated += int(table["rated"].sum())
    per_area = _percentile(times, 0.5)
    national_count = national.N_COUNCILS * 20 * national.N_QUARTERS
    cores = os.cpu_count() or 1
    return {
        "areas_timed": len(times),
        "areas_rated": rated,
        "repetitions": 100_000,
        "per_area": _summary(times),
        "national_areas": national_count,
        "national_estimate_s_one_core": round(per_area * national_count),
        "national_estimate_s_all_cores": round(per_area * national_count / cores),
        "cores": cores,
    }


def step_concurrency(work: Path) -> dict:
    """Many sessions in one app process: page data for different councils at once, and uploads at once."""
    from kpi.contract import values as overview
    from kpi.core.store import Store
    from kpi.returns.load import load_return

    councils = _dataset(work)["councils"]
    out = {}
    with Store.open(_db(work)) as store:
        for threads in (1, 2, 4, 8):
            done: list[float] = []
            lock = threading.Lock()

            def view(index: int, done=done, lock=lock) -> None:
                for step in range(4):
                    council = councils[(index * 4 + step) % len(councils)]
                    started = time.perf_counter()
                    overview.kpi_values(store, council, principal=WHO)
                    with lock:
                        done.append(time.perf_counter() - started)

            wall = _run_threads(view, threads)
            out[f"page_views_{threads}_threads"] = {
                "views": len(done),
                "views_per_s": round(len(done) / wall, 2),
                "latency": _summary(done),
            }
        # uploaders: each thread resubmits a council's newest return (a new file: a trailing blank line)
        files = (
            pl.read_parquet(work / "returns.parquet")
            .filter(pl.col("period") == national.quarters()[-1])
            .sort("lad_code")
        )
        for threads in (1, 4):
            fresh = 2 + threads + secrets.randbelow(997)  # not a file an earlier run loaded (that is a no-op)
            loads: list[float] = []
            outcomes: dict[str, int] = {}
            lock = threading.Lock()

            def upload(index: int, loads=loads, lock=lock, fresh=fresh, outcomes=outcomes) -> None:
                for step in range(4):
                    row = files.row((index * 4 + step) % files.height, named=True)
                    # blank lines at the end: a new file with the same rows (a resubmission)
                    data = Path(row["path"]).read_bytes() + b"\n" * fresh
                    started = time.perf_counter()
                    result = load_return(
                        store,
                        data,
                        Path(row["path"]).name,
                        council_code=row["lad_code"],
                        provider_code=national.PROVIDER,
                        principal=WHO,
                        accept_warnings=True,
                        reason=REASON,
                    )
                    with lock:
                        loads.append(time.perf_counter() - started)
                        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1

            wall = _run_threads(upload, threads)
            out[f"uploads_{threads}_threads"] = {
                "loads": len(loads),
                "loads_per_s": round(len(loads) / wall, 2),
                "latency": _summary(loads),
                "outcomes": outcomes,
            }
    return out


def _run_threads(work, threads: int) -> float:
    """Run ``work(index)`` on ``threads`` threads at once; the wall-clock seconds until all have finished."""
    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def step_backup_restore(work: Path) -> dict:
    """A consistent snapshot of the national database (kpi.core.backup) and its restore into a new file."""
    import shutil

    from kpi.access.principal import local_principal
    from kpi.core import backup as backup
    from kpi.core.store import Store

    bench = local_principal("bench")
    target = work / "backup"
    shutil.rmtree(target, ignore_errors=True)
    with Store.open(_db(work), migrate=False) as store:
        started = time.perf_counter()
        manifest = backup.backup(store, target, principal=bench)
        backup_s = time.perf_counter() - started
    restored = work / "restored.duckdb"
    for suffix in ("", ".wal"):
        Path(str(restored) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    backup.restore(target, restored, principal=bench, key=backup.key_file(_db(work)))
    restore_s = time.perf_counter() - started
    out = {
        "database_mb": round(_db(work).stat().st_size / 1e6, 1),
        "snapshot_mb": round(sum(f.stat().st_size for f in target.iterdir()) / 1e6, 1),
        "tables": len(manifest["tables"]),
        "rows": sum(manifest["tables"].values()),
        "backup_s": round(backup_s, 2),
        "restore_s": round(restore_s, 2),
    }
    restored.unlink(missing_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    return out


def step_pack(work: Path, runs: int = 3) -> dict:
    """The meeting pack for the focus council's latest quarter out of the national database: build, PDF, DOCX.

    Run as ``pack_national`` (two runs each) beside bench/pack_bench.py, which times the sample borough's pack; and
    as ``pack`` (three runs) when that script is absent.
    """
    from kpi import reports
    from kpi.core.store import Store

    period = national.quarters()[-1]
    out: dict = {"source": "bench/steps.py", "council": national.FOCUS, "period": period, "runs": runs}
    with Store.open(_db(work), read_only=True) as store:
        builds, sizes = [], {}
        built = None
        for _ in range(runs):
            started = time.perf_counter()
            built = reports.build(store, "pack", period, principal=LOCAL_USER, council_code=national.FOCUS)
            builds.append(time.perf_counter() - started)
        out["build"] = _summary(builds)
        for fmt in ("pdf", "docx"):
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                data = reports.render(built.document, fmt)
                times.append(time.perf_counter() - started)
            out[fmt] = _summary(times)
            sizes[fmt] = round(len(data) / 1e6, 2)
        out["megabytes"] = sizes
    return out


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
