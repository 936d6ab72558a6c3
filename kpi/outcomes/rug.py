"""The "tartan rug" of an outcome framework: one row per outcome statement x measure, judged and shown.

:func:`outcome_rug` makes the rug from :func:`kpi.outcomes.series.measure_series` (latest value against England,
goal and recent trend, docs/methods.md section 4); :func:`with_flags` adds the filter "worse than England and getting
worse" (England comparison "worse" and a trend "… and getting worse"); :func:`rug_html` renders it as accessible
HTML tables (colour, a shape and words in every judged cell) and :func:`rug_export` as a download.

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

import polars as pl

from kpi.outcomes.frameworks import Framework, Goal
from kpi.outcomes.series import HEADLINE, WORSENING, measure_trend
from kpi.stats import compare_with_benchmark_expr, compare_with_goal


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
