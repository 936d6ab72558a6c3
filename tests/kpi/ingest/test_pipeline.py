"""The one load lifecycle (kpi.ingest.pipeline): the registry, the shared writing steps and the lifecycle's rules."""

from datetime import datetime

import duckdb
import polars as pl
import pytest

from kpi.access.principal import Principal, local_principal
from kpi.access.rules import AccessDenied
from kpi.cli.datasets import DATASETS, dataset_spec
from kpi.ingest.pipeline import (
    CHECKED,
    DUPLICATE,
    REJECTED,
    LoadRun,
    insert_load,
    next_id,
    registered,
    run_load,
    supersede_current,
    supersede_matching,
)
from kpi.ingest.report import Report
from kpi.sample import COUNCIL_CODE, PROVIDER_CODE

#: The tables whose current rows the datasets' loads supersede (rows stay in history; nothing is deleted).
AT = datetime(2026, 1, 1, 9, 0)
LOAD_TABLES = {
    "submissions",
    "ncmp_load_parts",
    "fingertips_values",
    "outcome_measure_values",
    "locality_loads",
    "comparator_group_loads",
    "hv_loads",
}


def test_the_registry_names_every_dataset_once_with_its_own_spec():
    assert tuple(DATASETS) == (
        "mandated-contacts",
        "localities",
        "fingertips",
        "outcome-measures",
        "ncmp",
        "ncmp-eligible",
        "peers",
        "hv-records",
    )
    specs = [dataset_spec(name) for name in DATASETS]
    assert [spec.name for spec in specs] == list(DATASETS)
    assert {spec.supersedes[0] for spec in specs} == LOAD_TABLES
    with pytest.raises(ValueError, match="there is no dataset 'returns': load one of mandated-contacts"):
        dataset_spec("returns")


def test_the_cli_offers_exactly_the_registry():
    from kpi.cli import build_parser

    parser = build_parser()
    load = next(a for a in parser._actions if a.dest == "command").choices["load"]
    dataset = next(a for a in load._actions if a.dest == "dataset")
    assert tuple(dataset.choices) == tuple(DATASETS)


@pytest.fixture
def cur():
    con = duckdb.connect()
    con.execute(
        "create table loads (load_id integer, council_code varchar, year varchar, grp varchar, "
        "superseded_at timestamp, superseded_by integer)"
    )
    yield con
    con.close()


def test_next_id_counts_on_from_the_largest_and_refuses_names_that_are_not_identifiers(cur):
    assert next_id(cur, "loads", "load_id") == 1
    cur.execute("insert into loads values (7, 'A', '2024/25', 'R', null, null)")
    assert next_id(cur, "loads", "load_id") == 8
    with pytest.raises(ValueError, match="is not a table or column name"):
        next_id(cur, "loads; drop table loads", "load_id")


def test_supersede_current_marks_only_the_current_rows_of_the_keys(cur):
    cur.execute(
        "insert into loads values (1, 'A', '2024/25', 'R', null, null), (2, 'A', '2024/25', 'Y6', null, null), "
        "(3, 'A', '2023/24', 'R', null, null), (4, 'B', '2024/25', 'R', null, null)"
    )
    at = AT
    keys = {"council_code": "A", "year": "2024/25", "grp": ["R", "Y6"]}
    assert supersede_current(cur, "loads", "load_id", keys, at=at, by=5) == [1, 2]
    assert supersede_current(cur, "loads", "load_id", keys, at=at, by=6) == []  # already superseded
    rows = cur.execute("select load_id, superseded_by from loads order by load_id").fetchall()
    assert rows == [(1, 5), (2, 5), (3, None), (4, None)]


def test_supersede_matching_replaces_rows_with_the_same_keys_null_matching_null(cur):
    cur.execute(
        "insert into loads values (1, 'A', '2024/25', null, null, null), (2, 'A', '2024/25', 'R', null, null), "
        "(3, 'B', '2024/25', null, null, null)"
    )
    cur.execute("create table new_rows as select '2024/25' as year, null::varchar as grp")
    at = AT
    keys = ("year", "grp")
    assert supersede_matching(cur, "loads", "new_rows", keys, council_code="A", at=at, nullable=("grp",)) == 1
    current = cur.execute("select load_id from loads where superseded_at is null order by 1").fetchall()
    assert current == [(2,), (3,)]


