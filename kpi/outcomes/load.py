"""Load Fingertips exports and local outcome measures in one transaction each; fetch exports from Fingertips.

The one lifecycle of :func:`kpi.ingest.pipeline.run_load` (docs/operations.md, how data is stored;
:data:`FINGERTIPS_SPEC`, :data:`MEASURES_SPEC`): the file is read and checked first (:mod:`kpi.outcomes.fingertips`,
:mod:`kpi.outcomes.measures`); a rejected file writes nothing but an audit entry; the same file twice (same SHA-256)
changes nothing; ``check_only`` writes nothing. A load writes, in **one transaction**, the load row (raw file,
SHA-256, report), its values, the supersession of the current values it replaces (Fingertips: the same indicator x
area x period; local measures: the same measure x area x locality x period), which stay in the history with
``superseded_at``, and an audit entry.

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
from typing import Any

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.contract.benchmarks import period_end_index, write_benchmarks
from kpi.core import periods as periods
from kpi.core.catalogue import load_catalogue
from kpi.core.councils import localities
from kpi.core.store import Store
from kpi.core.value_maps import map_distinct
from kpi.ingest import pipeline
from kpi.ingest.files import ReadError, read_text_table
from kpi.outcomes import fingertips as ft
from kpi.outcomes import measures as om
from kpi.outcomes.frameworks import load_fingertips_indicators, load_local_measures

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


def _read(csv_only: bool):
    def read(run: pipeline.LoadRun) -> pl.DataFrame:
        report = run.report
        table = read_text_table(run.data, report.file_name)
        if csv_only and table.kind != "csv":
            raise ReadError("Fingertips exports are CSV files: download the 'all data' CSV again", "not_csv")
        return run.read_as(table).frame

    return read


def _insert_load(cur, run: pipeline.LoadRun, dataset: str, rows: int) -> int:
    """Insert the row of ``outcome_loads`` a load writes (:func:`kpi.ingest.pipeline.insert_load`)."""
    return pipeline.insert_load(
        cur, run, "outcome_loads", "outcome_load_id", keep_file=True, dataset=dataset, row_count=rows
    )


def _loaded(load_id: int, rows: int, superseded: int) -> str:
    message = f"loaded as outcome load {load_id} ({rows} rows)"
    if superseded:
        message += f"; it supersedes {superseded} earlier rows, which stay in the history"
    return message


def load_fingertips(
    store: Store, data: bytes, file_name: str, *, council_code: str, principal: Principal, **load: Any
) -> pipeline.LoadResult:
    """Check a Fingertips "all data" CSV export and, unless ``check_only``, store it (see the module docstring).

    ``load``: ``source``, ``check_only``, ``loaded_at`` (:func:`kpi.ingest.pipeline.run_load`).
    """
    return pipeline.run_load(
        store, FINGERTIPS_SPEC, data, file_name, council_code=council_code, principal=principal, **load
    )


def _validate_export(run: pipeline.LoadRun, frame: pl.DataFrame):
    checked = ft.validate_export(frame, run.report)
    if checked.rows is None:
        return None
    return checked.rows, _benchmark_rows(run.store, run.council_code, checked.rows, run.report.file_name)


def _write_export(cur, run: pipeline.LoadRun, checked) -> tuple[pipeline.LoadResult, dict]:
    """Store the load, its values and the catalogue KPIs' benchmarks, superseding what they replace."""
    rows, bench = checked
    load_id = _insert_load(cur, run, ft.DATASET, rows.height)
    with pipeline.registered(cur, "fingertips_frame", rows):
        superseded = pipeline.supersede_matching(
            cur,
            "fingertips_values",
            "fingertips_frame",
            FINGERTIPS_SPEC.supersedes[1],
            council_code=run.council_code,
            at=run.at,
        )
        columns = ", ".join(ft.ROW_COLUMNS)
        cur.execute(
            f"insert into fingertips_values (outcome_load_id, council_code, {columns}, loaded_at) "
            f"select ?, ?, {columns}, ? from fingertips_frame",
            [load_id, run.council_code, run.at],
        )
    write_benchmarks(cur, run.council_code, bench, run.at)
    detail = {
        "outcome_load_id": load_id,
        "rows": rows.height,
        "superseded_rows": superseded,
        "benchmark_rows": bench.height,
        "sha256": run.report.sha256,
        "source": run.source,
    }
    message = _loaded(load_id, rows.height, superseded)
    if bench.height:
        message += f"; {bench.height} England/region benchmark values for catalogue KPIs"
    return pipeline.LoadResult(pipeline.WRITTEN, run.report, load_id, message=message), detail


