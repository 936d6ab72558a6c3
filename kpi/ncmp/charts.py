"""Pure Altair builders for the NCMP page (frame in, chart out).

Colours are colour-blind safe (Okabe-Ito blue and vermilion; a sequential blue scale on the map) and meaning never
rests on colour: confidence intervals are drawn as bars, England as labelled diamonds, map areas carry their name
and value in text with a white halo, and run-chart points carry a shape and a letter (Making Data Count colours are
too pale for WCAG graphics contrast alone, docs/methods.md section 5).
"""

from __future__ import annotations

import altair as alt
import polars as pl

from kpi.core import deprivation
from kpi.core.charts import (
    BLACK,
    BLUE,
    COUNT_FORMAT,
    LEGEND_LABEL_LIMIT,
    ORANGE,
    PCT_AXIS_FORMAT,
    PCT_FORMAT,
    accessible,
    category_ci_chart,
)
from kpi.spc.icons import COLOURS, OUTLINE

__all__ = [
    "category_ci_chart",
    "gap_trend_chart",
    "locality_map",
    "participation_chart",
    "prevalence_chart",
    "run_chart",
]

#: Run-chart point type -> (legend label, fill colour, shape, letter).
RUN_POINTS = {
    "improvement": ("Special cause: improvement (I)", COLOURS["improvement"], "diamond", "I"),
    "concern": ("Special cause: concern (C)", COLOURS["concern"], "square", "C"),
    "neutral": ("Special cause: neither (N)", COLOURS["neither"], "triangle-up", "N"),
    "common cause": ("Common cause", COLOURS["common_cause"], "circle", ""),
}


