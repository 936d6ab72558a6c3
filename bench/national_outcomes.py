"""The national benchmark dataset's outcome files: a Fingertips "all data" export and local outcome measures.

Part of the seeded dataset of ``bench/national.py`` (its docstring describes both); vectorised, every value synthetic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from bench.national import FINGERTIPS_YEARS, REGIONS, ROOT
from kpi.outcomes.measures import COLUMNS as MEASURE_COLUMNS
from kpi.outcomes.rule_tables import EXPORT_HEADER
from kpi.stats import wilson_ci


def _fingertips_ids() -> list[int]:
    import tomllib

    with open(ROOT / "config" / "fingertips_indicators.toml", "rb") as handle:
        data = tomllib.load(handle)
    entries = next((value for value in data.values() if isinstance(value, list)), [])
    return [int(entry["id"]) for entry in entries] or [93085, 20401, 90319]


def _fingertips_grid(councils: list[str], lookup: pl.DataFrame) -> pl.DataFrame:
    """Indicator x area x year x sex rows for England, regions and councils, plus England's decile rows."""
    names = lookup.select("lad_code", "lad_name").unique().filter(pl.col("lad_code").is_in(councils))
    region_of = {code: REGIONS[i % len(REGIONS)] for i, code in enumerate(sorted(councils))}
    areas = (
        [("E92000001", "England", "England", "", "")]
        + [(code, f"Region {code[-1]}", "Regions (statistical)", "E92000001", "England") for code in REGIONS]
        + [
            (
                row[0],
                row[1],
                "Counties & UAs (from Apr 2023)",
                region_of[row[0]],
                f"Region {region_of[row[0]][-1]}",
            )
            for row in names.sort("lad_code").iter_rows()
        ]
    )
    area_frame = pl.DataFrame(
        areas, schema=["Area Code", "Area Name", "Area Type", "Parent Code", "Parent Name"], orient="row"
    )
    ids = _fingertips_ids()
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(2024 - FINGERTIPS_YEARS, 2024)]
    grid = (
        pl.DataFrame({"Indicator ID": ids})
        .join(area_frame, how="cross")
        .join(pl.DataFrame({"Time period": years}), how="cross")
        .join(pl.DataFrame({"Sex": ["Persons", "Male", "Female"]}), how="cross")
        .with_columns(pl.lit("").alias("Category Type"), pl.lit("").alias("Category"))
    )
    deciles = (
        pl.DataFrame({"Indicator ID": ids})
        .join(area_frame.head(1), how="cross")
        .join(pl.DataFrame({"Time period": years}), how="cross")
        .join(
            pl.DataFrame(
                {
                    "Sex": ["Persons"] * 10,
                    "Category Type": ["LSOA11 deprivation deciles in England (IMD2019)"] * 10,
                    "Category": [
                        f"{d}{'st' if d == 1 else 'nd' if d == 2 else 'rd' if d == 3 else 'th'} decile"
                        for d in range(1, 11)
                    ],
                }
            ),
            how="cross",
        )
    )
    return pl.concat([grid, deciles.select(grid.columns)])


def make_fingertips(councils: list[str], lookup: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """A Fingertips "all data" export of the configured indicators for England, regions and the councils.

    Values are simulated proportions with Wilson score 95% limits (kpi.stats.wilson_ci), in per cent.
    """
    grid = _fingertips_grid(councils, lookup)
    n = grid.height
    denominator = rng.integers(800, 20000, n)
    value = np.clip(rng.normal(0.3, 0.12, n), 0.02, 0.95)
    count = np.round(denominator * value).astype(int)
    p = count / denominator
    lower, upper = wilson_ci(count, denominator)
    return grid.with_columns(
        pl.format("Synthetic indicator {}", pl.col("Indicator ID")).alias("Indicator Name"),
        pl.lit("All ages").alias("Age"),
        pl.Series("Value", np.round(p * 100, 6)),
        pl.Series("Lower CI 95.0 limit", np.round(lower * 100, 6)),
        pl.Series("Upper CI 95.0 limit", np.round(upper * 100, 6)),
        pl.lit(None, dtype=pl.Float64).alias("Lower CI 99.8 limit"),
        pl.lit(None, dtype=pl.Float64).alias("Upper CI 99.8 limit"),
        pl.Series("Count", count),
        pl.Series("Denominator", denominator),
        pl.lit("").alias("Value note"),
        pl.lit("").alias("Recent Trend"),
        pl.lit("Similar").alias("Compared to England value or percentiles"),
        pl.lit("Similar").alias("Compared to Region value or percentiles"),
        (pl.col("Time period").str.slice(0, 4) + pl.lit("0000")).alias("Time period Sortable"),
        pl.lit("").alias("New data"),
        pl.lit("").alias("Compared to goal"),
    ).select(EXPORT_HEADER[:-2])  # without the time period range and the notes


def _measure_codes() -> list[str]:
    import tomllib

    with open(ROOT / "config" / "outcome_measures.toml", "rb") as handle:
        data = tomllib.load(handle)
    entries = next((value for value in data.values() if isinstance(value, list)), [])
    return [str(entry["code"]) for entry in entries if entry.get("value_kind", "proportion") == "proportion"]


def write_outcome_measures(localities: pl.DataFrame, folder: Path, rng: np.random.Generator) -> pl.DataFrame:
    """A local outcome measures file per council (council and locality rows, 5 years)."""
    folder.mkdir(parents=True, exist_ok=True)
    codes = _measure_codes()
    files = []
    years = [f"{y}-{(y + 1) % 100:02d}" for y in range(2019, 2024)]
    for (lad,), part in localities.partition_by("lad_code", as_dict=True, maintain_order=True).items():
        locs = sorted(set(part["locality_code"].to_list()))
        rows = []
        for code in codes:
            for year in years:
                total_num = total_den = 0
                for loc in locs:
                    den = int(rng.integers(300, 900))
                    num = int(rng.binomial(den, 0.7))
                    total_num, total_den = total_num + num, total_den + den
                    rows.append((code, year, "", loc, "", num, den))
                rows.append((code, year, "", "", "", total_num, total_den))
        frame = pl.DataFrame(
            rows,
            schema=list(
                MEASURE_COLUMNS[:7]
            ),  # the file's columns up to the counts; value and limits left blank
            orient="row",
        ).with_columns(pl.lit("").alias("value"), pl.lit("").alias("lower_ci"), pl.lit("").alias("upper_ci"))
        path = folder / f"{lad}_outcome_measures.csv"
        frame.write_csv(path)
        files.append((lad, str(path)))
    return pl.DataFrame(files, schema=["lad_code", "path"], orient="row")
