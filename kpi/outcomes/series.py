"""The outcome framework as data: every measure's series, its latest value against England, goal and trend.

Glue only: the statistics are :mod:`kpi.stats` (Fingertips' methods, docs/methods.md section 4):

* **England comparison** - :func:`kpi.stats.compare_with_benchmark_expr`: "similar" when England's value lies in
  the area's 95% confidence interval, otherwise better/worse by polarity (higher/lower without a judgement), with
  significance "99.8" where the 99.8% limits are known and England lies outside them too;
* **goal** - :func:`kpi.stats.compare_with_goal` (a number, or Fingertips' range goal [lower, upper]);
* **recent trend** - :func:`kpi.stats.recent_trend` over the area's series: the χ² test for trend on the counts
  when the measure is a proportion (value = 100 x count / denominator on every point), otherwise the 1/SE²-weighted
  regression on the 95% limits; its Fingertips labels.

:func:`measure_series` puts Fingertips indicators, local measures and contract KPIs (borough level, England from
the benchmark table) into one long frame, which :mod:`kpi.outcomes.rug` turns into the "tartan rug".
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.outcomes.fingertips import period_sort_key
from kpi.outcomes.frameworks import Framework, Measure
from kpi.stats import recent_trend, wilson_ci
from kpi.stats.trend import DECREASING_WORSE, INCREASING_WORSE, TrendResult

ENGLAND = "E92000001"
HEADLINE = ""
DEPRIVATION_TYPE = "Deprivation decile (IMD2019)"
#: A point counts as a proportion when its value is 100 x count / denominator within this many points.
PROPORTION_TOLERANCE_POINTS = 0.05
WORSENING = (INCREASING_WORSE, DECREASING_WORSE)

SERIES_SCHEMA = {
    "measure_key": pl.String,
    "area_code": pl.String,
    "area_name": pl.String,
    "area_role": pl.String,  # area (the council), england, region, other
    "category_type": pl.String,
    "category": pl.String,
    "imd_decile": pl.Int64,
    "period": pl.String,
    "period_sortable": pl.Int64,
    "value": pl.Float64,
    "lower_ci_95": pl.Float64,
    "upper_ci_95": pl.Float64,
    "lower_ci_998": pl.Float64,
    "upper_ci_998": pl.Float64,
    "count": pl.Float64,
    "denominator": pl.Float64,
    "value_note": pl.String,
}


def _as_at(as_at: datetime | None) -> datetime:
    return as_at or periods.now()


def outcome_values(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """Every Fingertips and local outcome value current at ``as_at`` (``sql/marts/mart_outcome_values.sql``).

    Council-wide data (no provider's), read by the roles that see council-wide figures.
    """
    require(principal, "read_council_data")
    return store.run_sql("marts/mart_outcome_values", council_code=council_code, as_at=_as_at(as_at))


def _roles(store: Store, council_code: str) -> pl.Expr:
    region = store.query("select region_code from councils where council_code = ?", [council_code])
    region_code = region.item() if region.height and region.item() else None
    return (
        pl.when(pl.col("area_code") == council_code)
        .then(pl.lit("area"))
        .when(pl.col("area_code") == ENGLAND)
        .then(pl.lit("england"))
        .when(pl.col("area_code") == pl.lit(region_code, dtype=pl.String))
        .then(pl.lit("region"))
        .otherwise(pl.lit("other"))
        .alias("area_role")
    )


def _headline_filter(rows: pl.DataFrame, measure: Measure) -> pl.DataFrame:
    """One sex and age per Fingertips indicator (its configured ones, else Persons or the commonest sex).

    The age is the configured one, else the commonest among the headline rows of that sex.
    """
    if rows.is_empty():
        return rows
    headline = rows.filter(pl.col("category_type") == HEADLINE)
    sex = measure.sex
    if sex is None:
        sexes = headline["sex"].value_counts(sort=True)["sex"].to_list() if headline.height else [""]
        sex = "Persons" if "Persons" in sexes else sexes[0]
    age = measure.age
    if age is None:
        ages = headline.filter(pl.col("sex") == sex)["age"].value_counts(sort=True)["age"].to_list()
        age = ages[0] if ages else ""
    return rows.filter(pl.col("sex") == sex, pl.col("age") == age)


def _kpi_rows(
    measure_refs: list[str], kpi_values: pl.DataFrame, bench: pl.DataFrame, council_code: str
) -> pl.DataFrame:
    """Contract KPIs at borough level (and by national decile) with England from the benchmark table."""
    from kpi.contract import values as overview

    if not measure_refs or kpi_values.is_empty():
        return pl.DataFrame(schema=SERIES_SCHEMA)
    chosen = kpi_values.filter(
        pl.col("kpi_code").is_in(measure_refs),
        pl.col("level").is_in(["borough", "borough_decile"]),
        pl.col("imd_decile") != "U",
    )
    if chosen.is_empty():
        return pl.DataFrame(schema=SERIES_SCHEMA)
    proportion = (chosen["value_kind"] == "proportion").to_list()
    x = chosen.select(pl.when(pl.Series(proportion)).then(pl.col("numerator"))).to_series()
    n = chosen.select(pl.when(pl.Series(proportion)).then(pl.col("denominator"))).to_series()
    lo998, hi998 = wilson_ci(x, n, 0.998)
    sort_keys = {p: period_sort_key(p) for p in chosen["period"].unique().to_list()}
    decile = pl.col("level") == "borough_decile"
    area = chosen.with_columns(
        (lo998 * 100).alias("lower_ci_998"), (hi998 * 100).alias("upper_ci_998")
    ).select(
        pl.format("kpi:{}", pl.col("kpi_code")).alias("measure_key"),
        pl.lit(council_code).alias("area_code"),
        pl.lit("Borough").alias("area_name"),
        pl.lit("area").alias("area_role"),
        pl.when(decile).then(pl.lit(DEPRIVATION_TYPE)).otherwise(pl.lit(HEADLINE)).alias("category_type"),
        pl.when(decile)
        .then(pl.format("Decile {}", pl.col("imd_decile")))
        .otherwise(pl.lit(""))
        .alias("category"),
        pl.when(decile).then(pl.col("imd_decile").cast(pl.Int64, strict=False)).alias("imd_decile"),
        "period",
        pl.col("period").replace_strict(sort_keys, return_dtype=pl.Int64).alias("period_sortable"),
        pl.col("value_pct").alias("value"),
        pl.col("lower_ci_pct").alias("lower_ci_95"),
        pl.col("upper_ci_pct").alias("upper_ci_95"),
        "lower_ci_998",
        "upper_ci_998",
        pl.col("numerator").alias("count"),
        "denominator",
        pl.lit(None, dtype=pl.String).alias("value_note"),
    )
    borough = chosen.filter(pl.col("level") == "borough")
    if bench.is_empty() or borough.is_empty():
        return area.cast(SERIES_SCHEMA)
    # only figures the benchmark rule compares (an out-of-date England figure is not set against a quarter)
    england = overview.with_benchmark(borough, bench).filter(
        pl.col("england_pct").is_not_null(), pl.col("england_current")
    )
    england_rows = england.select(
        pl.format("kpi:{}", pl.col("kpi_code")).alias("measure_key"),
        pl.lit(ENGLAND).alias("area_code"),
        pl.col("england_name").alias("area_name"),
        pl.lit("england").alias("area_role"),
        pl.lit(HEADLINE).alias("category_type"),
        pl.lit("").alias("category"),
        pl.lit(None, dtype=pl.Int64).alias("imd_decile"),
        "period",
        pl.col("period").replace_strict(sort_keys, return_dtype=pl.Int64).alias("period_sortable"),
        pl.col("england_pct").alias("value"),
        *[
            pl.lit(None, dtype=pl.Float64).alias(c)
            for c in ("lower_ci_95", "upper_ci_95", "lower_ci_998", "upper_ci_998", "count", "denominator")
        ],
        pl.format("England value for {}", pl.col("england_period")).alias("value_note"),
    )
    return pl.concat([area.cast(SERIES_SCHEMA), england_rows.cast(SERIES_SCHEMA)])


def measure_series(
    store: Store,
    council_code: str,
    framework: Framework,
    as_at: datetime | None = None,
    *,
    kpi_values: pl.DataFrame | None = None,
    benchmarks: pl.DataFrame | None = None,
    principal: Principal,
) -> pl.DataFrame:
    """Every value of a framework's measures in one long frame (:data:`SERIES_SCHEMA`), oldest period first.

    Fingertips indicators and local measures come from the outcome mart; contract KPIs from the KPI mart at borough
    level (pass ``kpi_values``/``benchmarks`` when already at hand, e.g. cached by the app) with England from the
    benchmark table (chosen by :func:`kpi.contract.values.with_benchmark`'s benchmark-age rule; its own period in
    ``value_note``). Council-wide figures, for the roles that may read them.
    """
    from kpi.contract import values as overview

    require(principal, "read_council_data")

    values = outcome_values(store, council_code, as_at, principal=principal).with_columns(
        _roles(store, council_code)
    )
    parts = []
    for measure in framework.measures():
        if measure.kind == "kpi":
            continue
        rows = values.filter(pl.col("source") == measure.kind, pl.col("measure_ref") == measure.ref)
        if measure.kind == "fingertips":
            rows = _headline_filter(rows, measure)
        if rows.height:
            parts.append(
                rows.with_columns(pl.lit(measure.key).alias("measure_key")).select(list(SERIES_SCHEMA))
            )
    kpi_refs = [m.ref for m in framework.measures() if m.kind == "kpi"]
    if kpi_refs:
        if kpi_values is None:
            kpi_values = overview.kpi_values(store, council_code, as_at, principal=principal)
        if benchmarks is None:
            benchmarks = overview.benchmarks(store, council_code, as_at)
        parts.append(_kpi_rows(kpi_refs, kpi_values, benchmarks, council_code))
    if not parts:
        return pl.DataFrame(schema=SERIES_SCHEMA)
    return pl.concat([p.cast(SERIES_SCHEMA) for p in parts]).sort(
        "measure_key", "area_role", "category_type", "imd_decile", "period_sortable", nulls_last=False
    )


# ---- comparisons -----------------------------------------------------------------------------------------------


def is_proportion(points: pl.DataFrame) -> bool:
    """Whether every valued point is 100 x count / denominator (then the trend test uses the counts)."""
    valued = points.filter(pl.col("value").is_not_null())
    if valued.is_empty():
        return False
    ok = (
        pl.col("count").is_not_null()
        & (pl.col("denominator") > 0)
        & (pl.col("count") <= pl.col("denominator"))
        & (
            (pl.col("value") - 100 * pl.col("count") / pl.col("denominator")).abs()
            <= PROPORTION_TOLERANCE_POINTS
        )
    )
    return bool(valued.select(ok.fill_null(False).all()).item())


def measure_trend(points: pl.DataFrame, polarity: str) -> TrendResult:
    """Fingertips recent trend of one area's headline series (any order; sorted by period here).

    Method: :func:`kpi.stats.recent_trend`; counts (χ² for trend in proportions) when :func:`is_proportion`,
    otherwise the 95% limits (weighted regression, SE = (UCL − LCL)/3.92).
    """
    ordered = points.sort("period_sortable")
    if is_proportion(ordered):
        return recent_trend(
            ordered["value"],
            numerators=ordered["count"],
            denominators=ordered["denominator"],
            polarity=polarity,
        )
    return recent_trend(
        ordered["value"], lower_ci=ordered["lower_ci_95"], upper_ci=ordered["upper_ci_95"], polarity=polarity
    )


# ---- the detail view -------------------------------------------------------------------------------------------


def measure_choices(framework: Framework) -> dict[str, str]:
    """Measure key -> label, in framework order."""
    return {m.key: m.label for m in framework.measures()}


def measure_unit(framework: Framework, key: str) -> str:
    """The unit of a framework's measure."""
    return next(m.unit for m in framework.measures() if m.key == key)


def measure_detail(series: pl.DataFrame, measure_key: str) -> pl.DataFrame:
    """A measure's headline series for the area, its region and England, oldest first."""
    return series.filter(
        pl.col("measure_key") == measure_key,
        pl.col("category_type") == HEADLINE,
        pl.col("area_role").is_in(["area", "region", "england"]),
    ).sort("period_sortable", "area_role")


def deprivation_index_expr() -> pl.Expr:
    """The index a deprivation row's label names (``IoD2019`` for ``(IMD2019)``, ``IoD2025`` for ``(IMD2025)``).

    Fingertips labels its decile categories and category types with the index (docs/methods.md section 7.1);
    null when the label names none (a local measure's deciles, ``1st decile`` style without a type that says).
    """
    year = pl.coalesce(
        pl.col("category").str.extract(r"(?i)IMD\s?(20[0-9]{2})"),
        pl.col("category_type").str.extract(r"(?i)IMD\s?(20[0-9]{2})"),
    )
    return pl.when(year.is_not_null()).then(pl.format("IoD{}", year)).alias("deprivation_index")


def deprivation_breakdown(series: pl.DataFrame, measure_key: str) -> pl.DataFrame:
    """The latest deprivation-decile breakdown of a measure: the area's when it has one, else England's.

    Rows on different indices (IMD2019 and IMD2025 labels) are kept apart: the newest index of the latest period is
    shown, with its ``deprivation_index``.
    """
    deciles = series.filter(pl.col("measure_key") == measure_key, pl.col("imd_decile").is_not_null())
    deciles = deciles.with_columns(deprivation_index_expr())
    for role in ("area", "england"):
        chosen = deciles.filter(pl.col("area_role") == role)
        if chosen.height:
            latest = chosen.filter(pl.col("period_sortable") == chosen["period_sortable"].max())
            newest = latest["deprivation_index"].drop_nulls().max()
            if newest is not None:
                latest = latest.filter(pl.col("deprivation_index") == newest)
            return latest.sort("imd_decile")
    return deciles.head(0)
