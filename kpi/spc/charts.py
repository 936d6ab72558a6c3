"""Pure Altair builder of a Making Data Count XmR chart (frame in, chart out).

Method: the frame is :func:`kpi.spc.assurance.xmr_frame` (:func:`kpi.spc.rules.xmr` per period). Drawn: the values joined by
a grey line, broken where a period is missing (never joined across a gap); the centre (mean) as a solid line; the process limits as dashed lines (only when shown: 12 points or
more); the target in force as a dotted step line; a recovery trajectory (docs/methods.md section 5.9), when given, as a
dash-dot line through its planned points with its quarters still to come on the axis and drawn empty; each line
labelled in words at its right end. Points are typed as
NHS England's Making Data Count colours them (improvement blue #00B0F0, concern orange #E46C0A, neutral purple
#490092, common cause grey #A6A6A6), and because those are too pale for WCAG graphics contrast each point also has
a dark outline, a shape (improvement diamond, concern square, neutral triangle, common cause circle) and, when
special, a letter (I, C, N) above it: meaning never rests on colour.

Reference: NHS England, Making Data Count (2019, updated 2023).
"""

from __future__ import annotations

import altair as alt
import polars as pl

from kpi.core.charts import (
    COUNT_FORMAT,
    LEGEND_LABEL_LIMIT,
    PCT_AXIS_FORMAT,
    PCT_FORMAT,
    accessible,
    layered,
    spread_labels,
)
from kpi.spc.icons import COLOURS, OUTLINE

__all__ = ["POINT_STYLES", "spread_labels", "xmr_chart"]

#: Point type -> (legend label, fill colour, shape).
POINT_STYLES = {
    "improvement": ("Special cause: improvement (I)", COLOURS["improvement"], "diamond"),
    "concern": ("Special cause: concern (C)", COLOURS["concern"], "square"),
    "neutral": ("Special cause: neither (N)", COLOURS["neither"], "triangle-up"),
    "common cause": ("Common cause", COLOURS["common_cause"], "circle"),
}
LINE_GREY = "#595959"
#: Chart height and the least vertical gap between two end labels, in pixels.
HEIGHT, LABEL_GAP_PX = 320, 13


TRAJECTORY_COLOUR = "#004D40"


def xmr_chart(
    frame: pl.DataFrame,
    title: str,
    *,
    y_title: str = "Per cent",
    count: bool = False,
    trajectory: pl.DataFrame | None = None,
    annotations: pl.DataFrame | None = None,
) -> alt.LayerChart:
    """XmR chart of one series: values, mean, limits, target, typed points with letters and labelled lines.

    ``frame``: period, period_index, value, mean, upper_limit, lower_limit, target_pct, point_type,
    point_letter, rules, limits_shown (from :func:`kpi.spc.assurance.xmr_frame`). ``count``: the values are
    counts (thousands separators, no decimals) rather than percentages. ``trajectory``: period, period_index,
    planned_pct of a recovery trajectory; its quarters after the series are added to the axis with no values.
    ``annotations``: period, label of dated events, each drawn as a labelled vertical rule (a rebase, when the
    frame has segments, is drawn the same way, "Rebased: reason"); the mean and limits of each segment are drawn
    apart (docs/methods.md section 5.10).
    """
    number = COUNT_FORMAT if count else PCT_FORMAT
    labels = [style[0] for style in POINT_STYLES.values()]
    data = _chart_data(frame, trajectory)
    x = alt.X("period:O", sort=alt.SortField("period_index"), title="Quarter", axis=alt.Axis(labelAngle=-45))
    base = alt.Chart(data).encode(x=x)
    # channels are objects, not "field:type" strings: Altair resolves a string against its whole schema, several
    # milliseconds each (the same spec either way)
    y = alt.Y(
        "value:Q",
        title=y_title,
        scale=alt.Scale(zero=False),
        axis=alt.Axis(format=COUNT_FORMAT if count else PCT_AXIS_FORMAT),
    )
    line = base.mark_line(color=LINE_GREY, strokeWidth=1.5).encode(y=y, detail=alt.Detail("segment:N"))
    phase = alt.Detail("phase:N")  # each segment's mean and limits are their own lines
    mean = base.mark_line(color=OUTLINE, strokeWidth=1.5).encode(y=alt.Y("mean:Q"), detail=phase)
    layers = [line, mean]
    ends = [("mean", "Mean")]
    if bool(frame["limits_shown"][0]):
        for column, label in (("upper_limit", "Upper limit"), ("lower_limit", "Lower limit")):
            layers.append(
                base.mark_line(color=LINE_GREY, strokeDash=[6, 4]).encode(
                    y=alt.Y(f"{column}:Q"), detail=phase
                )
            )
            ends.append((column, label))
    if frame["target_pct"].is_not_null().any():
        layers.append(
            base.mark_line(
                color="#AA3377", strokeDash=[2, 2], strokeWidth=2, interpolate="step-after"
            ).encode(y=alt.Y("target:Q"))
        )
        ends.append(("target", "Target"))
    if trajectory is not None and not trajectory.is_empty():
        layers += _trajectory_layers(base, data, x, number)
    points = _typed_points(base, labels, number)
    letters = base.mark_text(dy=-14, fontWeight="bold", fontSize=13, color=OUTLINE).encode(
        y=alt.Y("value:Q"), text=alt.Text("point_letter:N")
    )
    layers += [points, letters]
    events = _events(frame, annotations)
    if not events.is_empty():
        layers += _event_layers(events, x)
    end_labels = _end_labels(data.filter(pl.col("value").is_not_null()), ends, x)
    if end_labels is not None:
        layers.append(end_labels)
    return accessible(layered(*layers, title=title, height=HEIGHT))


