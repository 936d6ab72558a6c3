"""NCMP loads: child-level returns and eligible pupils into the store, supersession, purge, England figures.

A load is the one lifecycle of :func:`kpi.ingest.pipeline.run_load` (:data:`CHILDREN_SPEC`, :data:`ELIGIBLE_SPEC`):
the file is read and checked (:mod:`kpi.ncmp.checks`); errors, and warnings not confirmed with a reason, write
nothing but an audit entry; ``check_only`` writes nothing; the same file twice (by SHA-256) changes nothing;
otherwise **one transaction** writes the load, its children, their counts and an audit entry, and supersedes the
previous load of the same academic year and year group, which stays in history.

Personal data (docs/methods.md section 3): a child-level file is never archived; the load keeps its hash, counts, the
names of the columns dropped and the report (whose messages never repeat a date). Children are stored without
names, NHS numbers, postcodes, pupil ids or dates of birth (:data:`kpi.ncmp.checks.STORED_COLUMNS`).

Counts and purge: the counts the marts read (``ncmp_counts``: per year group by school, by home LSOA and by ethnic
group) are written with the children, from ``sql/staging/stg_ncmp_load_counts.sql``. So :func:`purge_ncmp` can
delete child-level rows after the retention period (setting ``ncmp_retention_years``) and every figure of the
dashboard stays as it was; the purge is audited and marks the loads it emptied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.councils import IMD_EDITION, localities
from kpi.core.store import ROOT, Store, StoreError, setting, sql_text
from kpi.ingest import pipeline
from kpi.ingest.report import Report, problem, problems_where
from kpi.ncmp import rules as ncmp
from kpi.ncmp.checks import (
    DATASET,
    ELIGIBLE_COLUMNS,
    ELIGIBLE_DATASET,
    LSOA_PATTERN,
    NcmpContext,
    read_ncmp_table,
    validate_children,
    validate_eligible,
)

SAMPLE_DIR = ROOT / "sample_data" / "ncmp"
ENGLAND_FILE = SAMPLE_DIR / "england_ncmp.csv"
ENGLAND_COLUMNS = (
    "academic_year",
    "school_year",
    "category",
    "imd_decile",
    "area_code",
    "area_name",
    "value_pct",
    "source",
)


def ncmp_context(store: Store, council_code: str, age_method: str = "exact") -> NcmpContext:
    """What a child-level return is checked against: today, the national LSOA codes, the age convention."""
    if age_method not in ncmp.AGE_METHODS:
        raise ValueError(f"the age method must be exact or month, not '{age_method}'")
    known = store.query("select lsoa_code from lsoa_reference")["lsoa_code"]
    return NcmpContext(
        council_code=council_code, today=periods.today(), known_lsoas=known, age_method=age_method
    )


def load_ncmp(
    store: Store, data: bytes, file_name: str, *, council_code: str, principal: Principal, **load: Any
) -> pipeline.LoadResult:
    """Check an NCMP child-level return and, unless ``check_only``, store it (one transaction).

    ``load``: ``source``, ``check_only``, ``accept_warnings``, ``reason``, ``loaded_at``
    (:func:`kpi.ingest.pipeline.run_load`), ``mapping`` (renames the extract's headers first:
    :func:`kpi.ncmp.checks.read_mapping`) and ``age_method`` ("exact" or "month"). Warnings load only with
    ``accept_warnings`` and a non-blank ``reason``; the children they concern are flagged.

    Example:
        >>> # load_ncmp(store, path.read_bytes(), path.name, council_code="E08000009", principal=who)

    """
    return pipeline.run_load(
        store, CHILDREN_SPEC, data, file_name, council_code=council_code, principal=principal, **load
    )


def _read_children(run: pipeline.LoadRun) -> pl.DataFrame:
    report = run.report
    table = run.read_as(read_ncmp_table(run.data, report.file_name, mapping=run.options.get("mapping")))
    run.options["dropped"] = table.dropped
    if table.dropped:
        report.notes.append(
            "columns outside the NCMP return were dropped before anything was stored: "
            + ", ".join(table.dropped)
        )
    used = [c for c in ("nhs_number", "upn", "pupil_id") if c in table.frame.columns]
    if used:
        report.notes.append(
            f"{', '.join(used)} used in memory to find duplicate children, then dropped (never stored)"
        )
    return table.frame  # the identifiers and dates of birth go when the validator has used them


def _validate_children(run: pipeline.LoadRun, frame: pl.DataFrame):
    age_method = run.options.get("age_method", "exact")
    checked = validate_children(frame, run.report, ncmp_context(run.store, run.council_code, age_method))
    if checked.rows is None:
        return None
    _warn_schools_not_eligible(run.store, run.council_code, checked.rows, run.report)
    return checked


def _school_year_name(column: str = "school_year") -> pl.Expr:
    return pl.col(column).replace_strict(ncmp.SCHOOL_YEAR_NAMES, default=pl.col(column))


def _warn_schools_not_eligible(store: Store, council_code: str, rows: pl.DataFrame, report: Report) -> None:
    """Warn, per school, when children were measured at a school missing from the year's eligible-pupils list.

    Borough prevalence counts those children; participation (measured / eligible) leaves them out, so the two
    figures would cover different schools. Compared only for the year groups the list holds (with no list yet,
    the warning comes when it is loaded: :func:`_warn_measured_schools_left_out`).
    """
    years = rows["academic_year"].unique().to_list()
    eligible = store.run_sql(
        "staging/stg_ncmp_eligible", council_code=council_code, as_at=periods.now()
    ).filter(pl.col("academic_year").is_in(years))
    if eligible.is_empty():
        return
    listed_groups = eligible.select("academic_year", "school_year").unique()
    missing = (
        rows.join(listed_groups, on=["academic_year", "school_year"], how="semi")
        .join(eligible, on=["academic_year", "school_year", "school_urn"], how="anti")
        .group_by("academic_year", "school_year", "school_urn")
        .agg(pl.len().alias("children"), pl.col("source_row").min())
        .sort("source_row")
    )
    report.add(
        problems_where(
            missing,
            pl.lit(True),
            severity="warning",
            check="school_not_in_eligible",
            column="school_urn",
            message=pl.format(
                "school {} ({}, {} children, first at row {}) is not in the {} eligible-pupils list: its children "
                "count in prevalence but not in participation; add the school to the eligible-pupils list, or "
                "confirm with a reason",
                pl.col("school_urn"),
                _school_year_name(),
                pl.col("children"),
                pl.col("source_row"),
                pl.col("academic_year"),
            ),
        )
    )


def _warn_measured_schools_left_out(
    store: Store, council_code: str, rows: pl.DataFrame, report: Report
) -> None:
    """Warn, per school, when children already loaded were measured at a school this eligible-pupils list lacks."""
    years = rows["academic_year"].unique().to_list()
    measured = store.run_sql(
        "staging/stg_ncmp_counts", council_code=council_code, as_at=periods.now()
    ).filter(pl.col("dimension") == "school", pl.col("academic_year").is_in(years), pl.col("measured") > 0)
    missing = (
        measured.rename({"dimension_value": "school_urn"})
        .join(
            rows.select("academic_year", "school_year").unique(),
            on=["academic_year", "school_year"],
            how="semi",
        )
        .join(rows, on=["academic_year", "school_year", "school_urn"], how="anti")
        .sort("school_year", "school_urn")
    )
    for item in missing.iter_rows(named=True):
        report.add(
            problem(
                "warning",
                "school_not_in_eligible",
                f"school {item['school_urn']} ({ncmp.SCHOOL_YEAR_NAMES.get(item['school_year'], item['school_year'])}"
                f", {item['measured']} children measured in {item['academic_year']}) is not in this list: its "
                "children count in prevalence but not in participation; add the school's row, or confirm with a "
                "reason",
                column="school_urn",
                value=item["school_urn"],
            )
        )


def _supersede_parts(
    cur, load_id: int, council_code: str, dataset: str, year: str, groups: list[str], at
) -> list[int]:
    """Supersede the current parts of the same dataset, year and year groups; insert this load's parts."""
    keys = {"council_code": council_code, "dataset": dataset, "academic_year": year, "school_year": groups}
    previous = pipeline.supersede_current(cur, "ncmp_load_parts", "load_id", keys, at=at, by=load_id)
    for group in groups:
        cur.execute(
            "insert into ncmp_load_parts values (?, ?, ?, ?, ?, ?, null, null)",
            [load_id, council_code, dataset, year, group, at],
        )
    return previous


