"""Chart builders of issue 6: the XmR chart marks special causes by shape and letter as well as colour; the
inequality charts draw the fitted SII line and one panel per locality; all export to SVG offline."""

import json

import polars as pl

from kpi.core import charts as charts
from kpi.inequality import charts as charts_inequality
from kpi.spc import charts as charts_spc
from kpi.spc import rules as spc

PERIODS = [f"2023-24 Q{q}" for q in range(1, 5)] + [f"2024-25 Q{q}" for q in range(1, 5)]
PERIODS += [f"2025-26 Q{q}" for q in range(1, 5)] + [f"2026-27 Q{q}" for q in range(1, 3)]


def xmr_frame(values, target=90.0):
    chart = spc.xmr(values, improvement="increase", target=target)
    n = len(values)
    letters = {"improvement": "I", "concern": "C", "neutral": "N", "common cause": ""}
    return pl.concat(
        [
            pl.DataFrame({"period": PERIODS[:n], "period_index": list(range(n)), "target_pct": [target] * n}),
            chart,
        ],
        how="horizontal",
    ).with_columns(
        pl.col("point_type").replace_strict(letters).alias("point_letter"), pl.lit("").alias("rules")
    )


def layers(spec):
    return spec.get("layer", [])


def test_xmr_chart_marks_points_by_colour_shape_and_letter():
    values = [
        90.0,
        91,
        90,
        91,
        90,
        91,
        90,
        91,
        90,
        91,
        90,
        99,
        99,
        99,
    ]  # a jump upwards at the end: improvement
    frame = xmr_frame(values)
    assert "improvement" in frame["point_type"].to_list()
    spec = charts_spc.xmr_chart(frame, "C2").to_dict()
    point_layer = next(layer for layer in layers(spec) if layer["mark"].get("type") == "point")
    colour, shape = point_layer["encoding"]["color"], point_layer["encoding"]["shape"]
    assert colour["scale"]["range"] == ["#00B0F0", "#E46C0A", "#490092", "#A6A6A6"]
    assert shape["scale"]["range"] == ["diamond", "square", "triangle-up", "circle"]
    assert colour["scale"]["domain"] == shape["scale"]["domain"]
    assert point_layer["mark"]["stroke"] == "#212B32"  # dark outline for contrast
    letter_layer = next(layer for layer in layers(spec) if layer["encoding"].get("text", {}).get("field"))
    assert letter_layer["encoding"]["text"]["field"] == "point_letter"
    labels = set(end_labels(spec))
    assert {"Mean", "Upper limit", "Lower limit", "Target"} <= labels
    svg = charts.to_svg(charts_spc.xmr_chart(frame, "C2"))
    assert "Upper limit" in svg and "Special cause: improvement (I)" in svg


def test_run_chart_has_no_limit_lines():
    frame = xmr_frame([90.0, 91, 92, 90, 91])
    spec = charts_spc.xmr_chart(frame, "C2").to_dict()
    labels = set(end_labels(spec))
    assert "Upper limit" not in labels and "Mean" in labels


def test_xmr_end_labels_do_not_overlap_when_lines_end_close_together():
    # a target 0.1 point above the lower limit: their labels are moved apart, not drawn on top of each other
    values = [90.0, 91, 90, 91, 90, 91, 90, 91, 90, 91, 90, 91, 90, 91]
    frame = xmr_frame(values, target=89.1)
    frame = frame.with_columns(pl.col("lower_limit").fill_null(89.0))
    spec = charts_spc.xmr_chart(frame, "C2").to_dict()
    placed = end_labels(spec)
    lows = sorted(placed.values())
    seen = [
        v
        for c in ("value", "mean", "upper_limit", "lower_limit", "target_pct")
        for v in frame[c].drop_nulls()
    ]
    span = max(seen) - min(seen)
    gap = span * charts_spc.LABEL_GAP_PX / (charts_spc.HEIGHT * 0.85)
    assert all(b - a >= gap - 1e-6 for a, b in zip(lows, lows[1:], strict=False))
    assert abs(placed["Target"] - placed["Lower limit"]) >= gap - 1e-6


def test_spread_labels_keeps_far_labels_in_place_and_order():
    placed = charts_spc.spread_labels({"Mean": 93.0, "Target": 90.0, "Lower limit": 89.9}, 1.0)
    assert placed["Mean"] == 93.0
    assert placed["Target"] - placed["Lower limit"] >= 1.0
    assert placed["Lower limit"] < 89.9 < 90.0 < placed["Target"]


def test_xmr_chart_of_a_count_formats_numbers_and_has_an_accessible_name():
    frame = xmr_frame([600.0, 610, 590, 1200, 605], target=None)
    spec = charts_spc.xmr_chart(frame, "C1 count", y_title="Children", count=True).to_dict()
    assert spec["description"] == "C1 count"
    axis = next(layer for layer in layers(spec) if layer["encoding"].get("y", {}).get("axis"))
    assert axis["encoding"]["y"]["axis"]["format"] == ",.0f"
    point_layer = next(layer for layer in layers(spec) if layer["mark"].get("type") == "point")
    assert point_layer["encoding"]["color"]["legend"]["labelLimit"] >= 300
    formats = {t.get("format") for t in point_layer["encoding"]["tooltip"] if isinstance(t, dict)}
    assert ",.0f" in formats


