"""The committed reference lookups in sample_data/reference/ (built by scripts/build_reference.py).

Expected values come from docs/methods.md section 7 (Trafford's children 0-15 by IMD decile and its empty locality x
decile cells), not from the build script.
"""

import json
from pathlib import Path

import polars as pl
import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "sample_data" / "reference"
TRAFFORD = "E08000009"


@pytest.fixture(scope="module")
def imd() -> pl.DataFrame:
    return pl.read_parquet(REFERENCE.parents[1] / "reference" / "lsoa11_imd2019.parquet")


@pytest.fixture(scope="module")
def localities() -> pl.DataFrame:
    return pl.read_csv(REFERENCE / "trafford_localities.csv", infer_schema_length=0)


def test_national_lookup_has_every_english_lsoa(imd):
    assert imd.height == 32_844
    assert imd.columns == [
        "lsoa_code",
        "lsoa_name",
        "lad_code",
        "lad_name",
        "imd_rank",
        "imd_decile",
        "children_0_15",
    ]
    assert imd.null_count().row(0) == (0,) * 7
    assert imd["lsoa_code"].n_unique() == 32_844
    assert imd["lsoa_code"].is_sorted()
    assert imd["lsoa_code"].str.starts_with("E01").all()
    for col in ("imd_rank", "imd_decile", "children_0_15"):
        assert imd[col].dtype.is_integer(), col
    assert imd["imd_decile"].is_between(1, 10).all()
    assert imd["imd_rank"].is_between(1, 32_844).all()
    # national deciles: each holds a tenth of England's LSOAs
    assert imd.group_by("imd_decile").len()["len"].is_between(3284, 3285).all()


def test_trafford_children_by_decile_match_domain_guide(imd):
    trafford = imd.filter(pl.col("lad_code") == TRAFFORD)
    assert trafford.height == 138
    assert set(trafford["lad_name"]) == {"Trafford"}
    by_decile = trafford.group_by("imd_decile").agg(pl.col("children_0_15").sum()).sort("imd_decile")
    assert by_decile["imd_decile"].to_list() == list(range(1, 11))
    expected = [3111, 2155, 4409, 4223, 4126, 2542, 4458, 7038, 6191, 10150]  # docs/methods.md section 7
    assert by_decile["children_0_15"].to_list() == expected


def test_localities_cover_trafford_and_leave_the_known_cells_empty(imd, localities):
    assert localities.columns == ["lsoa_code", "locality_code", "locality_name"]
    assert localities.height == 138
    assert localities["lsoa_code"].n_unique() == 138
    assert dict(localities.select("locality_code", "locality_name").unique().iter_rows()) == {
        "CENTRAL": "Central",
        "NORTH": "North",
        "SOUTH": "South",
        "WEST": "West",
    }
    trafford = imd.filter(pl.col("lad_code") == TRAFFORD)
    assert set(localities["lsoa_code"]) == set(trafford["lsoa_code"])
    cells = localities.join(trafford, on="lsoa_code")
    empty = {
        code: set(range(1, 11)) - set(cells.filter(pl.col("locality_code") == code)["imd_decile"])
        for code in ("CENTRAL", "NORTH", "SOUTH", "WEST")
    }
    assert empty == {"CENTRAL": {4}, "WEST": {4}, "NORTH": {8, 10}, "SOUTH": {2}}


def test_boundaries_carry_our_codes():
    loc = json.loads((REFERENCE / "localities_2023_generalised.geojson").read_text(encoding="utf-8"))
    codes = sorted(f["properties"]["locality_code"] for f in loc["features"])
    assert codes == ["CENTRAL", "NORTH", "SOUTH", "WEST"]
    lsoa = json.loads((REFERENCE / "lsoa11_super_generalised.geojson").read_text(encoding="utf-8"))
    assert len(lsoa["features"]) == 138
    assert all(f["properties"]["area_code"].startswith("E01") for f in lsoa["features"])


def test_licence_names_sources_and_attribution():
    national = (REFERENCE.parents[1] / "reference" / "README.md").read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in national and "English Indices of Deprivation 2019" in national
    text = (REFERENCE / "LICENCE.md").read_text(encoding="utf-8")
    assert "Contains National Statistics and OS data © Crown copyright and database right 2023" in text


