"""Charts of a document: the spec written fast is Altair's own, each chart drawn once, the DOCX's PNG sized to print."""

import struct

import altair as alt
import pandas as pd
import polars as pl

from kpi.reports.figures import PNG_PPI, FigureSet, clear_chart_cache, vega_lite_spec


def _layered() -> alt.LayerChart:
    frame = pd.DataFrame(
        {"period": ["Q1", "Q2", "Q3"], "value": [80.5, None, 84.0], "mean": [82.0, 82.0, 82.0]}
    )
    labels = pl.DataFrame({"period": ["Q3"], "label": ["Mean"], "at": [82.0]}).to_pandas()
    base = alt.Chart(frame).encode(x="period:O")
    return alt.layer(
        base.mark_line().encode(y="value:Q", tooltip=["period", "value"]),
        base.mark_rule().encode(y="mean:Q"),
        base.mark_point().encode(y="value:Q"),
        alt.Chart(labels).mark_text().encode(x="period:O", y="at:Q", text="label:N"),
    ).properties(title="Trend")


def test_the_spec_is_altairs_own_with_each_shared_frame_converted_once():
    chart = _layered()
    assert vega_lite_spec(chart) == chart.to_dict()
    assert chart.to_dict() == vega_lite_spec(chart)  # the chart is left as it was
    assert len(vega_lite_spec(chart)["datasets"]) == 2


def test_a_chart_is_drawn_once_per_build_and_once_per_process_for_the_same_spec():
    clear_chart_cache()
    first, second = FigureSet(), FigureSet()
    for figures in (first, second):
        figures.add("trend", _layered, title="Trend", alt="Values around their mean.")
    svg = first.svg("trend")
    assert first.svg("trend") is svg and first.renders["svg"] == 1 and first.cached == 0
    assert second.svg("trend") == svg and second.renders["svg"] == 1 and second.cached == 1
    clear_chart_cache()
    third = FigureSet()
    third.add("trend", _layered, title="Trend", alt="Values around their mean.")
    assert third.svg("trend") == svg and third.cached == 0


def test_the_png_is_made_from_the_svg_at_220_ppi_at_the_width_placed():
    figures = FigureSet()
    figures.add("trend", _layered, title="Trend", alt="Values around their mean.")
    natural = figures.png("trend")
    narrow = figures.png("trend", max_width_in=1.0)
    assert figures.renders == {"svg": 1, "png": 2, "icon": 0}
    width = struct.unpack(">I", narrow[16:20])[0]
    assert width == 1.0 * PNG_PPI and struct.unpack(">I", natural[16:20])[0] > width
    assert b"pHYs" in narrow and figures.png("trend", max_width_in=1.0) is narrow
    wide = figures.png("trend", max_width_in=100.0)  # never drawn larger than its own size
    assert wide == natural
