"""The outcome framework as data: every measure's series, its latest value against England, goal and trend.

Glue only: the statistics are :mod:`kpi.stats` (Fingertips' methods, docs/methods.md section 4):

* **England comparison** - :func:`kpi.stats.compare_with_benchmark_expr`: "similar" when England's value lies in
  the area's 95% confidence interval, otherwise better/worse by polarity (higher/lower without a judgement), with
  significance "99.8" where the 99.8% limits are known and England lies outside them too;
* **goal** - :func:`kpi.stats.compare_with_goal` (a number, or Fingertips' range goal [lower, upper]);
* **recent trend** - :func:`kpi.stats.recent_trend` over the area's series: the χ² test for trend on the counts
  when the measure is a proportion (value = 100 x count / denominator on every point), otherwise the 1/SE²-weighted
  regression on the 95% limits; its Fingertips labels;
* the filter "worse than England and getting worse": England comparison "worse" and trend "… and getting worse".

:func:`measure_series` puts Fingertips indicators, local measures and contract KPIs (borough level, England from
the benchmark table) into one long frame; :func:`outcome_rug` makes the "tartan rug", one row per outcome statement x
measure; :func:`rug_html` renders it as accessible HTML tables (colour, a shape and words in every judged cell).

Example:
    >>> import polars as pl
    >>> rug = pl.DataFrame({"england_outcome": ["worse", "worse", "better"],
    ...                     "trend_label": ["Increasing and getting worse", "No significant change",
    ...                                     "Decreasing and getting worse"]})
    >>> worse_and_getting_worse(with_flags(rug)).height
    1
"""

from __future__ import annotations

import html
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.outcomes.fingertips import period_sort_key
from kpi.outcomes.frameworks import Framework, Goal, Measure
from kpi.stats import compare_with_benchmark_expr, compare_with_goal, recent_trend, wilson_ci
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


def with_flags(rug: pl.DataFrame) -> pl.DataFrame:
    """Add ``worse_and_worsening``: worse than England and a trend "… and getting worse"."""
    return rug.with_columns(
        ((pl.col("england_outcome") == "worse") & pl.col("trend_label").is_in(list(WORSENING)))
        .fill_null(False)
        .alias("worse_and_worsening")
    )


def worse_and_getting_worse(rug: pl.DataFrame) -> pl.DataFrame:
    """The rug's measures that are worse than England and getting worse."""
    return rug.filter(pl.col("worse_and_worsening"))


def goal_text(goal: Goal, polarity: str, unit: str) -> str:
    """A goal in words: "6.0% or less", "at least 90.0%", "75.0% to 80.0%"."""
    if goal is None:
        return ""
    if isinstance(goal, tuple):
        return f"{format_value(goal[0], unit)} to {format_value(goal[1], unit)}"
    if polarity == "low":
        return f"{format_value(goal, unit)} or less"
    return f"at least {format_value(goal, unit)}" if polarity == "high" else format_value(goal, unit)


def format_value(value: float | None, unit: str) -> str:
    """A value with its unit: 12.3%, 9.1 per 1,000, 23.4 (score)."""
    if value is None:
        return "–"
    if unit == "%":
        return f"{value:.1f}%"
    if unit.startswith("per "):
        return f"{value:,.1f} {unit}"
    return f"{value:,.1f}"