def _chart_data(frame: pl.DataFrame, trajectory: pl.DataFrame | None):
    """The chart's rows, with the trajectory's planned values and its quarters to come (no values)."""
    data = frame.select(
        "period",
        "period_index",
        pl.col("value").round(2),
        pl.col("mean").round(2),
        pl.col("upper_limit").round(2),
        pl.col("lower_limit").round(2),
        pl.col("target_pct").cast(pl.Float64).round(2).alias("target"),
        "point_letter",
        "rules",
        pl.col("point_type").replace_strict({k: v[0] for k, v in POINT_STYLES.items()}).alias("point"),
        # a missing period breaks the line: each run of consecutive periods is drawn as its own segment
        (pl.col("after_gap").fill_null(False).cum_sum() if "after_gap" in frame.columns else pl.lit(0)).alias(
            "segment"
        ),
    )
    segments = (
        frame["spc_segment"] if "spc_segment" in frame.columns else pl.repeat(0, frame.height, eager=True)
    )
    # a value that is not a number is a gap, as a missing one is (Vega-Lite draws neither)
    data = data.with_columns(segments.cast(pl.Int64).alias("phase"), pl.col(pl.Float64).fill_nan(None))
    planned = pl.lit(None, dtype=pl.Float64).alias("planned")
    if trajectory is None or trajectory.is_empty():
        return data.with_columns(planned)
    plan = trajectory.select(
        "period",
        pl.col("period_index").cast(data["period_index"].dtype),
        pl.col("planned_pct").round(2).alias("planned"),
    )
    joined = data.join(plan.drop("period"), on="period_index", how="left")
    to_come = plan.filter(~pl.col("period_index").is_in(data["period_index"].implode()))
    return pl.concat([joined, to_come], how="diagonal_relaxed").sort("period_index")


def _events(frame: pl.DataFrame, annotations: pl.DataFrame | None) -> pl.DataFrame:
    """The dated events drawn: annotations within the chart's quarters, and each rebase."""
    shown = set(frame["period"].to_list())
    parts = []
    if annotations is not None and not annotations.is_empty():
        parts.append(annotations.select("period", "label").filter(pl.col("period").is_in(list(shown))))
    if "rebased" in frame.columns:
        parts.append(
            frame.filter(pl.col("rebased")).select(
                "period", pl.format("Rebased: {}", "rebase_reason").alias("label")
            )
        )
    if not parts:
        return pl.DataFrame(schema={"period": pl.String, "label": pl.String})
    events = pl.concat(parts).group_by("period", maintain_order=True).agg(pl.col("label").str.join("; "))
    return events.join(frame.select("period", "period_index"), on="period")


