"""Generate the synthetic provider returns in sample_data/provider_returns/.

Blank return templates are not generated here: the app makes them for the quarter asked for
(kpi/returns/template.py).

Run from the repository root: ``uv run python sample_data/generate_returns.py``. Deterministic (numpy RNG
seeded with SEED): running it again rewrites byte-identical files.

Every KPI value is synthetic. The cohorts are spread over Trafford's real locality x IMD decile cells in
proportion to the children aged 0-15 living there (../reference/lsoa11_imd2019.parquet and
reference/trafford_localities.csv), so the small cells are realistic; numerators are binomial draws around
levels near England's and the sample contract's targets, with a deprivation gradient. Three stories are built
in for the dashboard to reveal:

1. NORTH's new birth visits within 14 days (C2) slip below the 90% target from 2025-26 Q2 (about 91%, 88%,
   86%, 82%, 80%), while the other localities stay at or above it. To keep the story readable at locality
   level, the binomial draws for C2 are repeated (same RNG stream) until each locality's total lands on its
   story level.
2. The 2025-26 Q2 return arrives two weeks after its due date (20 working days after the quarter end).
3. The 2026-27 Q1 return is resubmitted two weeks later with corrected C2/C3 and C8ii figures for WEST.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from kpi.returns.schema import COLUMNS as RETURN_COLUMNS

SEED = 20190
PROVIDER = "ZZ1"
DATASET = "mandated_contacts"

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REFERENCE = HERE / "reference"
RETURNS = HERE / "provider_returns"
CATALOGUE = REPO / "config" / "catalogue.toml"

COLUMNS = list(RETURN_COLUMNS)

FIRST_PERIOD = (2022, 3)  # 2022-23 Q3
N_PERIODS = 16  # .. 2026-27 Q2
XLSX_PERIOD = "2024-25 Q1"
LATE_PERIOD = "2025-26 Q2"
IOD2025_FROM = "2025-26 Q3"  # first quarter whose deciles use IoD2025 (config/settings.toml's default)
RESUBMITTED_PERIOD = "2026-27 Q1"
RESUBMITTED_LOCALITY = "WEST"
DUE_WORKING_DAYS = 20  # local rule: a return is due 20 working days after the quarter ends

BIRTHS_PER_QUARTER = 760  # about 3,000 births a year in Trafford
BIRTHS_TREND_PER_YEAR = -0.012
BIRTHS_SEASON = {1: 0.98, 2: 1.03, 3: 1.01, 4: 0.98}
# decile U: share of each locality's children with no recorded LSOA
UNKNOWN_SHARE = {"CENTRAL": 0.03, "NORTH": 0.035, "SOUTH": 0.02, "WEST": 0.03}
UNKNOWN_LIKE_DECILE = 2  # children with no recorded LSOA fare like decile 2

# Rates by IMD decile: (decile 1, decile 10), linear in between. Levels near England and the sample targets.
GRADIENT = {
    "C1": (0.72, 0.88),  # antenatal contacts per birth (a count: the rate scales the cohort)
    "C2": (0.89, 0.965),
    "C8i": (0.80, 0.90),
    "C8ii": (0.35, 0.65),
    "C4": (0.71, 0.81),
    "C5": (0.82, 0.91),
    "C6i": (0.75, 0.85),
    "C6ii": (0.90, 0.96),
    "C6iii": (0.82, 0.93),  # communication
    "C6iv": (0.88, 0.96),  # gross motor
    "C6v": (0.86, 0.95),  # fine motor
    "C6vi": (0.85, 0.94),  # problem solving
    "C6vii": (0.85, 0.94),  # personal-social
    "C6viii": (0.68, 0.82),  # all five domains
}
NBV_WITHIN_30_DAYS = 0.98  # C2 + C3
ASQ_DOMAINS = ["C6iii", "C6iv", "C6v", "C6vi", "C6vii"]

# Story 1: NORTH's C2 by period (locality total, +/- TOLERANCE); everyone else at least GREEN_FLOOR.
NORTH_C2 = {
    "2025-26 Q2": 0.91,
    "2025-26 Q3": 0.88,
    "2025-26 Q4": 0.86,  # amber: at least 85%
    "2026-27 Q1": 0.82,
    "2026-27 Q2": 0.80,
}
C2_TOLERANCE = 0.008
C2_GREEN_FLOOR = 0.905
NORTH_C2_COMMENTS = {
    "2025-26 Q2": "Two health visitor vacancies in North team since August; recruitment under way",
    "2025-26 Q3": "Staff vacancies in North team; agency cover from November",
    "2025-26 Q4": "North team 2.6 WTE vacant; agency cover in place for two days a week",
    "2026-27 Q1": "Agency cover in North ended in May; visits prioritised by vulnerability",
    "2026-27 Q2": "North team 3.0 WTE vacant; two new starters due in November; recovery plan in progress",
}

# School nursing (locality) and FNP / workforce (borough).
SN1_RATE = {"CENTRAL": 0.97, "NORTH": 0.955, "SOUTH": 0.975, "WEST": 0.96}
RECEPTION_PER_YEAR = 3000
SN2_REFERRALS = {"CENTRAL": 80, "NORTH": 105, "SOUTH": 85, "WEST": 70}
SN2_RATE = {"CENTRAL": 0.93, "NORTH": 0.90, "SOUTH": 0.94, "WEST": 0.92}
FNP1_RATE = 0.66
FNP2_PLACES = 100
FNP2_RATE = 0.95
HV_ESTABLISHMENT_WTE = {"2022-23 Q3": 58.2, "2025-26 Q1": 58.6}  # effective from
HV_VACANCY = {  # story periods: vacancies in the North team
    "2025-26 Q2": 0.09,
    "2025-26 Q3": 0.11,
    "2025-26 Q4": 0.12,
    "2026-27 Q1": 0.115,
    "2026-27 Q2": 0.10,
}
HV_VACANCY_BASE = 0.07

QUARTER_NOISE_SD = 0.008  # borough-wide period-to-period movement in each rate
LOCALITY_EFFECT_SD = 0.012  # fixed difference between localities in each rate
UNKNOWN_COMMENT_RATE = 0.08


@dataclass(frozen=True)
class Period:
    start_year: int
    quarter: int

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d} Q{self.quarter}"

    @property
    def end(self) -> dt.date:
        month = 3 * self.quarter + 3  # Q1 Apr-Jun ends in June
        year = self.start_year + (month > 12)
        month = (month - 1) % 12 + 1
        next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
        return next_month - dt.timedelta(days=1)

    def file_stem(self) -> str:
        return f"{DATASET}_{self.label.replace(' ', '_')}"

    def next(self) -> Period:
        if self.quarter == 4:
            return Period(self.start_year + 1, 1)
        return Period(self.start_year, self.quarter + 1)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """Add n working days (Monday to Friday; bank holidays are not excluded: a simplification)."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


