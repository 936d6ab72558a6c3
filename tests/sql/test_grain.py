"""Every staging and mart relation declares its keys, and holds to them (docs/operations.md, "How data is stored").

Each file in sql/staging and sql/marts says in its header, in one machine-readable form,

* ``-- keys: col, col, ...``: the columns that identify a row (its grain); no two rows share them;
* ``-- numerator <= denominator: num, den; num, den``: pairs of counts where the first is part of the second (a
  relation with both a ``numerator`` and a ``denominator`` column must declare that pair).

Each relation is run on the tiny council (tests/conftest.py, built through the loaders) and on the sample, each
built once per session, and checked against its declaration.
"""

from __future__ import annotations

import re
from datetime import datetime

import polars as pl
import pytest

from kpi.core import periods as periods
from kpi.core.store import SQL_DIR, Store
from kpi.sample import COUNCIL_CODE

RELATIONS = sorted(
    f"{path.parent.name}/{path.stem}"
    for path in SQL_DIR.glob("*/*.sql")
    if path.parent.name in ("staging", "marts")
)
KEYS = re.compile(r"^-- keys: (.+)$", re.MULTILINE)
PARTS = re.compile(r"^-- numerator <= denominator: (.+)$", re.MULTILINE)
AS_AT = datetime(2026, 11, 23)


def declared(relation: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The keys and the numerator/denominator pairs a relation's header declares."""
    text = (SQL_DIR / f"{relation}.sql").read_text(encoding="utf-8")
    keys = KEYS.findall(text)
    pairs = [
        tuple(c.strip() for c in pair.split(",")) for line in PARTS.findall(text) for pair in line.split(";")
    ]
    assert len(keys) == 1, f"sql/{relation}.sql declares its keys once in its header: '-- keys: col, col'"
    assert all(len(pair) == 2 for pair in pairs), f"sql/{relation}.sql: write pairs as 'num, den; num, den'"
    return [c.strip() for c in keys[0].split(",")], pairs


def run(store: Store, relation: str) -> pl.DataFrame:
    """The relation on a store, as at the fixed clock; a per-load relation for every NCMP load, together."""
    params = dict(
        council_code=COUNCIL_CODE,
        as_at=AS_AT,
        first_period_index=periods.parse_period("2022-23 Q1").index,
        last_period_index=periods.parse_period("2026-27 Q2").index,
        max_age_quarters=4,
        indicator_id=93436,
    )
    if "$load_id" not in (SQL_DIR / f"{relation}.sql").read_text(encoding="utf-8"):
        return store.run_sql(relation, **params)
    loads = store.query("select load_id from ncmp_loads where dataset = 'ncmp' order by load_id")["load_id"]
    return pl.concat([store.run_sql(relation, load_id=load, **params) for load in loads])


@pytest.fixture(scope="module", params=["tiny council", "sample"])
def database(request):
    """Each relation on the tiny council and on the sample (each opened read-only once, each relation run once)."""
    fixture = "tiny_council_path" if request.param == "tiny council" else "sample_db_path"
    store = Store.open(request.getfixturevalue(fixture), read_only=True)
    frames: dict[str, pl.DataFrame] = {}

    def frame(relation: str) -> pl.DataFrame:
        if relation not in frames:
            frames[relation] = run(store, relation)
        return frames[relation]

    yield frame
    store.close()


def test_every_relation_is_checked():
    assert len(RELATIONS) >= 20 and {"staging/stg_return_rows", "marts/mart_kpi_values"} <= set(RELATIONS)


@pytest.mark.parametrize("relation", RELATIONS)
def test_every_relation_declares_its_keys(relation):
    keys, _ = declared(relation)
    assert keys and all(re.fullmatch(r"[a-z_0-9]+", key) for key in keys), keys


@pytest.mark.parametrize("relation", RELATIONS)
def test_no_two_rows_share_the_declared_keys(database, relation):
    keys, pairs = declared(relation)
    frame = database(relation)
    named = {c for pair in pairs for c in pair} | set(keys)
    assert named <= set(frame.columns), (
        f"sql/{relation}.sql declares columns it lacks: {named - set(frame.columns)}"
    )
    repeated = frame.group_by(keys).len().filter(pl.col("len") > 1)
    assert repeated.is_empty(), f"sql/{relation}.sql repeats its keys {keys}:\n{repeated.head(5)}"


@pytest.mark.parametrize("relation", RELATIONS)
def test_a_numerator_never_exceeds_its_denominator(database, relation):
    _, pairs = declared(relation)
    frame = database(relation)
    if {"numerator", "denominator"} <= set(frame.columns):
        assert ("numerator", "denominator") in pairs, (
            f"sql/{relation}.sql has a numerator and a denominator: declare '-- numerator <= denominator: "
            "numerator, denominator'"
        )
    for numerator, denominator in pairs:
        over = frame.filter(pl.col(numerator) > pl.col(denominator))
        assert over.is_empty(), f"sql/{relation}.sql: {numerator} > {denominator} in\n{over.head(5)}"


def test_the_checks_catch_a_repeat_and_an_excess():
    """The checks themselves: a repeated key and a numerator above its denominator are found."""
    frame = pl.DataFrame({"k": ["a", "a", "b"], "numerator": [1, 2, 5], "denominator": [3, 3, 4]})
    assert frame.group_by(["k"]).len().filter(pl.col("len") > 1)["k"].to_list() == ["a"]
    assert frame.filter(pl.col("numerator") > pl.col("denominator"))["k"].to_list() == ["b"]
