"""The inequalities view as data: values by deprivation quantile, SII and RII per area and period, in words.

Method:
- **Which quantiles** (docs/methods.md section 5): the borough uses the ten national IMD 2019 deciles, one value per
  quarter (``level = borough_decile`` of ``sql/marts/mart_kpi_values.sql``). A locality often lacks some deciles
  (Trafford's North has no LSOA in deciles 8 or 10), so localities use national quintiles (pairs of deciles), and
  because a locality's quarterly quintile counts are small, each value sums the numerators and denominators of the
  four quarters to the chosen one (``sql/marts/mart_kpi_rolling_quintiles.sql``). Decile U (LSOA not recorded) is
  left out. An area missing a quantile (no LSOA in it, no children counted, or a quarter's return missing from
  the window) is **not rated**, with the reason.
- **SII and RII** by :func:`kpi.inequality.slope_index.sii` (PHEindicatormethods ``phe_sii``; Low & Low 2004): weighted least
  squares of each quantile's proportion on its population-weighted relative rank (population = the KPI's
  denominator), ``value_type="proportion"``, 95% limits by Monte Carlo (:data:`REPETITIONS` draws, seeded from the
  inputs so the same data always gives the same limits) from each quantile's Wilson 95% limits, on the logit scale.
  Where a quantile is at exactly 0% or 100% the logit scale cannot be used; the limits are then simulated on the
  natural scale (``value_type="other"``, standard error = Wilson interval width / (2 x 1.959964)); the point
  estimates do not change and ``ci_scale`` says which was used.
- **Sign** (a presentation choice of this dashboard): the SII is reported in percentage points as *the most
  deprived minus the least deprived end* of the fitted line, PHEindicatormethods' ``multiplier = -100``, so a
  negative SII means lower values among the most deprived ("less likely"), as the sentence reads. The RII, inverted
  by the negative multiplier as the package does, is the fitted value at the most deprived end divided by that at
  the least deprived end.

Extension point (NCMP categories, outcome measures): any measure with a deprivation breakdown joins in by producing
a *quantile frame*, one row per area x period x quantile with the columns of :data:`QUANTILE_FRAME_COLUMNS`
(population > 0, values in per cent, Wilson or other 95% limits in per cent, ``reason`` null or why the row cannot be
used), and passing it to :func:`sii_table`; :func:`gap_sentence` takes the measure's own phrase ("to be a healthy
weight"). :func:`ncmp_deciles` (an NCMP category x school year, per academic year) and :func:`outcome_deciles` (an
outcome measure with a decile breakdown) build such frames for the borough; a quantile frame whose ``numerator``
is null (a measure that is not a count over a population) is fitted on the natural scale from its limits.

Two measures, never mixed (docs/methods.md section 5): the **gap between the most and least deprived decile** (or
quintile), :func:`decile_gap`, is the value in decile 1 minus the value in decile 10, from those two groups only;
the **slope index of inequality (SII)**, :func:`sii_table`, is the modelled gap across the whole distribution. The
headline measure is the SII (:data:`HEADLINE_MEASURE`), the same on the inequalities page, in the meeting pack and
in the scrutiny briefing; the two-group gap is shown beside it, named as such (:data:`GAP_NAME`).

References:
- Low A, Low A. Measuring the gap: quantifying and comparing local health inequalities. J Public Health
  2004;26:388-395.
- PHEindicatormethods (UKHSA), ``phe_sii``; OHID, "Assigning deprivation categories" (technical guide).

Example:
>>> frame = pl.DataFrame({"area_code": "ALL", "area_name": "Borough", "period": "2026-27 Q2",
...     "period_index": 8105, "quantile": [1, 2, 3, 4, 5], "population": [100.0] * 5,
...     "numerator": [80.0, 84, 88, 92, 96], "value_pct": [80.0, 84, 88, 92, 96],
...     "lower_ci_pct": [71.1, 75.6, 80.2, 85.0, 90.2], "upper_ci_pct": [86.7, 89.9, 93.0, 95.9, 98.4],
...     "reason": [None] * 5}, schema_overrides={"reason": pl.String})
>>> row = sii_table(frame, n_quantiles=5, repetitions=1000).row(0, named=True)
>>> round(row["sii_pts"], 6), row["rated"]
(-20.0, True)
"""

from __future__ import annotations

