"""NCMP loads: child-level returns and eligible pupils into the store, with their supersession.

A load is the one lifecycle of :func:`kpi.ingest.pipeline.run_load` (:data:`CHILDREN_SPEC`, :data:`ELIGIBLE_SPEC`):
the file is read and checked (:mod:`kpi.ncmp.checks`); errors, and warnings not confirmed with a reason, write
nothing but an audit entry; ``check_only`` writes nothing; the same file twice (by SHA-256) changes nothing;
otherwise **one transaction** writes the load, its children, their counts and an audit entry, and supersedes the
previous load of the same academic year and year group, which stays in history.

Personal data (docs/methods.md section 3): a child-level file is never archived; the load keeps its hash, counts, the
names of the columns dropped and the report (whose messages never repeat a date). Children are stored without
names, NHS numbers, postcodes, pupil ids or dates of birth (:data:`kpi.ncmp.checks.STORED_COLUMNS`).

Counts: the counts the marts read (``ncmp_counts``: per year group by school, by home LSOA and by ethnic group) are
written with the children, from ``sql/staging/stg_ncmp_load_counts.sql``, so the purge (:mod:`kpi.ncmp.purge`) can
delete child-level rows after the retention period and every figure stays as it was. England's figures are
:mod:`kpi.ncmp.benchmarks`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from kpi.access.principal import Principal
from kpi.core import deprivation
from kpi.core import periods as periods
from kpi.core.councils import localities
from kpi.core.store import Store, sql_text
from kpi.ingest import pipeline
from kpi.ingest.report import Report, problem, problems_where
from kpi.ncmp import rules as ncmp
from kpi.ncmp.checks import (
    DATASET,
    ELIGIBLE_COLUMNS,
    ELIGIBLE_DATASET,
    NcmpContext,
    read_ncmp_table,
    validate_children,
    validate_eligible,
)


def ncmp_context(store: Store, council_code: str, age_method: str = "exact") -> NcmpContext:
    """What a child-level return is checked against: today, LSOA codes, deprivation index, the age convention.

    The LSOA codes are those of both vintages, with the codes whose matching LSOAs on an index differ in decile,
    and the first academic year on IoD2025 (docs/methods.md section 7.1).
    """
    if age_method not in ncmp.AGE_METHODS:
        raise ValueError(f"the age method must be exact or month, not '{age_method}'")
    return NcmpContext(
        council_code=council_code,
        today=periods.today(),
        known_lsoas=deprivation.known_codes(store),
        age_method=age_method,
        split_lsoas=deprivation.split_lsoas(store),
        iod2025_from_year=deprivation.first_year(store, council_code),
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
    """Insert the row of ``ncmp_loads`` a load writes (:func:`kpi.ingest.pipeline.insert_load`); returns its id."""
    report = run.report
    return pipeline.insert_load(
        cur,
        run,
        "ncmp_loads",
        "load_id",
        dataset=dataset,
        academic_year=year,
        rows_read=report.rows_read,
        rows_stored=rows.height,
        warnings_reason=run.warnings_reason,
        **values,
    )


def _supersedes(superseded: list[int]) -> str:
    """What a load's message adds when it supersedes earlier loads."""
    if not superseded:
        return ""
    return f"; it supersedes load {', '.join(map(str, superseded))}, which stays in the history"


def _write_children(cur, run: pipeline.LoadRun, checked) -> tuple[pipeline.LoadResult, dict]:
    """Store the load, its children and counts, and supersede the same year and year groups (one transaction)."""
    report, rows, year, at = run.report, checked.rows, checked.academic_year, run.at
    council_code = run.council_code
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
        keep_file=False,  # personal data: never archived
        rows_excluded=excluded,
        dropped_columns=dropped_names,
        age_method=run.options.get("age_method", "exact"),
        imd_edition=deprivation.index_for_year(run.store, council_code, year),
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
        "reason": run.warnings_reason,
        "supersedes": superseded,
        "dropped_columns": dropped_names,
        "sha256": report.sha256,
    }
    message = (
        f"loaded as NCMP load {load_id} ({year}, {', '.join(ncmp.SCHOOL_YEAR_NAMES[g] for g in groups)}: "
        f"{rows.height} children, {excluded} excluded from prevalence)"
    ) + _supersedes(superseded)
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
    load_id = _insert_load(cur, run, ELIGIBLE_DATASET, year, rows, keep_file=True, rows_excluded=0)
    superseded = _supersede_parts(cur, load_id, council_code, ELIGIBLE_DATASET, year, groups, at)
    with pipeline.registered(cur, "ncmp_eligible_frame", rows.drop("source_row")):
        cur.execute(
            "insert into ncmp_eligible by name select ?::integer as load_id, ?::varchar as council_code, * "
            "from ncmp_eligible_frame",
            [load_id, council_code],
        )
    detail = {"load_id": load_id, "academic_year": year, "rows": rows.height, "supersedes": superseded}
    message = f"loaded as NCMP eligible-pupils load {load_id} ({year}, {rows.height} school rows)"
    message += _supersedes(superseded)
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
