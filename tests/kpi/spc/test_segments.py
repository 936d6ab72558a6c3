"""Baselines and rebasing (docs/methods.md section 5.10) on hand-worked series.

Segment one: 80, 84 six times (mean 82, every moving range 4: limits 82 ± 10.64 = 71.36 to 92.64). Segment two:
60, 62 six times (mean 61, every moving range 2: limits 61 ± 5.32 = 55.68 to 66.32). Unrebased, the 24 points have
mean 71.5 and moving ranges 4 (11 of them), 24 (the fall from 84 to 60) and 2 (11): mean(mR) = 90 / 23 = 3.9130,
limits 71.5 ± 10.409.
"""

from __future__ import annotations

import pytest

from kpi.spc import rules
from kpi.spc.segments import SpcControls, segmented_xmr

SERIES = [80.0, 84.0] * 6 + [60.0, 62.0] * 6
INDEXES = list(range(100, 124))
REBASE = SpcControls(rebases=((112, "record-system migration"),))


def test_without_controls_the_chart_is_the_plain_xmr():
    plain = rules.xmr(SERIES, improvement="increase", periods=INDEXES)
    chart = segmented_xmr(SERIES, INDEXES, improvement="increase")
    assert chart["mean"][0] == pytest.approx(71.5) == plain["mean"][0]
    assert chart["upper_limit"][0] == pytest.approx(71.5 + 2.66 * 90 / 23)
    assert chart["point_type"].to_list() == plain["point_type"].to_list()
    assert set(chart["spc_segment"]) == {0} and not chart["rebased"].any()


def test_a_rebase_gives_each_segment_its_own_limits():
    chart = segmented_xmr(SERIES, INDEXES, improvement="increase", target=58.0, controls=REBASE)
    first, second = chart[:12], chart[12:]
    assert set(first["mean"]) == {82.0} and set(second["mean"]) == {61.0}
    assert first["lower_limit"][0] == pytest.approx(71.36) and first["upper_limit"][0] == pytest.approx(92.64)
    assert second["lower_limit"][0] == pytest.approx(55.68) and second["upper_limit"][0] == pytest.approx(
        66.32
    )
    assert chart["spc_segment"].to_list() == [0] * 12 + [1] * 12
    assert chart["rebased"].to_list() == [False] * 12 + [True] + [False] * 11
    assert chart["rebase_reason"][12] == "record-system migration"
    # no special cause inside either stable segment; the fall is not carried across the rebase
    assert set(chart["point_type"]) == {"common cause"}
    assert chart["moving_range"][12] is None
    # icons of the process as it stands: target 58 inside 55.68-66.32 is hit and miss
    assert set(chart["variation"]) == {"common_cause"} and set(chart["assurance"]) == {"hit_and_miss"}


def test_a_baseline_of_the_first_points_of_each_segment():
    # first 4 points of each segment: 80, 84, 80, 84 (mean 82, mR 4) and 60, 62, 60, 62 (mean 61, mR 2)
    series = SERIES[:4] + [90.0] * 8 + SERIES[12:]
    chart = segmented_xmr(series, INDEXES, controls=SpcControls(baseline_points=4, rebases=REBASE.rebases))
    assert chart["mean"][0] == 82.0 and chart["upper_limit"][0] == pytest.approx(92.64)
    assert chart["mean"][-1] == 61.0
    assert chart["in_baseline"].to_list() == ([True] * 4 + [False] * 8) * 2


def test_a_baseline_period_range_in_the_middle():
    # the baseline is quarters 104-107: 80, 84, 80, 84 again (mean 82, mR 4), while 100-103 are 70
    series = [70.0] * 4 + SERIES[4:12]
    chart = segmented_xmr(series, INDEXES[:12], controls=SpcControls(baseline_first=104, baseline_last=107))
    assert chart["mean"][0] == 82.0 and chart["lower_limit"][0] == pytest.approx(71.36)
    assert chart["in_baseline"].to_list() == [False] * 4 + [True] * 4 + [False] * 4
    # the four 70s sit below the lower limit: special causes, neutral without a polarity
    assert chart["point_type"].to_list()[:4] == ["neutral"] * 4


def test_a_short_last_segment_is_a_run_chart_and_gives_no_icons():
    chart = segmented_xmr(SERIES[:18], INDEXES[:18], improvement="increase", controls=REBASE)
    assert chart["upper_limit"][0] == pytest.approx(92.64) and chart["upper_limit"][-1] is None
    assert chart["limits_shown"][0] and chart["variation"][0] is None


def test_the_chart_draws_each_segment_s_limits_apart_and_the_events():
    import polars as pl

    from kpi.core import charts
    from kpi.spc import assurance
    from kpi.spc import charts as spc_charts

    series = pl.DataFrame(
        {
            "period": [f"P{i}" for i in INDEXES],
            "period_index": INDEXES,
            "spc_value": SERIES,
            "polarity": "high",
            "target_pct": None,
        }
    )
    frame = assurance.xmr_frame(series, REBASE)
    notes = pl.DataFrame({"period": ["P105", "P999"], "label": ["Staffing crisis", "not on the chart"]})
    chart = spc_charts.xmr_chart(frame, "C2", annotations=notes)
    spec = chart.to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [row["phase"] for row in rows] == [0] * 12 + [1] * 12
    mean_layer = next(
        layer for layer in spec["layer"] if layer["encoding"].get("y", {}).get("field") == "mean"
    )
    assert mean_layer["encoding"]["detail"]["field"] == "phase"
    events = [layer for layer in spec["layer"] if layer["mark"].get("type") == "rule"]
    assert len(events) == 1
    svg = charts.to_svg(chart)
    assert "Staffing crisis" in svg and "Rebased: record-system migration" in svg
    assert "not on the chart" not in svg