#: A Fingertips "all data" export (``hcp load fingertips``, ``hcp fingertips fetch``); warnings do not stop it.
FINGERTIPS_SPEC = pipeline.DatasetSpec(
    name="fingertips",
    label=ft.DATASET,
    loaded_action="fingertips loaded",
    read=_read(csv_only=True),
    validate=_validate_export,
    write=_write_export,
    supersedes=("fingertips_values", ("indicator_id", "area_code", "time_period")),
    duplicate=pipeline.same_file("outcome_loads", "outcome_load_id", ft.DATASET),
    stops_at_warnings=False,
)


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
    chosen = (
        chosen.with_columns(
            map_distinct(chosen["time_period"], _fy_period, pl.String).alias("period"),
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
        map_distinct(chosen["period"], period_end_index, pl.Int64).alias("period_end_index"),
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


# ---- local outcome measures ------------------------------------------------------------------------------------


def load_outcome_measures(
    store: Store, data: bytes, file_name: str, *, council_code: str, principal: Principal, **load: Any
) -> pipeline.LoadResult:
    """Check a local outcome measures file and, unless ``check_only``, store it (see the module docstring).

    ``load``: ``source``, ``check_only``, ``loaded_at`` (:func:`kpi.ingest.pipeline.run_load`).
    """
    return pipeline.run_load(
        store, MEASURES_SPEC, data, file_name, council_code=council_code, principal=principal, **load
    )


def _validate_measures(run: pipeline.LoadRun, frame: pl.DataFrame):
    locs = localities(run.store, run.council_code)
    context = om.MeasureContext(
        council_code=run.council_code,
        measures=load_local_measures(),
        localities=dict(zip(locs["locality_code"].to_list(), locs["locality_name"].to_list(), strict=True)),
    )
    return om.validate_measures(frame, run.report, context).rows


def _write_measures(cur, run: pipeline.LoadRun, rows: pl.DataFrame) -> tuple[pipeline.LoadResult, dict]:
    """Store the load and its values, superseding the values they replace (one transaction)."""
    load_id = _insert_load(cur, run, om.DATASET, rows.height)
    with pipeline.registered(cur, "measure_frame", rows):
        superseded = pipeline.supersede_matching(
            cur,
            "outcome_measure_values",
            "measure_frame",
            MEASURES_SPEC.supersedes[1],
            council_code=run.council_code,
            at=run.at,
        )
        cur.execute(
            """
            insert into outcome_measure_values
            select ?, ?, measure_code, period, period_sortable, area_code, locality_code, imd_decile, numerator,
                   denominator, value, lower_ci_95, upper_ci_95, lower_ci_998, upper_ci_998, ci_method, source_row,
                   ?, null
            from measure_frame
            """,
            [load_id, run.council_code, run.at],
        )
    detail = {
        "outcome_load_id": load_id,
        "rows": rows.height,
        "superseded_rows": superseded,
        "sha256": run.report.sha256,
        "source": run.source,
    }
    message = _loaded(load_id, rows.height, superseded)
    return pipeline.LoadResult(pipeline.WRITTEN, run.report, load_id, message=message), detail


#: Local outcome measures (``hcp load outcome-measures``); warnings do not stop it.
MEASURES_SPEC = pipeline.DatasetSpec(
    name="outcome-measures",
    label=om.DATASET,
    loaded_action="outcome measures loaded",
    read=_read(csv_only=False),
    validate=_validate_measures,
    write=_write_measures,
    supersedes=("outcome_measure_values", ("measure_code", "period", "area_code", "locality_code")),
    duplicate=pipeline.same_file("outcome_loads", "outcome_load_id", om.DATASET),
    stops_at_warnings=False,
)


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
    """The indicators the frameworks, the catalogue and the comparison with similar councils use.

    ``config/fingertips_indicators.toml``, the catalogue's ``fingertips_id`` and ``config/kpi_fingertips.toml``.
    """
    from kpi.outcomes.neighbours import kpi_mappings

    ids = (
        set(load_fingertips_indicators())
        | {k.fingertips_id for k in load_catalogue().values() if k.fingertips_id}
        | {m.indicator_id for m in kpi_mappings().values()}
    )
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
) -> pipeline.LoadResult:
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
