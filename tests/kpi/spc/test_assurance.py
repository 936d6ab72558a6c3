"""kpi.spc.assurance: each KPI's XmR chart, variation and assurance on the sample, and the icons in the overview matrix.

Expected values are worked out here with numpy from the borough counts (mean, average moving range, limits,
two-sigma lines: docs/methods.md section 5's constants), not taken from kpi.spc.rules.
"""

import base64
import re

import numpy as np
import polars as pl
import pytest

from kpi.access.principal import LOCAL_USER
from kpi.contract import values as overview
from kpi.sample import COUNCIL_CODE
from kpi.spc import assurance as assurance

TOL = 1e-9
LIMIT, TWO_SIGMA = 2.66, 1.7733  # docs/methods.md section 5


@pytest.fixture(scope="module")
def values(sample_ro_store):
    return overview.kpi_values(sample_ro_store, COUNCIL_CODE, principal=LOCAL_USER)


def borough_percentages(values, kpi_code, up_to=None):
    rows = values.filter(pl.col("kpi_code") == kpi_code, pl.col("level") == "borough").sort("period_index")
    if up_to is not None:
        end = rows.filter(pl.col("period") == up_to)["period_index"].item()
        rows = rows.filter(pl.col("period_index") <= end)
    return rows["period"].to_list(), 100 * rows["numerator"].to_numpy() / rows["denominator"].to_numpy()


def limits(y):
    mean, mr = y.mean(), np.abs(np.diff(y)).mean()
    return mean, mean + LIMIT * mr, mean - LIMIT * mr, mean + TWO_SIGMA * mr, mean - TWO_SIGMA * mr


def test_c2_xmr_limits_and_assurance_from_the_counts(values):
    periods, y = borough_percentages(values, "C2")
    mean, upper, lower, upper2, lower2 = limits(y)
    chart = assurance.xmr_frame(assurance.kpi_series(values, "C2"))
    assert chart["period"].to_list() == periods and len(periods) == 16
    assert chart["value"].to_numpy() == pytest.approx(y, abs=TOL)
    assert chart["mean"][0] == pytest.approx(mean, abs=TOL)
    assert chart["upper_limit"][0] == pytest.approx(upper, abs=TOL)
    assert chart["lower_limit"][0] == pytest.approx(lower, abs=TOL)
    # the C2 target (90%, catalogue default) lies inside the limits: hit and miss
    assert lower < 90 < upper
    summary = (
        assurance.spc_summary(values, "2026-27 Q2").filter(pl.col("kpi_code") == "C2").row(0, named=True)
    )
    assert summary["assurance"] == "hit_and_miss" and summary["target_pct"] == 90
    # the latest point is inside the limits, only it (not two of the last three) is beyond the lower two-sigma
    # line, and it is in no run of 7 on one side of the mean nor of 7 rising or falling
    last_run = 1
    while last_run < len(y) and np.sign(y[-last_run - 1] - mean) == np.sign(y[-1] - mean):
        last_run += 1
    assert lower < y[-1] < upper and last_run < 7
    assert (y[-3:] < lower2).sum() == 1 and (y[-3:] > upper2).sum() == 0
    steps = np.sign(np.diff(y))
    trend_run = 1
    while trend_run < len(steps) and steps[-trend_run - 1] == steps[-1]:
        trend_run += 1
    assert trend_run < 6
    assert summary["variation"] == "common_cause"
    assert summary["variation_short"] == "Common cause" and summary["assurance_short"] == "Hit and miss"
    assert "<title>Common cause variation</title>" in summary["variation_svg"]
    assert "<title>Hit and miss</title>" in summary["assurance_svg"]


def test_sn2_concern_points_two_of_three_below_the_lower_two_sigma_line(values):
    periods, y = borough_percentages(values, "SN2")
    mean, _, _, _, lower2 = limits(y)
    below = [p for p, v in zip(periods, y, strict=True) if v < lower2]
    assert below == ["2023-24 Q1", "2023-24 Q2"]  # neighbours: two of three beyond the same line
    chart = assurance.xmr_frame(assurance.kpi_series(values, "SN2"))
    flagged = chart.filter(pl.col("point_type") != "common cause")
    assert flagged["period"].to_list() == below
    assert set(flagged["point_type"]) == {"concern"} and set(flagged["point_letter"]) == {"C"}  # high is good
    text = assurance.xmr_summary(chart)
    assert text.startswith("Variation: common cause variation. Assurance: hit and miss.")
    assert text.endswith(
        "Special-cause points: 2023-24 Q1 concern (two of three beyond 2 sigma); "
        "2023-24 Q2 concern (two of three beyond 2 sigma)."
    )


