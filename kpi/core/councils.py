"""Councils, the national LSOA reference and each council's localities.

The national lookup (all 32,844 LSOAs 2011 -> local authority, IMD 2019 rank and decile, children 0-15) ships in
``reference/lsoa11_imd2019.parquet`` (built by ``scripts/build_reference.py`` from MHCLG's files, OGL
v3) and is copied into every database. A council's localities are an LSOA -> locality lookup loaded with
``hcp load localities FILE``; a newer load supersedes the older, which stays in history.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import deprivation, locality_rules
from kpi.core import periods as periods
from kpi.core.resources import data_dir
from kpi.core.store import Store, StoreError, set_info
from kpi.ingest import pipeline
from kpi.ingest.files import ReadError, read_text_table
from kpi.ingest.report import Report
from kpi.ingest.rules import check_rules

REFERENCE_DIR = data_dir("reference")
LSOA_LOOKUP = REFERENCE_DIR / "lsoa11_imd2019.parquet"
IMD_EDITION = deprivation.IOD2019


def ensure_reference(store: Store) -> int:
    """Copy the national LSOA lookups into the database where absent; returns IoD2019's row count.

    IoD2019 on LSOAs (2011) here; IoD2025 on LSOAs (2021) and the exact-fit lookup between them by
    :func:`kpi.core.deprivation.ensure_indices` (docs/methods.md section 7.1).
    """
    deprivation.ensure_indices(store)
    count = store.query("select count(*) from lsoa_reference").item()
    if count:
        return count
    lookup = pl.read_parquet(LSOA_LOOKUP).with_columns(pl.lit(IMD_EDITION).alias("imd_edition"))
    with store.transaction() as cur:
        with pipeline.registered(cur, "lookup_frame", lookup):
            cur.execute(
                "insert into lsoa_reference select lsoa_code, lsoa_name, lad_code, lad_name, imd_rank, imd_decile, "
                "children_0_15, imd_edition from lookup_frame"
            )
    return lookup.height


def init_council(
    store: Store,
    council_code: str,
    *,
    council_name: str | None = None,
    region_code: str | None = None,
    region_name: str | None = None,
    principal: Principal,
    is_sample: bool = False,
) -> None:
    """Create a council (name from the national lookup for district and unitary codes) with its catalogue."""
    require(principal, "set_up")
    actor = principal.email
    ensure_reference(store)
    code = council_code.strip().upper()
    if not council_name:
        names = store.query("select distinct lad_name from lsoa_reference where lad_code = ?", [code])
        if names.is_empty():
            raise StoreError(
                f"'{council_code}' is not a local authority code in the IMD 2019 lookup: give the council's name "
                "with --name (county councils are not in the lookup)"
            )
        council_name = names.item()
    from kpi.core.catalogue_sync import HASH_KEY, file_sha256, sync_council

    with store.transaction() as cur:
        is_new = not cur.execute("select count(*) from councils where council_code = ?", [code]).fetchone()[0]
        cur.execute(
            "insert into councils values (?, ?, ?, ?, ?) on conflict (council_code) do nothing",
            [code, council_name, region_code, region_name, periods.now()],
        )
        # A new council's catalogue is the file's, in force from the first period; an existing one is synced.
        sync_council(cur, store, code, initial=is_new, actor=actor)
        set_info(cur, HASH_KEY, file_sha256())
        set_info(cur, "is_sample", "true" if is_sample else "false")
        set_info(cur, "council_code", code)
        store.audit("council created", actor=actor, council_code=code, subject=council_name, cur=cur)


def add_provider(
    store: Store,
    council_code: str,
    provider_code: str,
    provider_name: str,
    contract_name: str,
    *,
    principal: Principal,
) -> None:
    """Record the provider a council commissions (and its contract's name), as ``principal``; audited."""
    require(principal, "set_up")
    with store.transaction() as cur:
        cur.execute(
            "insert into providers values (?, ?, ?, ?) on conflict do update set provider_name = excluded.provider_name,"
            " contract_name = excluded.contract_name",
            [council_code, provider_code.upper(), provider_name, contract_name],
        )
        store.audit(
            "provider recorded",
            actor=principal.email,
            council_code=council_code,
            subject=provider_code.upper(),
            detail={"provider_name": provider_name, "contract_name": contract_name},
            cur=cur,
        )


def providers(store: Store, council_code: str) -> pl.DataFrame:
    """The council's providers."""
    return store.query(
        "select * from providers where council_code = ? order by provider_code", [council_code]
    )


def localities(store: Store, council_code: str, as_at: datetime | None = None) -> pl.DataFrame:
    """The council's localities in force at ``as_at``: locality_code, locality_name, sort_order."""
    return store.run_sql("staging/stg_localities", council_code=council_code, as_at=as_at or periods.now())


def locality_cells(
    store: Store, council_code: str, as_at: datetime | None = None, index_code: str | None = None
) -> pl.DataFrame:
    """Locality x IMD decile cells holding LSOAs on ``index_code``, with LSOA counts and children 0-15.

    ``index_code`` None: the index of the latest quarter that has ended (the setting, docs/methods.md section 7.1).
    The council's lookup may give LSOAs of 2011 or 2021: each index counts the LSOAs of its own vintage
    (``sql/staging/stg_locality_cells.sql``).
    """
    if index_code is None:
        index_code = deprivation.index_for_period(store, council_code, periods.latest_ended_quarter(), as_at)
    deprivation.label(index_code)  # an unknown index is an error, not an empty frame
    cells = store.run_sql(
        "staging/stg_locality_cells", council_code=council_code, as_at=as_at or periods.now()
    )
    return cells.filter(pl.col("index_code") == index_code).drop("index_code")


def check_localities(frame: pl.DataFrame, report: Report, store: Store) -> pl.DataFrame | None:
    """Check an LSOA -> locality lookup (lsoa_code, locality_code, locality_name); typed rows or None.

    The checks are the rules of :mod:`kpi.core.locality_rules`; every problem is reported at once.
    """
    report.rows_read = frame.height
    missing = [c for c in locality_rules.COLUMNS if c not in frame.columns]
    header = ",".join(locality_rules.COLUMNS)
    for name in missing:
        report.add(locality_rules.MISSING_COLUMN.one(column=name, name=name, header=header))
    if missing:
        return None
    if frame.is_empty():
        report.add(locality_rules.EMPTY.one())
        return None
    frame = frame.with_columns(
        pl.col("lsoa_code").str.to_uppercase(), pl.col("locality_code").str.to_uppercase()
    )
    known = deprivation.known_codes(store)  # 2011 or 2021 codes (docs/methods.md section 7.1)
    check_rules(frame, locality_rules.ROW_RULES, report, {"known_lsoas": known})
    if not report.ok:
        return None
    return frame.select(*locality_rules.COLUMNS, "source_row")


def load_localities(
    store: Store,
    council_code: str,
    data: bytes,
    file_name: str,
    *,
    principal: Principal,
    check_only: bool = False,
    loaded_at: datetime | None = None,
) -> Report:
    """Load a council's LSOA -> locality lookup; a newer load supersedes the current one (kept in history).

    The lifecycle is :func:`kpi.ingest.pipeline.run_load` with :data:`LOCALITIES_SPEC`; returns its report.
    """
    result = pipeline.run_load(
        store,
        LOCALITIES_SPEC,
        data,
        file_name,
        council_code=council_code,
        principal=principal,
        check_only=check_only,
        loaded_at=loaded_at,
    )
    return result.report


def _read_localities(run: pipeline.LoadRun) -> pl.DataFrame:
    try:
        return read_text_table(run.data, run.report.file_name, sheet="Localities").frame
    except ReadError:
        raise
    except ValueError as exc:
        raise ReadError(str(exc)) from exc


def _write_localities(cur, run: pipeline.LoadRun, rows: pl.DataFrame) -> tuple[pipeline.LoadResult, dict]:
    """Store the lookup as a new load, superseding the council's current one (one transaction)."""
    council_code, report = run.council_code, run.report
    order = rows.select("locality_code", "locality_name").unique(maintain_order=True).sort("locality_code")
    order = order.with_row_index("sort_order", offset=1)
    load_id = pipeline.insert_load(
        cur,
        run,
        "locality_loads",
        "locality_load_id",
        keep_file=False,
        supersede={"council_code": council_code},
    )
    with pipeline.registered(cur, "locality_frame", order):
        cur.execute(
            "insert into localities select ?, ?, locality_code, locality_name, sort_order from locality_frame",
            [load_id, council_code],
        )
    with pipeline.registered(cur, "lsoa_frame", rows):
        cur.execute(
            "insert into locality_lsoas select ?, ?, lsoa_code, locality_code from lsoa_frame",
            [load_id, council_code],
        )
    message = "localities loaded"
    return pipeline.LoadResult(pipeline.WRITTEN, report, load_id, message=message), {
        "lsoas": rows.height,
        "localities": order.height,
    }


#: A council's LSOA -> locality lookup (``hcp load localities``); every load is kept, the newest is current.
LOCALITIES_SPEC = pipeline.DatasetSpec(
    name="localities",
    label="localities",
    loaded_action="localities loaded",
    read=_read_localities,
    validate=lambda run, frame: check_localities(frame, run.report, run.store),
    write=_write_localities,
    supersedes=("locality_loads", ("council_code",)),
    stops_at_warnings=False,
)