def outcome_rug(framework: Framework, series: pl.DataFrame) -> pl.DataFrame:
    """The tartan rug: one row per outcome statement x measure, latest value against England, goal and trend.

    Columns: outcome_code, statement, measure_key, label, kind, polarity, unit, goal_text, period, value, CIs,
    value_note, england_value, england_outcome, england_significance, england_label, goal_outcome, trend_label,
    worse_and_worsening.
    """
    spec = pl.DataFrame(
        [
            {
                "outcome_code": outcome.code,
                "statement": outcome.statement,
                "position": position,
                "measure_key": m.key,
                "label": m.label,
                "kind": m.kind,
                "polarity": m.polarity,
                "unit": m.unit,
                "goal_text": goal_text(m.goal, m.polarity, m.unit),
            }
            for position, (outcome, m) in enumerate((o, m) for o in framework.outcomes for m in o.measures)
        ],
        schema={
            "outcome_code": pl.String,
            "statement": pl.String,
            "position": pl.Int64,
            "measure_key": pl.String,
            "label": pl.String,
            "kind": pl.String,
            "polarity": pl.String,
            "unit": pl.String,
            "goal_text": pl.String,
        },
    )
    headline = series.filter(pl.col("category_type") == HEADLINE)
    area = headline.filter(pl.col("area_role") == "area")
    latest = area.sort("period_sortable").group_by("measure_key", maintain_order=True).last()
    england = headline.filter(pl.col("area_role") == "england").select(
        "measure_key", "period_sortable", pl.col("value").alias("england_value")
    )
    latest = latest.join(england, on=["measure_key", "period_sortable"], how="left").drop(
        "area_code", "area_role", "category_type", "category", "imd_decile"
    )
    rug = spec.join(latest, on="measure_key", how="left").sort("position")
    comparison = compare_with_benchmark_expr(
        "value",
        "lower_ci_95",
        "upper_ci_95",
        "england_value",
        pl.col("polarity"),
        lower_ci_998="lower_ci_998",
        upper_ci_998="upper_ci_998",
    )
    goals = {m.key: m.goal for o in framework.outcomes for m in o.measures}
    trends = {
        m.key: measure_trend(area.filter(pl.col("measure_key") == m.key), m.polarity).label
        for m in framework.measures()
    }
    goal_outcomes = [
        compare_with_goal(value, goals[key], polarity)
        for key, value, polarity in rug.select("measure_key", "value", "polarity").iter_rows()
    ]
    rug = rug.with_columns(
        comparison.struct.field("outcome").alias("england_outcome"),
        comparison.struct.field("significance").alias("england_significance"),
        comparison.struct.field("label").alias("england_label"),
        pl.Series("goal_outcome", goal_outcomes, dtype=pl.String),
        pl.col("measure_key").replace_strict(trends, return_dtype=pl.String).alias("trend_label"),
    )
    return with_flags(rug)


def rug_summary(rug: pl.DataFrame) -> str:
    """One sentence for the page: how many measures are worse than England and getting worse."""
    flagged = rug.filter(pl.col("worse_and_worsening"))["measure_key"].n_unique()
    total = rug["measure_key"].n_unique()
    return f"**{flagged} of {total} measures** are worse than England and getting worse."


# ---- the rug as HTML -------------------------------------------------------------------------------------------

#: Colour-blind-safe light tints (Okabe-Ito blue, yellow, vermilion and reddish purple) with dark text (WCAG AA).
TINTS = {
    "better": "#c6dcef",
    "similar": "#f4ebb8",
    "between": "#f4ebb8",
    "worse": "#f8cfae",
    "higher": "#e3d0e6",
    "lower": "#e3d0e6",
    "not compared": "#ececec",
}
SHAPES = {
    "better": "●",
    "similar": "◐",
    "between": "◐",
    "worse": "■",
    "higher": "▲",
    "lower": "▼",
    "not compared": "○",
}
_TREND_OUTCOME = {
    "Increasing and getting better": ("better", "↑"),
    "Decreasing and getting better": ("better", "↓"),
    "Increasing and getting worse": ("worse", "↑"),
    "Decreasing and getting worse": ("worse", "↓"),
    "Increasing": ("higher", "↑"),
    "Decreasing": ("lower", "↓"),
    "No significant change": (None, "→"),
    "Could not be calculated": ("not compared", "–"),
}
_GOAL_WORDS = {
    "better": "Meets the goal",
    "between": "Between the goal's ends",
    "worse": "Misses the goal",
    "not compared": "Not compared",
}

RUG_CSS = """<style>
table.outcome-rug {border-collapse: collapse; font-size: 0.88rem; width: 100%; margin-bottom: 1rem;}
table.outcome-rug caption {text-align: left; font-weight: 600; padding: 0.3rem 0; font-size: 1rem;}
table.outcome-rug th, table.outcome-rug td {border: 1px solid #9a9a9a; padding: 0.3rem 0.45rem; color: #1a1a1a;}
table.outcome-rug thead th {background: #f3f3f3;}
table.outcome-rug tbody th {text-align: left; font-weight: 500; background: #fafafa;}
table.outcome-rug td.emphasis {font-weight: 700;}
table.outcome-rug small {color: #3d3d3d;}
</style>"""

RUG_LEGEND = (
    "Compared with England (Fingertips rule): ● better, ◐ similar, ■ worse (bold: significant at 99.8%), ▲ higher / "
    "▼ lower where there is no judgement, ○ not compared. Recent trend over the last five points (χ² for trend, "
    "99.8%): ↑ ↓ with 'getting better' or 'getting worse'. Colours are colour-blind-safe tints; the words carry "
    "the meaning."
)

