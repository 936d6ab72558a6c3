"""Build the reference lookups shipped in reference/ (national) and sample_data/reference/ from ../shared/reference/.

Run from anywhere: ``uv run python scripts/build_reference.py``. The output is deterministic: running it twice
gives byte-identical files.

Writes
- ``lsoa11_imd2019.parquet``: all 32,844 English LSOAs (2011) with IMD 2019 rank and national decile (File 1)
  and dependent children aged 0-15, mid 2015 (File 6, IoD2019 population denominators); zstd, sorted by
  lsoa_code.
- ``lsoa21_imd2025.parquet``: all 33,755 English LSOAs (2021) with IMD 2025 rank and national decile and IDACI
  2025 rank and decile (English Indices of Deprivation 2025); zstd, sorted by lsoa_code. IoD2025 publishes no child
  population here, so the file has none.
- ``lsoa11_lsoa21.parquet``: the ONS exact-fit LSOA (2011) -> LSOA (2021) lookup for England, one row per pair,
  with its change type (U unchanged, S split, M merged, X irregular); zstd, sorted by both codes. It carries no
  population share.
- ``trafford_localities.csv``: Trafford's 138 LSOAs (2011) and the council-defined locality each belongs to.
- ``trafford_localities_lsoa21.csv``: the same lookup on Trafford's 139 LSOAs (2021).
- ``localities_2023_generalised.geojson`` (with a ``locality_code`` property added) and
  ``lsoa11_super_generalised.geojson`` (copied unchanged).
- ``upper_tier_las.csv``, ``dfe_statistical_neighbours_2025.csv`` and ``nhse_peer_group_trafford_2024.csv`` (national,
  in ``reference/``): every upper-tier LA with its DfE number and region, DfE's May 2025 statistical neighbours and
  Trafford's NHS England peer group, checked (:func:`build_peers`).

Provenance and licences: sample_data/reference/LICENCE.md.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "reference"
OUT = REPO / "sample_data" / "reference"  # the sample borough's lookups and boundaries
NATIONAL = REPO / "reference"  # the national LSOA lookup every council needs

FILE_1 = SOURCE / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
FILE_6 = SOURCE / "File_6_-_IoD2019_Population_Denominators.csv.gz"
IOD2025 = SOURCE / "iod2025" / "iod2025_lsoa21.csv.gz"
EXACT_FIT = SOURCE / "iod2025" / "lsoa11_to_lsoa21_exactfit_england.csv.gz"
TRAFFORD = SOURCE / "trafford"

N_LSOA_ENGLAND = 32_844
TRAFFORD_LAD = "E08000009"
N_LSOA_TRAFFORD = 138
N_LSOA21_ENGLAND = 33_755
N_LSOA21_TRAFFORD = 139
N_EXACT_FIT_ROWS = 33_855
CHANGE_TYPES = ("U", "S", "M", "X")
# docs/methods.md section 7: Trafford's LSOAs (2021) by IMD 2025 decile 1..10.
TRAFFORD_LSOA21_BY_DECILE = [6, 5, 14, 9, 12, 6, 13, 14, 24, 36]
# docs/methods.md section 7: Trafford's dependent children 0-15 by IMD decile 1..10.
TRAFFORD_CHILDREN_BY_DECILE = [3111, 2155, 4409, 4223, 4126, 2542, 4458, 7038, 6191, 10150]
# docs/methods.md section 7: locality x decile cells with no LSOA.
TRAFFORD_EMPTY_CELLS = {"CENTRAL": {4}, "WEST": {4}, "NORTH": {8, 10}, "SOUTH": {2}}
LOCALITY_NAMES = {"CENTRAL": "Central", "NORTH": "North", "SOUTH": "South", "WEST": "West"}


def read_gz_csv(path: Path) -> pl.DataFrame:
    """Read a gzipped MHCLG CSV (UTF-8 BOM, CRLF, numbers like "29,199") as all-text columns."""
    text = gzip.decompress(path.read_bytes()).decode("utf-8-sig")
    frame = pl.read_csv(io.StringIO(text), infer_schema_length=0)
    return frame.with_columns(pl.all().str.strip_chars())


def to_int(column: str) -> pl.Expr:
    """Parse '29,199' as 29199 (strict: anything unparseable fails the build)."""
    return pl.col(column).str.replace_all(",", "", literal=True).cast(pl.Int32, strict=True)


def build_imd() -> pl.DataFrame:
    imd = read_gz_csv(FILE_1).select(
        pl.col("LSOA code (2011)").alias("lsoa_code"),
        pl.col("LSOA name (2011)").alias("lsoa_name"),
        pl.col("Local Authority District code (2019)").alias("lad_code"),
        pl.col("Local Authority District name (2019)").alias("lad_name"),
        to_int("Index of Multiple Deprivation (IMD) Rank").alias("imd_rank"),
        to_int("Index of Multiple Deprivation (IMD) Decile").alias("imd_decile"),
    )
    pop = read_gz_csv(FILE_6).select(
        pl.col("LSOA code (2011)").alias("lsoa_code"),
        to_int("Dependent Children aged 0-15: mid 2015 (excluding prisoners)").alias("children_0_15"),
    )
    assert imd.height == N_LSOA_ENGLAND, f"File 1 has {imd.height} rows, expected {N_LSOA_ENGLAND}"
    assert pop.height == N_LSOA_ENGLAND, f"File 6 has {pop.height} rows, expected {N_LSOA_ENGLAND}"
    assert imd["lsoa_code"].n_unique() == N_LSOA_ENGLAND, "duplicate LSOA codes in File 1"
    out = imd.join(pop, on="lsoa_code", how="inner", validate="1:1").sort("lsoa_code")
    assert out.height == N_LSOA_ENGLAND, f"File 1 joined to File 6 has {out.height} rows"
    nulls = {c: n for c, n in zip(out.columns, out.null_count().row(0), strict=True) if n}
    assert not nulls, f"null values: {nulls}"
    assert out["imd_decile"].is_between(1, 10).all(), "IMD decile outside 1-10"
    assert out["imd_rank"].is_between(1, N_LSOA_ENGLAND).all(), "IMD rank outside 1-32,844"
    # Ranks are not unique: File 1 itself has 26 tied ranks (e.g. 30,326 for Barnet 014A and Bromley 021B).
    return out


def build_imd2025() -> pl.DataFrame:
    """IoD2025 per LSOA (2021): codes, district, IMD 2025 and IDACI 2025 ranks and deciles (published values)."""
    out = (
        read_gz_csv(IOD2025)
        .select(
            pl.col("lsoa21cd").alias("lsoa_code"),
            pl.col("lsoa21nm").alias("lsoa_name"),
            pl.col("lad24cd").alias("lad_code"),
            pl.col("lad24nm").alias("lad_name"),
            to_int("imd_rank").alias("imd_rank"),
            to_int("imd_decile").alias("imd_decile"),
            to_int("idaci_rank").alias("idaci_rank"),
            to_int("idaci_decile").alias("idaci_decile"),
        )
        .sort("lsoa_code")
    )
    assert out.height == N_LSOA21_ENGLAND, f"IoD2025 has {out.height} rows, expected {N_LSOA21_ENGLAND}"
    assert out["lsoa_code"].n_unique() == N_LSOA21_ENGLAND, "duplicate LSOA codes in IoD2025"
    assert out["lsoa_code"].str.contains(r"^E01[0-9]{6}$").all(), "an IoD2025 code is not E01 and six digits"
    nulls = {c: n for c, n in zip(out.columns, out.null_count().row(0), strict=True) if n}
    assert not nulls, f"null values: {nulls}"
    assert sorted(out["imd_rank"]) == list(range(1, N_LSOA21_ENGLAND + 1)), "IMD 2025 ranks not 1-33,755"
    # Published deciles are ceil(rank x 10 / N): check every one rather than trust the column.
    expected = (pl.col("imd_rank") * 10 + N_LSOA21_ENGLAND - 1) // N_LSOA21_ENGLAND
    assert out.select((pl.col("imd_decile") == expected).all()).item(), "an IMD 2025 decile is not its rank's"
    assert out["idaci_decile"].is_between(1, 10).all(), "IDACI 2025 decile outside 1-10"
    return out


def build_exact_fit(imd: pl.DataFrame, imd2025: pl.DataFrame) -> pl.DataFrame:
    """The ONS exact-fit LSOA 2011 -> 2021 lookup: lsoa11_code, lsoa21_code, change, lad_code."""
    out = (
        read_gz_csv(EXACT_FIT)
        .select(
            pl.col("LSOA11CD").alias("lsoa11_code"),
            pl.col("LSOA21CD").alias("lsoa21_code"),
            pl.col("CHGIND").alias("change"),
            pl.col("LAD22CD").alias("lad_code"),
        )
        .sort("lsoa11_code", "lsoa21_code")
    )
    assert out.height == N_EXACT_FIT_ROWS, (
        f"the exact-fit lookup has {out.height} rows, expected {N_EXACT_FIT_ROWS}"
    )
    assert out.select("lsoa11_code", "lsoa21_code").is_unique().all(), "a pair of codes appears twice"
    assert out["change"].is_in(CHANGE_TYPES).all(), "a change type outside U, S, M, X"
    assert set(out["lsoa11_code"]) == set(imd["lsoa_code"]), "2011 codes differ from IoD2019's LSOAs"
    assert set(out["lsoa21_code"]) == set(imd2025["lsoa_code"]), "2021 codes differ from IoD2025's LSOAs"
    unchanged = out.filter(pl.col("change") == "U")
    assert (unchanged["lsoa11_code"] == unchanged["lsoa21_code"]).all(), "an unchanged LSOA changed its code"
    # A code in both vintages is an unchanged LSOA, so a code's vintage is never in doubt.
    both = set(out["lsoa11_code"]) & set(out["lsoa21_code"])
    assert both == set(unchanged["lsoa11_code"]), "a changed LSOA's code is reused in the other vintage"
    return out


def build_localities_2021(localities: pl.DataFrame, exact_fit: pl.DataFrame) -> pl.DataFrame:
    """Trafford's locality lookup on LSOAs (2021), from the source's lsoa21_locality.csv, checked by the lookup."""
    raw = pl.read_csv(TRAFFORD / "lsoa21_locality.csv", infer_schema_length=0, encoding="utf8-lossy")
    out = (
        raw.select(
            pl.col("lsoa21_code").str.strip_chars().alias("lsoa_code"),
            pl.col("locality").str.strip_chars().str.to_uppercase().alias("locality_code"),
            pl.col("lsoa11_code").str.strip_chars().alias("lsoa11_code"),
        )
        .with_columns(pl.col("locality_code").replace_strict(LOCALITY_NAMES).alias("locality_name"))
        .sort("lsoa_code")
    )
    assert out.height == N_LSOA21_TRAFFORD, (
        f"{out.height} Trafford LSOAs (2021), expected {N_LSOA21_TRAFFORD}"
    )
    assert out["lsoa_code"].n_unique() == N_LSOA21_TRAFFORD, "duplicate LSOA in the 2021 locality lookup"
    # Each 2021 LSOA sits in the locality of its 2011 parent (the exact-fit lookup says which parent).
    parents = out.join(exact_fit, left_on="lsoa_code", right_on="lsoa21_code", how="left")
    assert (parents["lsoa11_code"] == parents["lsoa11_code_right"]).all(), "a 2011 parent differs from ONS's"
    via = parents.join(localities, left_on="lsoa11_code", right_on="lsoa_code", how="left", suffix="_2011")
    assert (via["locality_code"] == via["locality_code_2011"]).all(), "a 2021 LSOA left its parent's locality"
    return out.select("lsoa_code", "locality_code", "locality_name")


def build_localities(imd: pl.DataFrame) -> pl.DataFrame:
    raw = pl.read_csv(TRAFFORD / "lsoa11_locality.csv", infer_schema_length=0, encoding="utf8-lossy")
    out = (
        raw.select(
            pl.col("lsoa11_code").str.strip_chars().alias("lsoa_code"),
            pl.col("locality").str.strip_chars().str.to_uppercase().alias("locality_code"),
        )
        .with_columns(pl.col("locality_code").replace_strict(LOCALITY_NAMES).alias("locality_name"))
        .sort("lsoa_code")
    )
    assert out.height == N_LSOA_TRAFFORD, f"{out.height} Trafford LSOAs, expected {N_LSOA_TRAFFORD}"
    assert out["lsoa_code"].n_unique() == N_LSOA_TRAFFORD, "duplicate LSOA in the locality lookup"
    trafford = set(imd.filter(pl.col("lad_code") == TRAFFORD_LAD)["lsoa_code"])
    assert set(out["lsoa_code"]) == trafford, "locality lookup LSOAs differ from Trafford's LSOAs in IMD 2019"
    return out


def write_locality_geojson() -> None:
    """Copy the locality boundaries, adding locality_code (upper case, as in our lookups) to each feature."""
    src = TRAFFORD / "localities_2023_generalised.geojson"
    data = json.loads(src.read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        props = feature["properties"]
        code = props["area_name"].strip().upper()
        assert code in LOCALITY_NAMES, f"unknown locality {props['area_name']!r} in {src.name}"
        feature = dict(feature, properties={"locality_code": code, **props})
        features.append(feature)
    assert sorted(f["properties"]["locality_code"] for f in features) == sorted(LOCALITY_NAMES)
    header = {k: v for k, v in data.items() if k != "features"}
    # One feature per line, like the GDAL-written source, so diffs stay readable.
    lines = ["{"]
    lines += [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in header.items()]
    lines.append('"features": [')
    lines.append(",\n".join(json.dumps(f, ensure_ascii=False) for f in features))
    lines.append("]")
    lines.append("}")
    dest = OUT / src.name
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check = json.loads(dest.read_text(encoding="utf-8"))
    for before, after in zip(data["features"], check["features"], strict=True):
        assert after["geometry"] == before["geometry"]
        assert {k: v for k, v in after["properties"].items() if k != "locality_code"} == before["properties"]


def print_checks(imd: pl.DataFrame, localities: pl.DataFrame) -> None:
    trafford = imd.filter(pl.col("lad_code") == TRAFFORD_LAD)
    by_decile = trafford.group_by("imd_decile").agg(pl.col("children_0_15").sum()).sort("imd_decile")
    got = by_decile["children_0_15"].to_list()
    print(f"Trafford {TRAFFORD_LAD}: {trafford.height} LSOAs, children 0-15 by decile 1..10: {got}")
    assert by_decile["imd_decile"].to_list() == list(range(1, 11)), "Trafford lacks a decile"
    assert got == TRAFFORD_CHILDREN_BY_DECILE, f"expected {TRAFFORD_CHILDREN_BY_DECILE}"
    print("  matches docs/methods.md section 7")

    cells = localities.join(trafford.select("lsoa_code", "imd_decile"), on="lsoa_code", how="inner")
    empty = {}
    for code in sorted(LOCALITY_NAMES):
        present = set(cells.filter(pl.col("locality_code") == code)["imd_decile"])
        empty[code] = set(range(1, 11)) - present
        n = cells.filter(pl.col("locality_code") == code).height
        print(f"  {code:<8} {n:>3} LSOAs; deciles with no LSOA: {sorted(empty[code]) or 'none'}")
    assert empty == TRAFFORD_EMPTY_CELLS, f"expected empty cells {TRAFFORD_EMPTY_CELLS}"
    print("  empty locality x decile cells match docs/methods.md section 7")


def print_checks_2025(imd2025: pl.DataFrame, exact_fit: pl.DataFrame, localities21: pl.DataFrame) -> None:
    trafford = imd2025.filter(pl.col("lad_code") == TRAFFORD_LAD)
    got = trafford.group_by("imd_decile").len().sort("imd_decile")["len"].to_list()
    print(f"Trafford {TRAFFORD_LAD}: {trafford.height} LSOAs (2021), by IMD 2025 decile 1..10: {got}")
    assert got == TRAFFORD_LSOA21_BY_DECILE, f"expected {TRAFFORD_LSOA21_BY_DECILE}"
    assert set(localities21["lsoa_code"]) == set(trafford["lsoa_code"]), (
        "2021 lookup differs from Trafford's LSOAs"
    )
    changes = exact_fit.group_by("change").len().sort("change")
    print("  exact-fit rows by change type: " + ", ".join(f"{c} {n}" for c, n in changes.iter_rows()))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    NATIONAL.mkdir(parents=True, exist_ok=True)
    imd = build_imd()
    imd.write_parquet(
        NATIONAL / "lsoa11_imd2019.parquet", compression="zstd", compression_level=19, statistics=True
    )
    print(f"wrote lsoa11_imd2019.parquet: {imd.height} rows, columns {imd.columns}")

    localities = build_localities(imd)
    localities.write_csv(OUT / "trafford_localities.csv", line_terminator="\n")
    print(f"wrote trafford_localities.csv: {localities.height} rows")

    write_locality_geojson()
    shutil.copyfile(TRAFFORD / "lsoa11_super_generalised.geojson", OUT / "lsoa11_super_generalised.geojson")
    print("wrote localities_2023_generalised.geojson (locality_code added), lsoa11_super_generalised.geojson")

    print_checks(imd, localities)

    imd2025 = build_imd2025()
    imd2025.write_parquet(
        NATIONAL / "lsoa21_imd2025.parquet", compression="zstd", compression_level=19, statistics=True
    )
    print(f"wrote lsoa21_imd2025.parquet: {imd2025.height} rows, columns {imd2025.columns}")
    exact_fit = build_exact_fit(imd, imd2025)
    exact_fit.write_parquet(
        NATIONAL / "lsoa11_lsoa21.parquet", compression="zstd", compression_level=19, statistics=True
    )
    print(f"wrote lsoa11_lsoa21.parquet: {exact_fit.height} rows, columns {exact_fit.columns}")
    localities21 = build_localities_2021(localities, exact_fit)
    localities21.write_csv(OUT / "trafford_localities_lsoa21.csv", line_terminator="\n")
    print(f"wrote trafford_localities_lsoa21.csv: {localities21.height} rows")
    print_checks_2025(imd2025, exact_fit, localities21)
    build_peers()


# ---- comparator groups (statistical neighbours, peer groups) ------------------------------------------------------

PEERS = SOURCE / "peers"
N_UPPER_TIER = 153
N_NEIGHBOURS = 10
CLOSENESS = ("Extremely close", "Very close", "Close", "Somewhat close", "Not close")
UPPER_TIER_PREFIXES = ("E06", "E08", "E09", "E10")
#: ONS region codes (RGN 2024) by the region names the LA list uses.
REGION_CODES = {
    "North East": "E12000001",
    "North West": "E12000002",
    "Yorkshire and The Humber": "E12000003",
    "East Midlands": "E12000004",
    "West Midlands": "E12000005",
    "East of England": "E12000006",
    "London": "E12000007",
    "South East": "E12000008",
    "South West": "E12000009",
}


def read_text_csv(path: Path) -> pl.DataFrame:
    """A CSV as all-text columns, stripped."""
    return pl.read_csv(path, infer_schema_length=0).with_columns(pl.all().str.strip_chars())


def check_upper_tier(las: pl.DataFrame) -> None:
    """153 LAs, unique ONS codes of the upper-tier kinds, unique 3-digit DfE numbers, a region each."""
    assert las.height == N_UPPER_TIER, f"{las.height} upper-tier LAs, expected {N_UPPER_TIER}"
    assert las["area_code"].n_unique() == N_UPPER_TIER, "duplicate LA codes"
    assert las["area_code"].str.slice(0, 3).is_in(UPPER_TIER_PREFIXES).all(), "a code is not upper-tier"
    assert las["dfe_la_number"].str.contains(r"^[0-9]{3}$").all(), "a DfE number is not 3 digits"
    assert las["dfe_la_number"].n_unique() == N_UPPER_TIER, "duplicate DfE numbers"
    assert las["region"].null_count() == 0, "an LA without a region"


def check_neighbours(neighbours: pl.DataFrame, codes: set[str]) -> None:
    """Every LA has ranks 1-10, none is its own neighbour, every code is an upper-tier LA, closeness is DfE's."""
    assert set(neighbours["area_code"]) == codes, "the neighbour file's LAs differ from the LA list"
    assert set(neighbours["neighbour_code"]) <= codes, "a neighbour is not an upper-tier LA"
    ranks = neighbours.group_by("area_code").agg(pl.col("rank").sort())
    assert all(r == list(range(1, N_NEIGHBOURS + 1)) for r in ranks["rank"].to_list()), "ranks not 1-10"
    assert (neighbours["area_code"] != neighbours["neighbour_code"]).all(), "an LA is its own neighbour"
    assert neighbours["closeness"].is_in(CLOSENESS).all(), "unknown closeness band"
    assert neighbours.select("area_code", "neighbour_code").is_unique().all(), "a neighbour listed twice"