def _rounded(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.with_columns([pl.col(c).round(1) for c in columns if c in frame.columns])


def prevalence_chart(frame: pl.DataFrame, title: str) -> alt.LayerChart:
    """Every weight category: borough prevalence (point and 95% CI bar) and England (labelled diamond).

    ``frame``: :func:`kpi.ncmp.views.categories` (category_name, category_order, value_pct, lower_ci_pct,
    upper_ci_pct, numerator, denominator, england_pct, england_label, comparison).
    """
    data = _rounded(frame, "value_pct", "lower_ci_pct", "upper_ci_pct", "england_pct").select(
        "category_name",
        "category_order",
        pl.col("value_pct").alias("value"),
        pl.col("lower_ci_pct").alias("lower_ci"),
        pl.col("upper_ci_pct").alias("upper_ci"),
        "numerator",
        "denominator",
        pl.col("england_pct").alias("england"),
        pl.col("england_label").fill_null("England: not published"),
        pl.col("comparison"),
    )
    y = alt.Y(
        "category_name:N", sort=alt.SortField("category_order"), title=None, axis=alt.Axis(labelLimit=300)
    )
    base = alt.Chart(data.to_pandas()).encode(y=y)
    tooltip = [
        "category_name",
        "value",
        "lower_ci",
        "upper_ci",
        "numerator",
        "denominator",
        "england_label",
        "england",
        "comparison",
    ]
    bars = base.mark_rule(color=BLUE, strokeWidth=3).encode(
        x=alt.X("lower_ci:Q", title="Per cent of children measured"), x2="upper_ci:Q"
    )
    points = base.mark_point(filled=True, size=110, color=BLUE, shape="circle").encode(
        x="value:Q", tooltip=tooltip
    )
    values = base.mark_text(align="left", dx=8, dy=-9, color=BLACK).encode(
        x="upper_ci:Q", text=alt.Text("value:Q", format=".1f")
    )
    england = base.mark_point(shape="diamond", filled=True, size=90, color=ORANGE, stroke=BLACK).encode(
        x="england:Q", tooltip=tooltip
    )
    labels = base.mark_text(align="left", dx=8, dy=9, color=BLACK, fontSize=10).encode(
        x="england:Q", text="england_label:N"
    )
    return alt.layer(bars, points, values, england, labels).properties(title=title, height=260)


def locality_map(boundaries: dict, frame: pl.DataFrame, title: str) -> alt.LayerChart:
    """The borough's localities shaded by prevalence, each labelled with its name and value (text, not colour only).

    ``boundaries``: GeoJSON FeatureCollection (WGS84) whose features carry ``locality_code``, ``lon`` and ``lat``;
    ``frame``: :func:`kpi.ncmp.views.breakdown` rows (group_code, group_name, value_pct, CIs, counts).
    """
    values = _rounded(frame, "value_pct", "lower_ci_pct", "upper_ci_pct").select(
        "group_code",
        "group_name",
        pl.col("value_pct").alias("value"),
        pl.col("lower_ci_pct").alias("lower_ci"),
        pl.col("upper_ci_pct").alias("upper_ci"),
        "numerator",
        "denominator",
        pl.format("{}: {}%", pl.col("group_name"), pl.col("value_pct").round(1)).alias("label"),
    )
    lookup = alt.LookupData(
        alt.Data(values=values.to_dicts()),
        key="group_code",
        fields=["group_name", "value", "lower_ci", "upper_ci", "numerator", "denominator", "label"],
    )
    features = alt.Data(values=boundaries["features"])
    shapes = (
        alt.Chart(features)
        .mark_geoshape(stroke=OUTLINE, strokeWidth=1.2)
        .transform_lookup(lookup="properties.locality_code", from_=lookup)
        .encode(
            color=alt.Color("value:Q", title="Per cent", scale=alt.Scale(scheme="blues", zero=False)),
            tooltip=["group_name:N", "value:Q", "lower_ci:Q", "upper_ci:Q", "numerator:Q", "denominator:Q"],
        )
    )
    text = (
        alt.Chart(features)
        .transform_lookup(lookup="properties.locality_code", from_=lookup)
        .encode(longitude="properties.lon:Q", latitude="properties.lat:Q", text="label:N")
    )
    halo = text.mark_text(
        fontSize=12, fontWeight="bold", color="white", stroke="white", strokeWidth=4, strokeJoin="round"
    )
    label = text.mark_text(fontSize=12, fontWeight="bold", color=BLACK)
    return (
        alt.layer(shapes, halo, label).project(type="mercator").properties(title=title, height=380, width=520)
    )


#: Height of one school's row in the participation chart: enough for its name in 11 px type.
SCHOOL_ROW_PX = 18


def participation_chart(
    frame: pl.DataFrame, title: str, *, borough_pct: float | None = None
) -> alt.LayerChart:
    """Participation (measured / eligible) per school with 95% CI bars, lowest first, beside the borough's rate.

    ``frame``: :func:`kpi.ncmp.views.participation` school rows (area_name, participation_pct, CIs, measured,
    eligible).
    """
    data = (
        _rounded(frame, "participation_pct", "lower_ci_pct", "upper_ci_pct")
        .filter(pl.col("participation_pct").is_not_null())
        .with_row_index("order")
        .select(
            "order",
            pl.col("area_name").alias("school"),
            pl.col("area_code").alias("urn"),
            pl.col("participation_pct").alias("participation"),
            pl.col("lower_ci_pct").alias("lower_ci"),
            pl.col("upper_ci_pct").alias("upper_ci"),
            "measured",
            "eligible",
        )
    )
    # every school is named: one row of SCHOOL_ROW_PX per school, and no label is dropped for overlapping
    y = alt.Y(
        "school:N",
        sort=alt.SortField("order"),
        title=None,
        axis=alt.Axis(labelLimit=360, labelOverlap=False, labelFontSize=11),
    )
    base = alt.Chart(data.to_pandas()).encode(y=y)
    tooltip = [
        "school",
        alt.Tooltip("urn:N", title="URN"),
        alt.Tooltip("participation:Q", title="participation (%)", format=PCT_FORMAT),
        alt.Tooltip("lower_ci:Q", title="lower 95% CI", format=PCT_FORMAT),
        alt.Tooltip("upper_ci:Q", title="upper 95% CI", format=PCT_FORMAT),
        alt.Tooltip("measured:Q", format=COUNT_FORMAT),
        alt.Tooltip("eligible:Q", format=COUNT_FORMAT),
    ]
    layers = [
        base.mark_rule(color=BLUE, strokeWidth=2).encode(
            x=alt.X(
                "lower_ci:Q",
                title="Per cent of eligible pupils measured",
                scale=alt.Scale(zero=False),
                axis=alt.Axis(format=PCT_AXIS_FORMAT),
            ),
            x2="upper_ci:Q",
        ),
        base.mark_point(filled=True, size=60, color=BLUE).encode(x="participation:Q", tooltip=tooltip),
    ]
    if borough_pct is not None:
        rule = alt.Chart(pl.DataFrame({"level": [round(borough_pct, 1)], "label": ["Borough"]}).to_pandas())
        layers.append(rule.mark_rule(color=ORANGE, strokeDash=[4, 4]).encode(x="level:Q"))
        layers.append(
            rule.mark_text(align="left", dx=4, dy=-4, color=BLACK, baseline="bottom").encode(
                x="level:Q", y=alt.value(0), text=alt.Text("label:N")
            )
        )
    return accessible(
        alt.layer(*layers).properties(title=title, height=alt.Step(SCHOOL_ROW_PX)),
        f"{title}: {data.height} schools, lowest participation first",
    )


def run_chart(frame: pl.DataFrame, title: str) -> alt.LayerChart:
    """Borough prevalence by academic year: 95% CI band, mean line, points typed by shape, colour and letter.

    ``frame``: :func:`kpi.ncmp.views.run_chart` (academic_year, value_pct, CIs, mean, point_type, limits_shown,
    upper_limit, lower_limit). Below 12 points it is a run chart (no limits), docs/methods.md section 5.
    """
    labels = [style[0] for style in RUN_POINTS.values()]
    data = _rounded(
        frame, "value_pct", "lower_ci_pct", "upper_ci_pct", "mean", "upper_limit", "lower_limit"
    ).with_columns(
        pl.col("point_type").replace_strict({k: v[0] for k, v in RUN_POINTS.items()}).alias("point"),
        pl.col("point_type").replace_strict({k: v[3] for k, v in RUN_POINTS.items()}).alias("letter"),
    )
    base = alt.Chart(data.to_pandas()).encode(
        x=alt.X("academic_year:O", title="Academic year", axis=alt.Axis(labelAngle=0))
    )
    y = alt.Y("value_pct:Q", title="Per cent", scale=alt.Scale(zero=False))
    layers = [
        base.mark_area(opacity=0.2, color=BLUE).encode(
            y=alt.Y("lower_ci_pct:Q", title="Per cent"), y2="upper_ci_pct:Q"
        ),
        base.mark_line(color="#595959").encode(y=y),
        base.mark_line(color=OUTLINE, strokeDash=[2, 2]).encode(y="mean:Q"),
    ]
    if frame.height and bool(frame["limits_shown"][0]):
        for column in ("upper_limit", "lower_limit"):
            layers.append(base.mark_line(color="#595959", strokeDash=[6, 4]).encode(y=f"{column}:Q"))
    layers.append(
        base.mark_point(filled=True, size=110, stroke=OUTLINE, strokeWidth=1.2, opacity=1).encode(
            y="value_pct:Q",
            color=alt.Color(
                "point:N",
                scale=alt.Scale(domain=labels, range=[s[1] for s in RUN_POINTS.values()]),
                legend=alt.Legend(title="Point", orient="bottom", labelLimit=LEGEND_LABEL_LIMIT),
            ),
            shape=alt.Shape(
                "point:N",
                scale=alt.Scale(domain=labels, range=[s[2] for s in RUN_POINTS.values()]),
                legend=alt.Legend(title="Point", orient="bottom", labelLimit=LEGEND_LABEL_LIMIT),
            ),
            tooltip=[
                "academic_year",
                "value_pct",
                "lower_ci_pct",
                "upper_ci_pct",
                "numerator",
                "denominator",
                "point",
            ],
        )
    )
    layers.append(
        base.mark_text(dy=-14, fontWeight="bold", color=OUTLINE).encode(y="value_pct:Q", text="letter:N")
    )
    return alt.layer(*layers).properties(title=title, height=280, width=520)


def gap_trend_chart(frame: pl.DataFrame, title: str) -> alt.LayerChart:
    """Gap between the most and least deprived decile (decile 1 − decile 10, points) by academic year with 95% intervals and a zero line.

    ``frame``: :func:`kpi.ncmp.views.gap_trend` (academic_year, gap_points, gap_lower_ci_points,
    gap_upper_ci_points, decile1_pct, decile10_pct).
    """
    data = _rounded(
        frame, "gap_points", "gap_lower_ci_points", "gap_upper_ci_points", "decile1_pct", "decile10_pct"
    )
    base = alt.Chart(data.to_pandas()).encode(
        x=alt.X("academic_year:O", title="Academic year", axis=alt.Axis(labelAngle=0))
    )
    tooltip = [
        "academic_year",
        "gap_points",
        "gap_lower_ci_points",
        "gap_upper_ci_points",
        "decile1_pct",
        "decile10_pct",
    ]
    zero = alt.Chart(pl.DataFrame({"zero": [0.0]}).to_pandas()).mark_rule(color=BLACK).encode(y="zero:Q")
    bars = base.mark_rule(color=BLUE, strokeWidth=2).encode(
        y=alt.Y("gap_lower_ci_points:Q", title="Percentage points (decile 1 − decile 10)"),
        y2="gap_upper_ci_points:Q",
    )
    points = base.mark_point(filled=True, size=90, color=BLUE, shape="square").encode(
        y="gap_points:Q", tooltip=tooltip
    )
    layers = [zero, bars, points, *_index_change(frame)]
    return alt.layer(*layers).properties(title=title, height=260, width=520)


def _index_change(frame: pl.DataFrame) -> list[alt.Chart]:
    """A dashed rule and a note at the first year on a new deprivation index (docs/methods.md section 7.1).

    The points are never joined by a line, so years on different indices are not drawn as one series.
    """
    if "deprivation_index" not in frame.columns or frame.is_empty():
        return []
    years = frame.select("academic_year", "deprivation_index").unique().sort("academic_year")
    # the first row has no year before it (a null comparison): only a real change is kept
    changes = years.filter(pl.col("deprivation_index") != pl.col("deprivation_index").shift(1))
    changes = changes.filter(pl.col("deprivation_index") == deprivation.IOD2025)
    if changes.is_empty():
        return []
    marks = changes.select("academic_year", pl.lit(deprivation.CHANGE_NOTE).alias("note")).to_pandas()
    rule = alt.Chart(marks).mark_rule(color=BLACK, strokeDash=[4, 3]).encode(x="academic_year:O")
    note = (
        alt.Chart(marks)
        .mark_text(align="left", baseline="top", dx=4, dy=4, fontSize=11, color=BLACK)
        .encode(x="academic_year:O", y=alt.value(0), text="note:N")
    )
    return [rule, note]