def _insert_load(cur, run: pipeline.LoadRun, dataset: str, year: str, rows: pl.DataFrame, **values) -> int:
    """Insert the row of ``ncmp_loads`` a load writes (its own facts in ``values``); returns its id."""
    report = run.report
    load_id = pipeline.next_id(cur, "ncmp_loads", "load_id")
    values = {
        "load_id": load_id,
        "council_code": run.council_code,
        "dataset": dataset,
        "academic_year": year,
        "loaded_at": run.at,
        "loaded_by": run.actor,
        "source": run.source,
        "file_name": report.file_name,
        "file_sha256": report.sha256,
        "file_size_bytes": len(run.data),
        "rows_read": report.rows_read,
        "rows_stored": rows.height,
        "warning_count": report.warnings.height,
        "warnings_reason": run.reason if not report.warnings.is_empty() else None,
        "report_json": report.to_json(),
        **values,
    }
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cur.execute(f"insert into ncmp_loads ({columns}) values ({marks})", list(values.values()))
    return load_id


def _write_children(cur, run: pipeline.LoadRun, checked) -> tuple[pipeline.LoadResult, dict]:
    """Store the load, its children and counts, and supersede the same year and year groups (one transaction)."""
    report, rows, year, at = run.report, checked.rows, checked.academic_year, run.at
    council_code = run.council_code
    reason = run.reason if not report.warnings.is_empty() else None
    groups = sorted(rows["school_year"].unique().to_list(), key=ncmp.SCHOOL_YEARS.index)
    excluded = int(rows["is_excluded"].sum())
    dropped_names = ", ".join(run.options.get("dropped") or []) or None
    arrow = rows.drop("source_row", "academic_year").to_arrow()  # the year is one value: bound below
    load_id = _insert_load(
        cur,
        run,
        DATASET,
        year,
        rows,
        file_bytes=None,
        rows_excluded=excluded,
        dropped_columns=dropped_names,
        age_method=run.options.get("age_method", "exact"),
        imd_edition=IMD_EDITION,
    )
    superseded = _supersede_parts(cur, load_id, council_code, DATASET, year, groups, at)
    with pipeline.registered(cur, "ncmp_child_frame", arrow):
        cur.execute(
            "insert into ncmp_children by name select ?::integer as load_id, ?::varchar as council_code, "
            "?::varchar as academic_year, * from ncmp_child_frame",
            [load_id, council_code, year],
        )
    cur.execute(
        "insert into ncmp_counts by name " + sql_text("staging/stg_ncmp_load_counts"),
        {"load_id": load_id},
    )
    detail = {
        "load_id": load_id,
        "academic_year": year,
        "year_groups": groups,
        "rows": rows.height,
        "excluded": excluded,
        "warnings_confirmed": report.warnings.height,
        "reason": reason,
        "supersedes": superseded,
        "dropped_columns": dropped_names,
        "sha256": report.sha256,
    }
    message = (
        f"loaded as NCMP load {load_id} ({year}, {', '.join(ncmp.SCHOOL_YEAR_NAMES[g] for g in groups)}: "
        f"{rows.height} children, {excluded} excluded from prevalence)"
    )
    if superseded:
        message += f"; it supersedes load {', '.join(map(str, superseded))}, which stays in the history"
    return pipeline.LoadResult(
        pipeline.WRITTEN, report, load_id, superseded[0] if superseded else None, message
    ), detail


