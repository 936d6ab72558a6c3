"""kpi.core.deprivation: the two indices as data, which one a period uses, and codes of either vintage.

Expected deciles come from the published files (``../shared/reference/iod2025/`` and IoD2019's File 1 through
``reference/lsoa11_imd2019.parquet``) and from the exact-fit rule of docs/methods.md section 7.1, not from the SQL.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import polars as pl
import pytest

from kpi.access.principal import local_principal
from kpi.contract.targets import TargetError, set_setting
from kpi.core import deprivation
from kpi.core.councils import ensure_reference
from kpi.core.store import Store

COUNCIL = "E08000009"
SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "iod2025"

# Hand-picked LSOAs of each change type (the ONS exact-fit lookup) with their published deciles.
UNCHANGED = "E01006074"  # Trafford 025A: IoD2019 decile 5, IoD2025 decile 5
SPLIT_ACROSS = "E01006185"  # Trafford 001E (IoD2019 decile 2) -> E01034000 (IoD2025 4), E01034001 (IoD2025 2)
SPLIT_PARTS = ("E01034000", "E01034001")


@pytest.fixture(scope="module")
def store() -> Store:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", "2026-11-23")
        opened = Store.open(":memory:")
        ensure_reference(opened)
        from kpi.core.councils import init_council

        init_council(opened, COUNCIL, principal=local_principal("test"))
    yield opened
    opened.close()


def test_the_store_knows_both_indices(store):
    rows = store.query("select * from deprivation_indices order by index_code").to_dicts()
    assert [(r["index_code"], r["lsoa_vintage"], r["lsoa_count"]) for r in rows] == [
        ("IoD2019", 2011, 32_844),
        ("IoD2025", 2021, 33_755),
    ]
    assert store.query("select count(*) from lsoa21_reference").item() == 33_755
    assert store.query("select count(*) from lsoa_changes").item() == 33_855
    ensure_reference(store)  # idempotent
    assert store.query("select count(*) from lsoa21_reference").item() == 33_755


def test_default_index_by_period(store):
    assert deprivation.index_for_year(store, COUNCIL, "2024/25") == "IoD2019"
    assert deprivation.index_for_year(store, COUNCIL, "2025-26") == "IoD2025"
    assert deprivation.index_for_period(store, COUNCIL, "2025-26 Q2") == "IoD2019"
    assert deprivation.index_for_period(store, COUNCIL, "2025-26 Q3") == "IoD2025"
    assert deprivation.index_for_period(store, COUNCIL, "2025-26 M07") == "IoD2025"  # October is in Q3


def test_the_change_is_a_dated_audited_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    with Store.open(tmp_path / "db.duckdb") as own:
        from kpi.core.councils import init_council

        init_council(own, COUNCIL, principal=local_principal("test"))
        before = deprivation.sql_params(own, COUNCIL)
        set_setting(own, COUNCIL, deprivation.YEAR_SETTING, "2026-2027", principal=local_principal("analyst"))
        set_setting(
            own, COUNCIL, deprivation.QUARTER_SETTING, "2026/27 Q1", principal=local_principal("analyst")
        )
        assert deprivation.index_for_year(own, COUNCIL, "2025/26") == "IoD2019"
        assert deprivation.index_for_period(own, COUNCIL, "2026-27 Q1") == "IoD2025"
        assert deprivation.sql_params(own, COUNCIL) == {
            "iod2025_from_year": "2026/27",
            "iod2025_from_quarter_index": 2026 * 4,
        }
        assert before == {"iod2025_from_year": "2025/26", "iod2025_from_quarter_index": 2025 * 4 + 2}
        audit = own.query("select subject, detail_json from audit_log where action = 'setting changed'")
        assert audit["subject"].to_list() == [deprivation.YEAR_SETTING, deprivation.QUARTER_SETTING]
        assert json.loads(audit["detail_json"][0])["value"] == "2026/27"
        for key, bad in ((deprivation.YEAR_SETTING, "2026"), (deprivation.QUARTER_SETTING, "2026-27 M02")):
            with pytest.raises(TargetError, match=key):
                set_setting(own, COUNCIL, key, bad, principal=local_principal("analyst"))


def test_a_database_made_before_iod2025_gains_it_when_opened(tmp_path, monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    path = tmp_path / "old.duckdb"
    with Store.open(path) as own:
        ensure_reference(own)
        cur = own.cursor()
        cur.execute("drop table lsoa_changes; drop table lsoa21_reference; drop table deprivation_indices")
        cur.execute("delete from schema_migrations where version = 10")
    with Store.open(path) as own:
        assert own.query("select count(*) from lsoa21_reference").item() == 33_755
        assert own.query("select count(*) from lsoa_changes").item() == 33_855


def test_codes_of_either_vintage_take_the_period_index_decile(store):
    codes = pl.Series([UNCHANGED, SPLIT_ACROSS, *SPLIT_PARTS, "E01999999", "M33 7XX", None])
    on2025 = deprivation.deciles(store, codes, "IoD2025")
    assert on2025["imd_decile"].to_list() == [5, None, 4, 2, None, None, None]
    assert on2025["is_known"].to_list() == [True] * 4 + [False] * 3
    assert on2025["mapping"].to_list()[:4] == ["direct", "split", "direct", "direct"]
    assert on2025["differing_deciles"][1] == "2, 4"
    on2019 = deprivation.deciles(store, codes, "IoD2019")
    assert on2019["imd_decile"].to_list()[:4] == [5, 2, 2, 2]  # a split 2021 LSOA maps back to its one parent
    assert on2019["mapping"].to_list()[:4] == ["direct", "direct", "split", "split"]
    with pytest.raises(deprivation.DeprivationError, match="IoD2021"):
        deprivation.deciles(store, codes, "IoD2021")


def test_every_mapped_decile_matches_an_independent_recomputation(store):
    """Every 2011 code's IoD2025 decile, worked out here from the published files (docs/methods.md section 7.1)."""
    if not SHARED.exists():
        pytest.skip(f"oracle {SHARED} is absent (the ../shared/reference checkout is not available)")

    def read(name: str) -> pl.DataFrame:
        text = gzip.decompress((SHARED / name).read_bytes()).decode("utf-8-sig")
        return pl.read_csv(io.StringIO(text), infer_schema_length=0)

    published = read("iod2025_lsoa21.csv.gz").select(
        pl.col("lsoa21cd"), pl.col("imd_decile").cast(pl.Int32).alias("decile")
    )
    pairs = read("lsoa11_to_lsoa21_exactfit_england.csv.gz").join(
        published, left_on="LSOA21CD", right_on="lsoa21cd"
    )
    expected = pairs.group_by("LSOA11CD").agg(
        pl.when(pl.col("decile").n_unique() == 1).then(pl.col("decile").first()).alias("expected")
    )
    got = deprivation.deciles(store, expected["LSOA11CD"], "IoD2025")
    assert got["imd_decile"].to_list() == expected["expected"].to_list()
    kinds = dict(pairs.group_by("CHGIND").agg(pl.col("LSOA11CD").first()).iter_rows())
    picked = deprivation.deciles(store, pl.Series(list(kinds.values())), "IoD2025")
    assert picked["is_known"].all() and len(kinds) == 4  # one LSOA of each change type: U, S, M, X


def test_year_index_expression_and_labels():
    years = pl.DataFrame({"academic_year": ["2023/24", "2024/25", "2025/26", "2026/27"]})
    got = years.select(deprivation.year_index_expr("academic_year", "2025/26"))["index_code"].to_list()
    assert got == ["IoD2019", "IoD2019", "IoD2025", "IoD2025"]
    assert deprivation.label("IoD2019") == "IMD 2019 (English Indices of Deprivation 2019, LSOAs 2011)"
    assert deprivation.CHANGE_NOTE == "deprivation index changed: IoD2019 → IoD2025"
    assert deprivation.short_label("IoD2025") == "IMD 2025"
    for bad in ("2025", "2025/27", None):
        with pytest.raises(deprivation.DeprivationError):
            deprivation.normalise_year(bad)
