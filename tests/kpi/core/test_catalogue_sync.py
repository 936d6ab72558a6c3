"""The live KPI catalogue (issue 12, section 5): a change to the catalogue file reaches an existing database as a
dated, audited change, and uploads and marts read the database's catalogue as at each period.

The catalogue file is a copy in ``tmp_path`` named by ``HCP_CATALOGUE``; the database is a copy of the sample.
"""

import json
from datetime import timedelta

import polars as pl
import pytest

from kpi import cli
from kpi.access.principal import LOCAL_USER, local_principal
from kpi.contract.values import kpi_values
from kpi.core import periods as periods
from kpi.core.catalogue import CONFIG_DIR, load_catalogue
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.store import SQL_DIR, Store
from kpi.reports.pack import build_pack
from kpi.sample import COUNCIL_CODE

NEW_KPI = """
[[kpi]]
code = "LP1"
name = "Local pilot: infant feeding support contacts"
service = "Health visiting"
value_kind = "proportion"
polarity = "high"
breakdown = "borough"
min_denominator = 10
target_pct = 80
amber_margin_pct = 5
numerator = "Families offered an infant feeding support contact"
denominator = "Families with a new birth visit"
"""


def hcp(db, *arguments):
    return cli.main(["--db", str(db), "--actor", "analyst", *arguments])


def edited_catalogue(path, *, add: str = "", minimum: tuple[str, int] | None = None, drop: str | None = None):
    """Write a copy of config/catalogue.toml to ``path``: a KPI added, one KPI's min_denominator changed or dropped."""
    head, *blocks = (CONFIG_DIR / "catalogue.toml").read_text(encoding="utf-8").split("\n[[kpi]]\n")
    kept = []
    for block in blocks:
        code = block.split('code = "', 1)[1].split('"', 1)[0]
        if code == drop:
            continue
        if minimum and code == minimum[0]:
            lines = [line for line in block.splitlines() if not line.startswith("min_denominator")]
            lines.insert(1, f"min_denominator = {minimum[1]}")
            block = "\n".join(lines) + "\n"
        kept.append(block)
    path.write_text("\n[[kpi]]\n".join([head, *kept]) + add, encoding="utf-8")
    return path


@pytest.fixture
def db(sample_db_copy, hcp_today):
    return sample_db_copy


def c2_q2_locality_max(db) -> int:
    with Store.open(db, read_only=True) as store:
        values = kpi_values(store, COUNCIL_CODE, principal=LOCAL_USER)
    rows = values.filter(
        (pl.col("kpi_code") == "C2") & (pl.col("level") == "locality") & (pl.col("period") == "2026-27 Q2")
    )
    return int(rows["denominator"].max())


