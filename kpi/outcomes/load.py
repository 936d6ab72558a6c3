"""Load Fingertips exports and local outcome measures in one transaction each; fetch exports from Fingertips.

The pattern of :mod:`kpi.returns.load` (docs/operations.md, how data is stored): the file is read and checked first
(:mod:`kpi.outcomes.fingertips`, :mod:`kpi.outcomes.measures`); a rejected file writes nothing but an audit entry;
the same file twice (same SHA-256) changes nothing; ``check_only`` writes nothing. A load writes, in **one
transaction**, the load row (raw file, SHA-256, report), its values, the supersession of the current values it
replaces (Fingertips: the same indicator x area x period; local measures: the same measure x area x locality x
period), which stay in the history with ``superseded_at``, and an audit entry.

A Fingertips load also fills the overview's benchmark table: for each catalogue KPI with a ``fingertips_id``
(``config/catalogue.toml``), the England and region rows of that indicator (no breakdown; Persons where the export
has several sexes) for financial years and quarters become benchmark rows, superseding earlier ones.

:func:`fetch_fingertips` asks the Fingertips API through the optional ``fingertips_py`` package (the ``fingertips``
extra). The transport is injectable; tests pass a failing transport and never touch the network. The API is slow
and unreliable, so exports are fetched on a schedule or by hand, never per page view (docs/methods.md section 4).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.contract.benchmarks import period_end_index
from kpi.core import periods as periods
from kpi.core.catalogue import load_catalogue
from kpi.core.councils import localities
from kpi.core.store import Store
from kpi.ingest.files import ReadError, read_text_table, sha256
from kpi.ingest.report import Report, problem
from kpi.outcomes import fingertips as ft
from kpi.outcomes import measures as om
from kpi.outcomes.frameworks import load_fingertips_indicators, load_local_measures
from kpi.returns.load import DUPLICATE, WRITTEN, LoadResult, check_verdict, refuse

ENGLAND = "E92000001"
#: Fingertips area type for upper-tier local authorities from April 2023 (Fingertips' own numbering: verify before
#: use with ``fingertips_py.get_area_types_as_dict()``); the parent area type 6 is regions.
DEFAULT_AREA_TYPE = 502
DEFAULT_PARENT_AREA_TYPE = 6

NOT_INSTALLED = (
    "fingertips-py is not installed, so Fingertips cannot be fetched from here. Either install the optional extra "
    "('uv sync --extra fingertips') on a computer with internet access, or download the 'all data' CSV for the "
    "indicators from https://fingertips.phe.org.uk (Download > Export all data) and load it with "
    "'hcp load fingertips FILE'."
)
OFFLINE = (
    "Fingertips could not be reached ({reason}). Nothing was written. The API is often slow or down: try again "
    "later, or download the 'all data' CSV from https://fingertips.phe.org.uk and load it with "
    "'hcp load fingertips FILE'."
)

#: ``transport(indicator_ids, area_type_id, parent_area_type_id) -> CSV bytes`` of a Fingertips "all data" export.
Transport = Callable[[Sequence[int], int, int], bytes]


class FetchUnavailable(RuntimeError):
    """Fingertips cannot be fetched here (package missing, no network, API error); the message says what to do."""


# ---- Fingertips exports ----------------------------------------------------------------------------------------


def _duplicate(store: Store, council_code: str, dataset: str, digest: str) -> int | None:
    found = store.query(
        "select outcome_load_id from outcome_loads where council_code = ? and dataset = ? and file_sha256 = ? "
        "order by outcome_load_id limit 1",
        [council_code, dataset, digest],
    )
    return None if found.is_empty() else int(found.item())


def _read(data: bytes, name: str, report: Report, *, csv_only: bool) -> pl.DataFrame | None:
    try:
        table = read_text_table(data, name)
    except ReadError as exc:
        report.add(problem("error", "unreadable", str(exc)))
        return None
    if csv_only and table.kind != "csv":
        report.add(
            problem("error", "not_csv", "Fingertips exports are CSV files: download the 'all data' CSV again")
        )
        return None
    if table.encoding not in ("UTF-8", "xlsx"):
        report.notes.append(f"read as {table.encoding}")
    return table.frame


def _insert_load(
    cur,
    council_code: str,
    dataset: str,
    at: datetime,
    actor: str,
    source: str,
    data: bytes,
    report: Report,
    rows: int,
) -> int:
    load_id = cur.execute("select coalesce(max(outcome_load_id), 0) + 1 from outcome_loads").fetchone()[0]
    cur.execute(
        "insert into outcome_loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            council_code,
            dataset,
            at,
            actor,
            source,
            report.file_name,
            report.sha256,
            data,
            len(data),
            rows,
            report.to_json(),
        ],
    )
    return load_id


def _start(
    store: Store, council_code: str, dataset: str, data: bytes, file_name: str, check_only: bool
) -> tuple[Report, LoadResult | None]:
    """Start a load: the file's report (base name, SHA-256) and any "nothing changed" result.

    When the same file was loaded before, that result is returned at once (a check still reads the file).
    """
    report = Report(file_name=file_name, sha256=sha256(data))
    existing = _duplicate(store, council_code, dataset, report.sha256)
    if existing is None or check_only:
        return report, None
    message = f"this file was already loaded (load {existing}): nothing changed"
    return report, LoadResult(DUPLICATE, report, existing, message=message)


def load_fingertips(
    store: Store,
    data: bytes,
    file_name: str,
    *,
    council_code: str,
    principal: Principal,
    source: str = "cli",
    check_only: bool = False,
    loaded_at: datetime | None = None,
) -> LoadResult:
    """Check a Fingertips "all data" CSV export and, unless ``check_only``, store it (see the module docstring)."""
    require(principal, "load_data")
    actor = principal.email
    report, already = _start(store, council_code, ft.DATASET, data, file_name, check_only)
    if already is not None:
        return already
    name = report.file_name
    frame = _read(data, name, report, csv_only=True)
    checked = ft.validate_export(frame, report) if frame is not None else None
    if check_only:
        return check_verdict(report, accept_warnings=True)  # these loads do not stop at warnings
    if checked is None or checked.rows is None or not report.ok:
        return refuse(store, report, council_code=council_code, principal=principal, dataset=ft.DATASET)

    rows = checked.rows
    at = loaded_at or periods.now()
    bench = _benchmark_rows(store, council_code, rows, name)
    with store.transaction() as cur:
        load_id = _insert_load(cur, council_code, ft.DATASET, at, actor, source, data, report, rows.height)
        cur.register("fingertips_frame", rows)
        superseded = cur.execute(
            """
            update fingertips_values set superseded_at = ?
            where council_code = ? and superseded_at is null and exists (
                select 1 from fingertips_frame as f
                where f.indicator_id = fingertips_values.indicator_id and f.area_code = fingertips_values.area_code
                  and f.time_period = fingertips_values.time_period)
            """,
            [at, council_code],
        ).fetchone()[0]
        columns = ", ".join(ft.ROW_COLUMNS)
        cur.execute(
            f"insert into fingertips_values (outcome_load_id, council_code, {columns}, loaded_at) "
            f"select ?, ?, {columns}, ? from fingertips_frame",
            [load_id, council_code, at],
        )
        cur.unregister("fingertips_frame")
        _write_benchmarks(cur, council_code, bench, at)
        store.audit(
            "fingertips loaded",
            actor=actor,
            council_code=council_code,
            subject=name,
            cur=cur,
            detail={
                "outcome_load_id": load_id,
                "rows": rows.height,
                "superseded_rows": superseded,
                "benchmark_rows": bench.height,
                "sha256": report.sha256,
                "source": source,
            },
        )
    message = f"loaded as outcome load {load_id} ({rows.height} rows)"
    if superseded:
        message += f"; it supersedes {superseded} earlier rows, which stay in the history"
    if bench.height:
        message += f"; {bench.height} England/region benchmark values for catalogue KPIs"
    return LoadResult(WRITTEN, report, load_id, message=message)


def _fy_period(text: str) -> str | None:
    """A Fingertips financial year or quarter (``2023/24``, ``2023/24 Q2``) as a benchmark period, else None."""
    label = om.normalise_period_label(text)
    try:
        return periods.parse_period(label).code
    except periods.PeriodError:
        pass
    try:
        period_end_index(label)
    except periods.PeriodError:
        return None
    return label


def _benchmark_rows(store: Store, council_code: str, rows: pl.DataFrame, file_name: str) -> pl.DataFrame:
    """Benchmark rows (England and region) for catalogue KPIs mapped to Fingertips indicators."""
    mapping = {kpi.fingertips_id: code for code, kpi in load_catalogue().items() if kpi.fingertips_id}
    region = store.query("select region_code from councils where council_code = ?", [council_code])
    region_code = region.item() if region.height and region.item() else None
    roles = {ENGLAND: "england"} | ({region_code: "region"} if region_code else {})
    chosen = rows.filter(
        pl.col("indicator_id").is_in(list(mapping)),
        pl.col("area_code").is_in(list(roles)),
        pl.col("category_type") == "",
        pl.col("value").is_not_null(),
    )
    if chosen.is_empty():
        return pl.DataFrame()
    periods_map = {p: _fy_period(p) for p in chosen["time_period"].unique().to_list()}
    chosen = (
        chosen.with_columns(
            pl.col("time_period").replace_strict(periods_map, return_dtype=pl.String).alias("period"),
            (pl.col("sex") != "Persons").alias("_not_persons"),
        )
        .filter(pl.col("period").is_not_null())
        .sort("_not_persons", "sex", "age")
        .unique(["indicator_id", "area_code", "period"], keep="first", maintain_order=True)
    )
    if chosen.is_empty():
        return pl.DataFrame()
    return chosen.select(
        pl.col("indicator_id").replace_strict(mapping, return_dtype=pl.String).alias("kpi_code"),
        "period",
        pl.col("period").map_elements(period_end_index, return_dtype=pl.Int64).alias("period_end_index"),
        pl.col("area_code").replace_strict(roles, return_dtype=pl.String).alias("comparator"),
        "area_code",
        pl.col("area_name").fill_null(pl.col("area_code")).alias("area_name"),
        pl.col("value").alias("value_pct"),
        pl.col("lower_ci_95").alias("lower_ci_pct"),
        pl.col("upper_ci_95").alias("upper_ci_pct"),
        pl.col("count").alias("numerator"),
        "denominator",
        pl.format("Fingertips indicator {} ({})", pl.col("indicator_id"), pl.lit(file_name)).alias("source"),
    )


def _write_benchmarks(cur, council_code: str, bench: pl.DataFrame, at: datetime) -> None:
    if bench.is_empty():
        return
    cur.register("benchmark_frame", bench)
    cur.execute(
        """
        update benchmarks set superseded_at = ?
        where council_code = ? and superseded_at is null and exists (
            select 1 from benchmark_frame as f
            where f.kpi_code = benchmarks.kpi_code and f.comparator = benchmarks.comparator
              and f.period = benchmarks.period)
        """,
        [at, council_code],
    )
    cur.execute(
        """
        insert into benchmarks
        select ?, kpi_code, period, period_end_index, comparator, area_code, area_name, value_pct, lower_ci_pct,
               upper_ci_pct, numerator, denominator, source, ?, null
        from benchmark_frame
        """,
        [council_code, at],
    )
    cur.unregister("benchmark_frame")


# ---- local outcome measures ------------------------------------------------------------------------------------


def load_outcome_measures(
    store: Store,
    data: bytes,
    file_name: str,
    *,
    council_code: str,
    principal: Principal,
    source: str = "cli",
    check_only: bool = False,
    loaded_at: datetime | None = None,
) -> LoadResult:
    """Check a local outcome measures file and, unless ``check_only``, store it (see the module docstring)."""
    require(principal, "load_data")
    actor = principal.email
    report, already = _start(store, council_code, om.DATASET, data, file_name, check_only)
    if already is not None:
        return already
    name = report.file_name
    frame = _read(data, name, report, csv_only=False)
    checked = None
    if frame is not None:
        locs = localities(store, council_code)
        context = om.MeasureContext(
            council_code=council_code,
            measures=load_local_measures(),
            localities=dict(
                zip(locs["locality_code"].to_list(), locs["locality_name"].to_list(), strict=True)
            ),
        )
        checked = om.validate_measures(frame, report, context)
    if check_only:
        return check_verdict(report, accept_warnings=True)  # these loads do not stop at warnings
    if checked is None or checked.rows is None or not report.ok:
        return refuse(store, report, council_code=council_code, principal=principal, dataset=om.DATASET)

    rows = checked.rows
    at = loaded_at or periods.now()
    with store.transaction() as cur:
        load_id = _insert_load(cur, council_code, om.DATASET, at, actor, source, data, report, rows.height)
        cur.register("measure_frame", rows)
        superseded = cur.execute(
            """
            update outcome_measure_values set superseded_at = ?
            where council_code = ? and superseded_at is null and exists (
                select 1 from measure_frame as f
                where f.measure_code = outcome_measure_values.measure_code
                  and f.period = outcome_measure_values.period
                  and f.area_code = outcome_measure_values.area_code
                  and f.locality_code = outcome_measure_values.locality_code)
            """,
            [at, council_code],
        ).fetchone()[0]
        cur.execute(
            """
            insert into outcome_measure_values
            select ?, ?, measure_code, period, period_sortable, area_code, locality_code, imd_decile, numerator,
                   denominator, value, lower_ci_95, upper_ci_95, lower_ci_998, upper_ci_998, ci_method, source_row,
                   ?, null
            from measure_frame
            """,
            [load_id, council_code, at],
        )
        cur.unregister("measure_frame")
        store.audit(
            "outcome measures loaded",
            actor=actor,
            council_code=council_code,
            subject=name,
            cur=cur,
            detail={
                "outcome_load_id": load_id,
                "rows": rows.height,
                "superseded_rows": superseded,
                "sha256": report.sha256,
                "source": source,
            },
        )
    message = f"loaded as outcome load {load_id} ({rows.height} rows)"
    if superseded:
        message += f"; it supersedes {superseded} earlier rows, which stay in the history"
    return LoadResult(WRITTEN, report, load_id, message=message)


# ---- fetching from Fingertips ----------------------------------------------------------------------------------


def fingertips_py_transport(
    indicator_ids: Sequence[int], area_type_id: int, parent_area_type_id: int
) -> bytes:
    """Fetch an "all data" export through ``fingertips_py`` (the optional ``fingertips`` extra).

    Raises:
        FetchUnavailable: the package is not installed, or the API could not be reached or answered badly.
    """
    try:
        import fingertips_py
    except ImportError as exc:
        raise FetchUnavailable(NOT_INSTALLED) from exc
    try:
        frame = fingertips_py.get_data_by_indicator_ids(
            list(indicator_ids), area_type_id, parent_area_type_id, include_sortable_time_periods=True
        )
    except Exception as exc:  # urllib, http and pandas errors alike: the API is unreliable
        raise FetchUnavailable(OFFLINE.format(reason=f"{type(exc).__name__}: {exc}")) from exc
    return frame.to_csv(index=False).encode("utf-8")


def default_indicator_ids() -> list[int]:
    """The indicators the frameworks and the catalogue use (``config/fingertips_indicators.toml``, catalogue)."""
    ids = set(load_fingertips_indicators()) | {
        k.fingertips_id for k in load_catalogue().values() if k.fingertips_id
    }
    return sorted(ids)


def fetch_fingertips(
    store: Store,
    *,
    council_code: str,
    principal: Principal,
    indicator_ids: Sequence[int] | None = None,
    area_type_id: int = DEFAULT_AREA_TYPE,
    parent_area_type_id: int = DEFAULT_PARENT_AREA_TYPE,
    transport: Transport | None = None,
    all_areas: bool = False,
    check_only: bool = False,
) -> LoadResult:
    """Fetch an export from Fingertips and load it like a file (keeping the council, its region and England).

    Raises:
        FetchUnavailable: nothing could be fetched; the message says why and what to do instead.
    """
    require(principal, "load_data")
    ids = list(indicator_ids or default_indicator_ids())
    send = transport or fingertips_py_transport
    try:
        data = send(ids, area_type_id, parent_area_type_id)
    except FetchUnavailable:
        raise
    except Exception as exc:  # an injected or future transport: same message
        raise FetchUnavailable(OFFLINE.format(reason=f"{type(exc).__name__}: {exc}")) from exc
    if not all_areas:
        data = _keep_areas(store, council_code, data)
    name = f"fingertips_fetch_{periods.now():%Y-%m-%dT%H%M%S}.csv"
    return load_fingertips(
        store,
        data,
        name,
        council_code=council_code,
        principal=principal,
        source="fetch",
        check_only=check_only,
    )


def _keep_areas(store: Store, council_code: str, data: bytes) -> bytes:
    """Keep the council's, its region's and England's rows of a fetched export (an unreadable one is passed on)."""
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema_length=0)
    except pl.exceptions.PolarsError:
        return data
    column = next((c for c in frame.columns if ft.squash(c) == "areacode"), None)
    if column is None:
        return data
    region = store.query("select region_code from councils where council_code = ?", [council_code])
    keep = {council_code, ENGLAND} | ({region.item()} if region.height and region.item() else set())
    return frame.filter(pl.col(column).is_in(sorted(keep))).write_csv().encode("utf-8")
