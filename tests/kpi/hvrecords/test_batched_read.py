"""A CSV extract read in batches (each typed as read) gives the same report and stored rows as reading it whole."""

from __future__ import annotations

import polars as pl
import pytest

from kpi.access.principal import local_principal
from kpi.core.councils import add_provider
from kpi.hvrecords import load as hv_load
from kpi.ingest.pipeline import REJECTED, WRITTEN
from tests.kpi.hvrecords.fixture import extract
from tests.sql.given import COUNCIL, council_with_localities

WHO = local_principal("test")
STORED = {
    "hv_children": "select * exclude (load_id, child_key) from hv_children order by all",
    "hv_contacts": "select * exclude (load_id, child_key) from hv_contacts order by all",
    "hv_kpi_counts": "select * exclude (load_id) from hv_kpi_counts order by all",
}


def _store():
    store = council_with_localities([(1, "NORTH"), (5, "SOUTH")])
    add_provider(store, COUNCIL, "ZZ1", "Sample Trust", "HCP", principal=WHO)
    return store


def _load(data: bytes, batch_rows: int | None, monkeypatch):
    """The outcome, stored rows and batch sizes of a load read in batches of ``batch_rows`` (None: whole)."""
    batches: list[int] = []
    with monkeypatch.context() as patch:
        if batch_rows is None:
            patch.setattr(hv_load, "csv_batches", lambda *args, **kwargs: None)
        else:
            patch.setattr(hv_load, "BATCH_ROWS", batch_rows)
            read = hv_load.read_cells
            patch.setattr(hv_load, "read_cells", lambda *a, **k: batches.append(a[0].height) or read(*a, **k))
        store = _store()
        try:
            lsoas = dict(
                store.query("select locality_code, min(lsoa_code) from locality_lsoas group by 1").iter_rows()
            )
            data = data.replace(b"NORTH", lsoas["NORTH"].encode()).replace(b"SOUTH", lsoas["SOUTH"].encode())
            result = hv_load.load_hv_records(
                store, data, "extract.csv", council_code=COUNCIL, principal=WHO, provider_code="ZZ1"
            )
            stored = {table: store.query(sql) for table, sql in STORED.items()}
        finally:
            store.close()
    return result, stored, batches


def _messy(data: bytes) -> bytes:
    """The extract with a blank line, untrimmed and lower-case codes, an extra column and some errors."""
    lines = data.decode().splitlines()
    lines = [lines[0] + ",Extra"] + [line + ",x" for line in lines[1:]]
    lines[3] = lines[3].replace(",A01,", ", a01 ,")
    lines.insert(5, "," * lines[0].count(","))
    lines[7] = lines[7].replace(",SCPHN,", ",Nurse,")
    lines[8] = lines[8].replace("2025-", "25-", 1)
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("batch_rows", [1, 3, 1_000_000])
def test_a_valid_extract_read_in_batches_stores_the_same_rows(batch_rows, monkeypatch):
    data = extract({"NORTH": "NORTH", "SOUTH": "SOUTH"})
    whole, whole_rows, none = _load(data, None, monkeypatch)
    batched, batched_rows, batches = _load(data, batch_rows, monkeypatch)
    assert not none and len(batches) == -(-whole.report.rows_read // batch_rows)
    assert whole.outcome == batched.outcome == WRITTEN, batched.report.to_text()
    assert batched.report.rows_read == whole.report.rows_read
    for table, frame in whole_rows.items():
        assert frame.height > 0
        assert batched_rows[table].equals(frame), table


@pytest.mark.parametrize("batch_rows", [2, 5])
def test_an_extract_with_problems_read_in_batches_gives_the_same_report(batch_rows, monkeypatch):
    data = _messy(extract({"NORTH": "NORTH", "SOUTH": "SOUTH"}))
    whole, _, none = _load(data, None, monkeypatch)
    batched, _, batches = _load(data, batch_rows, monkeypatch)
    assert not none and len(batches) > 1
    assert whole.outcome == batched.outcome == REJECTED
    assert not whole.report.problems.is_empty()
    assert batched.report.problems.equals(whole.report.problems)
    assert batched.report.notes == whole.report.notes
    assert batched.report.rows_read == whole.report.rows_read
    assert set(whole.report.problems["check"]) >= {"bad_role", "bad_date"}
    assert pl.Series(whole.report.problems["row"]).max() > 5  # rows after the blank line keep their numbers
