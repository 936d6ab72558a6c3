"""Assurance against a trajectory, point by point (docs/methods.md section 5.9), on hand-worked series.

The series alternates 80, 84 for twelve quarters: mean 82, every moving range 4, so the process limits are
82 ± 2.66 × 4 = 71.36 and 92.64 (hand-worked; the same limits at every quarter).
"""

from __future__ import annotations

import polars as pl
import pytest

from kpi.spc import assurance, trajectory

VALUES = [80.0, 84.0] * 6


def chart(polarity: str = "high", n: int = 12) -> pl.DataFrame:
    series = pl.DataFrame(
        {
            "period": [f"P{i:02d}" for i in range(n)],
            "period_index": list(range(n)),
            "spc_value": VALUES[:n],
            "polarity": polarity,
            "target_pct": None,
        }
    )
    return assurance.xmr_frame(series)


def plan(*points: tuple[int, float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "period": [f"P{i:02d}" for i, _ in points],
            "period_index": [i for i, _ in points],
            "planned_pct": [v for _, v in points],
        }
    )


def test_the_hand_worked_limits():
    frame = chart()
    assert frame["lower_limit"][0] == pytest.approx(71.36)
    assert frame["upper_limit"][0] == pytest.approx(92.64)


def test_high_is_good_point_by_point():
    # quarter 10 (80) against 80: on; quarter 11 (84) against 84.5: off; quarters 12 and 13 are to come and are
    # judged against the latest limits: 70 is below the lower limit (passing), 93 above the upper (failing)
    judged = trajectory.judge_points(chart(), plan((10, 80.0), (11, 84.5), (12, 70.0), (13, 93.0)), "high")
    assert judged.select("period_index", "value", "status", "assurance").rows() == [
        (10, 80.0, "on trajectory", "hit_and_miss"),
        (11, 84.0, "off trajectory", "hit_and_miss"),
        (12, None, "to come", "pass"),
        (13, None, "to come", "fail"),
    ]
    assert judged["lower_limit"].to_list() == pytest.approx([71.36] * 4)


def test_low_is_good_mirrors_the_judgement():
    judged = trajectory.judge_points(chart("low"), plan((11, 84.5), (12, 70.0), (13, 93.0)), "low")
    assert judged.select("status", "assurance").rows() == [
        ("on trajectory", "hit_and_miss"),
        ("to come", "fail"),
        ("to come", "pass"),
    ]


def test_a_planned_value_on_a_limit_is_hit_and_miss():
    upper = chart()["upper_limit"][0]
    assert trajectory.judge_points(chart(), plan((12, upper)), "high")["assurance"].to_list() == [
        "hit_and_miss"
    ]


def test_a_run_chart_gives_status_but_no_assurance():
    # eleven points: no limits, so no assurance; a planned quarter before the last value without one: no value
    short = chart(n=11).filter(pl.col("period_index") != 4)
    judged = trajectory.judge_points(short, plan((4, 80.0), (10, 80.0), (11, 81.0)), "high")
    assert judged.select("status", "assurance").rows() == [
        ("no value", None),
        ("on trajectory", None),
        ("to come", None),
    ]


def test_equal_after_rounding_is_on_trajectory_and_no_polarity_is_not_judged():
    assert trajectory.on_trajectory(84.0000000001, 84.0, "high") is True
    assert trajectory.on_trajectory(84.0, 84.0000000001, "high") is True
    assert trajectory.on_trajectory(80.0, 84.0, "none") is None


def test_a_trajectory_ending_short_of_the_target_is_flagged():
    assert trajectory.ends_short_of_target(88.0, 90.0, "high")
    assert not trajectory.ends_short_of_target(90.0, 90.0, "high")
    assert trajectory.ends_short_of_target(12.0, 10.0, "low")
    assert not trajectory.ends_short_of_target(88.0, None, "high")


def test_the_xmr_chart_draws_the_trajectory_with_its_quarters_to_come_empty():
    from kpi.core import charts
    from kpi.spc import charts as spc_charts

    spec = spc_charts.xmr_chart(
        chart(), "C2", trajectory=plan((10, 80.0), (11, 84.5), (12, 86.0), (13, 88.0))
    )
    spec = spec.to_dict()
    rows = next(iter(spec["datasets"].values()))
    by_period = {row["period"]: row for row in rows}
    assert len(rows) == 14  # twelve quarters with values and two to come
    assert by_period["P13"]["value"] is None and by_period["P13"]["mean"] is None
    assert by_period["P13"]["planned"] == 88.0 and by_period["P11"]["planned"] == 84.5
    assert by_period["P03"]["planned"] is None
    planned = [layer for layer in spec["layer"] if layer["encoding"].get("y", {}).get("field") == "planned"]
    assert {layer["mark"]["type"] for layer in planned} == {"line", "point", "text"}
    svg = charts.to_svg(spc_charts.xmr_chart(chart(), "C2", trajectory=plan((12, 86.0), (13, 88.0))))
    assert "Trajectory" in svg and "P13" in svg