_COLUMNS = (
    "Measure",
    "Period",
    "Value (95% CI)",
    "England",
    "Compared with England",
    "Recent trend",
    "Goal",
    "Compared with goal",
)


def _cell(text: str, outcome: str | None, column: str, *, emphasis: bool = False) -> str:
    style = f' style="background:{TINTS[outcome]}"' if outcome in TINTS else ""
    attrs = f' data-col="{column}"' + (f' data-outcome="{html.escape(outcome)}"' if outcome else "")
    cls = ' class="emphasis"' if emphasis else ""
    return f"<td{cls}{style}{attrs}>{html.escape(text)}</td>"


def _row(row: dict) -> str:
    unit = row["unit"]
    value = format_value(row["value"], unit)
    if row["value"] is not None and row["lower_ci_95"] is not None:
        value += f" ({row['lower_ci_95']:.1f}–{row['upper_ci_95']:.1f})"
    if row["value"] is None and row["value_note"]:
        value += f" ({row['value_note']})"
    outcome = row["england_outcome"] or "not compared"
    significance = row["england_significance"]
    comparison = f"{SHAPES[outcome]} {row['england_label'] or 'Not compared'}"
    if significance:
        comparison += f" ({significance}%)"
    trend_label = row["trend_label"] or "Could not be calculated"
    trend_outcome, arrow = _TREND_OUTCOME.get(trend_label, (None, ""))
    goal_outcome = row["goal_outcome"] if row["goal_text"] else None
    flag = (
        ' <small data-flag="worse-and-worsening">⚑ worse than England and getting worse</small>'
        if row["worse_and_worsening"]
        else ""
    )
    cells = [
        f'<th scope="row">{html.escape(row["label"])}{flag}</th>',
        f'<td data-col="period">{html.escape(row["period"] or "no data loaded")}</td>',
        f'<td data-col="value">{html.escape(value)}</td>',
        f'<td data-col="england">{html.escape(format_value(row["england_value"], unit))}</td>',
        _cell(comparison, outcome, "england_comparison", emphasis=significance == "99.8"),
        _cell(f"{arrow} {trend_label}".strip(), trend_outcome, "trend"),
        f'<td data-col="goal">{html.escape(row["goal_text"] or "–")}</td>',
        _cell(
            f"{SHAPES[goal_outcome]} {_GOAL_WORDS[goal_outcome]}" if goal_outcome else "–",
            goal_outcome,
            "goal_comparison",
        ),
    ]
    return f'<tr data-measure="{html.escape(row["measure_key"])}">{"".join(cells)}</tr>'


def rug_html(rug: pl.DataFrame) -> str:
    """Accessible HTML: one table per outcome statement (caption = the statement), a row per measure."""
    head = "".join(f'<th scope="col">{html.escape(name)}</th>' for name in _COLUMNS)
    tables = []
    for (code, statement), group in rug.group_by(["outcome_code", "statement"], maintain_order=True):
        body = "".join(_row(row) for row in group.iter_rows(named=True))
        tables.append(
            f'<table class="outcome-rug" data-outcome="{html.escape(str(code))}">'
            f"<caption>{html.escape(str(code))}. {html.escape(str(statement))}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    return "".join(tables)


def rug_export(rug: pl.DataFrame) -> pl.DataFrame:
    """The rug as a plain table for the CSV download."""
    return rug.select(
        "outcome_code",
        "statement",
        "label",
        "measure_key",
        "period",
        "value",
        "lower_ci_95",
        "upper_ci_95",
        "value_note",
        "england_value",
        "england_label",
        "england_significance",
        "trend_label",
        "goal_text",
        "goal_outcome",
        "worse_and_worsening",
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


def deprivation_breakdown(series: pl.DataFrame, measure_key: str) -> pl.DataFrame:
    """The latest deprivation-decile breakdown of a measure: the area's when it has one, else England's."""
    deciles = series.filter(pl.col("measure_key") == measure_key, pl.col("imd_decile").is_not_null())
    for role in ("area", "england"):
        chosen = deciles.filter(pl.col("area_role") == role)
        if chosen.height:
            latest = chosen["period_sortable"].max()
            return chosen.filter(pl.col("period_sortable") == latest).sort("imd_decile")
    return deciles.head(0)
