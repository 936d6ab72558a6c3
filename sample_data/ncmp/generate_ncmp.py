"""Generate the synthetic NCMP sample in sample_data/ncmp/: four academic years of child-level returns, the
eligible-pupils returns, example files that trip every rejection and warning, and the load manifest.

Run from the repository root: ``uv run python sample_data/ncmp/generate_ncmp.py``. Deterministic (numpy RNG seeded
with SEED; gzip written with a fixed timestamp): a rerun writes byte-identical files. ``--check`` prints the
prevalence the files give when classified with kpi.ncmp.bmi (the calibration check) and writes nothing.

Every child is synthetic. Schools are made up (URNs 99xxxx, "Sample ... Primary"), placed in Trafford's four real
localities in proportion to the children aged 0-15 living there; each child's home LSOA is drawn from the school's
locality (weighted by children 0-15, IoD2019), with about 3% from the neighbouring boroughs and 1% not recorded.
From 2025/26 (the first year on the English Indices of Deprivation 2025 by default) the files give 2021 LSOA
codes, as providers' record systems now do: each 2011 code is written as its 2021 LSOA (a split one as one of its
parts, in turn, without drawing from the random stream), so earlier years' files stay byte-identical.
Names, NHS numbers (999 test range), UPNs (Z prefix) and postcodes (ZZ99 pseudo-postcodes) are fake and are there to
show that the loader drops them.

BMI z-scores are drawn from a skew-normal distribution fitted to England's 2023/24 NCMP prevalence (underweight,
overweight, obesity, severe obesity; docs/methods.md section 3), shifted by national IMD decile so that obesity runs from
the 2019/20 England decile 1 to decile 10 values (Reception 13.3% to 6.0%, Year 6 27.5% to 11.9%), with a small
year-to-year drift. Heights are drawn around typical heights for age; the weight is the one that gives the drawn
BMI (BMI = M(1 + L S z)^(1/L) with UK90 L, M, S read from rcpchgrowth by kpi.ncmp.bmi), rounded to 0.1 kg.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import sys
from pathlib import Path

import numpy as np
import polars as pl
from scipy import optimize, stats

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from kpi.core.value_maps import map_distinct  # noqa: E402
from kpi.ncmp.bmi import (  # noqa: E402
    OBESE_Z,
    OVERWEIGHT_Z,
    SEVERE_OBESITY_Z,
    UNDERWEIGHT_Z,
    classify,
    load_uk90_bmi_lms,
)

SEED = 20260
COUNCIL = "E08000009"
YEARS = ("2022/23", "2023/24", "2024/25", "2025/26")
CHILDREN_PER_GROUP = 2900  # measured, per year group per year (about 3,050 eligible)
NEIGHBOURS = ("E08000003", "E08000006", "E08000007", "E06000049", "E06000007")
OUTSIDE_SHARE = 0.03
UNKNOWN_LSOA_SHARE = 0.01
OTHER_LOCALITY_SHARE = 0.08
SCHOOLS = {"CENTRAL": 14, "NORTH": 13, "SOUTH": 20, "WEST": 15}
FIRST_LSOA21_YEAR = "2025/26"  # files from this year give 2021 LSOA codes (IoD2025)
LOW_PARTICIPATION_SCHOOL = 990207  # a school in NORTH whose participation falls (a story for the page)

# England 2023/24 (docs/methods.md section 3), per cent: underweight, overweight, obese, severe obesity.
ENGLAND_2023 = {"R": (1.2, 12.4, 9.6, 2.6), "6": (1.7, 13.8, 22.1, 5.5)}
# England obesity by IMD decile 2019/20, decile 1 and decile 10 (docs/methods.md section 3).
DECILE_OBESE = {"R": (13.3, 6.0), "6": (27.5, 11.9)}
# Drift of z by academic year (small, so the run chart has something to show).
YEAR_SHIFT = {"2022/23": 0.03, "2023/24": 0.04, "2024/25": 0.0, "2025/26": -0.03}
ETHNIC_GROUPS = {
    "White": 0.72,
    "Asian or Asian British": 0.10,
    "Mixed": 0.06,
    "Black or Black British": 0.04,
    "Any other ethnic group": 0.03,
    "Not stated": 0.05,
}
FIRST_NAMES = (
    "Amelia",
    "Oliver",
    "Isla",
    "Noah",
    "Ava",
    "Muhammad",
    "Ivy",
    "George",
    "Freya",
    "Leo",
    "Aisha",
    "Jack",
)
SURNAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Khan",
    "Williams",
    "Wilson",
    "Patel",
    "Evans",
    "Walker",
    "Ali",
    "Hughes",
)

# Each year's file is written a little differently, as real extracts are: header case, date style, sex codes.
FILE_STYLES = {
    "2022/23": {"dates": "iso", "sex": {"M": "M", "F": "F"}, "headers": "snake"},
    "2023/24": {"dates": "uk", "sex": {"M": "Male", "F": "Female"}, "headers": "title"},
    "2024/25": {"dates": "iso", "sex": {"M": "1", "F": "2"}, "headers": "snake"},
    "2025/26": {"dates": "uk", "sex": {"M": "M", "F": "F"}, "headers": "snake"},
}
EXTRACT_COLUMNS = (
    "pupil_name",
    "upn",
    "nhs_number",
    "date_of_birth",
    "sex",
    "postcode",
    "lsoa_code",
    "ethnic_group",
    "school_urn",
    "school_year",
    "academic_year",
    "date_of_measurement",
    "height_cm",
    "weight_kg",
)


def _skew_prevalence(params: np.ndarray, shift: float = 0.0) -> np.ndarray:
    a, loc, scale = params
    dist = stats.skewnorm(a, loc + shift, scale)
    under = dist.cdf(UNDERWEIGHT_Z)
    over = dist.cdf(OBESE_Z) - dist.cdf(OVERWEIGHT_Z)
    obese = dist.sf(OBESE_Z)
    severe = dist.sf(SEVERE_OBESITY_Z)
    return np.array([under, over, obese, severe]) * 100


def fit_shape(group: str) -> np.ndarray:
    """Skew-normal (a, loc, scale) whose category prevalence is closest to England 2023/24."""
    target = np.array(ENGLAND_2023[group])
    result = optimize.least_squares(
        lambda p: (_skew_prevalence(p) - target) / np.maximum(target, 1.0),
        x0=np.array([1.0, -0.5, 1.2]),
        bounds=([-10, -3, 0.3], [10, 3, 3]),
    )
    return result.x


def decile_shifts(group: str, shape: np.ndarray) -> dict[int, float]:
    """Shift of z per national IMD decile so that obesity runs from England's decile 1 to decile 10 value."""
    first, last = DECILE_OBESE[group]
    shifts = {}
    for decile in range(1, 11):
        target = first + (last - first) * (decile - 1) / 9
        shifts[decile] = optimize.brentq(lambda s, t=target: _skew_prevalence(shape, s)[2] - t, -2, 2)
    return shifts