import math
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.inequality.slope_index import sii

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
    "with_ranks",
    "window_label",
]

#: The two inequality measures' names, the same words everywhere (docs/methods.md section 5).
GAP_NAME = "gap between the most and least deprived decile"
GAP_QUINTILE_NAME = "gap between the most and least deprived quintile"
SII_NAME = "slope index of inequality (SII)"
#: The measure a headline about inequality uses, in the dashboard, the pack and the briefing: the SII.
HEADLINE_MEASURE = SII_NAME
#: Monte Carlo draws per SII (the PHEindicatormethods default).
REPETITIONS = 100_000
#: SII in percentage points, most deprived minus least deprived (PHEindicatormethods' sign flipped).
MULTIPLIER = -100
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

#: How a sentence says what the children were more or less likely to have (catalogue codes of the mandated KPIs).
KPI_PHRASES = {
    "C2": "to have a new birth visit within 14 days",
    "C3": "to have a new birth visit after 14 days",
    "C4": "to have a 12-month review by 12 months",
    "C5": "to have a 12-month review by 15 months",
    "C6i": "to have a 2-2½ year review by 2½ years",
    "C6ii": "to have their 2-2½ year review use ASQ-3",
    "C6iii": "to be at or above the expected level in communication",
    "C6iv": "to be at or above the expected level in gross motor skills",
    "C6v": "to be at or above the expected level in fine motor skills",
    "C6vi": "to be at or above the expected level in problem solving",
    "C6vii": "to be at or above the expected level in personal-social skills",
    "C6viii": "to be at or above the expected level in all five ASQ-3 domains",
    "C8i": "to have a 6-8 week review by 8 weeks",
    "C8ii": "to be breastfed at 6-8 weeks",
}

#: The same for the NCMP prevalence categories (``kpi.ncmp.rules.PREVALENCE_CATEGORIES``).
NCMP_PHRASES = {
    "underweight": "to be underweight",
    "healthy_weight": "to be a healthy weight",
    "overweight": "to be overweight",
    "obese": "to be living with obesity",
    "severely_obese": "to be living with severe obesity",
    "excess_weight": "to be living with excess weight",
}
#: The phrase for an outcome measure, formatted with its name.
OUTCOME_PHRASE = "to be counted in \u201c{name}\u201d"

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

    ``rolling`` is :func:`rolling_quintiles`. A quintile row is unusable (``reason``) when the locality has no LSOA
    in it, a quarter's return is missing from the window, or no children were counted in it.
    """
    rows = rolling.filter(pl.col("kpi_code") == kpi_code)
    deciles = pl.format("deciles {} and {}", pl.col("imd_quintile") * 2 - 1, pl.col("imd_quintile") * 2)
    reason = (
        pl.when(pl.col("quarters_in_window") < WINDOW_QUARTERS)
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

    Values and 95% limits are taken as published. Where every decile's value is 100 x count / denominator (within
    ``kpi.outcomes.series.PROPORTION_TOLERANCE_POINTS``) it is a proportion (numerator = count, population = denominator);
    otherwise ``numerator`` is null and the SII is fitted on the natural scale from the limits (population = the
    denominator when given). One sex and age: the commonest among the decile rows.
    """
    from kpi.outcomes.series import PROPORTION_TOLERANCE_POINTS

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
    proportion = (
        pl.col("count").is_not_null()
        & (pl.col("denominator") > 0)
        & (pl.col("count") <= pl.col("denominator"))
        & (
            (pl.col("value") - 100 * pl.col("count") / pl.col("denominator")).abs()
            <= PROPORTION_TOLERANCE_POINTS
        )
    ).fill_null(False)
    is_proportion = rows.height > 0 and bool(
        rows.filter(pl.col("value").is_not_null()).select(proportion.all()).item()
    )
    numerator = pl.col("count") if is_proportion else pl.lit(None, dtype=pl.Float64)
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


# ---- SII per area and period -----------------------------------------------------------------------------------