def test_eleven_quarters_give_a_run_chart_and_no_icons(values):
    summary = assurance.spc_summary(values, "2025-26 Q1")
    c2 = summary.filter(pl.col("kpi_code") == "C2").row(0, named=True)
    assert c2["n_points"] == 11
    assert c2["variation"] is None and c2["assurance"] is None
    assert c2["variation_short"] == "Run chart: too few points"
    assert "too few points for process limits (run chart)" in c2["variation_svg"]
    chart = assurance.xmr_frame(assurance.kpi_series(values, "C2", "2025-26 Q1"))
    assert chart["upper_limit"].is_null().all()
    assert assurance.xmr_summary(chart).startswith("Run chart: 11 points, fewer than the 12 needed")


def test_count_kpi_charts_its_counts(values):
    series = assurance.kpi_series(values, "C1")
    assert series["spc_value"].to_list() == series["numerator"].to_list()
    assert assurance.improvement_for("none") is None
    assert (assurance.improvement_for("high"), assurance.improvement_for("low")) == ("increase", "decrease")


def test_overview_matrix_carries_icons_with_text_alternatives(values):
    names = {"CENTRAL": "Central", "NORTH": "North", "SOUTH": "South", "WEST": "West"}
    matrix = overview.overview_matrix(values, "2026-27 Q2", names)
    spc = assurance.spc_summary(values, "2026-27 Q2")
    html = overview.matrix_html(matrix, {**names, "borough": "Borough"}, "caption", spc=spc)
    assert '<th scope="col">Variation (SPC)</th><th scope="col">Assurance (SPC)</th>' in html
    row = re.search(r'<tr data-kpi="C3">.*?</tr>', html).group(0)
    cell = re.search(r'<td data-col="variation".*?</td>', row).group(0)
    assert 'data-variation="neither_high"' in cell
    assert 'alt="Special cause variation: neither improvement nor concern (higher)"' in cell
    assert '<span class="spc-text">Special cause (high)</span>' in cell
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", cell).group(1)).decode()
    assert "<title>Special cause variation: neither improvement nor concern (higher)</title>" in svg
    assert 'data-rag="red" data-col="NORTH">' in re.search(r'<tr data-kpi="C2">.*?</tr>', html).group(0)
    # without spc the table is as before
    assert "Variation (SPC)" not in overview.matrix_html(matrix, names, "caption")


def test_a_missing_quarter_is_a_gap_in_the_xmr_chart(values):
    # C2 without its 2024-25 Q3 value (as when that return is missing): 15 points, and 2024-25 Q4's moving range
    # is not taken against 2024-25 Q2
    gone = values.filter(~((pl.col("kpi_code") == "C2") & (pl.col("period") == "2024-25 Q3")))
    periods, y = borough_percentages(gone, "C2")
    assert len(periods) == 15 and "2024-25 Q3" not in periods
    after = periods.index("2024-25 Q4")
    ranges = np.abs(np.diff(y))
    kept = np.delete(ranges, after - 1)  # the range joining 2024-25 Q2 to 2024-25 Q4 is left out
    chart = assurance.xmr_frame(assurance.kpi_series(gone, "C2"))
    assert chart["moving_range"][after] is None
    assert chart.filter(pl.col("after_gap"))["period"].to_list() == ["2024-25 Q4"]
    mean = y.mean()
    assert chart["upper_limit"][0] == pytest.approx(mean + LIMIT * kept.mean(), abs=TOL)
    assert chart["upper_limit"][0] != pytest.approx(mean + LIMIT * ranges.mean(), abs=TOL)
    assert assurance.xmr_summary(chart).endswith(
        "Periods missing before 2024-25 Q4: no moving range, shift or trend is carried across a missing period."
    )
    # the chart draws the values as two segments, never a line from 2024-25 Q2 to 2024-25 Q4
    from kpi.spc.charts import xmr_chart

    spec = xmr_chart(chart, "C2").to_dict()
    rows = next(iter(spec["datasets"].values()))
    segments = {row["period"]: row["segment"] for row in rows}
    assert (
        segments["2024-25 Q2"] != segments["2024-25 Q4"] and segments["2024-25 Q4"] == segments["2026-27 Q2"]
    )
    value_line = next(
        layer for layer in spec["layer"] if layer["encoding"].get("y", {}).get("field") == "value"
    )
    assert value_line["encoding"]["detail"]["field"] == "segment"
