"""Given rows in, expected rows out: a small database written by hand for the SQL relations' tests.

``empty_store()`` opens an in-memory database with every migration applied and one council (``COUNCIL``, plus
``OTHER`` whose rows a relation must leave out). ``given(store, table, *rows, **common)`` inserts rows in the order
written, each a dict of only the columns that matter: ``common`` columns go on every row, and any other column the
schema requires (not null, no default) gets a placeholder (``'x'``, 0, false, 2000-01-01), so a test shows only what
the relation decides on. ``rows(frame, *columns)`` is a relation's output as tuples, in its own order.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from kpi.core.store import Store

COUNCIL = "E08000009"
OTHER = "E08000010"

_PLACEHOLDERS = {
    "VARCHAR": "x",
    "INTEGER": 0,
    "BIGINT": 0,
    "DOUBLE": 0.0,
    "BOOLEAN": False,
    "TIMESTAMP": datetime(2000, 1, 1),
    "DATE": date(2000, 1, 1),
    "BLOB": b"",
}


def empty_store() -> Store:
    """An in-memory database with the schema, the council and one other council (no catalogue, no reference)."""
    store = Store.open(":memory:")
    given(store, "councils", {"council_code": COUNCIL, "council_name": "Trafford"})
    given(store, "councils", {"council_code": OTHER, "council_name": "Wigan"})
    return store


def given(store: Store, table: str, *written: dict, **common: object) -> None:
    """Insert rows into ``table``: the columns written, and a placeholder in every other required column."""
    required = store.query(
        "select column_name, data_type from information_schema.columns "
        "where table_name = ? and is_nullable = 'NO' and column_default is null",
        [table],
    )
    placeholders = {name: _PLACEHOLDERS[kind] for name, kind in required.iter_rows()}
    for row in written:
        values = {**placeholders, **common, **row}
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        store.query(f"insert into {table} ({columns}) values ({marks}) returning 1", list(values.values()))


def rows(frame: pl.DataFrame, *columns: str) -> list[tuple]:
    """The frame's rows as tuples of the columns named, in the frame's order."""
    return list(frame.select(columns).iter_rows())


def council_with_localities(layout: list[tuple[int, str]]) -> Store:
    """An in-memory database with the sample council set up and one LSOA per (decile, locality) of ``layout``.

    Each entry takes the next unused LSOA of that national IMD decile in the council, so the localities hold the
    deciles the test needs; loaded through the real localities loader. Only LSOAs in the same decile on IoD2019 and
    IoD2025 are taken, so the cells are the same whichever index a quarter uses (docs/methods.md section 7.1).
    """
    from kpi.access.principal import local_principal
    from kpi.core.councils import init_council, load_localities

    store = Store.open(":memory:")
    init_council(store, COUNCIL, principal=local_principal("test"))
    lookup = store.query(
        "select lsoa_code, r.imd_decile from lsoa_reference as r inner join lsoa21_reference as n using (lsoa_code) "
        "where r.lad_code = ? and n.imd_decile = r.imd_decile order by lsoa_code",
        [COUNCIL],
    )
    lines, used = [], {}
    for decile, locality in layout:
        nth = used.get(decile, 0)
        used[decile] = nth + 1
        code = lookup.filter(pl.col("imd_decile") == decile)["lsoa_code"].to_list()[nth]
        lines.append(f"{code},{locality},{locality.title()}")
    text = "lsoa_code,locality_code,locality_name\n" + "\n".join(lines) + "\n"
    report = load_localities(
        store,
        COUNCIL,
        text.encode(),
        "localities.csv",
        principal=local_principal("test"),
        loaded_at=datetime(2020, 1, 1),
    )
    assert report.ok, report.to_text()
    return store


def load_return_lines(store: Store, period: str, lines: list[str], received_at: datetime):
    """Load provider ZZ1's return for ``period`` (each line from metric_code on), warnings accepted; the result."""
    from kpi.access.principal import local_principal
    from kpi.returns.load import WRITTEN, load_return
    from tests.conftest import RETURN_COLUMNS

    body = ",".join(RETURN_COLUMNS) + "\n" + "".join(f"{period},ZZ1,{line}\n" for line in lines)
    result = load_return(
        store,
        body.encode(),
        f"return_{period}.csv",
        council_code=COUNCIL,
        provider_code="ZZ1",
        principal=local_principal("test"),
        accept_warnings=True,
        reason="test rows",
        received_at=received_at,
    )
    assert result.outcome == WRITTEN, result.report.to_text()
    return result