@dataclass
class Row:
    metric_code: str
    locality_code: str
    imd_decile: str  # "1".."10", "U" or "" (all deciles)
    numerator: float
    denominator: float | None
    comment: str = ""


@dataclass
class Return:
    period: Period
    rows: list[Row] = field(default_factory=list)


def load_catalogue() -> list[dict]:
    with CATALOGUE.open("rb") as fh:
        # the KPIs a return carries (the others come from the child-level records: source = "hv-records")
        kpis = [k for k in tomllib.load(fh)["kpi"] if k.get("source", "return") == "return"]
    known = set(GRADIENT) | {"C3", "SN1", "SN2", "FNP1", "FNP2", "HVVAC"}
    unknown = [k["code"] for k in kpis if k["code"] not in known]
    assert not unknown, f"no sample-data model for catalogue KPIs {unknown}: add one to generate_returns.py"
    return kpis


def load_cells() -> tuple[list[str], dict[str, str], dict[tuple[str, int], int]]:
    """Locality codes, names, and children 0-15 per locality x decile cell that has LSOAs."""
    imd = pl.read_parquet(HERE.parent / "reference" / "lsoa11_imd2019.parquet")
    localities = pl.read_csv(REFERENCE / "trafford_localities.csv")
    cells = (
        localities.join(imd, on="lsoa_code", how="inner")
        .group_by("locality_code", "imd_decile")
        .agg(pl.col("children_0_15").sum())
        .sort("locality_code", "imd_decile")
    )
    codes = sorted(localities["locality_code"].unique().to_list())
    names = dict(localities.select("locality_code", "locality_name").unique().iter_rows())
    children = {(loc, dec): n for loc, dec, n in cells.iter_rows()}
    return codes, names, children


