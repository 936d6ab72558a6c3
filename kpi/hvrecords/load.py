"""Health visiting records loads (``hcp load hv-records FILE --provider CODE``): one provider's CSDS extract.

A load is the one lifecycle of :func:`kpi.ingest.pipeline.run_load` (:data:`RECORDS_SPEC`): the extract is read
keeping only its columns (a mapping file renames an extract's headers first; one plain CSV extract is read in
batches of :data:`BATCH_ROWS` rows, each typed as it is read, so the file is never held as text at once), checked
with every problem at once (:mod:`kpi.hvrecords.checks`), reduced to what the derivation needs (:mod:`kpi.hvrecords.cohorts`) and written in
**one transaction**: the load, its children (a keyed hash instead of the pseudonym: :mod:`kpi.hvrecords.keys`),
their attended contacts, the KPIs derived from them (:mod:`kpi.hvrecords.derive`) and an audit entry. It
supersedes the provider's previous load, which stays in history.

Personal data (docs/methods.md section 10): the file is never archived; no person id, date of birth or LSOA is
stored. A provider may load only its own extract.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from kpi.access.principal import Principal
from kpi.core.store import Store, setting
from kpi.hvrecords import schema as hv
from kpi.hvrecords import table_rows, tables
from kpi.hvrecords.areas import lsoa_areas
from kpi.hvrecords.checks import HvContext, completed_rows, read_cells, validate_records
from kpi.hvrecords.cohorts import DECILE_COLUMNS, ROW_COLUMNS, CohortRules, child_rows
from kpi.hvrecords.derive import DeriveRules, derive_counts
from kpi.hvrecords.keys import key_id, keyed_hashes, pseudonym_key
from kpi.ingest import pipeline
from kpi.ingest.files import ReadError
from kpi.ncmp.read import csv_batches, read_mapping, read_ncmp_table


def read_hv_mapping(data: bytes, file_name: str = "mapping.csv") -> dict[str, str]:
    """A column-mapping file for an extract (``source_column,target_column``; targets are the extract's columns)."""
    return read_mapping(
        data,
        file_name,
        allowed=tuple(dict.fromkeys(hv.SCHEMA_COLUMNS + tables.TABLE_COLUMNS)),
        label="the health visiting records extract or its CSDS tables",
    )


def load_hv_records(
    store: Store, data: bytes, file_name: str, *, council_code: str, principal: Principal, **load: Any
) -> pipeline.LoadResult:
    """Check a provider's health visiting records extract and, unless ``check_only``, store it (one transaction).

    ``load``: ``provider_code`` (required), ``mapping`` (:func:`read_hv_mapping`), ``parts`` (several files loaded
    as one extract: ``[(name, bytes), ...]``, with ``data`` their bytes joined), ``source``, ``check_only``,
    ``accept_warnings``, ``reason``, ``loaded_at`` (:func:`kpi.ingest.pipeline.run_load`).

    Example:
        >>> # load_hv_records(store, path.read_bytes(), path.name, council_code=c, principal=who, provider_code="ZZ1")

    """
    return pipeline.run_load(
        store, RECORDS_SPEC, data, file_name, council_code=council_code, principal=principal, **load
    )


def _read(run: pipeline.LoadRun) -> pl.DataFrame:
    provider = (run.options.get("provider_code") or "").strip().upper()
    known = run.store.query(
        "select provider_code from providers where council_code = ? and provider_code = ?",
        [run.council_code, provider],
    )
    if known.is_empty():
        raise ReadError(f"'{provider}' is not a provider of this council: give --provider with its code")
    run.options["provider_code"] = provider
    if len(run.data) > hv.MAX_BYTES:
        raise ReadError(f"the files are over {hv.MAX_BYTES // 1024**3} GB: check you chose the right files")
    parts = run.options.get("parts") or [(run.report.file_name, run.data)]
    keep = tuple(dict.fromkeys(hv.SCHEMA_COLUMNS + tables.TABLE_COLUMNS))
    if len(parts) == 1:
        typed = _read_typed(run, *parts[0], keep)
        if typed is not None:
            return typed
    read = []
    for name, data in parts:
        table = run.read_as(read_ncmp_table(data, name, keep=keep, mapping=run.options.get("mapping")))
        read.append((name, table))
    if tables.is_table_form([(name, table.frame.columns) for name, table in read]):
        return _read_tables(run, read)
    frames, dropped, offset = [], [], 0
    for name, table in read:
        extra = [c for c in table.frame.columns if c not in hv.SCHEMA_COLUMNS and c != "source_row"]
        frame = table.frame.drop(extra).with_columns(pl.col("source_row") + offset)
        if len(parts) > 1:
            last = offset + (int(table.frame["source_row"].max()) if frame.height else 1)
            run.report.notes.append(
                f"rows {offset + 2}-{last} are from {name} (rows numbered across the files)"
            )
            offset = last - 1
        frames.append(frame)
        dropped += [c for c in (*table.dropped, *extra) if c not in dropped]
    _note_dropped(run, dropped)
    return pl.concat(frames, how="diagonal")


#: Rows read and checked at a time when one CSV extract is read in batches.
BATCH_ROWS = 1_000_000


def _read_typed(run: pipeline.LoadRun, name: str, data: bytes, keep: tuple[str, ...]) -> pl.DataFrame | None:
    """One plain CSV extract read in batches, each typed as it is read (:func:`kpi.hvrecords.checks.read_cells`).

    The same rows, columns and typed values as reading the file whole and typing it, without ever holding the whole
    file as text. None (read it whole) for anything else: a workbook or other encoding, CSDS tables, a required
    column missing, or a batch that cannot be read (reading it whole then says why).
    """
    from kpi.core import periods

    found = csv_batches(data, name, keep=keep, mapping=run.options.get("mapping"), rows=BATCH_ROWS)
    if found is None:
        return None
    names, dropped, batches = found
    if tables.is_table_form([(name, names)]) or any(c not in names for c in hv.REQUIRED_COLUMNS):
        return None
    extra = [c for c in names if c not in hv.SCHEMA_COLUMNS]
    try:
        read = [read_cells(batch.drop(extra), release=True) for batch in batches]
    except pl.exceptions.PolarsError:
        return None
    if not read:
        return None
    _note_dropped(run, list(dict.fromkeys((*dropped, *extra))))
    run.options["typed"] = True
    # the batches are joined a column at a time, each in one piece (so only one column is ever held twice); the
    # columns the extract lacks are added once, after (they are constants)
    joined = pl.DataFrame(
        [pl.concat([batch.drop_in_place(name) for batch in read], rechunk=True) for name in read[0].columns]
    )
    return completed_rows(joined, HvContext(today=periods.today()))


def _note_dropped(run: pipeline.LoadRun, dropped: list[str]) -> None:
    run.options["dropped"] = dropped
    if dropped:
        run.report.notes.append(
            "columns outside the extract were dropped before anything was stored: " + ", ".join(dropped)
        )


def _read_tables(run: pipeline.LoadRun, read: list) -> pl.DataFrame:
    """A submission's separate CSDS tables joined into the extract's rows (:mod:`kpi.hvrecords.tables`)."""
    dropped: list[str] = []
    for _, table in read:
        dropped += [c for c in table.dropped if c not in dropped]
    _note_dropped(run, dropped)
    found = tables.gather([(name, table.frame) for name, table in read], run.report)
    rows = tables.joined_rows(found, run.report) if found is not None else None
    run.options["csds_tables"] = (found, rows, sum(table.frame.height for _, table in read))
    if found is not None:
        run.report.notes.append(
            "read as CSDS tables: "
            + "; ".join(f"{tables.TABLES[code].name} from {name}" for code, (name, _) in found.frames.items())
        )
    return rows if rows is not None else pl.DataFrame({"source_row": []})


def _validate(run: pipeline.LoadRun, frame: pl.DataFrame):
    from kpi.core import periods

    in_tables = run.options.get("csds_tables")
    if in_tables is not None and in_tables[1] is None:
        return None  # the tables' keys or links have problems (all reported)
    before = run.report.problems.height
    # one extract's text is not needed once read (the tables' joined rows are: their problems are moved to them)
    rows = validate_records(
        frame,
        run.report,
        HvContext(today=periods.today()),
        release=in_tables is None,
        typed=bool(run.options.get("typed")),
    )
    if in_tables is not None:
        found, joined, read = in_tables
        run.report.rows_read = read
        new = table_rows.table_problems(run.report.problems.slice(before), joined, found)
        run.report.problems = pl.concat([run.report.problems.head(before), new])
        rows = table_rows.contact_grain(rows) if rows is not None else None
    if rows is None:
        return None
    areas, iod2025_from = lsoa_areas(run.store, run.council_code, periods.now())
    rule = str(setting(run.store, run.council_code, "hv_nbv_window_rule"))
    rows = rows.select(ROW_COLUMNS)  # the checked text goes: only what the cohorts read is kept
    if in_tables is None:
        for name in frame.columns:  # the caller's frame is the same rows: empty it so that the rest is freed
            frame.drop_in_place(name)
    children, contacts = child_rows(rows, areas, CohortRules(nbv_window_rule=rule))
    del rows
    unknown = pl.all_horizontal(pl.col(c) == "U" for c in DECILE_COLUMNS)
    unmatched = children.filter(unknown).height
    if unmatched:
        run.report.notes.append(
            f"{unmatched} children have no LSOA or one neither LSOA lookup (2011, 2021) has: counted in decile U"
        )
    split = children.filter(~unknown & pl.any_horizontal(pl.col(c) == "U" for c in DECILE_COLUMNS)).height
    if split:
        run.report.notes.append(
            f"{split} children live in an LSOA whose parts lie in different deciles on one index: counted in decile "
            "U in the quarters on that index"
        )
    edition = f"IoD2019 before {iod2025_from}, IoD2025 from it"
    return {
        "children": children,
        "contacts": contacts,
        "rule": rule,
        "edition": edition,
        "iod2025_from": iod2025_from,
    }


def _rules(run: pipeline.LoadRun, iod2025_from: str) -> DeriveRules:
    def number(key: str) -> int:
        return int(setting(run.store, run.council_code, key))

    return DeriveRules(
        number("hv_nbv_within_days"),
        number("hv_nbv_last_day"),
        number("hv_review_8w_last_day"),
        iod2025_from=iod2025_from,
    )


def _write(cur, run: pipeline.LoadRun, checked: dict) -> tuple[pipeline.LoadResult, dict]:
    """Store the load, its children, contacts and derived KPIs; supersede the provider's previous load."""
    provider = run.options["provider_code"]
    key = pseudonym_key(cur)
    # the KPIs are derived with each child's position as its key (:func:`kpi.hvrecords.cohorts.child_rows`: a
    # number joins faster than a 64-character hash; one child, one position, so every count is the same), then
    # the stored rows get the keyed hash (the checked rows are taken out of ``checked`` so that only one copy of
    # the contacts is ever held)
    children = checked.pop("children")
    contacts = checked.pop("contacts")
    ids = children.drop_in_place("localpatientid")
    counts = derive_counts(children, contacts, _rules(run, checked["iod2025_from"]))
    hashed = keyed_hashes(ids, key)
    del ids
    # the contacts keep their position: the database puts the hash in as it inserts them (a join on a number),
    # rather than ten million copies of a 64-character text being made here and handed over
    positions = children.select(pl.col("child_key").alias("position"), hashed.alias("child_key"))
    children = children.with_columns(hashed.alias("child_key"))
    load_id = pipeline.insert_load(
        cur,
        run,
        "hv_loads",
        "load_id",
        keep_file=False,  # personal data: never archived
        provider_code=provider,
        dataset=hv.DATASET,
        rows_read=run.report.rows_read,
        children=children.height,
        contacts=contacts.height,
        warnings_reason=run.warnings_reason,
        dropped_columns=", ".join(run.options.get("dropped") or []) or None,
        nbv_window_rule=checked["rule"],
        imd_edition=checked["edition"],
        key_id=key_id(key),
    )
    keys = {"council_code": run.council_code, "provider_code": provider}
    superseded = pipeline.supersede_current(cur, "hv_loads", "load_id", keys, at=run.at, by=load_id)
    scope = "?::integer as load_id, ?::varchar as council_code, ?::varchar as provider_code"
    for table, frame in (("hv_children", children), ("hv_kpi_counts", counts)):
        with pipeline.registered(cur, f"{table}_frame", frame):
            cur.execute(
                f"insert into {table} by name select {scope}, * from {table}_frame",
                [load_id, run.council_code, provider],
            )
    with (
        pipeline.registered(cur, "hv_contacts_frame", contacts),
        pipeline.registered(cur, "hv_child_positions", positions),
    ):
        cur.execute(
            f"insert into hv_contacts by name select {scope}, c.* exclude (child_key), p.child_key "
            "from hv_contacts_frame c join hv_child_positions p on p.position = c.child_key",
            [load_id, run.council_code, provider],
        )
    detail = {
        "load_id": load_id,
        "provider_code": provider,
        "children": children.height,
        "contacts": contacts.height,
        "supersedes": superseded,
        "sha256": run.report.sha256,
    }
    message = (
        f"loaded as health visiting records load {load_id} ({provider}: {children.height} children, "
        f"{contacts.height} attended contacts)"
    )
    if superseded:
        message += f"; it supersedes load {', '.join(map(str, superseded))}, which stays in the history"
    return pipeline.LoadResult(
        pipeline.WRITTEN, run.report, load_id, superseded[0] if superseded else None, message
    ), detail


#: The health visiting records extract (``hcp load hv-records``): personal data, so the file is never kept.
RECORDS_SPEC = pipeline.DatasetSpec(
    name=hv.DATASET,
    label="health visiting records",
    loaded_action="health visiting records loaded",
    read=_read,
    validate=_validate,
    write=_write,
    supersedes=("hv_loads", ("council_code", "provider_code")),
    duplicate=pipeline.same_file("hv_loads", "load_id", hv.DATASET),
    duplicate_message="this file was already loaded as health visiting records load {id}: nothing changed",
    stops_at_warnings=True,
    permission="upload",
    provider_option="provider_code",
    options=("provider_code", "mapping", "parts"),
)