def _join_words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _area_reason(group: pl.DataFrame, n_quantiles: int, word: str) -> str | None:
    """Why an area x period cannot have an SII, or None."""
    reasons = [r for r in group["reason"].drop_nulls().unique(maintain_order=True).to_list()]
    present = set(group["quantile"].to_list())
    absent = [q for q in range(1, n_quantiles + 1) if q not in present]
    if absent:
        reasons.append(f"there is no row for {word} {_join_words([str(q) for q in absent])}")
    bad = group.filter(pl.col("reason").is_null() & pl.col("value_pct").is_null())
    if bad.height:
        reasons.append(f"{word} {_join_words([str(q) for q in bad['quantile'].to_list()])} have no value")
    if not reasons:
        return None
    return f"Not rated: {'; '.join(reasons)}. The SII needs every one of the {n_quantiles} {word}s."


def sii_table(
    frame: pl.DataFrame,
    *,
    n_quantiles: int,
    repetitions: int = REPETITIONS,
    quantile_word: str | None = None,
) -> pl.DataFrame:
    """SII and RII with 95% limits for every area and period of a quantile frame (see the module's method).

    Args:
        frame: a quantile frame (:data:`QUANTILE_FRAME_COLUMNS`), e.g. :func:`borough_deciles`.
        n_quantiles: how many quantiles an area must have (10 for deciles, 5 for quintiles).
        repetitions: Monte Carlo draws per SII (default 100,000).
        quantile_word: "decile" or "quintile" for the reasons (default from ``n_quantiles``).

    Returns:
        One row per area x period, in period then area order: area_code, area_name, period, period_index,
        population, rated, not_rated_reason, sii_pts, sii_lower_pts, sii_upper_pts, rii, rii_lower, rii_upper,
        most_end_pct and least_end_pct (the fitted line at the most and least deprived ends), ci_scale.
        Unrated rows have null figures.
    """
    word = quantile_word or {10: "decile", 5: "quintile"}.get(n_quantiles, "quantile")
    out = []
    keys = ["area_code", "area_name", "period", "period_index"]
    for key, group in frame.group_by(keys, maintain_order=True):
        record = dict(zip(keys, key, strict=True))
        record.update(
            population=float(group["population"].fill_null(0).sum()),
            rated=False,
            not_rated_reason=_area_reason(group, n_quantiles, word),
            sii_pts=None,
            sii_lower_pts=None,
            sii_upper_pts=None,
            rii=None,
            rii_lower=None,
            rii_upper=None,
            most_end_pct=None,
            least_end_pct=None,
            ci_scale=None,
        )
        if record["not_rated_reason"] is None:
            record.update(_one_sii(group.sort("quantile"), n_quantiles, repetitions))
        out.append(record)
    schema = {
        "area_code": pl.String,
        "area_name": pl.String,
        "period": pl.String,
        "period_index": pl.Int64,
        "population": pl.Float64,
        "rated": pl.Boolean,
        "not_rated_reason": pl.String,
        **{
            name: pl.Float64
            for name in (
                "sii_pts",
                "sii_lower_pts",
                "sii_upper_pts",
                "rii",
                "rii_lower",
                "rii_upper",
                "most_end_pct",
                "least_end_pct",
            )
        },
        "ci_scale": pl.String,
    }
    return pl.DataFrame(out, schema=schema).sort("period_index", "area_code")


def _one_sii(group: pl.DataFrame, n_quantiles: int, repetitions: int) -> dict[str, object]:
    counted = group["numerator"].null_count() == 0
    value = (group["numerator"] / group["population"] if counted else group["value_pct"] / 100).to_numpy()
    lower = (group["lower_ci_pct"] / 100).to_numpy()
    upper = (group["upper_ci_pct"] / 100).to_numpy()
    on_edge = not counted or bool(((value <= 0) | (value >= 1)).any())
    value_type = "other" if on_edge else "proportion"
    try:
        result = sii(
            group["quantile"].to_list(),
            group["population"].to_list(),
            value,
            value_type=value_type,
            lower_ci=lower,
            upper_ci=upper,
            multiplier=MULTIPLIER,
            repetitions=repetitions,
            n_quantiles=n_quantiles,
        )
    except ValueError as exc:
        return {"not_rated_reason": f"Not rated: {exc}"}
    most = 100 * result.intercept
    return {
        "rated": True,
        "sii_pts": result.sii,
        "sii_lower_pts": result.sii_lower,
        "sii_upper_pts": result.sii_upper,
        "rii": result.rii,
        "rii_lower": result.rii_lower,
        "rii_upper": result.rii_upper,
        "most_end_pct": most,
        "least_end_pct": most - result.sii,
        "ci_scale": "logit"
        if not on_edge
        else "natural (a quantile at 0% or 100%)"
        if counted
        else "natural",
    }