def load_iod2025_cells() -> tuple[dict[tuple[str, int], int], dict[str, list[int]]]:
    """Where each locality x IoD2019 decile cell's children live on IoD2025, and each locality's IoD2025 deciles.

    A cell goes whole to the IoD2025 decile holding most of its children (2011 LSOAs through the ONS exact-fit
    lookup to their 2021 LSOAs, a split LSOA's children shared equally among its parts).
    """
    reference = HERE.parent / "reference"
    imd = pl.read_parquet(reference / "lsoa11_imd2019.parquet")
    localities = pl.read_csv(REFERENCE / "trafford_localities.csv")
    pairs = pl.read_parquet(reference / "lsoa11_lsoa21.parquet").with_columns(
        pl.len().over("lsoa11_code").alias("parts")
    )
    iod2025 = pl.read_parquet(reference / "lsoa21_imd2025.parquet").select(
        "lsoa_code", pl.col("imd_decile").alias("decile_2025")
    )
    lsoas = (
        localities.join(imd, on="lsoa_code")
        .join(pairs, left_on="lsoa_code", right_on="lsoa11_code")
        .join(iod2025, left_on="lsoa21_code", right_on="lsoa_code")
        .with_columns((pl.col("children_0_15") / pl.col("parts")).alias("children"))
    )
    shares = (
        lsoas.group_by("locality_code", "imd_decile", "decile_2025")
        .agg(pl.col("children").sum())
        .sort(
            ["locality_code", "imd_decile", "children", "decile_2025"], descending=[False, False, True, False]
        )
    )
    best = shares.group_by("locality_code", "imd_decile", maintain_order=True).first()
    moves = {(loc, d19): d25 for loc, d19, d25, _ in best.iter_rows()}
    held = lsoas.group_by("locality_code").agg(pl.col("decile_2025").unique().sort())
    return moves, {loc: list(deciles) for loc, deciles in held.iter_rows()}


def gradient(code: str, decile: int) -> float:
    lo, hi = GRADIENT[code]
    return lo + (hi - lo) * (decile - 1) / 9