# ---- IoD2025 on LSOAs (2021) and the exact-fit lookup (expected values: docs/methods.md section 7) ---------------


@pytest.fixture(scope="module")
def imd2025() -> pl.DataFrame:
    return pl.read_parquet(REFERENCE.parents[1] / "reference" / "lsoa21_imd2025.parquet")


@pytest.fixture(scope="module")
def exact_fit() -> pl.DataFrame:
    return pl.read_parquet(REFERENCE.parents[1] / "reference" / "lsoa11_lsoa21.parquet")


def test_iod2025_lookup_has_every_english_lsoa21(imd2025):
    assert imd2025.height == 33_755
    assert imd2025.columns == [
        "lsoa_code",
        "lsoa_name",
        "lad_code",
        "lad_name",
        "imd_rank",
        "imd_decile",
        "idaci_rank",
        "idaci_decile",
    ]
    assert imd2025.null_count().row(0) == (0,) * 8
    assert imd2025["lsoa_code"].is_sorted() and imd2025["lsoa_code"].n_unique() == 33_755
    assert sorted(imd2025["imd_rank"]) == list(range(1, 33_756))
    ceil_decile = (imd2025["imd_rank"] * 10 + 33_754) // 33_755
    assert (imd2025["imd_decile"] == ceil_decile).all()
    assert imd2025.group_by("imd_decile").len()["len"].is_between(3375, 3376).all()
    most = imd2025.filter(pl.col("imd_rank") == 1).row(0, named=True)
    assert most["lsoa_name"] == "Tendring 018A"


def test_trafford_lsoa21_by_iod2025_decile_match_the_source(imd2025):
    trafford = imd2025.filter(pl.col("lad_code") == TRAFFORD)
    assert trafford.height == 139
    by_decile = trafford.group_by("imd_decile").len().sort("imd_decile")["len"].to_list()
    assert by_decile == [6, 5, 14, 9, 12, 6, 13, 14, 24, 36]


def test_exact_fit_lookup_links_the_two_indices(imd, imd2025, exact_fit):
    assert exact_fit.columns == ["lsoa11_code", "lsoa21_code", "change", "lad_code"]
    assert exact_fit.height == 33_855
    counts = dict(exact_fit.group_by("change").len().iter_rows())
    assert counts == {"U": 31_810, "S": 1_842, "M": 194, "X": 9}
    assert set(exact_fit["lsoa11_code"]) == set(imd["lsoa_code"])
    assert set(exact_fit["lsoa21_code"]) == set(imd2025["lsoa_code"])
    trafford_split = exact_fit.filter(pl.col("lsoa11_code") == "E01006185")
    assert trafford_split["lsoa21_code"].to_list() == ["E01034000", "E01034001"]
    assert set(trafford_split["change"]) == {"S"}


def test_localities_on_lsoa21_cover_trafford(imd2025, localities):
    lookup = pl.read_csv(REFERENCE / "trafford_localities_lsoa21.csv", infer_schema_length=0)
    assert lookup.columns == localities.columns
    assert set(lookup["lsoa_code"]) == set(imd2025.filter(pl.col("lad_code") == TRAFFORD)["lsoa_code"])
    split = dict(
        lookup.filter(pl.col("lsoa_code").is_in(["E01034000", "E01034001"]))
        .select("lsoa_code", "locality_code")
        .iter_rows()
    )
    parent = localities.filter(pl.col("lsoa_code") == "E01006185")["locality_code"].item()
    assert split == {"E01034000": parent, "E01034001": parent}
    unchanged = lookup.join(localities, on="lsoa_code", how="inner")
    assert unchanged.height == 137
    assert (unchanged["locality_code"] == unchanged["locality_code_right"]).all()


def test_locality_cells_on_iod2025_match_the_domain_guide(imd2025):
    lookup = pl.read_csv(REFERENCE / "trafford_localities_lsoa21.csv", infer_schema_length=0)
    cells = lookup.join(imd2025, on="lsoa_code")
    empty = {
        code: set(range(1, 11)) - set(cells.filter(pl.col("locality_code") == code)["imd_decile"])
        for code in ("CENTRAL", "NORTH", "SOUTH", "WEST")
    }
    assert empty == {
        "CENTRAL": set(),
        "NORTH": {10},
        "SOUTH": {1, 4},
        "WEST": {2, 4},
    }  # docs/methods.md section 7