def end_labels(spec):
    """The XmR chart's line-end labels and their (spread) levels."""
    layer = next(layer for layer in layers(spec) if layer["encoding"].get("text", {}).get("field") == "label")
    rows = spec["datasets"][layer["data"]["name"]]
    return {row["label"]: row["at"] for row in rows}


def quantile_points(areas):
    rows = []
    for area in areas:
        for q, rank in zip(range(1, 6), [0.1, 0.3, 0.5, 0.7, 0.9], strict=True):
            rows.append(
                {
                    "area_name": area,
                    "quantile": q,
                    "rank": rank,
                    "value_pct": 80.0 + 4 * q,
                    "lower_ci_pct": 75.0 + 4 * q,
                    "upper_ci_pct": 85.0 + 4 * q,
                    "numerator": 80.0,
                    "population": 100.0,
                }
            )
    lines = pl.DataFrame(
        {
            "area_name": [a for a in areas for _ in (0, 1)],
            "rank": [0.0, 1.0] * len(areas),
            "fitted_pct": [80.0, 100.0] * len(areas),
        }
    )
    return pl.DataFrame(rows), lines


def test_quantile_chart_draws_the_fitted_line_and_a_panel_per_locality():
    points, lines = quantile_points(["Borough"])
    spec = charts_inequality.quantile_sii_chart(points, lines, "C2", prefix="D").to_dict()
    assert "facet" not in spec
    data = next(iter(spec["datasets"].values()))
    fitted = [row for row in data if row["kind"] == "fitted"]
    assert [(row["rank"], row["fitted"]) for row in fitted] == [(0.0, 80.0), (1.0, 100.0)]
    assert {row["label"] for row in data if row["kind"] == "quantile"} == {"D1", "D2", "D3", "D4", "D5"}
    points, lines = quantile_points(["North", "South"])
    faceted = charts_inequality.quantile_sii_chart(points, lines, "C2", prefix="Q").to_dict()
    assert faceted["facet"]["field"] == "area_name"
    assert "North" in charts.to_svg(charts_inequality.quantile_sii_chart(points, lines, "C2", prefix="Q"))


def test_sii_trend_chart_has_a_zero_line_and_error_bars():
    table = pl.DataFrame(
        {
            "area_name": ["Borough"] * 3,
            "period": PERIODS[:3],
            "period_index": [1, 2, 3],
            "sii_pts": [-5.0, -6.0, -7.0],
            "sii_lower_pts": [-9.0, -10.0, -11.0],
            "sii_upper_pts": [-1.0, -2.0, -3.0],
        }
    )
    spec = charts_inequality.sii_trend_chart(table, "trend").to_dict()
    text = json.dumps(spec)
    assert '"datum": 0' in text and '"y2": {"field": "sii_upper"' in text
    assert "trend" in charts.to_svg(charts_inequality.sii_trend_chart(table, "trend"))


def test_sii_trend_chart_marks_a_change_of_index_and_does_not_join_across_it():
    """docs/methods.md section 7.1: the line is split by index and the first period on the new index is marked."""
    from kpi.core import deprivation

    table = pl.DataFrame(
        {
            "area_name": ["Borough"] * 4,
            "period": ["2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4"],
            "period_index": [1, 2, 3, 4],
            "deprivation_index": ["IoD2019", "IoD2019", "IoD2025", "IoD2025"],
            "sii_pts": [-5.0, -6.0, -7.0, -8.0],
            "sii_lower_pts": [-9.0, -10.0, -11.0, -12.0],
            "sii_upper_pts": [-1.0, -2.0, -3.0, -4.0],
        }
    )
    spec = charts_inequality.sii_trend_chart(table, "trend").to_dict()
    line = next(layer for layer in spec["layer"] if layer["mark"].get("type", layer["mark"]) == "line")
    assert line["encoding"]["detail"]["field"] == "deprivation_index"  # one line per index, none across
    text = json.dumps(spec, ensure_ascii=False)
    assert deprivation.CHANGE_NOTE in text and '"datum": "2025-26 Q3"' in text
    assert deprivation.CHANGE_NOTE in charts.to_svg(charts_inequality.sii_trend_chart(table, "trend"))
    same = charts_inequality.sii_trend_chart(
        table.with_columns(pl.lit("IoD2019").alias("deprivation_index")), "t"
    )
    assert deprivation.CHANGE_NOTE not in json.dumps(same.to_dict(), ensure_ascii=False)


def test_the_index_change_note_reads_away_from_the_nearer_edge():
    """A change late in the series has its note to the left of the rule, so the chart's right edge does not cut it."""

    def note_align(changed_at: int) -> str:
        periods = [f"20{y}-{y + 1} Q{q}" for y in (23, 24, 25, 26) for q in (1, 2, 3, 4)]
        table = pl.DataFrame(
            {
                "area_name": ["Borough"] * 16,
                "period": periods,
                "period_index": list(range(16)),
                "deprivation_index": ["IoD2019"] * changed_at + ["IoD2025"] * (16 - changed_at),
                "sii_pts": [-5.0] * 16,
                "sii_lower_pts": [-9.0] * 16,
                "sii_upper_pts": [-1.0] * 16,
            }
        )
        spec = charts_inequality.sii_trend_chart(table, "trend").to_dict()
        (note,) = [layer for layer in spec["layer"] if layer["mark"].get("type") == "text"]
        return note["mark"]["align"]

    assert note_align(3) == "left"
    assert note_align(12) == "right"