class Generator:
    def __init__(self) -> None:
        self.rng = np.random.default_rng(SEED)
        self.catalogue = load_catalogue()
        self.localities, self.locality_names, self.children = load_cells()
        self.moves_2025, self.deciles_2025 = load_iod2025_cells()
        self.total_children = sum(self.children.values())
        self.deciles = {
            loc: sorted(d for (lc, d) in self.children if lc == loc) for loc in self.localities
        }  # deciles each locality has LSOAs in
        codes = [*GRADIENT, "SN1", "SN2"]
        self.locality_effect = {
            (code, loc): float(self.rng.normal(0, LOCALITY_EFFECT_SD))
            for code in codes
            for loc in self.localities
        }
        for loc in self.localities:  # C2 differs between localities only by deprivation (and the story)
            self.locality_effect[("C2", loc)] = 0.0

    # -- cohorts and rates --

    def births(self, period: Period, index: int) -> float:
        years = index / 4
        return BIRTHS_PER_QUARTER * (1 + BIRTHS_TREND_PER_YEAR * years) * BIRTHS_SEASON[period.quarter]

    def cells(self, loc: str) -> list[str]:
        return [str(d) for d in self.deciles[loc]] + ["U"]

    def cohort(self, births: float, loc: str) -> dict[str, int]:
        """Poisson cohort sizes for each decile cell of a locality and its U cell."""
        loc_children = sum(self.children[(loc, d)] for d in self.deciles[loc])
        u = UNKNOWN_SHARE[loc]
        means = {
            str(d): births * self.children[(loc, d)] / self.total_children * (1 - u)
            for d in self.deciles[loc]
        }
        means["U"] = births * loc_children / self.total_children * u
        return {cell: int(self.rng.poisson(m)) for cell, m in means.items()}

    def rate(self, code: str, loc: str, cell: str, shift: float) -> float:
        decile = UNKNOWN_LIKE_DECILE if cell == "U" else int(cell)
        p = gradient(code, decile) + self.locality_effect[(code, loc)] + shift
        return float(np.clip(p, 0.01, 0.995))

    def binomial(self, n: int, p: float) -> int:
        return int(self.rng.binomial(n, p))

    # -- one period --

    def generate(self, period: Period, index: int) -> Return:
        births = self.births(period, index)
        shift = {code: float(self.rng.normal(0, QUARTER_NOISE_SD)) for code in [*GRADIENT, "SN1", "SN2"]}
        ret = Return(period)
        by_code: dict[str, dict[str, dict[str, tuple[float, float | None]]]] = {}
        for loc in self.localities:
            for code, values in self.locality_decile_values(period, births, loc, shift).items():
                by_code.setdefault(code, {})[loc] = values
        for kpi in self.catalogue:
            code, breakdown = kpi["code"], kpi["breakdown"]
            if breakdown == "locality_decile":
                for loc in self.localities:
                    ret.rows.extend(self.locality_rows(period, code, loc, by_code[code][loc]))
            elif breakdown == "locality":
                for loc in self.localities:
                    num, den = self.locality_value(code, loc, shift)
                    ret.rows.append(Row(code, loc, "", num, den))
            elif breakdown == "borough":
                ret.rows.append(self.borough_row(period, code))
            else:
                raise ValueError(f"unknown breakdown {breakdown!r} for {code}")
        if period.label >= IOD2025_FROM:
            ret.rows = self.on_iod2025(ret.rows)
        self.check(ret)
        return ret

    def on_iod2025(self, rows: list[Row]) -> list[Row]:
        """The decile rows moved onto IoD2025's locality x decile cells, with no draw from the random stream.

        Each IoD2019 cell's figures go whole to the IoD2025 decile holding most of its children, so every row's
        relations (numerator within denominator, C2 + C3 within the cohort, ...) still hold, and an IoD2025 cell
        no IoD2019 cell goes to has zeros; the U and all-deciles rows, and so every locality and borough figure,
        are unchanged.
        """
        out: list[Row] = []
        i = 0
        while i < len(rows):
            row = rows[i]
            if row.imd_decile in ("", "U") or row.locality_code == "ALL":
                out.append(row)
                i += 1
                continue
            block = []
            while i < len(rows) and rows[i].imd_decile not in ("", "U"):
                block.append(rows[i])
                i += 1
            code, loc = row.metric_code, row.locality_code
            is_count = row.denominator is None
            sums = {d: [0.0, None if is_count else 0.0] for d in self.deciles_2025[loc]}
            for r in block:
                target = sums[self.moves_2025[(loc, int(r.imd_decile))]]
                target[0] += r.numerator
                if not is_count:
                    target[1] += r.denominator
            out += [Row(code, loc, str(d), num, den) for d, (num, den) in sums.items()]
        return out

    def locality_decile_values(
        self, period: Period, births: float, loc: str, shift: dict[str, float]
    ) -> dict[str, dict[str, tuple[float, float | None]]]:
        """{code: {cell: (numerator, denominator)}} for one locality; cells are deciles and U."""
        cells = self.cells(loc)
        out: dict[str, dict[str, tuple[float, float | None]]] = {}

        # C1: antenatal contacts, a count (about 80% of births)
        out["C1"] = {}
        for cell, n in self.cohort(births, loc).items():
            out["C1"][cell] = (self.binomial(n, self.rate("C1", loc, cell, shift["C1"])), None)

        # C2 / C3: new birth visits within / after 14 days, cohort turning 30 days
        nbv = self.cohort(births, loc)
        c2 = self.draw_c2(period, loc, nbv, shift["C2"])
        out["C2"], out["C3"] = {}, {}
        for cell in cells:
            n, p2 = nbv[cell], self.rate("C2", loc, cell, shift["C2"] + self.c2_story_shift(period, loc, nbv))
            after = max(0.0, (NBV_WITHIN_30_DAYS - p2) / (1 - p2))
            out["C2"][cell] = (c2[cell], n)
            out["C3"][cell] = (self.binomial(n - c2[cell], min(after, 1.0)), n)

        # C8i / C8ii: 6-8 week review and breastfeeding, same cohort
        c8 = self.cohort(births, loc)
        out["C8i"] = {c: (self.binomial(n, self.rate("C8i", loc, c, shift["C8i"])), n) for c, n in c8.items()}
        out["C8ii"] = {
            c: (self.binomial(n, self.rate("C8ii", loc, c, shift["C8ii"])), n) for c, n in c8.items()
        }

        # C4 / C5: 12-month review by 12 and by 15 months (different cohorts)
        for code in ("C4", "C5"):
            cohort = self.cohort(births, loc)
            out[code] = {
                c: (self.binomial(n, self.rate(code, loc, c, shift[code])), n) for c, n in cohort.items()
            }

        # C6i..C6viii: 2-2½ year review, ASQ-3 use, ASQ-3 domains (children at or above the expected level)
        for code in ("C6i", "C6ii", "C6viii", *ASQ_DOMAINS):
            out[code] = {}
        for cell, n in self.cohort(births, loc).items():
            reviewed = self.binomial(n, self.rate("C6i", loc, cell, shift["C6i"]))
            asq = self.binomial(reviewed, self.rate("C6ii", loc, cell, shift["C6ii"]))
            p_all = self.rate("C6viii", loc, cell, shift["C6viii"])
            all_five = self.binomial(asq, p_all)
            out["C6i"][cell] = (reviewed, n)
            out["C6ii"][cell] = (asq, reviewed)
            out["C6viii"][cell] = (all_five, asq)
            for code in ASQ_DOMAINS:
                p_domain = self.rate(code, loc, cell, shift[code])
                rest = float(np.clip((p_domain - p_all) / (1 - p_all), 0.0, 1.0))
                out[code][cell] = (all_five + self.binomial(asq - all_five, rest), asq)
        return out

    def c2_story_shift(self, period: Period, loc: str, nbv: dict[str, int]) -> float:
        """Shift of NORTH's C2 rates that puts its expected locality total on the story level."""
        if loc != "NORTH" or period.label not in NORTH_C2:
            return 0.0
        total = sum(nbv.values()) or 1
        expected = sum(n * self.rate("C2", loc, cell, 0.0) for cell, n in nbv.items()) / total
        return NORTH_C2[period.label] - expected

    def draw_c2(self, period: Period, loc: str, nbv: dict[str, int], shift: float) -> dict[str, int]:
        """Binomial C2 numerators, redrawn until the locality total tells the story (see module docstring)."""
        story = self.c2_story_shift(period, loc, nbv)
        total = sum(nbv.values())
        for _ in range(10_000):
            if story:
                # no borough-wide noise: the expected total is the story level
                probs = {c: self.rate("C2", loc, c, story) for c in nbv}
            else:
                probs = {c: self.rate("C2", loc, c, shift) for c in nbv}
            drawn = {c: self.binomial(n, probs[c]) for c, n in nbv.items()}
            value = sum(drawn.values()) / total
            if loc == "NORTH" and period.label in NORTH_C2:
                if abs(value - NORTH_C2[period.label]) <= C2_TOLERANCE:
                    return drawn
            elif value >= C2_GREEN_FLOOR:
                return drawn
        raise RuntimeError(f"could not draw C2 for {loc} {period.label}")

    def locality_rows(
        self, period: Period, code: str, loc: str, values: dict[str, tuple[float, float | None]]
    ) -> list[Row]:
        rows = []
        for cell in self.cells(loc):
            num, den = values[cell]
            comment = ""
            if cell == "U" and self.rng.random() < UNKNOWN_COMMENT_RATE:
                comment = "LSOA not recorded"
            rows.append(Row(code, loc, cell, num, den, comment))
        num = sum(v[0] for v in values.values())
        dens = [v[1] for v in values.values()]
        den = None if None in dens else sum(d for d in dens if d is not None)
        comment = NORTH_C2_COMMENTS.get(period.label, "") if (code, loc) == ("C2", "NORTH") else ""
        rows.append(Row(code, loc, "", num, den, comment))
        return rows

    def locality_value(self, code: str, loc: str, shift: dict[str, float]) -> tuple[int, int]:
        loc_children = sum(self.children[(loc, d)] for d in self.deciles[loc])
        if code == "SN1":
            den = int(self.rng.poisson(RECEPTION_PER_YEAR / 4 * loc_children / self.total_children))
            p = SN1_RATE[loc] + shift["SN1"] + self.locality_effect[("SN1", loc)] / 2
        elif code == "SN2":
            den = int(self.rng.poisson(SN2_REFERRALS[loc]))
            p = SN2_RATE[loc] + shift["SN2"] + self.locality_effect[("SN2", loc)] / 2
        else:
            raise ValueError(f"no sample-data model for locality KPI {code}")
        return self.binomial(den, float(np.clip(p, 0.01, 0.995))), den

    def borough_row(self, period: Period, code: str) -> Row:
        if code == "FNP1":
            den = int(self.rng.integers(15, 26))
            return Row(code, "ALL", "", self.binomial(den, FNP1_RATE), den)
        if code == "FNP2":
            return Row(code, "ALL", "", self.binomial(FNP2_PLACES, FNP2_RATE), FNP2_PLACES)
        if code == "HVVAC":
            establishment = HV_ESTABLISHMENT_WTE[max(p for p in HV_ESTABLISHMENT_WTE if p <= period.label)]
            story = period.label in HV_VACANCY
            rate = HV_VACANCY[period.label] if story else HV_VACANCY_BASE + float(self.rng.normal(0, 0.008))
            vacant = round(max(0.0, rate * establishment + float(self.rng.normal(0, 0.3))), 1)
            if not story:  # before the North team's vacancies the rate stays under the 10% target
                vacant = min(vacant, round(0.095 * establishment, 1))
            comment = (
                "Vacancies concentrated in North team" if story and vacant / establishment > 0.10 else ""
            )
            return Row(code, "ALL", "", vacant, establishment, comment)
        raise ValueError(f"no sample-data model for borough KPI {code}")

    # -- checks --

    def check(self, ret: Return) -> None:
        totals: dict[str, tuple[float, float]] = {}
        for row in ret.rows:
            if row.denominator is not None:
                assert 0 <= row.numerator <= row.denominator, row
            if row.imd_decile == "" and row.locality_code != "ALL":
                n, d = totals.get(row.metric_code, (0, 0))
                totals[row.metric_code] = (n + row.numerator, d + (row.denominator or 0))
        rate = {code: n / d for code, (n, d) in totals.items() if d}
        assert rate["C5"] >= rate["C4"], f"{ret.period.label}: C5 below C4"
        assert rate["C6viii"] == min(rate[c] for c in [*ASQ_DOMAINS, "C6viii"]), "C6viii not lowest"
        c2 = {r.locality_code: r for r in ret.rows if r.metric_code == "C2" and r.imd_decile == ""}
        c3 = {r.locality_code: r for r in ret.rows if r.metric_code == "C3" and r.imd_decile == ""}
        for loc, row in c2.items():
            assert row.numerator + c3[loc].numerator <= row.denominator