def _run(data: bytes = b"a,b\n1,2\n") -> LoadRun:
    report = Report(file_name="f.csv", sha256="abc")
    return LoadRun(None, "A", local_principal("t"), report, data, "cli", None, AT)


def test_insert_load_writes_the_facts_the_table_has_supersedes_first_and_keeps_the_file_only_when_asked(cur):
    cur.execute(
        "create table file_loads (file_load_id integer, council_code varchar, received_at timestamp, "
        "loaded_by varchar, file_sha256 varchar, file_bytes blob, file_size_bytes bigint, kind varchar, "
        "superseded_at timestamp)"
    )
    run = _run()
    first = insert_load(
        cur, run, "file_loads", "file_load_id", keep_file=True, names={"loaded_at": "received_at"}, kind="x"
    )
    second = insert_load(
        cur,
        run,
        "file_loads",
        "file_load_id",
        keep_file=False,
        names={"loaded_at": "received_at"},
        supersede={"council_code": "A"},
        kind="y",
    )
    assert (first, second) == (1, 2)
    rows = cur.execute("select * from file_loads order by 1").fetchall()
    assert rows == [
        (1, "A", AT, "t", "abc", b"a,b\n1,2\n", 8, "x", AT),
        (2, "A", AT, "t", "abc", None, 8, "y", None),
    ]
    with pytest.raises(duckdb.BinderException):  # a load's own value the table lacks is an error, not dropped
        insert_load(cur, run, "file_loads", "file_load_id", keep_file=False, nonesuch=1)


def test_run_load_checks_the_caller_and_the_options_first(sample_store):
    spec = dataset_spec("mandated-contacts")
    other = Principal("lead@other.nhs.uk", "provider", "OTHER")
    with pytest.raises(AccessDenied):
        run_load(
            sample_store, spec, b"x", "r.csv", council_code=COUNCIL_CODE, principal=other, provider_code="ZZZ"
        )
    with pytest.raises(TypeError, match="the ncmp-eligible load takes no option mapping"):
        run_load(
            sample_store,
            dataset_spec("ncmp-eligible"),
            b"x",
            "e.csv",
            council_code=COUNCIL_CODE,
            principal=local_principal("t"),
            mapping={},
        )


def test_the_same_lifecycle_for_every_dataset_reason_check_duplicate(sample_store, table_counts):
    who = local_principal("t")
    spec = dataset_spec("mandated-contacts")
    data = sample_store.query(
        "select file_bytes from submissions where file_bytes is not null order by submission_id limit 1"
    ).item()
    common = {"council_code": COUNCIL_CODE, "principal": who, "provider_code": PROVIDER_CODE}
    no_reason = run_load(sample_store, spec, data, "r.csv", accept_warnings=True, reason=" ", **common)
    assert no_reason.outcome == REJECTED
    assert no_reason.message == "warnings can only be confirmed with a reason"
    before = table_counts(sample_store)
    checked = run_load(sample_store, spec, data, "r.csv", check_only=True, **common)
    assert checked.outcome == CHECKED and checked.would_write
    assert "already loaded as submission" in checked.message
    again = run_load(sample_store, spec, data, "r.csv", **common)
    assert again.outcome == DUPLICATE and again.exit_code == 0
    assert table_counts(sample_store) == before


def test_a_frame_lent_to_an_aborted_transaction_lets_the_first_error_through(cur):
    """A full disk aborts the transaction; unregistering the frame then fails too, and must not hide the cause."""
    cur.begin()
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        with registered(cur, "lent_frame", pl.DataFrame({"x": [1]})):
            cur.execute("insert into no_such_table select * from lent_frame")
    cur.rollback()
    with registered(cur, "lent_frame", pl.DataFrame({"x": [2]})):
        assert cur.execute("select x from lent_frame").fetchall() == [(2,)]