#: The NCMP child-level return (``hcp load ncmp``): personal data, so the file itself is never kept.
CHILDREN_SPEC = pipeline.DatasetSpec(
    name="ncmp",
    label="NCMP return",
    loaded_action="NCMP return loaded",
    read=_read_children,
    validate=_validate_children,
    write=_write_children,
    supersedes=("ncmp_load_parts", ("council_code", "dataset", "academic_year", "school_year")),
    duplicate=pipeline.same_file("ncmp_loads", "load_id", DATASET),
    duplicate_message="this file was already loaded as NCMP load {id}: nothing changed",
    options=("mapping", "age_method"),
)


def load_ncmp_eligible(
    store: Store, data: bytes, file_name: str, *, council_code: str, principal: Principal, **load: Any
) -> pipeline.LoadResult:
    """Check and store an eligible-pupils return (school x year group); supersedes the same year and year group.

    ``load``: ``source``, ``check_only``, ``accept_warnings``, ``reason``, ``loaded_at``
    (:func:`kpi.ingest.pipeline.run_load`).
    """
    return pipeline.run_load(
        store, ELIGIBLE_SPEC, data, file_name, council_code=council_code, principal=principal, **load
    )


def _read_eligible(run: pipeline.LoadRun) -> pl.DataFrame:
    table = read_ncmp_table(run.data, run.report.file_name, keep=ELIGIBLE_COLUMNS)
    if table.dropped:
        run.report.notes.append(
            "columns outside the eligible-pupils return were ignored: " + ", ".join(table.dropped)
        )
    return table.frame


