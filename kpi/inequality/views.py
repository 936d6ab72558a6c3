"""The inequalities view as data: values by deprivation quantile ("quantile frames") for the SII.

Method:
- **Which quantiles** (docs/methods.md section 5.4): the borough uses the ten national IMD 2019 deciles, one value per
  quarter (``level = borough_decile`` of ``sql/marts/mart_kpi_values.sql``). A locality often lacks some deciles
  (Trafford's North has no LSOA in deciles 8 or 10), so localities use national quintiles (pairs of deciles), and
  because a locality's quarterly quintile counts are small, each value sums the numerators and denominators of the
  four quarters to the chosen one (``sql/marts/mart_kpi_rolling_quintiles.sql``). Decile U (LSOA not recorded) is
  left out. An area missing a quantile (no LSOA in it, no children counted, or a quarter's return missing from
  the window) is **not rated**, with the reason.

Extension point (NCMP categories, outcome measures): any measure with a deprivation breakdown joins in by producing
a *quantile frame*, one row per area x period x quantile with the columns of :data:`QUANTILE_FRAME_COLUMNS`
(population > 0, values in per cent, Wilson or other 95% limits in per cent, ``reason`` null or why the row cannot be
used), and passing it to :func:`kpi.inequality.area_sii.sii_table`; :func:`kpi.inequality.words.gap_sentence` takes
the measure's own phrase ("to be a healthy weight"). :func:`ncmp_deciles` (an NCMP category x school year, per
academic year) and :func:`outcome_deciles` (an outcome measure with a decile breakdown) build such frames for the
borough.

The SII per area (:mod:`kpi.inequality.area_sii`), the two-group gap (:mod:`kpi.inequality.decile_gap`), the
measures' names (:mod:`kpi.inequality.measures`) and their words (:mod:`kpi.inequality.words`) have their own modules;
their names are also importable from here, as the pages and reports have long imported them.

References:
- OHID, "Assigning deprivation categories" (technical guide).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import deprivation
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.inequality.area_sii import fitted_lines, sii_table, sii_tables, with_ranks
from kpi.inequality.decile_gap import decile_gap
from kpi.inequality.measures import (
    GAP_NAME,
    GAP_QUINTILE_NAME,
    HEADLINE_MEASURE,
    MULTIPLIER,
    REPETITIONS,
    SII_NAME,
)
from kpi.inequality.words import (
    KPI_PHRASES,
    NCMP_PHRASES,
    OUTCOME_PHRASE,
    gap_sentence,
    polarity_sentence,
    quantile_explanation,
    rii_sentence,
)

__all__ = [
    "KPI_PHRASES",
    "LEVELS",
    "MULTIPLIER",
    "NCMP_PHRASES",
    "OUTCOME_PHRASE",
    "QUANTILE_FRAME_COLUMNS",
    "REPETITIONS",
    "GAP_NAME",
    "GAP_QUINTILE_NAME",
    "HEADLINE_MEASURE",
    "SII_NAME",
    "borough_deciles",
    "decile_gap",
    "deprivation_kpis",
    "deprivation_outcomes",
    "fitted_lines",
    "gap_sentence",
    "locality_quintiles",
    "missing_deciles",
    "ncmp_deciles",
    "outcome_deciles",
    "polarity_sentence",
    "quantile_explanation",
    "quantile_frame",
    "rii_sentence",
    "rolling_quintiles",
    "sii_table",
    "sii_tables",
    "with_ranks",
    "window_label",
]

#: Quarters summed for a locality's quintile values.
WINDOW_QUARTERS = 4
#: Columns of a quantile frame, the input of :func:`sii_table`.
QUANTILE_FRAME_COLUMNS = (
    "area_code",
    "area_name",
    "period",
    "period_index",
    "quantile",
    "population",
    "numerator",
    "value_pct",
    "lower_ci_pct",
    "upper_ci_pct",
    "reason",
)

_SCHEMA = {
    "area_code": pl.String,
    "area_name": pl.String,
    "period": pl.String,
    "period_index": pl.Int64,
    "quantile": pl.Int64,
    "population": pl.Float64,
    "numerator": pl.Float64,
    "value_pct": pl.Float64,
    "lower_ci_pct": pl.Float64,
    "upper_ci_pct": pl.Float64,
    "reason": pl.String,
}


# ---- the data --------------------------------------------------------------------------------------------------


def deprivation_kpis(values: pl.DataFrame) -> pl.DataFrame:
    """KPIs with a deprivation breakdown whose value is a proportion: kpi_code, kpi_name, polarity, sort_order.

    ``values`` is :func:`kpi.contract.values.kpi_values` (the mart's ``borough_decile`` rows say which KPIs have deciles).
    """
    return (
        values.filter(pl.col("level") == "borough_decile", pl.col("value_kind") == "proportion")
        .select("kpi_code", "kpi_name", "polarity", "sort_order")
        .unique()
        .sort("sort_order")
    )


def borough_deciles(values: pl.DataFrame, kpi_code: str) -> pl.DataFrame:
    """A quantile frame of one KPI for the borough: national deciles 1-10 per quarter (decile U left out).

    Every decile 1-10 has a row in every quarter; a decile with no row or no children carries its ``reason``.
    """
    rows = values.filter(
        pl.col("kpi_code") == kpi_code, pl.col("level") == "borough_decile", pl.col("imd_decile") != "U"
    ).select(
        "period",
        pl.col("period_index").cast(pl.Int64),
        pl.col("imd_decile").cast(pl.Int64).alias("quantile"),
        pl.col("denominator").cast(pl.Float64).alias("population"),
        pl.col("numerator").cast(pl.Float64),
        "value_pct",
        "lower_ci_pct",
        "upper_ci_pct",
    )
    quarters = (
        values.filter(pl.col("kpi_code") == kpi_code, pl.col("level") == "borough_decile")
        .select("period", pl.col("period_index").cast(pl.Int64))
        .unique()
    )
    grid = quarters.join(pl.DataFrame({"quantile": list(range(1, 11))}), how="cross")
    frame = grid.join(rows, on=["period", "period_index", "quantile"], how="left")
    reason = (
        pl.when(pl.col("population").is_null())
        .then(pl.format("no children were counted in decile {} this quarter", pl.col("quantile")))
        .when(pl.col("population") <= 0)
        .then(pl.format("no children were counted in decile {} this quarter", pl.col("quantile")))
    )
    return (
        frame.with_columns(
            pl.lit("ALL").alias("area_code"), pl.lit("Borough").alias("area_name"), reason.alias("reason")
        )
        .select(list(QUANTILE_FRAME_COLUMNS))
        .cast(_SCHEMA)
        .sort("period_index", "quantile")
    )


def rolling_quintiles(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """Every locality x national quintile value over rolling four quarters (``mart_kpi_rolling_quintiles``).

    Council-wide (every provider's accepted returns together), so for the roles that see council-wide figures.
    """
    require(principal, "read_council_data")
    return store.run_sql(
        "marts/mart_kpi_rolling_quintiles", council_code=council_code, as_at=as_at or periods.now()
    )


def window_label(period: str) -> str:
    """The four quarters ending with a period, in words: "2025-26 Q3 to 2026-27 Q2"."""
    last = periods.parse_period(period)
    first = periods.from_index(last.index - (WINDOW_QUARTERS - 1))
    return f"{first} to {last}"


def locality_quintiles(rolling: pl.DataFrame, kpi_code: str) -> pl.DataFrame:
    """A quantile frame of one KPI by locality: national quintiles 1-5 over the four quarters to each period.

    ``rolling`` is :func:`rolling_quintiles`. A quintile row is unusable (``reason``) when the deprivation index
    changed within the window (its quarters on the old index are left out, never joined to the new), the locality
    has no LSOA in it, a quarter's return is missing from the window, or no children were counted in it.
    """
    rows = rolling.filter(pl.col("kpi_code") == kpi_code)
    deciles = pl.format("deciles {} and {}", pl.col("imd_quintile") * 2 - 1, pl.col("imd_quintile") * 2)
    crossed = pl.col("crosses_index_change") if "crosses_index_change" in rows.columns else pl.lit(False)
    reason = (
        pl.when(crossed & (pl.col("quarters_in_window") < WINDOW_QUARTERS))
        .then(
            pl.format(
                "{} in the four quarters to {}: only {} of them are on the new index (docs/methods.md 7.1)",
                pl.lit(deprivation.CHANGE_NOTE),
                pl.col("period"),
                pl.col("quarters_in_window"),
            )
        )
        .when(pl.col("quarters_in_window") < WINDOW_QUARTERS)
        .then(
            pl.format(
                "only {} of the four quarters to {} have a return",
                pl.col("quarters_in_window"),
                pl.col("period"),
            )
        )
        .when(pl.col("lsoa_count") == 0)
        .then(
            pl.format("it has no LSOA in national quintile {} (", pl.col("imd_quintile"))
            + deciles
            + pl.lit(")")
        )
        .when(pl.col("denominator").is_null() | (pl.col("denominator") <= 0))
        .then(
            pl.format("no children were counted in quintile {} in the four quarters", pl.col("imd_quintile"))
        )
    )
    return (
        rows.with_columns(
            pl.col("locality_code").alias("area_code"),
            pl.col("locality_name").alias("area_name"),
            pl.col("imd_quintile").alias("quantile"),
            pl.col("denominator").alias("population"),
            reason.alias("reason"),
        )
        .select(list(QUANTILE_FRAME_COLUMNS))
        .cast(_SCHEMA)
        .sort("period_index", "area_code", "quantile")
    )


#: The two levels of the page: (quantile word, number of quantiles, label prefix on charts).
LEVELS = {"borough": ("decile", 10, "D"), "locality": ("quintile", 5, "Q")}


def quantile_frame(
    level: str, kpi_code: str, *, values: pl.DataFrame | None = None, rolling: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The quantile frame of a level: "borough" (deciles of ``values``) or "locality" (quintiles of ``rolling``)."""
    if level == "borough" and values is not None:
        return borough_deciles(values, kpi_code)
    if level == "locality" and rolling is not None:
        return locality_quintiles(rolling, kpi_code)
    raise ValueError(
        f"level must be 'borough' (with values) or 'locality' (with rolling quintiles), not {level!r}."
    )


def _decile_grid(rows: pl.DataFrame, unit: str) -> pl.DataFrame:
    """Borough rows (period, period_index, quantile, population, numerator, values) on a full 1-10 grid."""
    keys = rows.select("period", "period_index").unique()
    grid = keys.join(pl.DataFrame({"quantile": list(range(1, 11))}), how="cross")
    frame = grid.join(rows, on=["period", "period_index", "quantile"], how="left")
    reason = (
        pl.when(pl.col("population").is_null() | (pl.col("population") <= 0))
        .then(pl.format(f"no children were counted in decile {{}} this {unit}", pl.col("quantile")))
        .when(
            pl.col("value_pct").is_null()
            | pl.col("lower_ci_pct").is_null()
            | pl.col("upper_ci_pct").is_null()
        )
        .then(pl.format(f"decile {{}} has no value with confidence limits this {unit}", pl.col("quantile")))
    )
    return (
        frame.with_columns(
            pl.lit("ALL").alias("area_code"), pl.lit("Borough").alias("area_name"), reason.alias("reason")
        )
        .select(list(QUANTILE_FRAME_COLUMNS))
        .cast(_SCHEMA)
        .sort("period_index", "quantile")
    )


def ncmp_deciles(prevalence: pl.DataFrame, school_year: str, category: str) -> pl.DataFrame:
    """A quantile frame of one NCMP category x school year ("R", "6") by national decile, one period per academic year.

    ``prevalence`` is ``kpi.ncmp.views.ncmp_data(...).prevalence`` (``mart_ncmp_prevalence``): its ``imd_decile``
    rows of children measured by home LSOA, proportion = numerator / denominator with Wilson 95% limits (decile U
    left out). ``period_index`` is the academic year's first calendar year.
    """
    rows = prevalence.filter(
        pl.col("breakdown") == "imd_decile",
        pl.col("school_year") == school_year,
        pl.col("category") == category,
        pl.col("group_code") != "U",
    ).select(
        pl.col("academic_year").alias("period"),
        pl.col("academic_year").str.slice(0, 4).cast(pl.Int64).alias("period_index"),
        pl.col("group_code").cast(pl.Int64).alias("quantile"),
        pl.col("denominator").cast(pl.Float64).alias("population"),
        pl.col("numerator").cast(pl.Float64),
        "value_pct",
        "lower_ci_pct",
        "upper_ci_pct",
    )
    return _decile_grid(rows, "academic year")


def deprivation_outcomes(values: pl.DataFrame, council_code: str) -> pl.DataFrame:
    """Outcome measures with a decile breakdown for the council: source, measure_ref, measure_name (sorted).

    ``values`` is :func:`kpi.outcomes.series.outcome_values` (``mart_outcome_values``).
    """
    rows = values.filter(pl.col("area_code") == council_code, pl.col("imd_decile").is_not_null())
    return (
        rows.group_by("source", "measure_ref")
        .agg(pl.col("measure_name").drop_nulls().first())
        .with_columns(pl.col("measure_name").fill_null(pl.col("measure_ref")))
        .sort("source", "measure_ref")
    )


def outcome_deciles(values: pl.DataFrame, council_code: str, source: str, measure_ref: str) -> pl.DataFrame:
    """A quantile frame of an outcome measure's decile breakdown for the council, one period per period given.

    Values and 95% limits are taken as published. Where every decile's value is 100 x count / denominator
    (:func:`kpi.outcomes.series.is_proportion`, the one rule) it is a proportion (numerator = count, population =
    denominator); otherwise (or when no decile has a value) ``numerator`` is null and the SII is fitted on the natural
    scale from the limits (population = the denominator when given). One sex and age: the commonest among the decile rows.
    """
    from kpi.outcomes.series import is_proportion

    rows = values.filter(
        pl.col("area_code") == council_code,
        pl.col("source") == source,
        pl.col("measure_ref") == measure_ref,
        pl.col("imd_decile").is_not_null(),
    )
    if rows.height:
        top = (
            rows.group_by("sex", "age")
            .len()
            .sort("len", "sex", "age", descending=[True, False, False])
            .row(0)
        )
        rows = rows.filter(pl.col("sex").eq_missing(top[0]), pl.col("age").eq_missing(top[1]))
    numerator = pl.col("count") if is_proportion(rows) else pl.lit(None, dtype=pl.Float64)
    out = rows.select(
        "period",
        pl.col("period_sortable").cast(pl.Int64).alias("period_index"),
        pl.col("imd_decile").cast(pl.Int64).alias("quantile"),
        pl.col("denominator").cast(pl.Float64).alias("population"),
        numerator.cast(pl.Float64).alias("numerator"),
        pl.col("value").alias("value_pct"),
        pl.col("lower_ci_95").alias("lower_ci_pct"),
        pl.col("upper_ci_95").alias("upper_ci_pct"),
    )
    return _decile_grid(out, "period")


def missing_deciles(cells: pl.DataFrame) -> dict[str, list[int]]:
    """Deciles 1-10 with no LSOA, per locality, from :func:`kpi.core.councils.locality_cells`."""
    out: dict[str, list[int]] = {}
    for code in cells["locality_code"].unique(maintain_order=True).to_list():
        held = {int(d) for d in cells.filter(pl.col("locality_code") == code)["imd_decile"].to_list()}
        out[code] = [d for d in range(1, 11) if d not in held]
    return out