def _lms_at(sex: np.ndarray, age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tables = load_uk90_bmi_lms()
    out = [np.empty(age.size) for _ in range(3)]
    for code, table in tables.items():
        rows = sex == code
        for i, values in enumerate((table.L, table.M, table.S)):
            out[i][rows] = np.interp(age[rows], table.age_years, values)
    return out[0], out[1], out[2]


def _schools(rng: np.random.Generator, lookup: pl.DataFrame) -> pl.DataFrame:
    rows = []
    number = 0
    for locality, count in SCHOOLS.items():
        for i in range(count):
            number += 1
            urn = 990000 + {"CENTRAL": 100, "NORTH": 200, "SOUTH": 300, "WEST": 400}[locality] + i + 1
            rows.append(
                {
                    "school_urn": str(urn),
                    "school_name": f"Sample {locality.title()} Primary {i + 1:02d}",
                    "locality_code": locality,
                    "size": float(rng.gamma(6.0, 1.0 / 6.0)),
                    "participation": float(np.clip(rng.normal(0.955, 0.02), 0.88, 0.995)),
                }
            )
    return pl.DataFrame(rows)


def _school_days(rng: np.random.Generator, start_year: int, n: int) -> list[dt.date]:
    first = dt.date(start_year, 10, 1)
    days = []
    while len(days) < n:
        day = first + dt.timedelta(days=int(rng.integers(0, 270)))  # October to June
        if day.weekday() < 5:
            days.append(day)
    return days


def _children(
    rng: np.random.Generator,
    year: str,
    group: str,
    schools: pl.DataFrame,
    lookup: pl.DataFrame,
    neighbours: pl.DataFrame,
    shape: np.ndarray,
    shifts: dict[int, float],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    start = int(year[:4])
    sizes = schools["size"].to_numpy()
    eligible = rng.poisson(sizes / sizes.sum() * CHILDREN_PER_GROUP / 0.955)
    participation = schools["participation"].to_numpy().copy()
    low = schools["school_urn"].to_list().index(str(LOW_PARTICIPATION_SCHOOL))
    participation[low] = {"2022/23": 0.93, "2023/24": 0.88, "2024/25": 0.83, "2025/26": 0.78}[year]
    measured = rng.binomial(eligible, participation)
    eligible_frame = schools.select("school_urn", "school_name", "locality_code").with_columns(
        pl.lit(year).alias("academic_year"),
        pl.lit(group).alias("school_year"),
        pl.Series("eligible_pupils", eligible),
    )
    urns = np.repeat(schools["school_urn"].to_numpy(), measured)
    school_locality = np.repeat(schools["locality_code"].to_numpy(), measured)
    n = urns.size
    day_of_school = dict(
        zip(schools["school_urn"].to_list(), _school_days(rng, start, schools.height), strict=True)
    )

    # Home LSOA: the school's locality mostly, another locality sometimes, a neighbouring borough or unknown.
    lsoa = np.empty(n, dtype=object)
    where = rng.random(n)
    weights = lookup["children_0_15"].to_numpy().astype(float)
    for locality in SCHOOLS:
        in_locality = lookup["locality_code"].to_numpy() == locality
        rows = np.flatnonzero((school_locality == locality) & (where >= OUTSIDE_SHARE + UNKNOWN_LSOA_SHARE))
        p = np.where(in_locality, weights, weights * OTHER_LOCALITY_SHARE / (1 - OTHER_LOCALITY_SHARE) * 0.3)
        lsoa[rows] = rng.choice(lookup["lsoa_code"].to_numpy(), size=rows.size, p=p / p.sum())
    outside = np.flatnonzero(where < OUTSIDE_SHARE)
    lsoa[outside] = rng.choice(neighbours["lsoa_code"].to_numpy(), size=outside.size)
    lsoa[(where >= OUTSIDE_SHARE) & (where < OUTSIDE_SHARE + UNKNOWN_LSOA_SHARE)] = None
    deciles_by_lsoa = dict(
        zip(
            pl.concat(
                [lookup.select("lsoa_code", "imd_decile"), neighbours.select("lsoa_code", "imd_decile")]
            )
            .get_column("lsoa_code")
            .to_list(),
            pl.concat([lookup.select("imd_decile"), neighbours.select("imd_decile")]).to_series().to_list(),
            strict=True,
        )
    )
    decile = np.array([deciles_by_lsoa.get(code, 3) for code in lsoa])

    sex = np.where(rng.random(n) < 0.51, "M", "F")
    cohort_start = dt.date(start - (5 if group == "R" else 11), 9, 1)
    born = np.array([cohort_start + dt.timedelta(days=int(d)) for d in rng.integers(0, 365, n)])
    measured_on = np.array([day_of_school[u] for u in urns])
    age = np.array([(m - b).days for m, b in zip(measured_on, born, strict=True)]) / 365.25

    shift = np.array([shifts[int(d)] for d in decile]) + YEAR_SHIFT[year]
    a, loc, scale = shape
    z = stats.skewnorm.rvs(a, loc, scale, size=n, random_state=rng) + shift
    z = np.clip(z, -3.6, 3.7)  # the sample loads without warnings (|z| > 4)
    lms_l, lms_m, lms_s = _lms_at(sex, age)
    bmi = lms_m * (1 + lms_l * lms_s * z) ** (1 / lms_l)
    typical = (110.0 + 6.2 * (age - 4.6)) if group == "R" else (144.0 + 6.0 * (age - 10.6))
    height = np.round(typical + rng.normal(0, 4.8 if group == "R" else 7.0, n), 1)
    weight = np.round(bmi * (height / 100) ** 2, 1)

    ethnic = rng.choice(list(ETHNIC_GROUPS), size=n, p=np.array(list(ETHNIC_GROUPS.values())))
    names = [
        f"{FIRST_NAMES[i]} {SURNAMES[j]}"
        for i, j in zip(rng.integers(0, len(FIRST_NAMES), n), rng.integers(0, len(SURNAMES), n), strict=True)
    ]
    children = pl.DataFrame(
        {
            "pupil_name": names,
            "sex_code": sex,
            "born": born.tolist(),
            "measured_on": measured_on.tolist(),
            "lsoa_code": lsoa.tolist(),
            "ethnic_group": ethnic,
            "school_urn": urns.tolist(),
            "school_year": group,
            "academic_year": year,
            "height_cm": height,
            "weight_kg": weight,
        },
        schema_overrides={"born": pl.Date, "measured_on": pl.Date, "lsoa_code": pl.String},
    )
    return children, eligible_frame


def _identifiers(rng: np.random.Generator, n: int, offset: int) -> dict[str, list[str]]:
    serial = np.arange(offset, offset + n)
    return {
        "nhs_number": [f"999{s:07d}" for s in serial],
        "upn": [f"Z{900000000000 + s:012d}" for s in serial],
        "postcode": [
            f"ZZ99 {d}{chr(65 + a)}{chr(65 + b)}"
            for d, a, b in zip(
                rng.integers(1, 10, n), rng.integers(0, 26, n), rng.integers(0, 26, n), strict=True
            )
        ],
    }


def _extract(children: pl.DataFrame, year: str, rng: np.random.Generator, offset: int) -> pl.DataFrame:
    style = FILE_STYLES[year]
    fmt = "%Y-%m-%d" if style["dates"] == "iso" else "%d/%m/%Y"
    ids = _identifiers(rng, children.height, offset)
    frame = children.with_columns(
        pl.col("born").dt.strftime(fmt).alias("date_of_birth"),
        pl.col("measured_on").dt.strftime(fmt).alias("date_of_measurement"),
        pl.col("sex_code").replace_strict(style["sex"]).alias("sex"),
        pl.Series("nhs_number", ids["nhs_number"]),
        pl.Series("upn", ids["upn"]),
        pl.Series("postcode", ids["postcode"]),
        *(map_distinct(children[c], lambda v: f"{v:.1f}", pl.String) for c in ("height_cm", "weight_kg")),
    ).select(EXTRACT_COLUMNS)
    if style["headers"] == "title":
        frame = frame.rename({c: c.replace("_", " ").title() for c in frame.columns})
    return frame


def _write_gzip(frame: pl.DataFrame, path: Path) -> None:
    data = frame.write_csv().encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9, filename="") as handle:
        handle.write(data)
    path.write_bytes(buffer.getvalue())


BAD_ROWS = [
    # (what the row trips, overrides of a valid Reception child)
    ("valid row", {}),
    ("sex not M/F", {"sex": "X"}),
    ("US-style date of birth", {"date_of_birth": "04/13/2020"}),
    ("two-digit year", {"date_of_birth": "03/04/20"}),
    ("date not in an accepted form", {"date_of_measurement": "3 March 2025"}),
    ("impossible date", {"date_of_birth": "31/02/2020"}),
    ("missing date of birth", {"date_of_birth": ""}),
    ("measured before birth", {"date_of_birth": "2025-03-10", "date_of_measurement": "2025-03-03"}),
    ("measured outside the academic year", {"date_of_measurement": "2024-07-15"}),
    ("too old for Reception", {"date_of_birth": "2017-09-01"}),
    ("too young for Year 6", {"school_year": "6"}),
    ("height outside 70-220 cm", {"height_cm": "1.12"}),
    ("weight outside 8-200 kg", {"weight_kg": "250"}),
    ("weight not a number", {"weight_kg": "n/a"}),
    ("URN not 6 digits", {"school_urn": "99101"}),
    ("year group not R or 6", {"school_year": "3"}),
    ("academic year malformed", {"academic_year": "2024/26"}),
    ("LSOA code of neither vintage (2011 or 2021)", {"lsoa_code": "E01999999"}),
]
WARNING_ROWS = [
    ("valid row", {}),
    ("|z| above 4 (improbable)", {"weight_kg": "33.0"}),
    ("|z| above 7 (implausible, excluded)", {"weight_kg": "9.0"}),
    ("duplicate: same NHS number as the first row", {"nhs_number": "9990000001", "height_cm": "109.0"}),
    ("duplicate record: same child entered twice", {"nhs_number": ""}),
    # a 2021 LSOA merged from 2011 LSOAs in IoD2019 deciles 1 and 2: unknown decile in 2024/25 (on IoD2019)
    ("2021 LSOA whose 2011 LSOAs differ in decile", {"lsoa_code": "E01033879", "height_cm": "111.0"}),
]


def _example_rows(rows: list[tuple[str, dict]]) -> pl.DataFrame:
    base = {
        "pupil_name": "Example Child",
        "nhs_number": "9990000001",
        "academic_year": "2024/25",
        "school_urn": "990101",
        "school_year": "R",
        "sex": "F",
        "date_of_birth": "2020-01-15",
        "date_of_measurement": "2025-03-03",
        "height_cm": "110.0",
        "weight_kg": "19.0",
        "lsoa_code": "E01006074",
        "ethnic_group": "White",
        "postcode": "ZZ99 3AA",
    }
    out = []
    for i, (what, change) in enumerate(rows):
        row = dict(base, nhs_number=f"99900000{i + 1:02d}", **{"expected_problem": what})
        row.update(change)
        out.append(row)
    if (
        rows is WARNING_ROWS
    ):  # the record duplicate repeats the valid first row exactly, without its NHS number
        out[4].update(
            {k: out[0][k] for k in ("date_of_birth", "date_of_measurement", "height_cm", "weight_kg")}
        )
    return pl.DataFrame(out)


def build(check_only: bool = False) -> None:
    rng = np.random.default_rng(SEED)
    reference = pl.read_parquet(REPO / "reference" / "lsoa11_imd2019.parquet")
    localities = pl.read_csv(REPO / "sample_data" / "reference" / "trafford_localities.csv")
    lookup = reference.join(localities, on="lsoa_code").sort("lsoa_code")
    neighbours = reference.filter(pl.col("lad_code").is_in(list(NEIGHBOURS))).sort("lsoa_code")
    schools = _schools(rng, lookup)
    shapes = {g: fit_shape(g) for g in ("R", "6")}
    shifts = {g: decile_shifts(g, shapes[g]) for g in ("R", "6")}
    manifest = []
    offset = 1000
    summary = []
    for year in YEARS:
        groups = [
            _children(rng, year, g, schools, lookup, neighbours, shapes[g], shifts[g]) for g in ("R", "6")
        ]
        children = pl.concat([c for c, _ in groups])
        eligible = pl.concat([e for _, e in groups]).select(
            "academic_year", "school_urn", "school_name", "school_year", "eligible_pupils", "locality_code"
        )
        order = rng.permutation(children.height)
        children = children[order]
        stem = year.replace("/", "-")
        summary.append(_prevalence(children, reference, year))
        if check_only:
            continue
        if year >= FIRST_LSOA21_YEAR:
            children = _on_lsoa21(children)
        _write_gzip(_extract(children, year, rng, offset), HERE / f"ncmp_{stem}.csv.gz")
        eligible.write_csv(HERE / f"ncmp_eligible_{stem}.csv")
        offset += children.height
        start = int(year[:4])
        manifest.append((f"ncmp_eligible_{stem}.csv", "ncmp-eligible", f"{start}-11-10T09:30:00"))
        manifest.append((f"ncmp_{stem}.csv.gz", "ncmp", f"{start + 1}-10-15T11:00:00"))
    print(pl.concat(summary))
    if check_only:
        return
    pl.DataFrame(manifest, schema=["file", "dataset", "loaded_at"], orient="row").write_csv(
        HERE / "manifest.csv"
    )
    _example_rows(BAD_ROWS).write_csv(HERE / "ncmp_bad_examples.csv")
    _example_rows(WARNING_ROWS).write_csv(HERE / "ncmp_warning_examples.csv")


def _on_lsoa21(children: pl.DataFrame) -> pl.DataFrame:
    """The children with 2021 LSOA codes: the ONS exact-fit lookup's one 2021 LSOA of an unchanged or merged
    2011 LSOA, and for a split one its parts in turn (row by row), with no draw from the random stream."""
    pairs = pl.read_parquet(REPO / "reference" / "lsoa11_lsoa21.parquet").select("lsoa11_code", "lsoa21_code")
    parts = pairs.group_by("lsoa11_code", maintain_order=True).agg(pl.col("lsoa21_code").sort())
    out = children.with_row_index("_row").join(
        parts, left_on="lsoa_code", right_on="lsoa11_code", how="left", maintain_order="left"
    )
    pick = pl.col("lsoa21_code").list.get(
        (pl.col("_row") % pl.col("lsoa21_code").list.len().cast(pl.UInt32)).cast(pl.Int64), null_on_oob=True
    )
    return out.with_columns(pick.alias("lsoa_code")).drop("_row", "lsoa21_code")


def _prevalence(children: pl.DataFrame, reference: pl.DataFrame, year: str) -> pl.DataFrame:
    """Calibration check: prevalence by year group and decile (1, 10, all) as kpi.ncmp.bmi classifies them."""
    classified = classify(
        children.rename({"sex_code": "sex", "born": "date_of_birth", "measured_on": "date_of_measurement"})
    ).join(reference.select("lsoa_code", "imd_decile"), on="lsoa_code", how="left")
    rows = []
    for group in ("R", "6"):
        part = classified.filter(pl.col("school_year") == group)
        for label, sub in (
            ("all", part),
            ("d1", part.filter(pl.col("imd_decile") == 1)),
            ("d10", part.filter(pl.col("imd_decile") == 10)),
        ):
            counts = sub["bmi_category"].value_counts()
            share = dict(zip(counts["bmi_category"], counts["count"] / sub.height * 100, strict=True))
            rows.append(
                {
                    "year": year,
                    "group": group,
                    "who": label,
                    "n": sub.height,
                    "under": round(share.get("underweight", 0), 1),
                    "over": round(share.get("overweight", 0), 1),
                    "obese": round(share.get("obese", 0), 1),
                    "severe": round(float(sub["severe_obesity"].mean()) * 100, 1),
                    "max_abs_z": round(float(sub["bmi_z"].abs().max()), 2),
                }
            )
    return pl.DataFrame(rows)


if __name__ == "__main__":
    build(check_only="--check" in sys.argv)