def _validate_eligible(run: pipeline.LoadRun, frame: pl.DataFrame):
    codes = localities(run.store, run.council_code)["locality_code"].to_list()
    checked = validate_eligible(frame, run.report, codes)
    if checked.rows is None:
        return None
    _warn_measured_schools_left_out(run.store, run.council_code, checked.rows, run.report)
    return checked


def _write_eligible(cur, run: pipeline.LoadRun, checked) -> tuple[pipeline.LoadResult, dict]:
    """Store the load and its school rows, and supersede the same year and year groups (one transaction)."""
    report, rows, year, at = run.report, checked.rows, checked.academic_year, run.at
    council_code = run.council_code
    groups = sorted(rows["school_year"].unique().to_list(), key=ncmp.SCHOOL_YEARS.index)
    load_id = _insert_load(cur, run, ELIGIBLE_DATASET, year, rows, file_bytes=run.data, rows_excluded=0)
    superseded = _supersede_parts(cur, load_id, council_code, ELIGIBLE_DATASET, year, groups, at)
    with pipeline.registered(cur, "ncmp_eligible_frame", rows.drop("source_row")):
        cur.execute(
            "insert into ncmp_eligible by name select ?::integer as load_id, ?::varchar as council_code, * "
            "from ncmp_eligible_frame",
            [load_id, council_code],
        )
    detail = {"load_id": load_id, "academic_year": year, "rows": rows.height, "supersedes": superseded}
    message = f"loaded as NCMP eligible-pupils load {load_id} ({year}, {rows.height} school rows)"
    if superseded:
        message += f"; it supersedes load {', '.join(map(str, superseded))}, which stays in the history"
    return pipeline.LoadResult(
        pipeline.WRITTEN, report, load_id, superseded[0] if superseded else None, message
    ), detail


#: The NCMP eligible pupils (``hcp load ncmp-eligible``): school x year group counts, no personal data.
ELIGIBLE_SPEC = pipeline.DatasetSpec(
    name="ncmp-eligible",
    label="NCMP eligible pupils",
    loaded_action="NCMP eligible pupils loaded",
    read=_read_eligible,
    validate=_validate_eligible,
    write=_write_eligible,
    supersedes=("ncmp_load_parts", ("council_code", "dataset", "academic_year", "school_year")),
    duplicate=pipeline.same_file("ncmp_loads", "load_id", ELIGIBLE_DATASET),
    duplicate_message="this file was already loaded as NCMP load {id}: nothing changed",
)