# -- the resubmission --


def first_submission(corrected: Return) -> Return:
    """The superseded first return: WEST's C2 and C8ii under-recorded.

    Some new birth visits within 14 days were entered as after 14 days (C2 lower, C3 higher) and some
    partially breastfed infants were missed (C8ii lower); the resubmission has the corrected figures.
    """
    rows = [Row(**vars(r)) for r in corrected.rows]
    west = {(r.metric_code, r.imd_decile): r for r in rows if r.locality_code == RESUBMITTED_LOCALITY}
    deciles = [
        r.imd_decile for r in rows if r.locality_code == RESUBMITTED_LOCALITY and r.metric_code == "C2"
    ]
    deciles = [d for d in deciles if d not in ("", "U")]
    biggest = sorted(deciles, key=lambda d: -(west[("C2", d)].denominator or 0))[:3]
    for decile, moved in zip(biggest, (4, 3, 2), strict=True):
        moved = min(moved, int(west[("C2", decile)].numerator))
        west[("C2", decile)].numerator -= moved
        west[("C3", decile)].numerator += moved
        west[("C2", "")].numerator -= moved
        west[("C3", "")].numerator += moved
    biggest = sorted(deciles, key=lambda d: -(west[("C8ii", d)].denominator or 0))[:2]
    for decile, missed in zip(biggest, (5, 3), strict=True):
        missed = min(missed, int(west[("C8ii", decile)].numerator))
        west[("C8ii", decile)].numerator -= missed
        west[("C8ii", "")].numerator -= missed
    return Return(corrected.period, rows)


