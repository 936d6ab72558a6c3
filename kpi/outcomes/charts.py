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


#: Caterpillar chart roles: the council, its first comparator group, every other council (docs/methods.md section 9).
_SPREAD_ROLES = ("This council", "Comparator group", "Other councils")
_SPREAD_COLOURS = (ORANGE, BLUE, GREY)
_SPREAD_SHAPES = ("diamond", "circle", "square")


def caterpillar_chart(
    spread: pl.DataFrame, title: str, unit: str, average: float | None = None
) -> alt.LayerChart:
    """Every council's value with its 95% CI, ranked lowest to highest; the council and its group marked.

    ``spread``: :attr:`kpi.outcomes.neighbours.NeighbourView.spread` (area_name, value, lower_ci_95, upper_ci_95,
    is_council, in_group). The council is an orange diamond, the group's members blue circles and the others grey
    squares, so no one is told apart by colour alone; ``average`` (the group's) is a dashed rule.
    """
    role = (
        pl.when(pl.col("is_council"))
        .then(pl.lit(_SPREAD_ROLES[0]))
        .when(pl.col("in_group"))
        .then(pl.lit(_SPREAD_ROLES[1]))
        .otherwise(pl.lit(_SPREAD_ROLES[2]))
    )
    data = (
        spread.sort("value")
        .with_row_index("position", offset=1)
        .select(
            "position",
            "area_name",
            role.alias("role"),
            pl.col("value").round(2),
            pl.col("lower_ci_95").round(2).alias("lower_ci"),
            pl.col("upper_ci_95").round(2).alias("upper_ci"),
        )
        .to_pandas()
    )
    x = alt.X("position:Q", title="Councils, lowest to highest", axis=alt.Axis(labels=False, ticks=False))
    y_title = _axis_title(unit)
    colour = alt.Color(
        "role:N",
        title=None,
        scale=alt.Scale(domain=list(_SPREAD_ROLES), range=list(_SPREAD_COLOURS)),
        legend=alt.Legend(orient="bottom", labelLimit=LEGEND_LABEL_LIMIT),
    )
    shape = alt.Shape(
        "role:N", scale=alt.Scale(domain=list(_SPREAD_ROLES), range=list(_SPREAD_SHAPES)), legend=None
    )
    base = alt.Chart(data).encode(x=x)
    bars = base.mark_rule(opacity=0.5).encode(
        y=alt.Y("lower_ci:Q", title=y_title, scale=alt.Scale(zero=False)), y2="upper_ci:Q", color=colour
    )
    points = base.mark_point(filled=True).encode(
        y="value:Q",
        color=colour,
        shape=shape,
        size=alt.condition(alt.datum.role == _SPREAD_ROLES[0], alt.value(160), alt.value(40)),
        tooltip=["area_name", "role", "value", "lower_ci", "upper_ci"],
    )
    layers = [bars, points]
    if average is not None:
        rule = alt.Chart(pl.DataFrame({"average": [round(average, 2)]}).to_pandas())
        layers.append(
            rule.mark_rule(color=BLUE, strokeDash=[6, 4]).encode(y="average:Q", tooltip=["average"])
        )
    return alt.layer(*layers).properties(title=title, height=300)


def neighbour_trend_chart(trends: pl.DataFrame, title: str, unit: str) -> alt.LayerChart:
    """The council's series beside its group's members (thin grey lines) and the group average (dashed blue).

    ``trends``: :attr:`kpi.outcomes.neighbours.NeighbourView.trends` (area_name, role, period, value).
    """
    data = trends.select("area_name", "role", "period", pl.col("value").round(2)).to_pandas()
    x = alt.X("period:O", sort="ascending", title="Period", axis=alt.Axis(labelAngle=-45))
    y = alt.Y("value:Q", title=_axis_title(unit), scale=alt.Scale(zero=False))
    base = alt.Chart(data).encode(x=x, y=y, tooltip=["area_name", "period", "value"])
    members = (
        base.transform_filter(alt.datum.role == "neighbour")
        .mark_line(color=GREY, opacity=0.45, strokeWidth=1)
        .encode(detail="area_name:N")
    )
    average = base.transform_filter(alt.datum.role == "average").mark_line(color=BLUE, strokeDash=[6, 4])
    council = base.transform_filter(alt.datum.role == "council").mark_line(color=ORANGE, strokeWidth=3)
    dots = base.transform_filter(alt.datum.role == "council").mark_point(
        shape="diamond", filled=True, color=ORANGE, size=60
    )
    return alt.layer(members, average, council, dots).properties(title=title, height=300)