def build_peers() -> None:
    """Write the comparator-group reference files into reference/ from ../shared/reference/peers/ (checked)."""
    las = read_text_csv(PEERS / "upper_tier_las.csv").select(
        "area_code", "area_name", "dfe_la_number", "region"
    )
    check_upper_tier(las)
    las = las.with_columns(pl.col("region").replace_strict(REGION_CODES).alias("region_code")).sort(
        "area_code"
    )
    las.write_csv(NATIONAL / "upper_tier_las.csv", line_terminator="\n")
    print(f"wrote upper_tier_las.csv: {las.height} rows")

    neighbours = (
        read_text_csv(PEERS / "dfe_statistical_neighbours_2025.csv")
        .with_columns(pl.col("rank").cast(pl.Int32, strict=True))
        .select(
            "area_code",
            "area_name",
            "dfe_la_number",
            "rank",
            "neighbour_code",
            "neighbour_name",
            "neighbour_dfe_la_number",
            "closeness",
        )
    )
    codes = set(las["area_code"])
    check_neighbours(neighbours, codes)
    neighbours = neighbours.sort("area_code", "rank")
    neighbours.write_csv(NATIONAL / "dfe_statistical_neighbours_2025.csv", line_terminator="\n")
    print(f"wrote dfe_statistical_neighbours_2025.csv: {neighbours.height} rows")

    peers = read_text_csv(PEERS / "trafford_nhse_peer_group_2024.csv").select("area_code", "area_name")
    assert set(peers["area_code"]) <= codes, "a peer is not an upper-tier LA"
    assert peers["area_code"].n_unique() == peers.height, "a peer listed twice"
    assert TRAFFORD_LAD not in set(peers["area_code"]), "Trafford is in its own peer group"
    peers = peers.sort("area_code").select(
        pl.lit(TRAFFORD_LAD).alias("area_code"),
        pl.col("area_code").alias("peer_code"),
        pl.col("area_name").alias("peer_name"),
    )
    peers.write_csv(NATIONAL / "nhse_peer_group_trafford_2024.csv", line_terminator="\n")
    print(f"wrote nhse_peer_group_trafford_2024.csv: {peers.height} rows")
    trafford = neighbours.filter(pl.col("area_code") == TRAFFORD_LAD)["neighbour_name"].to_list()
    print(f"  Trafford's DfE statistical neighbours, closest first: {', '.join(trafford)}")


if __name__ == "__main__":
    main()