def with_ranks(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``rank``: each quantile's relative rank, the midpoint of its share of the population (0 = most deprived).

    Worked over the usable rows of each area and period (b_i = cumulative share before i + a_i / 2).
    """
    usable = frame.filter(pl.col("reason").is_null(), pl.col("population") > 0).sort(
        "area_code", "period_index", "quantile"
    )
    share = pl.col("population") / pl.col("population").sum().over("area_code", "period_index")
    return usable.with_columns(share.alias("share")).with_columns(
        (pl.col("share").cum_sum().over("area_code", "period_index") - pl.col("share") / 2).alias("rank")
    )


def fitted_lines(table: pl.DataFrame) -> pl.DataFrame:
    """Each rated area's fitted SII line as two points, rank 0 (most deprived end) and rank 1 (least deprived end).

    ``table`` is :func:`sii_table` (one period); returns area_code, area_name, rank, fitted_pct in per cent.
    """
    rated = table.filter(pl.col("rated"))
    return pl.concat(
        [
            rated.select(
                "area_code",
                "area_name",
                pl.lit(0.0).alias("rank"),
                pl.col("most_end_pct").alias("fitted_pct"),
            ),
            rated.select(
                "area_code",
                "area_name",
                pl.lit(1.0).alias("rank"),
                pl.col("least_end_pct").alias("fitted_pct"),
            ),
        ]
    ).sort("area_code", "rank")


# ---- words -----------------------------------------------------------------------------------------------------


def _num(x: float, places: int = 1) -> str:
    """A signed number with a true minus sign; -0.0 shows as 0.0."""
    text = f"{x:.{places}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "\u2212")


def _phrase(kpi_code: str, kpi_name: str, phrase: str | None) -> str:
    return phrase or KPI_PHRASES.get(kpi_code) or f"to be counted in \u201c{kpi_name}\u201d"


def decile_gap(
    groups: pl.DataFrame, column: str = "imd_decile", most: object = "1", least: object = "10"
) -> dict | None:
    """The gap between the most and least deprived decile: value in decile 1 minus value in decile 10, in points.

    The one computation of this measure (docs/methods.md section 5), from two groups only; for quintiles pass
    ``column="imd_quintile", most=1, least=5``. ``groups`` has ``column`` and ``value_pct`` (per cent). None when
    either group is missing or has no value: the gap is never taken between other deciles instead.

    >>> decile_gap(pl.DataFrame({"imd_decile": ["1", "5", "10"], "value_pct": [80.0, 85.0, 90.5]}))["gap_points"]
    -10.5
    """
    values = {}
    for row in groups.select(column, "value_pct").iter_rows():
        if row[1] is not None and math.isfinite(row[1]):
            values[str(row[0])] = row[1]
    if str(most) not in values or str(least) not in values:
        return None
    return {
        "most_deprived": str(most),
        "least_deprived": str(least),
        "most_pct": values[str(most)],
        "least_pct": values[str(least)],
        "gap_points": values[str(most)] - values[str(least)],
    }


def gap_sentence(
    table_row: dict, kpi_code: str, kpi_name: str, *, where: str | None = None, phrase: str | None = None
) -> str:
    """The SII in plain words, with its 95% confidence interval: the headline sentence about inequality.

    For example: "Children in the most deprived areas were 9.8 points less likely to have a new birth visit within
    14 days than those in the least deprived (slope index of inequality −9.8 points, 95% CI −14.1 to −5.5)."
    "More likely" when the SII is positive (higher among the most deprived), "less likely" when negative; "no clear
    gap" when the 95% confidence interval includes zero. ``where`` ("North") starts the sentence with "In North, ".
    A row that is not rated gives its reason.
    """
    lead = f"In {where}, c" if where else "C"
    if not table_row.get("rated"):
        return (f"In {where}: " if where else "") + (table_row.get("not_rated_reason") or "Not rated.")
    value, low, high = table_row["sii_pts"], table_row["sii_lower_pts"], table_row["sii_upper_pts"]
    figures = f"slope index of inequality {_num(value)} points, 95% CI {_num(low)} to {_num(high)}"
    if low <= 0 <= high:
        return (
            f"{lead}hildren in the most and least deprived areas showed no clear gap "
            f"({figures}: the interval includes zero)."
        )
    direction = "more likely" if value > 0 else "less likely"
    return (
        f"{lead}hildren in the most deprived areas were {abs(value):.1f} points {direction} "
        f"{_phrase(kpi_code, kpi_name, phrase)} than those in the least deprived ({figures})."
    )


def polarity_sentence(table_row: dict, polarity: str) -> str:
    """What the gap means for the KPI's polarity ("high" is good, "low" is good, "none": no judgement)."""
    if not table_row.get("rated"):
        return ""
    if table_row["sii_lower_pts"] <= 0 <= table_row["sii_upper_pts"]:
        return ""
    if polarity not in ("high", "low"):
        return "This KPI carries no judgement of better or worse, so the gap is reported without one."
    higher_in_most_deprived = table_row["sii_pts"] > 0
    good = higher_in_most_deprived == (polarity == "high")
    better = "Higher" if polarity == "high" else "Lower"
    effect = (
        "favours children in the most deprived areas"
        if good
        else "is to the disadvantage of children in the most deprived areas"
    )
    return f"{better} is better for this KPI, so the gap {effect}."


def rii_sentence(table_row: dict) -> str:
    """The RII in plain words (fitted value at the most deprived end over that at the least deprived end)."""
    if not table_row.get("rated") or table_row["rii"] is None or not math.isfinite(table_row["rii"]):
        return ""
    rii, low, high = table_row["rii"], table_row["rii_lower"], table_row["rii_upper"]
    return (
        f"Relative index of inequality {rii:.2f} (95% CI {low:.2f} to {high:.2f}): along the fitted line, the "
        f"most deprived end stands at {rii:.2f} times the least deprived end."
    )


def quantile_explanation(
    level: str, gaps: dict[str, list[int]] | None = None, names: dict | None = None, *, unit: str = "quarter"
) -> str:
    """Which quantiles were used and why (Markdown), for ``level`` "borough" or "locality".

    ``gaps`` (:func:`missing_deciles`) and ``names`` (locality code to name) add the council's own gaps; ``unit``
    is the borough's period ("quarter"; "academic year" for NCMP, "period" for an outcome measure).
    """
    method = (
        "The slope index of inequality (SII) is the gap between the most and the least deprived ends of a line "
        "fitted to each quantile's value against its place in the population ranked by deprivation, each "
        "quantile weighted by its number of children (Low & Low 2004; PHEindicatormethods `phe_sii`). It is "
        "shown here as **most deprived minus least deprived, in percentage points**: a negative SII means lower "
        "values among the most deprived. The relative index (RII) divides the two ends. 95% confidence "
        f"intervals come from {REPETITIONS:,} simulations of each quantile's value within its Wilson interval "
        "(on the logit scale; on the natural scale when a quantile is at 0% or 100%). "
        "Children whose LSOA is unknown (decile U) are left out. The SII is the headline measure of inequality "
        "here, in the meeting pack and in the scrutiny briefing; the gap between the most and least deprived "
        "decile (decile 1 minus decile 10) is a different measure, from those two groups only."
    )
    if level == "borough":
        return (
            f"**Borough: national IMD 2019 deciles, one {unit} at a time.** Decile 1 holds the 10% most deprived "
            "LSOAs in England, decile 10 the 10% least deprived. National deciles make the borough comparable "
            f"with England and other councils; the SII needs all ten, and a {unit} missing one is not rated.\n\n"
            + method
        )
    lines = []
    for code, absent in (gaps or {}).items():
        if absent:
            name = (names or {}).get(code, code)
            lines.append(
                f"{name} has no LSOA in decile{'s' if len(absent) > 1 else ''} "
                f"{_join_words([str(d) for d in absent])}"
            )
    own = (" In this council: " + "; ".join(lines) + ".") if lines else ""
    return (
        "**Localities: national IMD 2019 quintiles over a rolling four quarters.** A locality often has no LSOA "
        "in some national deciles, and the SII needs every quantile, so deciles are paired into quintiles "
        "(quintile 1 = deciles 1-2, the most deprived, ... quintile 5 = deciles 9-10)."
        + own
        + " A locality's "
        "quarterly counts per quintile are small, so each value sums the four quarters to the chosen one. A "
        "locality missing a quintile (no LSOA, no children, or a quarter's return missing) is not rated.\n\n"
        + method
    )
