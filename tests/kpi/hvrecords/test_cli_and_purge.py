"""``hcp load hv-records FILE... --provider --mapping`` on the real sample database, and ``hcp hv-records purge``."""

from __future__ import annotations

import duckdb

from kpi.cli import main
from tests.kpi.hvrecords.fixture import extract

RENAMED = {"LocalPatientId": "Child pseudonym", "DateOfBirth": "DOB"}


def _lsoas(db) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select r.imd_decile, min(l.lsoa_code) from locality_lsoas l join lsoa_reference r using (lsoa_code) "
            "where r.imd_decile in (1, 5) group by 1"
        ).fetchall()
    found = dict(rows)
    return {"NORTH": found[1], "SOUTH": found[5]}


def _count(db, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_two_files_with_a_mapping_load_as_one_extract_and_a_purge_keeps_the_counts(
    sample_db_copy, tmp_path, capsys
):
    text = extract(_lsoas(sample_db_copy)).decode()
    for old, new in RENAMED.items():
        text = text.replace(old, new, 1)
    header, *rows = text.splitlines()
    first, second = tmp_path / "m1.csv", tmp_path / "m2.csv"
    first.write_text("\n".join([header, *rows[:10]]) + "\n")
    second.write_text("\n".join([header, *rows[10:]]) + "\n")
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("source_column,target_column\n" + "".join(f"{n},{o}\n" for o, n in RENAMED.items()))
    db = ["--db", str(sample_db_copy)]
    before = _count(sample_db_copy, "select count(*) from hv_loads")
    code = main(
        [*db, "load", "hv-records", str(first), str(second), "--provider", "ZZ1", "--mapping", str(mapping)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "rows 12-27 are from m2.csv" in out  # 26 rows: 10 in the first file, 16 in the second
    load_id = _count(sample_db_copy, "select max(load_id) from hv_loads")
    assert _count(sample_db_copy, "select count(*) from hv_loads") == before + 1
    assert _count(sample_db_copy, f"select count(*) from hv_children where load_id = {load_id}") == 17
    counts = _count(sample_db_copy, f"select count(*) from hv_kpi_counts where load_id = {load_id}")

    assert main([*db, "load", "ncmp", str(first), str(second)]) == 2
    assert "one file at a time" in capsys.readouterr().err

    assert main([*db, "hv-records", "purge", "--before", "2026-11-24"]) == 2  # after today
    assert main([*db, "hv-records", "purge", "--before", "2026-11-23"]) == 0
    assert (
        _count(sample_db_copy, f"select count(*) from hv_children where load_id = {load_id}") == 17
    )  # today's
    capsys.readouterr()
    with duckdb.connect(str(sample_db_copy)) as con:
        con.execute("update hv_loads set loaded_at = timestamp '2026-01-01'")
    assert main([*db, "hv-records", "purge", "--before", "2026-11-23"]) == 0
    assert "the derived KPIs are kept" in capsys.readouterr().out
    assert _count(sample_db_copy, "select count(*) from hv_children") == 0
    assert _count(sample_db_copy, "select count(*) from hv_contacts") == 0
    assert _count(sample_db_copy, f"select count(*) from hv_kpi_counts where load_id = {load_id}") == counts
    assert (
        _count(
            sample_db_copy, "select count(*) from audit_log where action = 'health visiting records purged'"
        )
        == 2
    )


def test_the_sample_csds_tables_load_from_the_command_line(sample_db_copy, capsys):
    from kpi.sample import HV_RECORDS_TABLES

    files = [str(path) for path in sorted(HV_RECORDS_TABLES.iterdir())]
    code = main(["--db", str(sample_db_copy), "load", "hv-records", *files, "--provider", "ZZ1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "read as CSDS tables: CYP001MPI from CYP001_ZZ1.csv.gz" in out
    assert "3726 children" in out