# -- writing --


def cell_value(value: float | None, kind: str) -> str:
    if value is None:
        return ""
    return f"{value:.1f}" if kind == "ratio" else str(int(value))


def to_records(ret: Return, kinds: dict[str, str]) -> list[list[str]]:
    return [
        [
            ret.period.label,
            PROVIDER,
            r.metric_code,
            r.locality_code,
            r.imd_decile,
            cell_value(r.numerator, kinds[r.metric_code]),
            cell_value(r.denominator, kinds[r.metric_code]),
            r.comment,
        ]
        for r in ret.rows
    ]


def write_csv(path: Path, records: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(records)
    path.write_text(buf.getvalue(), encoding="utf-8")


FIXED_CREATED = dt.datetime(2024, 7, 1, 9, 0, 0)  # fixed workbook metadata keeps the .xlsx byte-identical


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"author": "ZZ1 sample provider", "created": FIXED_CREATED})
    return wb


def write_xlsx(path: Path, records: list[list[str]]) -> None:
    """The return as a provider's Excel holds it: numbers as numbers, codes and U as text, blanks empty."""
    wb = new_workbook(path)
    ws = wb.add_worksheet("Return")
    ws.write_row(0, 0, COLUMNS)
    for i, rec in enumerate(records, start=1):
        for j, value in enumerate(rec):
            if value == "":
                continue
            if COLUMNS[j] in ("imd_decile", "numerator", "denominator") and value != "U":
                number = float(value)
                ws.write_number(i, j, int(number) if number.is_integer() else number)
            else:
                ws.write_string(i, j, value)
    ws.set_column(0, 0, 12)
    ws.set_column(3, 3, 14)
    ws.set_column(7, 7, 60)
    wb.close()


