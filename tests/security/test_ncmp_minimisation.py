"""Issue #13 finding 6: an NCMP file never leaves a postcode (or free text posing as an ethnic group) behind.

Real files go through the real loader (``hcp load ncmp``); the whole database is then searched for the values.
"""

import json

import polars as pl
import pytest

from kpi import cli
from kpi.access.principal import local_principal
from kpi.core.store import Store, default_council
from kpi.ncmp.checks import ETHNIC_GROUPS
from kpi.ncmp.purge import purge_ncmp
from tests.kpi.ncmp.test_ncmp_return import child, to_csv

POSTCODE = "M33 7XX"


def hcp(db, *arguments):
    return cli.main(["--db", str(db), "--actor", "analyst", *arguments])


def everywhere(db, needle: str) -> list[str]:
    """The tables whose text anywhere holds ``needle`` (case-insensitive)."""
    found = []
    with Store.open(db, read_only=True) as store:
        for name in store.query("select table_name from duckdb_tables()")["table_name"]:
            frame = store.query(f'select * from "{name}"')
            binary = [c for c, kind in frame.schema.items() if kind == pl.Binary]
            text = frame.drop(binary).select(pl.all().cast(pl.String)).write_csv().lower()
            blobs = b"".join(b for c in binary for b in frame[c].drop_nulls()).lower()
            if needle.lower() in text or needle.lower().encode() in blobs:
                found.append(name)
    return found


def load(db, tmp_path, rows, *extra):
    path = tmp_path / "ncmp.csv"
    path.write_bytes(to_csv(rows))
    return hcp(db, "load", "ncmp", str(path), *extra)


@pytest.mark.parametrize("value", [POSTCODE, "m337xx", "M33 7XX "])
def test_a_postcode_in_lsoa_code_is_an_error_that_never_repeats_it(
    sample_db_copy, hcp_today, tmp_path, capsys, value
):
    rows = [child(i) for i in range(1, 12)] + [child(12, lsoa_code=value)]
    code = load(sample_db_copy, tmp_path, rows, "--accept-warnings", "--reason", "checked")
    out = capsys.readouterr().out
    assert code != 0
    assert "row 13" in out.lower() or "13" in out  # the header is row 1
    assert "lsoa_code looks like a postcode (M33 ***)" in out
    assert "7XX" not in out.upper()
    assert everywhere(sample_db_copy, "7XX") == []


@pytest.mark.parametrize("value", ["not known to us", "E0199999", "E01999999X", "Q01999999", "John Smith"])
def test_anything_but_an_lsoa_code_is_an_error_and_not_repeated(
    sample_db_copy, hcp_today, tmp_path, capsys, value
):
    code = load(sample_db_copy, tmp_path, [child(1), child(2, lsoa_code=value)])
    out = capsys.readouterr().out
    assert code != 0 and "lsoa_code is not an LSOA code" in out and value not in out
    assert everywhere(sample_db_copy, value) == []


def test_welsh_lsoa_codes_and_blank_are_accepted(sample_db_copy, hcp_today, tmp_path, capsys):
    rows = [child(1), child(2, lsoa_code="W01000001"), child(3, lsoa_code="")]
    load(sample_db_copy, tmp_path, rows, "--accept-warnings", "--reason", "a Welsh child")
    out = capsys.readouterr().out
    assert "is not an LSOA code" not in out and "looks like a postcode" not in out


@pytest.mark.parametrize(
    ("given", "stored"),
    [("A", "White"), ("h", "Asian or Asian British"), ("99", "Not stated"), ("Z", "Not stated"),
     ("Black or Black British", "Black or Black British"), ("chinese", "Any other ethnic group"),
     ("White and Asian", "Mixed"), ("", "Not stated")],
)  # fmt: skip
def test_ethnic_group_takes_the_nhs_categories(sample_db_copy, hcp_today, tmp_path, capsys, given, stored):
    assert load(sample_db_copy, tmp_path, [child(1, ethnic_group=given)]) == 0, capsys.readouterr().out
    with Store.open(sample_db_copy, read_only=True) as store:
        latest = store.query("select max(load_id) from ncmp_loads").item()
        groups = store.query("select distinct ethnic_group from ncmp_children where load_id = ?", [latest])
    assert groups["ethnic_group"].to_list() == [stored]
    assert stored in ETHNIC_GROUPS


def test_other_ethnic_text_is_an_error_and_not_repeated(sample_db_copy, hcp_today, tmp_path, capsys):
    code = load(sample_db_copy, tmp_path, [child(1), child(2, ethnic_group="Lives at 4 Acacia Avenue")])
    out = capsys.readouterr().out
    assert code != 0 and "ethnic_group is not an NHS ethnic category" in out and "Acacia" not in out
    assert everywhere(sample_db_copy, "Acacia") == []


def test_purge_removes_every_trace_of_a_child(sample_db_copy, hcp_today):
    """A load from before lsoa_code was checked left a postcode in its counts and its stored report; purging its
    year's child rows removes both (the counts by LSOA code and the figures stay)."""
    with Store.open(sample_db_copy) as store:
        council = default_council(store)
        load_id, year = store.query(
            "select load_id, academic_year from ncmp_loads where purged_at is null and dataset = 'ncmp' "
            "order by academic_year limit 1"
        ).row(0)
        report = json.loads(
            store.query("select report_json from ncmp_loads where load_id = ?", [load_id]).item()
        )
        report["problems"].append(
            {"row": 7, "severity": "warning", "check": "unknown_lsoa", "column": "lsoa_code", "value": POSTCODE,
             "message": f"'{POSTCODE}' is not an LSOA (2011) code of the IoD2019 lookup"}
        )  # fmt: skip
        cur = store.cursor()
        cur.execute("update ncmp_loads set report_json = ? where load_id = ?", [json.dumps(report), load_id])
        cur.execute(
            "update ncmp_counts set dimension_value = ? where load_id = ? and dimension = 'lsoa' and "
            "dimension_value = (select min(dimension_value) from ncmp_counts where load_id = ? and dimension = 'lsoa')",
            [POSTCODE, load_id, load_id],
        )
        kept_lsoa_rows = store.query(
            "select count(*) from ncmp_counts where dimension = 'lsoa' and dimension_value like 'E01%'"
        ).item()
    assert set(everywhere(sample_db_copy, POSTCODE)) == {"ncmp_loads", "ncmp_counts"}
    next_year = f"{int(year[:4]) + 1}/{(int(year[:4]) + 2) % 100:02d}"
    with Store.open(sample_db_copy) as store:
        result = purge_ncmp(
            store,
            council,
            next_year,
            principal=local_principal("analyst"),
            force=True,
            reason="test of the purge",
        )
        assert load_id in result.loads
        assert (
            store.query(
                "select count(*) from ncmp_counts where dimension = 'lsoa' and dimension_value like 'E01%'"
            ).item()
            == kept_lsoa_rows
        )
        stored = json.loads(
            store.query("select report_json from ncmp_loads where load_id = ?", [load_id]).item()
        )
    assert all("row" not in found and "value" not in found for found in stored["problems"])
    assert everywhere(sample_db_copy, POSTCODE) == []
    assert everywhere(sample_db_copy, "7XX") == []
