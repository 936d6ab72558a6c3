"""A seeded national-size synthetic dataset for the benchmark (``make bench``), written under ``bench/work/``.

* **Councils**: 150 local authority codes drawn (seeded) from the national LSOA lookup
  (``reference/lsoa11_imd2019.parquet``), always including Birmingham (the largest, the worst case for
  one council's pages) and Trafford (the sample borough); each keeps its real LSOAs and IMD 2019 deciles.
* **Localities**: each council's LSOAs grouped into 2-8 localities by MSOA number (about 40 LSOAs each), written as
  the lookup ``hcp load localities`` reads (``lsoa_code,locality_code,locality_name``).
* **Provider returns**: 20 KPIs x 16 quarters (2022-23 Q3 .. 2026-27 Q2) x locality x decile for every council, one
  valid CSV per council and quarter in the provider-return format (decile rows for every cell with LSOAs, a ``U``
  row and the all-deciles row), cohorts in proportion to each cell's children aged 0-15, binomial numerators.
* **NCMP**: 1.2 million measured children a year for three academic years (2022/23 .. 2024/25) in the 150
  councils' schools (shared by their children aged 0-15), one national child-level CSV a year (with an NHS number
  the loader must drop), and Birmingham's own child-level and eligible-pupils CSVs.
* **Fingertips**: an "all data" export of the 11 configured indicators for England, 9 regions and the 150 councils
  over 12 years (Persons, Male and Female; England also by deprivation decile), about 30,000 rows.
* **Local outcome measures**: the 7 configured measures x council and localities x 5 years for each council.

Every value is synthetic. Generation is vectorised (numpy, polars) so the whole set takes well under a minute.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
LOOKUP = ROOT / "reference" / "lsoa11_imd2019.parquet"
SEED = 20261123
N_COUNCILS = 150
FOCUS = "E08000025"  # Birmingham: 639 LSOAs, the largest council: the worst case for one council's pages
ALWAYS = ("E08000025", "E08000009")
PROVIDER = "BP1"
FIRST_QUARTER = (2022, 3)
N_QUARTERS = 16
NCMP_YEARS = ("2022/23", "2023/24", "2024/25")
#: The first quarter after the benchmark's: its returns are on IoD2019 deciles in every quarter (the councils'
#: deprivation_iod2025_from_quarter setting, written by bench/steps.py).
RETURNS_ON_IOD2019_UNTIL = "2027-28 Q1"
NCMP_CHILDREN_PER_YEAR = 1_200_000
FINGERTIPS_YEARS = 12
TODAY = "2026-11-23"

LOCALITY_DECILE_KPIS = {
    # code: (rate in decile 1, rate in decile 10); C1 is a count (rate scales the cohort)
    "C1": (0.72, 0.88),
    "C2": (0.86, 0.95),
    "C3": (0.06, 0.03),
    "C8i": (0.80, 0.90),
    "C8ii": (0.35, 0.65),
    "C4": (0.71, 0.81),
    "C5": (0.82, 0.91),
    "C6i": (0.75, 0.85),
    "C6ii": (0.90, 0.96),
    "C6iii": (0.82, 0.93),
    "C6iv": (0.88, 0.96),
    "C6v": (0.86, 0.95),
    "C6vi": (0.85, 0.94),
    "C6vii": (0.85, 0.94),
    "C6viii": (0.68, 0.82),
}
UNKNOWN_SHARE = 0.03
ETHNIC_GROUPS = [
    "White",
    "Asian or Asian British",
    "Black or Black British",
    "Mixed",
    "Any other ethnic group",
    "",
]
ETHNIC_WEIGHTS = [0.70, 0.12, 0.06, 0.06, 0.03, 0.03]
REGIONS = [f"E1200000{i}" for i in range(1, 10)]


def _related_kpis_agree(grid: pl.DataFrame) -> pl.DataFrame:
    """Make related KPIs describe the same children, as the loader's cross-checks require, cell by cell.

    C3 shares C2's denominator and C2 + C3 stays within it; C6ii's denominator is C6i's numerator; each ASQ-3
    domain's denominator is at most C6ii's numerator (numerators capped to their new denominators).
    """
    cell = ["lad_code", "locality_code", "decile_text", "period"]

    def of(kpi: str, column: str, name: str) -> pl.DataFrame:
        return grid.filter(pl.col("kpi_code") == kpi).select(*cell, pl.col(column).alias(name))

    grid = (
        grid.join(of("C2", "numerator", "c2_num"), on=cell, how="left")
        .join(of("C2", "denominator", "c2_den"), on=cell, how="left")
        .join(of("C6i", "numerator", "c6i_num"), on=cell, how="left")
    )
    is_c3, is_c6ii = pl.col("kpi_code") == "C3", pl.col("kpi_code") == "C6ii"
    grid = grid.with_columns(
        pl.when(is_c3)
        .then(pl.col("c2_den"))
        .when(is_c6ii)
        .then(pl.col("c6i_num"))
        .otherwise(pl.col("denominator"))
        .alias("denominator")
    ).with_columns(
        pl.when(is_c3)
        .then(pl.min_horizontal("numerator", pl.col("denominator") - pl.col("c2_num")))
        .when(is_c6ii)
        .then(pl.min_horizontal("numerator", "denominator"))
        .otherwise(pl.col("numerator"))
        .alias("numerator")
    )
    is_domain = pl.col("kpi_code").is_in(["C6iii", "C6iv", "C6v", "C6vi", "C6vii", "C6viii"])
    grid = (
        grid.join(of("C6ii", "numerator", "c6ii_num"), on=cell, how="left")
        .with_columns(
            pl.when(is_domain)
            .then(pl.min_horizontal("denominator", "c6ii_num"))
            .otherwise(pl.col("denominator"))
            .alias("denominator")
        )
        .with_columns(
            pl.when(is_domain)
            .then(pl.min_horizontal("numerator", "denominator"))
            .otherwise(pl.col("numerator"))
            .alias("numerator")
        )
    )
    return grid.drop("c2_num", "c2_den", "c6i_num", "c6ii_num")


def quarters() -> list[str]:
    """The 16 quarters of the benchmark, oldest first."""
    year, quarter = FIRST_QUARTER
    out = []
    for _ in range(N_QUARTERS):
        out.append(f"{year}-{(year + 1) % 100:02d} Q{quarter}")
        quarter += 1
        if quarter == 5:
            year, quarter = year + 1, 1
    return out


def choose_councils(lookup: pl.DataFrame, rng: np.random.Generator) -> list[str]:
    """150 local authority codes: Birmingham and Trafford, and 148 more drawn at random."""
    codes = sorted(set(lookup["lad_code"].to_list()) - set(ALWAYS))
    drawn = rng.choice(len(codes), size=N_COUNCILS - len(ALWAYS), replace=False)
    return list(ALWAYS) + sorted(codes[i] for i in drawn)


def make_localities(lookup: pl.DataFrame, councils: list[str]) -> pl.DataFrame:
    """Each council's LSOAs grouped into localities by MSOA number: lad_code, lsoa_code, locality_code, ..."""
    frame = lookup.filter(pl.col("lad_code").is_in(councils)).with_columns(
        pl.col("lsoa_name").str.extract(r"(\d{3})[A-Z]$").cast(pl.Int32).alias("msoa")
    )
    frame = frame.with_columns(
        pl.len().over("lad_code").alias("n_lsoa"),
        pl.col("msoa").rank("dense").over("lad_code").alias("msoa_rank"),
        pl.col("msoa").n_unique().over("lad_code").alias("n_msoa"),
    ).with_columns(
        pl.max_horizontal(pl.lit(2), pl.min_horizontal(pl.lit(8), (pl.col("n_lsoa") / 40).ceil())).alias(
            "n_loc"
        )
    )
    frame = frame.with_columns(
        ((pl.col("msoa_rank") - 1) * pl.col("n_loc") // pl.col("n_msoa") + 1).cast(pl.Int32).alias("loc")
    )
    return frame.select(
        "lad_code",
        "lsoa_code",
        pl.format("LOC{}", pl.col("loc")).alias("locality_code"),
        pl.format("Locality {}", pl.col("loc")).alias("locality_name"),
        "imd_decile",
        "children_0_15",
    ).sort("lad_code", "lsoa_code")


def _rate(kpi: str, decile: np.ndarray) -> np.ndarray:
    low, high = LOCALITY_DECILE_KPIS[kpi]
    return low + (high - low) * (decile - 1) / 9


def _decile_grid(localities: pl.DataFrame, periods: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The locality x decile KPIs' rows (unknown deciles as "U") with simulated numerators and denominators."""
    cells = (
        localities.group_by("lad_code", "locality_code", "imd_decile")
        .agg(pl.col("children_0_15").sum().alias("children"))
        .with_columns(pl.col("imd_decile").cast(pl.Int32))
    )
    totals = cells.group_by("lad_code").agg(pl.col("children").sum().alias("council_children"))
    cells = cells.join(totals, on="lad_code").with_columns(
        # children 0-15 are about 16 yearly cohorts; a quarter's cohort is a quarter of one
        (pl.col("children") / 16 / 4 * (1 - UNKNOWN_SHARE)).alias("cohort")
    )
    kpis = pl.DataFrame({"kpi_code": list(LOCALITY_DECILE_KPIS)})
    grid = cells.join(periods, how="cross").join(kpis, how="cross")
    unknown = (
        cells.group_by("lad_code", "locality_code")
        .agg((pl.col("children").sum() / 16 / 4 * UNKNOWN_SHARE).alias("cohort"))
        .with_columns(pl.lit(2, dtype=pl.Int32).alias("imd_decile"))  # unknown LSOAs fare like decile 2
        .join(periods, how="cross")
        .join(kpis, how="cross")
    )
    grid = pl.concat(
        [
            grid.select(
                "lad_code", "locality_code", "imd_decile", "cohort", "period", "quarter_index", "kpi_code"
            ).with_columns(pl.col("imd_decile").cast(pl.String).alias("decile_text")),
            unknown.select(
                "lad_code", "locality_code", "imd_decile", "cohort", "period", "quarter_index", "kpi_code"
            ).with_columns(pl.lit("U").alias("decile_text")),
        ]
    )
    decile = grid["imd_decile"].to_numpy()
    rate = np.zeros(grid.height)
    for kpi in LOCALITY_DECILE_KPIS:
        mask = (grid["kpi_code"] == kpi).to_numpy()
        rate[mask] = _rate(kpi, decile[mask])
    rate = np.clip(rate + rng.normal(0, 0.01, grid.height), 0.01, 0.995)
    denominator = rng.poisson(np.maximum(grid["cohort"].to_numpy(), 0.2))
    numerator = rng.binomial(denominator, rate)
    is_count = (grid["kpi_code"] == "C1").to_numpy()
    numerator = np.where(is_count, rng.poisson(grid["cohort"].to_numpy() * rate), numerator)
    grid = grid.with_columns(
        pl.Series("numerator", numerator, dtype=pl.Float64),
        pl.when(pl.lit(pl.Series(is_count)))
        .then(None)
        .otherwise(pl.Series(denominator, dtype=pl.Float64))
        .alias("denominator"),
    )
    return _related_kpis_agree(grid)


def make_return_rows(localities: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Every return row of every council and quarter, typed as the loader stores them plus the text to write."""
    periods = pl.DataFrame({"period": quarters(), "quarter_index": list(range(N_QUARTERS))})
    grid = _decile_grid(localities, periods, rng)
    decile_rows = grid.select(
        "lad_code",
        "period",
        "quarter_index",
        "kpi_code",
        "locality_code",
        pl.col("decile_text").alias("imd_decile"),
        "numerator",
        "denominator",
    )
    all_rows = (
        decile_rows.group_by("lad_code", "period", "quarter_index", "kpi_code", "locality_code")
        .agg(pl.col("numerator").sum(), pl.col("denominator").sum())
        .with_columns(
            pl.lit("ALL").alias("imd_decile"),
            pl.when(pl.col("kpi_code") == "C1")
            .then(None)
            .otherwise(pl.col("denominator"))
            .alias("denominator"),
        )
        .select(decile_rows.columns)
    )
    rows = pl.concat(
        [
            decile_rows,
            all_rows,
            _school_nursing_rows(localities, periods, rng).select(decile_rows.columns),
            _borough_rows(localities, periods, rng).select(decile_rows.columns),
        ]
    )
    return _ordered(rows)


def _school_nursing_rows(localities: pl.DataFrame, periods: pl.DataFrame, rng: np.random.Generator):
    """School nursing KPIs (SN1, SN2) by locality."""
    locs = localities.group_by("lad_code", "locality_code").agg(
        pl.col("children_0_15").sum().alias("children")
    )
    sn = locs.join(periods, how="cross").join(pl.DataFrame({"kpi_code": ["SN1", "SN2"]}), how="cross")
    sn_den = rng.poisson(
        np.where((sn["kpi_code"] == "SN1").to_numpy(), sn["children"].to_numpy() / 16 / 4, 30)
    )
    sn = sn.with_columns(
        pl.Series("denominator", sn_den, dtype=pl.Float64),
        pl.Series("numerator", rng.binomial(sn_den, 0.93), dtype=pl.Float64),
        pl.lit("ALL").alias("imd_decile"),
    )
    return sn


def _borough_rows(localities: pl.DataFrame, periods: pl.DataFrame, rng: np.random.Generator):
    """Borough-only KPIs: FNP1, FNP2 and the health-visitor vacancy rate."""
    totals = localities.group_by("lad_code").agg(pl.col("children_0_15").sum().alias("council_children"))
    borough = totals.join(periods, how="cross").join(
        pl.DataFrame({"kpi_code": ["FNP1", "FNP2", "HVVAC"]}), how="cross"
    )
    n = borough.height
    fnp_den = rng.poisson(20, n) + 5
    establishment = np.round(borough["council_children"].to_numpy() / 1100 + 5, 1)
    borough = borough.with_columns(
        pl.lit("ALL").alias("locality_code"),
        pl.lit("ALL").alias("imd_decile"),
        pl.Series(
            "denominator",
            np.select(
                [(borough["kpi_code"] == "FNP1").to_numpy(), (borough["kpi_code"] == "FNP2").to_numpy()],
                [fnp_den, np.full(n, 100)],
                establishment,
            ),
            dtype=pl.Float64,
        ),
    ).with_columns(
        pl.Series(
            "numerator",
            np.select(
                [(borough["kpi_code"] == "FNP1").to_numpy(), (borough["kpi_code"] == "FNP2").to_numpy()],
                [rng.binomial(fnp_den, 0.66), rng.binomial(100, 0.95, n)],
                np.round(establishment * rng.uniform(0.04, 0.12, n), 1),
            ),
            dtype=pl.Float64,
        )
    )
    return borough


def _ordered(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows in file order (council, quarter, KPI, locality, decile) with each file's source row number."""
    order = {code: i for i, code in enumerate([*LOCALITY_DECILE_KPIS, "SN1", "SN2", "FNP1", "FNP2", "HVVAC"])}
    decile_order = {str(d): d for d in range(1, 11)} | {"U": 11, "ALL": 12}
    rows = rows.with_columns(
        pl.col("kpi_code").replace_strict(order, return_dtype=pl.Int32).alias("_k"),
        pl.col("imd_decile").replace_strict(decile_order, return_dtype=pl.Int32).alias("_d"),
    ).sort("lad_code", "quarter_index", "_k", "locality_code", "_d")
    rows = rows.with_columns(
        (pl.int_range(pl.len()).over("lad_code", "period") + 2).cast(pl.Int32).alias("source_row")
    ).drop("_k", "_d")
    return rows


def write_returns(rows: pl.DataFrame, folder: Path) -> pl.DataFrame:
    """One CSV per council and quarter; returns the file list (lad_code, period, path)."""
    folder.mkdir(parents=True, exist_ok=True)
    whole = pl.col("numerator") == pl.col("numerator").round(0)
    text = rows.select(
        "lad_code",
        "period",
        pl.col("period").alias("period_text"),
        pl.lit(PROVIDER).alias("provider_code"),
        pl.col("kpi_code").alias("metric_code"),
        "locality_code",
        pl.when(pl.col("imd_decile") == "ALL")
        .then(pl.lit(""))
        .otherwise(pl.col("imd_decile"))
        .alias("imd_decile"),
        pl.when(whole)
        .then(pl.col("numerator").cast(pl.Int64).cast(pl.String))
        .otherwise(pl.col("numerator").round(1).cast(pl.String))
        .alias("numerator"),
        pl.when(pl.col("denominator").is_null())
        .then(pl.lit(""))
        .when(pl.col("denominator") == pl.col("denominator").round(0))
        .then(pl.col("denominator").cast(pl.Int64).cast(pl.String))
        .otherwise(pl.col("denominator").round(1).cast(pl.String))
        .alias("denominator"),
        pl.lit("").alias("comment"),
    )
    files = []
    for (lad, period), part in text.partition_by(
        "lad_code", "period", as_dict=True, maintain_order=True
    ).items():
        path = folder / lad / f"mandated_contacts_{period.replace(' ', '_')}.csv"
        path.parent.mkdir(exist_ok=True)
        part.drop("lad_code", "period").rename({"period_text": "period"}).write_csv(path)
        files.append((lad, period, str(path)))
    return pl.DataFrame(files, schema=["lad_code", "period", "path"], orient="row")


def _academic_start(year: str) -> int:
    return int(year[:4])


def make_ncmp(
    localities: pl.DataFrame, lookup: pl.DataFrame, year: str, rng: np.random.Generator
) -> pl.DataFrame:
    """1.2 million measured children of one academic year across the councils (text columns as an extract)."""
    per_council = (
        localities.group_by("lad_code").agg(pl.col("children_0_15").sum().alias("children")).sort("lad_code")
    )
    share = per_council["children"].to_numpy() / per_council["children"].sum()
    counts = np.floor(share * NCMP_CHILDREN_PER_YEAR).astype(int)
    counts[0] += NCMP_CHILDREN_PER_YEAR - counts.sum()
    lad = np.repeat(per_council["lad_code"].to_numpy(), counts)
    council_index = np.repeat(np.arange(len(counts)), counts)
    n = len(lad)
    # home LSOA: a council LSOA weighted by children; 3% elsewhere in England; 1% not recorded
    lsoas = localities.sort("lad_code", "lsoa_code")
    lsoa_codes = lsoas["lsoa_code"].to_numpy()
    weights = lsoas["children_0_15"].to_numpy().astype(float)
    starts = np.searchsorted(lsoas["lad_code"].to_numpy(), per_council["lad_code"].to_numpy())
    ends = np.append(starts[1:], len(lsoa_codes))
    cumulative = np.cumsum(weights)
    base = np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0.0)
    span = cumulative[ends - 1] - base
    draw = base[council_index] + rng.random(n) * span[council_index]
    home = lsoa_codes[np.minimum(np.searchsorted(cumulative, draw, side="right"), len(lsoa_codes) - 1)]
    everywhere = lookup["lsoa_code"].to_numpy()
    outside = rng.random(n) < 0.03
    home = np.where(outside, everywhere[rng.integers(0, len(everywhere), n)], home)
    home = np.where(rng.random(n) < 0.01, "", home)
    group = np.where(rng.random(n) < 0.5, "R", "6")
    start = _academic_start(year)
    birth_year_start = np.where(group == "R", start - 5, start - 11)
    born = np.array([dt.date(y, 9, 1).toordinal() for y in range(start - 12, start - 3)])[
        birth_year_start - (start - 12)
    ] + rng.integers(0, 365, n)
    measured = dt.date(start, 9, 15).toordinal() + rng.integers(0, 300, n)
    # schools: about 30 children per year group per school, numbered within the council
    schools = np.maximum(1, counts // 60)
    school = 100000 + council_index * 400 + rng.integers(0, schools[council_index])
    height = np.where(group == "R", rng.normal(110, 5, n), rng.normal(145, 7, n))
    height = np.clip(height, 90, 185)
    bmi = np.where(group == "R", 15.8 * np.exp(rng.normal(0, 0.10, n)), 18.2 * np.exp(rng.normal(0, 0.16, n)))
    bmi = np.where(group == "R", np.clip(bmi, 13.0, 22.5), np.clip(bmi, 14.0, 30.0))
    weight = np.round(bmi * (height / 100) ** 2, 1)
    epoch = dt.date(1970, 1, 1).toordinal()
    frame = pl.DataFrame(
        {
            "lad_code": lad,
            "nhs_number": (9_000_000_000 + NCMP_YEARS.index(year) * 10_000_000 + np.arange(n)).astype(str),
            "date_of_birth": pl.Series(born - epoch, dtype=pl.Int32).cast(pl.Date),
            "sex": np.where(rng.random(n) < 0.51, "M", "F"),
            "lsoa_code": home,
            "ethnic_group": np.array(ETHNIC_GROUPS)[rng.choice(len(ETHNIC_GROUPS), n, p=ETHNIC_WEIGHTS)],
            "school_urn": school.astype(str),
            "school_year": group,
            "academic_year": np.full(n, year),
            "date_of_measurement": pl.Series(measured - epoch, dtype=pl.Int32).cast(pl.Date),
            "height_cm": np.round(height, 1),
            "weight_kg": weight,
        }
    )
    return frame


def write_ncmp(children: pl.DataFrame, localities: pl.DataFrame, year: str, folder: Path) -> dict:
    """The national child-level CSV of the year, and the focus council's own child-level and eligible CSVs."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = year.replace("/", "-")
    national_path = folder / f"ncmp_national_{stem}.csv"
    children.drop("lad_code").write_csv(national_path)
    own = children.filter(pl.col("lad_code") == FOCUS).drop("lad_code")
    (folder / FOCUS).mkdir(exist_ok=True)
    own_path = folder / FOCUS / f"ncmp_{stem}.csv"
    own.write_csv(own_path)
    names = sorted(set(localities.filter(pl.col("lad_code") == FOCUS)["locality_code"].to_list()))
    eligible = (
        (
            own.group_by("school_urn", "school_year")
            .agg(pl.len().alias("measured"))
            .sort("school_urn", "school_year")
        )
        .with_columns(
            pl.lit(year).alias("academic_year"),
            pl.format("Benchmark school {}", pl.col("school_urn")).alias("school_name"),
            (pl.col("measured") / 0.95).ceil().cast(pl.Int64).alias("eligible_pupils"),
            pl.col("school_urn")
            .cast(pl.Int64)
            .mod(len(names))
            .replace_strict(dict(enumerate(names)), return_dtype=pl.String)
            .alias("locality_code"),
        )
        .select(
            "academic_year", "school_urn", "school_name", "school_year", "eligible_pupils", "locality_code"
        )
    )
    eligible_path = folder / FOCUS / f"ncmp_eligible_{stem}.csv"
    eligible.write_csv(eligible_path)
    return {
        "academic_year": year,
        "national_path": str(national_path),
        "national_children": children.height,
        "path": str(own_path),
        "children": own.height,
        "eligible_path": str(eligible_path),
    }


def generate(work: Path) -> dict:
    """Write the whole dataset under ``work``; returns what was made (also saved as ``work/dataset.json``)."""
    from bench.national_outcomes import (  # it reads this module's constants
        make_fingertips,
        write_outcome_measures,
    )

    rng = np.random.default_rng(SEED)
    lookup = pl.read_parquet(LOOKUP)
    councils = choose_councils(lookup, rng)
    localities = make_localities(lookup, councils)
    loc_folder = work / "localities"
    loc_folder.mkdir(parents=True, exist_ok=True)
    for (lad,), part in localities.partition_by("lad_code", as_dict=True, maintain_order=True).items():
        part.select("lsoa_code", "locality_code", "locality_name").write_csv(
            loc_folder / f"{lad}_localities.csv"
        )
    localities.write_parquet(work / "localities.parquet")

    rows = make_return_rows(localities, rng)
    rows.write_parquet(work / "return_rows.parquet")
    returns = write_returns(rows, work / "returns")
    returns.write_parquet(work / "returns.parquet")

    ncmp_files = []
    for year in NCMP_YEARS:
        children = make_ncmp(localities, lookup, year, rng)
        ncmp_files.append(write_ncmp(children, localities, year, work / "ncmp"))
        del children
    ncmp = pl.DataFrame(ncmp_files)
    ncmp.write_parquet(work / "ncmp.parquet")

    fingertips = make_fingertips(councils, lookup, rng)
    fingertips_path = work / "fingertips_all_data.csv"
    fingertips.write_csv(fingertips_path)
    outcomes = write_outcome_measures(localities, work / "outcome_measures", rng)
    outcomes.write_parquet(work / "outcome_measures.parquet")

    summary = {
        "councils": councils,
        "focus_council": FOCUS,
        "lsoas": localities.height,
        "localities": localities.select("lad_code", "locality_code").unique().height,
        "quarters": quarters(),
        "return_files": returns.height,
        "return_rows": rows.height,
        "ncmp_children": int(ncmp["national_children"].sum()),
        "ncmp_focus_children": int(ncmp["children"].sum()),
        "fingertips_rows": fingertips.height,
        "fingertips_bytes": fingertips_path.stat().st_size,
        "outcome_measure_files": outcomes.height,
        "seed": SEED,
    }
    (work / "dataset.json").write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":  # pragma: no cover
    import sys
    import time

    started = time.perf_counter()
    out = generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "work")
    print(
        {k: v for k, v in out.items() if k not in ("councils", "quarters")},
        f"{time.perf_counter() - started:.1f} s",
    )
