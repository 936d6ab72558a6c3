"""The NCMP page's data: the NCMP marts read once, then cut by academic year, year group and category.

Everything comes from ``sql/marts/mart_ncmp_*.sql`` through :meth:`kpi.core.store.Store.run_sql` (:func:`ncmp_data`);
the other functions are pure (frames in, frames out), so the page and a report show the same numbers.

Methods: prevalence and participation with Wilson 95% limits (computed in the marts); comparison with England by
the Fingertips rule (:func:`kpi.stats.compare_with_benchmark_expr`: similar when England's value lies in the
borough's 95% interval), polarity per category from :data:`kpi.ncmp.rules.PREVALENCE_CATEGORIES`; England is the same
academic year where published, else the latest earlier year, labelled with its year; the run chart over years is
:func:`kpi.spc.rules.xmr` (fewer than 12 points: a run chart, docs/methods.md section 5).

Example:
    >>> # data = ncmp_data(store, "E08000009"); categories(data, "2025/26", "R")

"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import deprivation
from kpi.core import periods as periods
from kpi.core.store import ROOT, Store
from kpi.inequality.words import decile_gap_sentence
from kpi.ncmp.rules import PREVALENCE_CATEGORIES, SCHOOL_YEAR_NAMES
from kpi.spc.rules import xmr
from kpi.stats import compare_with_benchmark_expr

BOUNDARIES = ROOT / "sample_data" / "reference" / "localities_2023_generalised.geojson"
BOUNDARIES_COUNCIL = "E08000009"  # Trafford: whose boundaries BOUNDARIES holds
MAP_ATTRIBUTION = "Contains National Statistics and OS data © Crown copyright and database right 2023"
CATEGORY_ORDER = list(PREVALENCE_CATEGORIES)
LOCALITY_BREAKDOWNS = {
    "home_locality": "Where the children live",
    "school_locality": "Where their schools are",
}


@dataclass(frozen=True)
class NcmpData:
    """The NCMP marts for one council as at one time."""

    prevalence: pl.DataFrame
    participation: pl.DataFrame
    gap: pl.DataFrame
    england: pl.DataFrame
    loads: pl.DataFrame
    localities: pl.DataFrame  # the council's localities (locality_code, locality_name, sort_order)


def ncmp_data(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> NcmpData:
    """Read the NCMP marts (prevalence, participation, deprivation gap, England, loads) as at ``as_at``.

    The NCMP is council-wide data (no provider's), read by the roles that see council-wide figures.
    """
    require(principal, "read_council_data")
    params = {"council_code": council_code, "as_at": as_at or periods.now()}
    return NcmpData(
        prevalence=store.run_sql("marts/mart_ncmp_prevalence", **params),
        participation=store.run_sql("marts/mart_ncmp_participation", **params),
        gap=store.run_sql("marts/mart_ncmp_deprivation_gap", **params),
        england=store.run_sql("marts/mart_ncmp_england", **params),
        loads=store.run_sql("marts/mart_ncmp_loads", **params),
        localities=store.run_sql("staging/stg_localities", **params),
    )


def ncmp_prevalence(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """The prevalence mart (every year, year group, breakdown, group and category) as at ``as_at``."""
    require(principal, "read_council_data")
    return store.run_sql(
        "marts/mart_ncmp_prevalence", council_code=council_code, as_at=as_at or periods.now()
    )


def ncmp_participation(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """The participation mart (borough, locality and school rows) as at ``as_at``."""
    require(principal, "read_council_data")
    return store.run_sql(
        "marts/mart_ncmp_participation", council_code=council_code, as_at=as_at or periods.now()
    )


def academic_years(data: NcmpData) -> list[str]:
    """Academic years with measured children, newest first."""
    if data.prevalence.is_empty():
        return []
    return sorted(data.prevalence["academic_year"].unique().to_list(), reverse=True)


def school_year_label(group: str) -> str:
    """``R`` -> ``Reception``, ``6`` -> ``Year 6``."""
    return SCHOOL_YEAR_NAMES[group]


def category_label(category: str) -> str:
    """The category's name for people, e.g. ``Obesity (including severe obesity)``."""
    return PREVALENCE_CATEGORIES[category][0]


def _with_labels(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("category")
        .replace_strict({k: v[0] for k, v in PREVALENCE_CATEGORIES.items()})
        .alias("category_name"),
        pl.col("category")
        .replace_strict({k: i for i, k in enumerate(CATEGORY_ORDER)})
        .alias("category_order"),
    )


def _cut(frame: pl.DataFrame, year: str, group: str, **equal: str) -> pl.DataFrame:
    return frame.filter(
        pl.col("academic_year") == year,
        pl.col("school_year") == group,
        *[pl.col(k) == v for k, v in equal.items()],
    )


def categories(data: NcmpData, year: str, group: str) -> pl.DataFrame:
    """Borough prevalence of every category with England's value and the comparison, in category order.

    Columns: category, category_name, numerator, denominator, value_pct, lower_ci_pct, upper_ci_pct, england_pct,
    england_year, is_same_year, comparison (e.g. "Similar to England"), polarity.
    """
    rows = _cut(data.england, year, group).filter(pl.col("imd_decile").is_null())
    polarity = pl.col("category").replace_strict({k: v[1] for k, v in PREVALENCE_CATEGORIES.items()})
    rows = rows.with_columns(polarity.alias("polarity")).with_columns(
        compare_with_benchmark_expr(
            "value_pct", "lower_ci_pct", "upper_ci_pct", "england_pct", pl.col("polarity")
        )
        .struct.field("label")
        .alias("comparison"),
        pl.format("England {}", pl.col("england_year")).alias("england_label"),
    )
    return _with_labels(rows).sort("category_order")


def breakdown(data: NcmpData, year: str, group: str, category: str, breakdown_name: str) -> pl.DataFrame:
    """Prevalence of one category by group (locality, decile, ethnic group) in display order, with labels."""
    rows = _cut(data.prevalence, year, group, category=category, breakdown=breakdown_name)
    return _with_labels(rows).sort("sort_order", "group_name")


def decile_gradient(data: NcmpData, year: str, group: str, category: str) -> pl.DataFrame:
    """Prevalence by national IMD decile 1 (most deprived) to 10; the unknown-LSOA row is left out."""
    return breakdown(data, year, group, category, "imd_decile").filter(pl.col("group_code") != "U")


def decile_index(data: NcmpData, year: str) -> str | None:
    """The deprivation index the year's deciles use (``IoD2019`` or ``IoD2025``; docs/methods.md section 7.1)."""
    rows = data.prevalence.filter(pl.col("academic_year") == year)
    return rows["deprivation_index"][0] if rows.height and "deprivation_index" in rows.columns else None


def decile_index_label(data: NcmpData, year: str) -> str:
    """How a decile figure of the year names its index (blank when the year has no children).

    For example ``IMD 2025 (English Indices of Deprivation 2025, LSOAs 2021)``.
    """
    index = decile_index(data, year)
    return deprivation.label(index) if index else ""


def england_deciles(data: NcmpData, year: str, group: str, category: str) -> dict[str, float]:
    """England's decile 1 and 10 values for the category, labelled with their year (for reference lines)."""
    rows = _cut(data.england, year, group, category=category).filter(
        pl.col("imd_decile").is_not_null(), pl.col("england_pct").is_not_null()
    )
    return {
        f"England decile {r['imd_decile']} ({r['england_year']})": r["england_pct"]
        for r in rows.sort("imd_decile").iter_rows(named=True)
    }


def gap(data: NcmpData, year: str, group: str, category: str) -> dict | None:
    """The gap between the most and least deprived decile (decile 1 − decile 10, points) with its 95% interval."""
    rows = _cut(data.gap, year, group, category=category)
    if rows.is_empty() or rows["gap_points"][0] is None:
        return None
    return rows.row(0, named=True)


def gap_trend(data: NcmpData, group: str, category: str) -> pl.DataFrame:
    """The gap between the most and least deprived decile by academic year, oldest first."""
    return data.gap.filter(pl.col("school_year") == group, pl.col("category") == category).sort(
        "academic_year"
    )


def run_chart(data: NcmpData, group: str, category: str) -> pl.DataFrame:
    """Borough prevalence by academic year with :func:`kpi.spc.rules.xmr` columns (a run chart below 12 years).

    Columns: academic_year, value_pct, lower_ci_pct, upper_ci_pct, numerator, denominator, mean, upper_limit,
    lower_limit, point_type, shift, trend, limits_shown, after_gap (a year is missing before this one).
    """
    rows = (
        data.prevalence.filter(
            pl.col("breakdown") == "borough",
            pl.col("school_year") == group,
            pl.col("category") == category,
            pl.col("value_pct").is_not_null(),
        )
        .select("academic_year", "value_pct", "lower_ci_pct", "upper_ci_pct", "numerator", "denominator")
        .sort("academic_year")
    )
    if rows.is_empty():
        return rows
    improvement = {"low": "decrease", "high": "increase"}[PREVALENCE_CATEGORIES[category][1]]
    # academic years by their first calendar year: a year without data is a gap the chart never joins across
    years = rows["academic_year"].str.slice(0, 4).cast(pl.Int64)
    chart = xmr(rows["value_pct"], improvement=improvement, periods=years)
    return pl.concat(
        [
            rows,
            chart.select(
                "mean",
                "upper_limit",
                "lower_limit",
                "point_type",
                "shift",
                "trend",
                "limits_shown",
                "after_gap",
            ),
        ],
        how="horizontal",
    )


def participation(data: NcmpData, year: str, group: str, level: str) -> pl.DataFrame:
    """Participation (measured / eligible) at one level ('borough', 'locality', 'school'), lowest first for schools."""
    rows = _cut(data.participation, year, group, level=level)
    order = ["participation_pct", "area_name"] if level == "school" else ["sort_order", "area_code"]
    return rows.sort(order, nulls_last=True)


def participation_coverage(data: NcmpData, year: str, group: str) -> str | None:
    """Which schools the participation figure covers, in words; None when nothing was measured.

    Borough prevalence counts every child measured; participation (measured / eligible) only schools in the
    eligible-pupils list, so the note names the schools left out (their URNs) when there are any.
    """
    schools = _cut(data.participation, year, group, level="school").filter(pl.col("measured_all") > 0)
    if schools.is_empty():
        return None
    missing = schools.filter(pl.col("schools_not_in_eligible") > 0).sort("area_code")
    total = schools.height
    if missing.is_empty():
        return f"Participation covers all {total} school{'s' if total != 1 else ''} measured."
    children = int(missing["measured_all"].sum())
    return (
        f"Participation covers {total - missing.height} of {total} schools measured; schools not in the "
        f"eligible-pupils list: URNs {', '.join(missing['area_code'].to_list())} ({children} "
        f"child{'ren' if children != 1 else ''} counted in prevalence but not in participation)."
    )


def data_quality(data: NcmpData, year: str, group: str) -> dict:
    """Counts a commissioner checks: measured, in prevalence, excluded (|z| > 7), duplicates, LSOA unknown, outside."""
    borough = _cut(data.prevalence, year, group, breakdown="borough", category="obese")
    homes = _cut(data.prevalence, year, group, breakdown="home_locality", category="obese")
    by_code = dict(zip(homes["group_code"].to_list(), homes["measured"].to_list(), strict=True))
    part = participation(data, year, group, "borough")
    first = borough.row(0, named=True) if borough.height else {}
    return {
        "measured": first.get("measured", 0),
        "in_prevalence": first.get("denominator", 0),
        "excluded_z": first.get("excluded_z", 0),
        "duplicates": first.get("duplicates", 0),
        "lsoa_unknown": by_code.get("UNKNOWN", 0),
        "outside_borough": by_code.get("OUTSIDE", 0),
        "participation_pct": part["participation_pct"][0] if part.height else None,
        "schools_not_in_eligible": int(part["schools_not_in_eligible"][0]) if part.height else 0,
    }


def locality_boundaries(data: NcmpData, path: Path = BOUNDARIES) -> dict | None:
    """The localities' boundaries (GeoJSON, WGS84) when the file covers exactly the council's localities, else None.

    The project ships Trafford's 2023 locality boundaries only; another council (until boundaries can be loaded
    with its localities) gets no map, and the locality chart still shows every figure.
    """
    codes = data.localities["locality_code"].to_list()
    if not codes or data.localities["council_code"][0] != BOUNDARIES_COUNCIL or not path.is_file():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    found = {feature["properties"].get("locality_code") for feature in document.get("features", [])}
    return document if found == set(codes) else None


def england_table(categories_frame: pl.DataFrame) -> pl.DataFrame:
    """The England comparison as a table for people (from :func:`categories`)."""
    return categories_frame.select(
        pl.col("category_name").alias("Category"),
        pl.col("value_pct").round(1).alias("Borough %"),
        pl.format("{} to {}", pl.col("lower_ci_pct").round(1), pl.col("upper_ci_pct").round(1)).alias(
            "95% CI"
        ),
        pl.col("england_pct").alias("England %"),
        pl.col("england_year").alias("England year"),
        pl.col("comparison").alias("Comparison"),
    )


def gap_sentence(found: dict | None) -> str | None:
    """The gap between the most and least deprived decile in words (from :func:`gap`), or None."""
    if not found:
        return None
    gap = {
        "most_pct": found["decile1_pct"],
        "least_pct": found["decile10_pct"],
        "gap_points": found["gap_points"],
    }
    return decile_gap_sentence(gap, (found["gap_lower_ci_points"], found["gap_upper_ci_points"]))


def headline_metrics(quality: dict) -> list[tuple[str, str]]:
    """Label and value of the participation and data-quality figures (from :func:`data_quality`)."""
    share = quality["participation_pct"]
    return [
        ("Participation", "n/a" if share is None else f"{share:.1f}%"),
        ("Children measured", f"{quality['measured']:,}"),
        ("Excluded (|z| > 7 or duplicate)", f"{quality['excluded_z'] + quality['duplicates']:,}"),
        ("Living outside the borough", f"{quality['outside_borough']:,}"),
        ("Home LSOA not recorded", f"{quality['lsoa_unknown']:,}"),
    ]
