"""Pure Altair builders for the Outcomes page (frame in, chart out).

Colour-blind-safe Okabe-Ito colours with a legend and different marks per series (line and circles for the area,
dashed line and diamonds for England, dotted line and squares for the region), so no series is told apart by colour
alone. Exports as PNG/SVG go through :mod:`kpi.core.charts`.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from kpi.core.charts import BLACK, BLUE, GREY, LEGEND_LABEL_LIMIT, ORANGE

_ROLE_ORDER = ("area", "england", "region")
_ROLE_COLOURS = {"area": BLUE, "england": ORANGE, "region": GREY}
_ROLE_DASH = {"area": [1, 0], "england": [6, 4], "region": [2, 3]}
_ROLE_SHAPE = {"area": "circle", "england": "diamond", "region": "square"}


def _axis_title(unit: str) -> str:
    return "Per cent" if unit == "%" else (unit.capitalize() if unit else "Value")


def outcome_trend_chart(frame: pl.DataFrame, title: str, unit: str) -> alt.LayerChart:
    """A measure over time: the area with its 95% CI band, England and the region as reference lines.

    ``frame``: area_role, area_name, period, period_sortable, value, lower_ci_95, upper_ci_95, value_note
    (:func:`kpi.outcomes.series.measure_detail`). Suppressed or missing points leave a gap.
    """
    data = frame.select(
        "area_role",
        "area_name",
        "period",
        "period_sortable",
        pl.col("value").round(2),
        pl.col("lower_ci_95").round(2).alias("lower_ci"),
        pl.col("upper_ci_95").round(2).alias("upper_ci"),
        "value_note",
    ).to_pandas()
    roles = [r for r in _ROLE_ORDER if r in set(data["area_role"])]
    names = [data.loc[data["area_role"] == r, "area_name"].iloc[0] for r in roles]
    x = alt.X(
        "period:O", sort=alt.SortField("period_sortable"), title="Period", axis=alt.Axis(labelAngle=-45)
    )
    colour = alt.Color(
        "area_name:N",
        title=None,
        scale=alt.Scale(domain=names, range=[_ROLE_COLOURS[r] for r in roles]),
        legend=alt.Legend(orient="bottom", labelLimit=LEGEND_LABEL_LIMIT),
    )
    dash = alt.StrokeDash(
        "area_name:N", scale=alt.Scale(domain=names, range=[_ROLE_DASH[r] for r in roles]), legend=None
    )
    shape = alt.Shape(
        "area_name:N", scale=alt.Scale(domain=names, range=[_ROLE_SHAPE[r] for r in roles]), legend=None
    )
    base = alt.Chart(data).encode(x=x)
    band = (
        base.transform_filter(alt.datum.area_role == "area")
        .mark_area(opacity=0.2, color=BLUE)
        .encode(y=alt.Y("lower_ci:Q", title=_axis_title(unit), scale=alt.Scale(zero=False)), y2="upper_ci:Q")
    )
    lines = base.mark_line().encode(y="value:Q", color=colour, strokeDash=dash)
    points = base.mark_point(filled=True, size=60).encode(
        y="value:Q",
        color=colour,
        shape=shape,
        tooltip=["area_name", "period", "value", "lower_ci", "upper_ci", "value_note"],
    )
    return alt.layer(band, lines, points).properties(title=title, height=300)


def decile_chart(frame: pl.DataFrame, title: str, unit: str) -> alt.LayerChart:
    """Values by national deprivation decile (1 = most deprived) with 95% CI error bars.

    ``frame``: imd_decile, category, value, lower_ci_95, upper_ci_95 (:func:`kpi.outcomes.series.deprivation_breakdown`).
    """
    data = frame.select(
        "imd_decile",
        "category",
        pl.col("value").round(2),
        pl.col("lower_ci_95").round(2).alias("lower_ci"),
        pl.col("upper_ci_95").round(2).alias("upper_ci"),
        "count",
        "denominator",
    ).to_pandas()
    x = alt.X("imd_decile:O", title="National IMD decile (1 = most deprived)", axis=alt.Axis(labelAngle=0))
    base = alt.Chart(data).encode(x=x)
    bars = base.mark_rule(color=BLUE, strokeWidth=2).encode(
        y=alt.Y("lower_ci:Q", title=_axis_title(unit), scale=alt.Scale(zero=False)), y2="upper_ci:Q"
    )
    points = base.mark_point(filled=True, size=80, color=BLACK).encode(
        y="value:Q", tooltip=["category", "value", "lower_ci", "upper_ci", "count", "denominator"]
    )
    return alt.layer(bars, points).properties(title=title, height=280)