# ---- purge ----------------------------------------------------------------------------------------------------


@dataclass
class PurgeResult:
    """What a purge removed."""

    before: str
    academic_years: list[str] = field(default_factory=list)
    children_deleted: int = 0
    loads: list[int] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line for people."""
        if not self.children_deleted:
            return f"no child-level NCMP rows from before {self.before}: nothing was purged"
        return (
            f"purged {self.children_deleted} child-level rows of {', '.join(self.academic_years)} "
            f"(loads {', '.join(map(str, self.loads))}); their counts and every figure are kept"
        )


def _scrub_reports(cur, loads: list[int]) -> None:
    """Reduce the stored reports of purged loads to counts per check.

    Their row-level problems (row numbers, and the values and messages of single children) are child-level data,
    and go with the child rows.
    """
    for load_id, text in cur.execute(
        "select load_id, report_json from ncmp_loads where load_id in (select unnest(?::integer[]))", [loads]
    ).fetchall():
        report = json.loads(text)
        counts: dict[tuple, int] = {}
        for found in report.get("problems", []):
            key = (found.get("severity"), found.get("check"), found.get("column"))
            counts[key] = counts.get(key, 0) + 1
        report["problems"] = [
            {"severity": severity, "check": check, "column": column, "rows": rows}
            for (severity, check, column), rows in counts.items()
        ]
        report["notes"] = [*report.get("notes", []), "row-level problems removed with the purged child rows"]
        cur.execute("update ncmp_loads set report_json = ? where load_id = ?", [json.dumps(report), load_id])


def earliest_kept_year(store: Store, council_code: str) -> str:
    """The oldest academic year the retention setting (``ncmp_retention_years``) still protects."""
    years = int(setting(store, council_code, "ncmp_retention_years"))
    current = int(ncmp.current_academic_year(periods.today())[:4])
    start = current - years + 1
    return f"{start}/{(start + 1) % 100:02d}"


def purge_ncmp(
    store: Store,
    council_code: str,
    before: str,
    *,
    principal: Principal,
    force: bool = False,
    reason: str | None = None,
) -> PurgeResult:
    """Delete child-level NCMP rows of academic years before ``before`` (audited); counts and loads are kept.

    Years still inside the retention period (setting ``ncmp_retention_years``, counted back from the current
    academic year) are refused unless ``force`` (with a ``reason``).

    Raises:
        ValueError: ``before`` is not an academic year, or it reaches into the retention period without ``force``.
    """
    require(principal, "load_data")
    actor = principal.email
    year = ncmp.normalise_academic_year(before)
    kept = earliest_kept_year(store, council_code)
    if year > kept and not force:
        raise ValueError(
            f"academic years from {kept} are inside the retention period ({setting(store, council_code, 'ncmp_retention_years')} "
            f"years): purge --before {kept} at most, or add --force with a --reason"
        )
    if force and not (reason or "").strip():
        raise ValueError('purging inside the retention period needs a reason: add --reason "..."')
    result = PurgeResult(before=year)
    with store.transaction() as cur:
        found = cur.execute(
            "select academic_year, load_id, count(*) from ncmp_children where council_code = ? and academic_year < ? "
            "group by all order by academic_year, load_id",
            [council_code, year],
        ).fetchall()
        result.academic_years = sorted({row[0] for row in found})
        result.loads = sorted({row[1] for row in found})
        result.children_deleted = sum(row[2] for row in found)
        cur.execute(
            "delete from ncmp_children where council_code = ? and academic_year < ?", [council_code, year]
        )
        if result.loads:
            cur.execute(
                "update ncmp_loads set purged_at = ? where load_id in (select unnest(?::integer[]))",
                [periods.now(), result.loads],
            )
            _scrub_reports(cur, result.loads)
        # Counts by LSOA keep only LSOA codes: a value of another shape (a postcode a file put in lsoa_code before
        # lsoa_code was checked) is a child's address, and goes with the child rows.
        cur.execute(
            "update ncmp_counts set dimension_value = null where council_code = ? and dimension = 'lsoa' "
            "and dimension_value is not null and not regexp_matches(dimension_value, ?)",
            [council_code, LSOA_PATTERN],
        )
        store.audit(
            "NCMP child rows purged",
            actor=actor,
            council_code=council_code,
            subject=f"before {year}",
            cur=cur,
            detail={
                "before": year,
                "academic_years": result.academic_years,
                "loads": result.loads,
                "children_deleted": result.children_deleted,
                "retention_from": kept,
                "forced": force,
                "reason": reason,
            },
        )
    return result


# ---- England figures and the sample -----------------------------------------------------------------------------


def load_ncmp_benchmarks(
    store: Store,
    council_code: str,
    frame: pl.DataFrame,
    *,
    loaded_at: datetime | None = None,
    principal: Principal,
) -> int:
    """Store England (or other) NCMP prevalence rows (:data:`ENGLAND_COLUMNS`); supersedes rows with the same key.

    The same shape can be produced from a Fingertips export later (the source column says where each came from).
    """
    require(principal, "load_data")
    actor = principal.email
    missing = [c for c in ENGLAND_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"the NCMP benchmark file lacks the column(s) {', '.join(missing)}")
    rows = frame.with_columns(
        pl.col("academic_year").map_elements(ncmp.normalise_academic_year, return_dtype=pl.String),
        pl.col("imd_decile").cast(pl.Int32, strict=True),
        pl.col("value_pct").cast(pl.Float64, strict=True),
        *[
            (pl.col(c).cast(pl.Float64) if c in frame.columns else pl.lit(None, dtype=pl.Float64)).alias(c)
            for c in ("lower_ci_pct", "upper_ci_pct")
        ],
    )
    at = loaded_at or periods.now()
    with store.transaction() as cur:
        with pipeline.registered(cur, "ncmp_benchmark_frame", rows):
            pipeline.supersede_matching(
                cur,
                "ncmp_benchmarks",
                "ncmp_benchmark_frame",
                ("academic_year", "school_year", "category", "area_code", "imd_decile"),
                council_code=council_code,
                at=at,
                nullable=("imd_decile",),
            )
            cur.execute(
                """
                insert into ncmp_benchmarks
                select ?, academic_year, school_year, category, imd_decile, area_code, area_name, value_pct,
                       lower_ci_pct, upper_ci_pct, source, ?, null
                from ncmp_benchmark_frame
                """,
                [council_code, at],
            )
        store.audit(
            "NCMP benchmarks loaded",
            actor=actor,
            council_code=council_code,
            detail={"rows": rows.height},
            cur=cur,
        )
    return rows.height


def seed_sample(store: Store, council_code: str, *, principal: Principal) -> str:
    """Load the sample's England NCMP figures, eligible pupils and four years of synthetic children, as ``principal``.

    Files and load times come from ``sample_data/ncmp/manifest.csv`` (``file, dataset, loaded_at``).
    """
    require(principal, "load_data")
    england = pl.read_csv(ENGLAND_FILE, infer_schema_length=0)
    load_ncmp_benchmarks(store, council_code, england, loaded_at=datetime(2022, 4, 1), principal=principal)
    manifest = pl.read_csv(SAMPLE_DIR / "manifest.csv", infer_schema_length=0).sort("loaded_at")
    children = 0
    for row in manifest.iter_rows(named=True):
        path = SAMPLE_DIR / row["file"]
        loader = load_ncmp if row["dataset"] == DATASET else load_ncmp_eligible
        result = loader(
            store,
            path.read_bytes(),
            path.name,
            council_code=council_code,
            principal=principal,
            source="sample",
            loaded_at=datetime.fromisoformat(row["loaded_at"]),
        )
        if result.outcome != pipeline.WRITTEN:
            raise StoreError(f"the sample NCMP file {path.name} did not load:\n{result.report.to_text()}")
        if row["dataset"] == DATASET:
            children += result.report.rows_read
    return f", {children} NCMP children (synthetic) and {england.height} England NCMP values"