def write_manifest(entries: list[tuple[str, str, dt.datetime, str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["file", "period", "received_at", "note"])
    for name, period, received, note in entries:
        writer.writerow([name, period, received.isoformat(timespec="seconds"), note])
    (RETURNS / "manifest.csv").write_text(buf.getvalue(), encoding="utf-8")


def received_at(rng: np.random.Generator, period: Period, working_days: int) -> dt.datetime:
    day = add_working_days(period.end, working_days)
    minutes = int(rng.integers(8 * 60 + 30, 17 * 60 + 30))
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))


def main() -> None:
    gen = Generator()
    kinds = {k["code"]: k["value_kind"] for k in gen.catalogue}
    RETURNS.mkdir(parents=True, exist_ok=True)
    for old in RETURNS.glob(f"{DATASET}_*"):
        old.unlink()

    manifest: list[tuple[str, str, dt.datetime, str]] = []
    arrival = np.random.default_rng([SEED, 1])  # a separate stream: arrival times do not move the figures
    period = Period(*FIRST_PERIOD)
    for index in range(N_PERIODS):
        ret = gen.generate(period, index)
        label = period.label
        suffix = ".xlsx" if label == XLSX_PERIOD else ".csv"
        name = period.file_stem() + suffix
        days = int(arrival.integers(10, 19))
        note = ""
        if label == LATE_PERIOD:
            days, note = DUE_WORKING_DAYS + 10, "late"
        if label == RESUBMITTED_PERIOD:
            first = first_submission(ret)
            write_csv(RETURNS / name, to_records(first, kinds))
            manifest.append((name, label, received_at(arrival, period, 10), "first submission, superseded"))
            name = f"{period.file_stem()}_resubmitted.csv"
            days = 19
            note = f"resubmission: corrected breastfeeding and NBV figures for {RESUBMITTED_LOCALITY}"
        records = to_records(ret, kinds)
        if suffix == ".xlsx":
            write_xlsx(RETURNS / name, records)
        else:
            write_csv(RETURNS / name, records)
        manifest.append((name, label, received_at(arrival, period, days), note))
        period = period.next()
    write_manifest(manifest)
    print(f"wrote {len(manifest)} returns and manifest.csv to {RETURNS.relative_to(REPO)} (seed {SEED})")


if __name__ == "__main__":
    main()
