"""Generate the SYNTHETIC all-councils Fingertips export of the sample (every other English upper-tier council).

Run from the repository root: ``uv run python sample_data/fingertips/generate_all_areas.py``. Deterministic (numpy
RNG seeded with SEED): running it again rewrites a byte-identical file.

Writes ``sample_data/fingertips/fingertips_all_areas_synthetic.csv.gz``: an "all data" export in Fingertips' layout for
the 152 English upper-tier councils other than Trafford (real ONS 2024 codes and names, ``reference/upper_tier_las.csv``;
the region as parent):

* the contract KPIs mapped to Fingertips indicators (``config/kpi_fingertips.toml``), quarterly, the sixteen quarters
  of the sample's returns (2022/23 Q3 to 2026/27 Q2);
* the sample's outcome indicators (``indicators.toml``), in the periods of ``fingertips_trafford_synthetic.csv``.

Trafford, its region and England are left out: Trafford's KPI figures are its own returns, and its outcome figures,
the North West's and England's are in ``fingertips_trafford_synthetic.csv`` already (so the overview's England
comparison is unchanged). Every figure is synthetic: each council has its own level (England's level plus a normal
council effect) and a binomial (proportions) or Poisson (rates) draw around it each period, with 95% and 99.8% limits
from kpi.stats (Wilson, Byar's). Every row says "SYNTHETIC" in an ``Indicator notes`` column, which the reader
ignores. The file is gzipped; the sample build decompresses it before loading it as ``hcp load fingertips`` would.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import tomllib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from generate_fingertips import INDICATORS  # noqa: E402

from kpi.outcomes.rule_tables import EXPORT_HEADER  # noqa: E402
from kpi.stats import byars_ci, wilson_ci  # noqa: E402

SEED = 20250
OUT = HERE / "fingertips_all_areas_synthetic.csv.gz"
COUNCIL = "E08000009"
ENGLAND = "E92000001"
NOTE = f"SYNTHETIC sample data (sample_data/fingertips/generate_all_areas.py, seed {SEED}): not OHID figures"
AREA_TYPE = "Counties & UAs (from Apr 2023)"
#: An all-areas download's columns: the export's, without the comparison, trend and "new data" columns.
HEADER = [*EXPORT_HEADER[:20], "Time period Sortable", "Indicator notes"]
#: The sixteen quarters of the sample's returns, as Fingertips writes them, with their sort keys.
QUARTERS = [
    (f"{y}/{(y + 1) % 100:02d} Q{q}", y * 10000 + q * 100) for y in range(2022, 2027) for q in range(1, 5)
][2:18]
#: England-like levels (per cent) of the KPIs, near the published figures of docs/methods.md section 2.
KPI_LEVELS = {
    "C2": 85.0,
    "C3": 12.0,
    "C8i": 80.0,
    "C8ii": 49.0,
    "C4": 74.0,
    "C5": 82.0,
    "C6i": 73.0,
    "C6ii": 90.0,
    "C6viii": 78.0,
}
#: Children a council's cohort holds per quarter: lognormal around this median.
MEDIAN_QUARTER_COHORT = 800


def councils() -> list[dict]:
    with open(ROOT / "reference" / "upper_tier_las.csv", encoding="utf-8") as file:
        return [row for row in csv.DictReader(file) if row["area_code"] != COUNCIL]


def _row(ind_id, name, la, sex, age, period, sortable, value, limits, count, den) -> list:
    lo95, hi95, lo998, hi998 = limits
    return [
        ind_id, name, la["region_code"], f"{la['region']} region", la["area_code"], la["area_name"], AREA_TYPE,
        sex, age, "", "", period, f"{value:.4f}", f"{lo95:.4f}", f"{hi95:.4f}", f"{lo998:.4f}", f"{hi998:.4f}",
        f"{count:.0f}", f"{den:.0f}", "", sortable, NOTE,
    ]  # fmt: skip


def _proportion(rng, level: float, den: int) -> tuple[float, tuple, int]:
    count = int(rng.binomial(den, min(max(level, 0.5), 99.5) / 100))
    lo95, hi95 = wilson_ci(count, den, 0.95)
    lo998, hi998 = wilson_ci(count, den, 0.998)
    return 100 * count / den, (lo95 * 100, hi95 * 100, lo998 * 100, hi998 * 100), count


def _rate(rng, level: float, den: int, multiplier: int) -> tuple[float, tuple, int]:
    count = int(rng.poisson(max(level, 0.1) * den / multiplier))
    lo95, hi95 = byars_ci(count, 0.95)
    lo998, hi998 = byars_ci(count, 0.998)
    scale = multiplier / den
    limits = tuple((x if x is not None else 0.0) * scale for x in (lo95, hi95, lo998, hi998))
    return count * scale, limits, count


def kpi_rows(rng, las: list[dict]) -> list[list]:
    with open(ROOT / "config" / "kpi_fingertips.toml", "rb") as file:
        mappings = tomllib.load(file)["kpi"]
    rows = []
    for mapping in mappings:
        level = KPI_LEVELS[mapping["code"]]
        for la in las:
            own = level + rng.normal(0, 4.0 if level > 40 else 2.0)
            cohort = MEDIAN_QUARTER_COHORT * float(np.exp(rng.normal(0, 0.6)))
            for step, (period, sortable) in enumerate(QUARTERS):
                den = max(30, int(rng.normal(cohort, cohort * 0.05)))
                value, limits, count = _proportion(rng, own + 0.05 * step, den)
                name = mapping["indicator_name"]
                rows.append(
                    _row(
                        mapping["indicator_id"],
                        name,
                        la,
                        "Persons",
                        "All ages",
                        period,
                        sortable,
                        value,
                        limits,
                        count,
                        den,
                    )
                )
    return rows


def outcome_rows(rng, las: list[dict]) -> list[list]:
    rows = []
    for ind in INDICATORS:
        england = ind.levels[ENGLAND]
        size = ind.denominators[ENGLAND] / 150
        for la in las:
            effect = rng.normal(0, 0.12)
            den_la = max(200, int(size * float(np.exp(rng.normal(0, 0.5)))))
            for step, (period, sortable) in enumerate(zip(*ind.periods, strict=True)):
                level = england[step] * (1 + effect)
                if ind.multiplier:
                    value, limits, count = _rate(rng, level, den_la, ind.multiplier)
                else:
                    value, limits, count = _proportion(rng, level, den_la)
                rows.append(
                    _row(
                        ind.indicator_id,
                        ind.name,
                        la,
                        ind.sex,
                        ind.age,
                        period,
                        sortable,
                        value,
                        limits,
                        count,
                        den_la,
                    )
                )
    return rows


def main() -> None:
    rng = np.random.default_rng(SEED)
    las = councils()
    rows = kpi_rows(rng, las) + outcome_rows(rng, las)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    OUT.write_bytes(gzip.compress(text.getvalue().encode("utf-8"), compresslevel=9, mtime=0))
    print(f"wrote {OUT.name}: {len(rows)} rows for {len(las)} councils")


if __name__ == "__main__":
    main()