def _event_layers(events: pl.DataFrame, x: alt.X) -> list[alt.Chart]:
    """Each event as a thin vertical rule with its label at the top of the plot."""
    data = events
    rule = (
        alt.Chart(data)
        .mark_rule(color=OUTLINE, strokeDash=[1, 3], strokeWidth=1.2)
        .encode(x=x, tooltip=[alt.Tooltip("period"), alt.Tooltip("label:N", title="event")])
    )
    text = (
        alt.Chart(data)
        .mark_text(align="left", baseline="top", dx=3, fontSize=10, color=OUTLINE)
        .encode(x=x, y=alt.value(2), text=alt.Text("label:N"))
    )
    return [rule, text]


def _trajectory_layers(base: alt.Chart, data, x: alt.X, number: str) -> list[alt.Chart]:
    """The trajectory: a dash-dot line through open circles at its planned points, labelled at its last point."""
    line = base.mark_line(color=TRAJECTORY_COLOUR, strokeDash=[8, 3, 2, 3], strokeWidth=2).encode(
        y=alt.Y("planned:Q")
    )
    marks = base.mark_point(
        shape="circle", filled=False, size=60, color=TRAJECTORY_COLOUR, strokeWidth=1.5
    ).encode(
        y=alt.Y("planned:Q"),
        tooltip=[alt.Tooltip("period"), alt.Tooltip("planned:Q", title="trajectory", format=number)],
    )
    last = data.filter(pl.col("planned").is_not_null()).tail(1)
    label = (
        alt.Chart(last.with_columns(pl.lit("Trajectory").alias("label")))
        .mark_text(align="left", dx=8, dy=-10, fontSize=11, color=TRAJECTORY_COLOUR)
        .encode(x=x, y=alt.Y("planned:Q"), text=alt.Text("label:N"))
    )
    return [line, marks, label]


def _typed_points(base: alt.Chart, labels: list[str], number: str) -> alt.Chart:
    """The points, coloured and shaped by their type, with a tooltip of every line at that period."""
    return base.mark_point(filled=True, size=110, stroke=OUTLINE, strokeWidth=1.2, opacity=1).encode(
        y=alt.Y("value:Q"),
        color=alt.Color(
            "point:N",
            scale=alt.Scale(domain=labels, range=[s[1] for s in POINT_STYLES.values()]),
            legend=alt.Legend(title="Point", orient="bottom", labelLimit=LEGEND_LABEL_LIMIT, columns=2),
        ),
        shape=alt.Shape(
            "point:N",
            scale=alt.Scale(domain=labels, range=[s[2] for s in POINT_STYLES.values()]),
            legend=alt.Legend(title="Point", orient="bottom", labelLimit=LEGEND_LABEL_LIMIT, columns=2),
        ),
        tooltip=[
            alt.Tooltip("period"),
            alt.Tooltip("value:Q", title="value", format=number),
            alt.Tooltip("point:N", title="point"),
            alt.Tooltip("rules:N", title="special-cause rules"),
            alt.Tooltip("mean:Q", format=number),
            alt.Tooltip("upper_limit:Q", title="upper limit", format=number),
            alt.Tooltip("lower_limit:Q", title="lower limit", format=number),
            alt.Tooltip("target:Q", format=number),
        ],
    )


def _end_labels(data, ends: list[tuple[str, str]], x: alt.X) -> alt.Chart | None:
    """Each line labelled in words at its right end, moved apart where lines end close together; None if none."""
    last = data.row(-1, named=True)
    levels = {label: float(last[column]) for column, label in ends if last[column] is not None}
    if not levels:
        return None
    columns = ["value", "mean", "upper_limit", "lower_limit", "target"]
    seen = [v for c in columns for v in data[c].drop_nulls().to_list()]
    span = (max(seen) - min(seen)) or 1.0
    placed = spread_labels(levels, span * LABEL_GAP_PX / (HEIGHT * 0.85))
    ends_frame = pl.DataFrame(
        {
            "period": [last["period"]] * len(placed),
            "period_index": [int(last["period_index"])] * len(placed),
            "label": list(placed),
            "at": list(placed.values()),
        }
    )
    return (
        alt.Chart(ends_frame)
        .mark_text(align="left", dx=8, fontSize=11, color=OUTLINE)
        .encode(x=x, y=alt.Y("at:Q"), text=alt.Text("label:N"))
    )