def test_a_new_kpi_and_a_raised_minimum_reach_an_existing_database_from_their_period(
    db, tmp_path, monkeypatch, capsys, return_rows, write_return
):
    minimum = c2_q2_locality_max(db) + 1
    toml = edited_catalogue(tmp_path / "catalogue.toml", add=NEW_KPI, minimum=("C2", minimum))
    monkeypatch.setenv("HCP_CATALOGUE", str(toml))
    before_sync = periods.now() - timedelta(seconds=1)

    assert hcp(db, "catalogue", "sync", "--from", "2026-27 Q2") == 0
    out = capsys.readouterr().out
    assert "E08000009: 2 catalogue change(s) from 2026-27 Q2" in out
    assert "LP1: added" in out
    assert f"C2: min_denominator 10 → {minimum}" in out

    # The loader validates against the same catalogue: the new KPI's Q2 return loads.
    rows = [dict(row) for row in return_rows]
    rows.append(
        {
            "period": "2026-27 Q2",
            "provider_code": "ZZ1",
            "metric_code": "LP1",
            "locality_code": "ALL",
            "imd_decile": "",
            "numerator": "50",
            "denominator": "100",
            "comment": "",
        }
    )
    path = write_return(rows, "mandated_contacts_2026-27_Q2_v2.csv")
    assert hcp(db, "load", "mandated-contacts", str(path), "--provider", "ZZ1") == 0
    assert "No problems found." in capsys.readouterr().out

    with Store.open(db) as store:
        assert store.catalogue_changes == []  # the sync recorded the file: opening changes nothing more
        values = kpi_values(store, COUNCIL_CODE, principal=LOCAL_USER)
        new = values.filter((pl.col("kpi_code") == "LP1") & (pl.col("level") == "borough"))
        assert new.select("period", "value_pct", "target_pct", "rag").rows() == [
            ("2026-27 Q2", 50.0, 80.0, "red")
        ]

        c2 = values.filter((pl.col("kpi_code") == "C2") & (pl.col("level") == "locality"))
        q2 = c2.filter(pl.col("period") == "2026-27 Q2")
        assert set(q2["not_rated_reason"].to_list()) == {f"denominator below {minimum}"}
        assert q2["is_small_denominator"].all()
        q1 = c2.filter((pl.col("period") == "2026-27 Q1") & pl.col("denominator").is_between(10, minimum - 1))
        assert q1.height > 0, "the sample should have Q1 localities between the old and the new minimum"
        assert q1["not_rated_reason"].is_null().all() and not q1["is_small_denominator"].any()

        # As at a time before the sync, the old catalogue: no LP1, the old minimum in Q2 as well.
        earlier = kpi_values(store, COUNCIL_CODE, as_at=before_sync, principal=LOCAL_USER)
        assert earlier.filter(pl.col("kpi_code") == "LP1").is_empty()
        old_q2 = earlier.filter(
            (pl.col("kpi_code") == "C2")
            & (pl.col("level") == "locality")
            & (pl.col("period") == "2026-27 Q2")
        )
        assert not old_q2["is_small_denominator"].any()

        pack = build_pack(store, "2026-27 Q2", periods.now(), principal=local_principal("test"))
        assert "LP1" in pack.summary["kpi_code"].to_list()
        assert "LP1" in [item.kpi_code for item in pack.exceptions]

        audit = store.query(
            "select action, subject, detail_json from audit_log where action like 'catalogue%' order by audit_id"
        )
        assert audit.select("action", "subject").rows() == [
            ("catalogue KPI changed", "C2"),
            ("catalogue KPI added", "LP1"),
        ]
        detail = json.loads(audit["detail_json"][0])
        assert detail["effective_from"] == "2026-27 Q2"
        assert detail["changes"] == {"min_denominator": {"old": 10.0, "new": minimum}}

        assert "LP1" in catalogue_in_force(store, COUNCIL_CODE, "2026-27 Q2")
        assert "LP1" not in catalogue_in_force(store, COUNCIL_CODE, "2026-27 Q1")
        assert catalogue_in_force(store, COUNCIL_CODE, "2026-27 Q1")["C2"].min_denominator == 10
        assert catalogue_in_force(store, COUNCIL_CODE, "2026-27 Q3")["C2"].min_denominator == minimum


def test_a_return_for_a_period_before_the_new_kpi_is_refused(
    db, tmp_path, monkeypatch, return_rows, write_return
):
    monkeypatch.setenv("HCP_CATALOGUE", str(edited_catalogue(tmp_path / "catalogue.toml", add=NEW_KPI)))
    assert hcp(db, "catalogue", "sync") == 0  # from the current open quarter, 2026-27 Q3
    rows = [dict(row) for row in return_rows]
    rows.append({**rows[0], "metric_code": "LP1", "locality_code": "ALL", "imd_decile": "", "comment": ""})
    path = write_return(rows, "q2_with_lp1.csv")
    assert hcp(db, "load", "mandated-contacts", str(path), "--provider", "ZZ1", "--check") == 1


def test_sync_without_changes_says_so_and_writes_nothing(db, capsys, table_counts):
    with Store.open(db) as store:
        before = table_counts(store)
    assert hcp(db, "catalogue", "sync") == 0
    assert capsys.readouterr().out.strip() == (
        f"E08000009: no changes to the catalogue (from {CONFIG_DIR / 'catalogue.toml'})"
    )
    with Store.open(db) as store:
        assert table_counts(store) == before


