"""The shared chart base: every chart has an accessible name; numbers are formatted as people write them."""

import polars as pl

from kpi.core import charts


def ci_frame():
    return pl.DataFrame(
        {
            "locality_name": ["North", "South"],
            "value_pct": [90.6, 60.0],
            "lower_ci_pct": [88.0, 55.0],
            "upper_ci_pct": [92.0, 65.0],
            "numerator": [906, 1200],
            "denominator": [1000, 2000],
        }
    )


def test_category_ci_chart_formats_percentages_and_counts_and_names_itself():
    spec = charts.category_ci_chart(ci_frame(), "locality_name", "C2 by locality", target=90.0).to_dict()
    assert spec["description"] == "C2 by locality"
    rule = spec["layer"][0]
    assert rule["encoding"]["y"]["axis"]["format"] == charts.PCT_AXIS_FORMAT
    tooltips = {t["field"]: t.get("format") for t in spec["layer"][1]["encoding"]["tooltip"]}
    assert tooltips["value"] == ".1f" and tooltips["numerator"] == ",.0f"
    assert "Target 90.0%" in str(spec["datasets"])


def test_category_count_chart_draws_counts_with_thousands_separators():
    spec = charts.category_count_chart(ci_frame(), "locality_name", "C1 by locality").to_dict()
    assert spec["description"] == "C1 by locality"
    bars = spec["layer"][0]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["y"]["field"] == "count" and bars["encoding"]["y"]["axis"]["format"] == ",.0f"
    assert spec["layer"][1]["encoding"]["text"]["format"] == ",.0f"
    assert "Per cent" not in str(spec) and "Target" not in str(spec)
    assert "1,200" in charts.to_svg(charts.category_count_chart(ci_frame(), "locality_name", "C1"))


def test_accessible_keeps_a_description_and_falls_back_to_the_title():
    import altair as alt

    chart = alt.Chart(pl.DataFrame({"a": [1]}).to_pandas()).mark_point().encode(x="a:Q")
    assert "description" not in charts.accessible(chart).to_dict()  # no title, nothing to name it by
    assert charts.accessible(chart.properties(title="T")).to_dict()["description"] == "T"
    named = chart.properties(title="T", description="D")
    assert charts.accessible(named).to_dict()["description"] == "D"
    assert charts.accessible(chart, "Given").to_dict()["description"] == "Given"


def test_long_category_names_are_slanted_not_dropped():
    frame = ci_frame().with_columns(
        pl.Series("locality_name", ["Black or Black British", "Any other ethnic group"])
    )
    axis = charts.category_ci_chart(frame, "locality_name", "T").to_dict()["layer"][0]["encoding"]["x"][
        "axis"
    ]
    assert axis["labelOverlap"] is False and axis["labelAngle"] == -30 and axis["labelLimit"] >= 300


def test_participation_chart_names_every_school():
    from kpi.ncmp import charts as ncmp_charts

    n = 62
    schools = pl.DataFrame(
        {
            "area_name": [f"Sample School {i:02d}" for i in range(n)],
            "area_code": [str(100000 + i) for i in range(n)],
            "participation_pct": [90.0 + (i % 10) for i in range(n)],
            "lower_ci_pct": [85.0] * n,
            "upper_ci_pct": [99.0] * n,
            "measured": [30] * n,
            "eligible": [32] * n,
        }
    )
    chart = ncmp_charts.participation_chart(schools, "Participation by school", borough_pct=95.0)
    spec = chart.to_dict()
    assert spec["height"] == {"step": ncmp_charts.SCHOOL_ROW_PX}
    assert spec["layer"][0]["encoding"]["y"]["axis"]["labelOverlap"] is False
    assert "62 schools" in spec["description"]
    svg = charts.to_svg(chart)
    assert all(f"Sample School {i:02d}" in svg for i in range(n))


def test_reference_and_target_labels_close_together_are_moved_apart():
    spec = charts.category_ci_chart(
        ci_frame(), "locality_name", "T", reference={"England 2024-25": 89.8}, target=90.0
    ).to_dict()
    rows = next(rows for rows in spec["datasets"].values() if rows and "label" in rows[0])
    at = {row["label"]: row["at"] for row in rows}
    level = {row["label"]: row["level"] for row in rows}
    assert level == {"England 2024-25": 89.8, "Target 90.0%": 90.0}
    seen = [55.0, 92.0, 89.8, 90.0]  # the CI ends and the lines
    gap = (max(seen) - min(seen)) * 13 / (charts.CATEGORY_HEIGHT * 0.85)
    assert at["Target 90.0%"] - at["England 2024-25"] >= gap - 1e-6


def test_reference_labels_sit_beside_the_plot_wrapped_not_over_the_bars():
    spec = charts.category_ci_chart(
        ci_frame(), "locality_name", "T", reference={"England 2024-25 (out of date, not compared)": 85.0}
    ).to_dict()
    text = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert text["encoding"]["x"] == {"value": "width"}  # right of the plot, where no category is drawn
    assert text["mark"]["align"] == "left" and text["mark"]["lineBreak"] == "\n"
    rows = next(rows for rows in spec["datasets"].values() if rows and "text" in rows[0])
    assert rows[0]["text"] == "England 2024-25\n(out of date, not\ncompared)"
    assert max(len(line) for line in rows[0]["text"].splitlines()) <= charts.LABEL_CHARS


def test_a_layered_chart_copies_only_itself_and_writes_the_spec_altair_writes():
    import altair as alt

    frame = ci_frame()
    base = alt.Chart(frame)
    layers = [
        base.mark_bar().encode(x="locality_name:N", y="value_pct:Q"),
        base.mark_rule().encode(x="locality_name:N", y="lower_ci_pct:Q", y2="upper_ci_pct:Q"),
    ]
    chart = charts.layered(*layers, title="C2", height=200)
    assert isinstance(chart, charts.LiftedLayerChart)
    twin = chart.copy(deep=False)
    assert twin is not chart and twin.layer is chart.layer  # the layers are not copied again
    twin.description = "named"
    assert chart.description is alt.Undefined  # the copy's own properties are its own
    expected = alt.layer(
        base.mark_bar().encode(x="locality_name:N", y="value_pct:Q"),
        base.mark_rule().encode(x="locality_name:N", y="lower_ci_pct:Q", y2="upper_ci_pct:Q"),
    ).properties(title="C2", height=200)
    assert chart.to_dict() == expected.to_dict()  # validated against the schema as a whole
    assert charts.accessible(chart).to_dict()["description"] == "C2"


def test_altair_checks_the_whole_spec_not_each_object_as_it_is_made():
    import altair as alt
    import pytest

    assert alt.utils.schemapi.DEBUG_MODE is False
    chart = (
        alt.Chart(ci_frame())
        .mark_bar()
        .encode(x=alt.X("locality_name:N", axis=alt.Axis(labelAngle="slanted")))
    )
    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        chart.to_dict()  # a wrong property is still caught when the spec is written (and by vl-convert)
