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