def test_opening_for_writing_syncs_a_changed_file_from_the_current_quarter_once(
    db, tmp_path, monkeypatch, capsys
):
    with Store.open(db) as store:
        assert store.catalogue_changes == []  # the file is the one the sample was built from
    monkeypatch.setenv(
        "HCP_CATALOGUE", str(edited_catalogue(tmp_path / "catalogue.toml", minimum=("C2", 25)))
    )

    # A read-only open (the CLI's list commands) changes nothing.
    with Store.open(db, read_only=True) as store:
        assert catalogue_in_force(store, COUNCIL_CODE)["C2"].min_denominator == 10

    assert hcp(db, "targets", "set", "C2", "--target", "91", "--from", "2026-27 Q3") == 0
    err = capsys.readouterr().err
    assert "E08000009: 1 catalogue change(s) from 2026-27 Q3" in err and "C2: min_denominator 10 → 25" in err
    with Store.open(db) as store:
        assert store.catalogue_changes == []
        assert catalogue_in_force(store, COUNCIL_CODE, "2026-27 Q2")["C2"].min_denominator == 10
        assert catalogue_in_force(store, COUNCIL_CODE, "2026-27 Q3")["C2"].min_denominator == 25
        assert store.query("select count(*) from audit_log where action like 'catalogue%'").item() == 1


def test_a_kpi_gone_from_the_file_is_retired_from_the_period_and_its_data_kept(db, tmp_path, monkeypatch):
    monkeypatch.setenv("HCP_CATALOGUE", str(edited_catalogue(tmp_path / "catalogue.toml", drop="C3")))
    assert hcp(db, "catalogue", "sync", "--from", "2026-27 Q2") == 0
    with Store.open(db) as store:
        c3 = kpi_values(store, COUNCIL_CODE, principal=LOCAL_USER).filter(pl.col("kpi_code") == "C3")
        assert "2026-27 Q1" in c3["period"].to_list() and "2026-27 Q2" not in c3["period"].to_list()
        assert "C3" not in catalogue_in_force(store, COUNCIL_CODE, "2026-27 Q2")


def test_migration_007_keeps_the_existing_catalogue_as_first_versions():
    store = Store.open(":memory:", migrate=False)
    cur = store.cursor()
    for file in sorted((SQL_DIR / "schema").glob("00[1-6]_*.sql")):
        cur.execute(file.read_text(encoding="utf-8"))
    cur.execute("insert into councils values ('E08000009', 'Trafford', null, null, timestamp '2026-01-01')")
    cur.execute(
        "insert into kpis values ('E08000009', 'C2', 'New birth visits', 'HV', 'proportion', 'high', "
        "'locality_decile', 10, true, true, 'n', 'd', null, 2)"
    )
    cur.execute(
        "create table schema_migrations (version integer primary key, name varchar, applied_at timestamp)"
    )
    cur.execute("insert into schema_migrations select range, 'x', timestamp '2026-01-01' from range(1, 7)")
    assert store.migrate()[0] == "007_dated_catalogue"  # and any later migration
    kpis = catalogue_in_force(store, "E08000009", "2026-27 Q2")
    assert list(kpis) == ["C2"] and kpis["C2"].min_denominator == 10 and kpis["C2"].headline
    tables = store.query("select table_name from duckdb_tables()")["table_name"].to_list()
    assert "kpis" not in tables


def test_the_catalogue_file_can_be_named_by_hcp_catalogue(tmp_path, monkeypatch):
    monkeypatch.setenv("HCP_CATALOGUE", str(edited_catalogue(tmp_path / "catalogue.toml", add=NEW_KPI)))
    assert "LP1" in load_catalogue()
    monkeypatch.delenv("HCP_CATALOGUE")
    assert "LP1" not in load_catalogue()
