"""Judging a series against a recovery trajectory, point by point (docs/methods.md section 5.9).

A trajectory is a planned value per future quarter. Each planned point is judged twice:

* **on or off trajectory**: the quarter's value against its planned value, by the KPI's polarity (high is good: on
  when the value is at least the planned value; low is good: at most), compared after rounding to 9 decimal places
  as the contract RAG is (docs/methods.md section 5.6). A quarter to come is "to come"; a past quarter without a
  value is "no value";
* **assurance against the trajectory**: the Making Data Count assurance rule (section 5.5) with the planned value
  as that quarter's target: planned value below the lower process limit (high is good) is "consistently passing",
  above the upper limit "consistently failing", between them "hit and miss". A quarter with a value uses the limits
  drawn at that quarter; a quarter to come uses the limits of the latest quarter (the process as it stands now).
  A run chart (fewer than 12 points) gives no assurance.

The trajectory is flagged when its last planned value falls short of the contract target in force for that
quarter (below it for high is good, above it for low is good).

Example (high is good; limits 80 to 90 at every quarter; the last value is in quarter 2):
>>> chart = pl.DataFrame({"period_index": [1, 2], "value": [84.0, 87.0], "upper_limit": [90.0, 90.0],
...     "lower_limit": [80.0, 80.0], "limits_shown": [True, True]})
>>> plan = pl.DataFrame({"period": ["Q1", "Q2", "Q3"], "period_index": [1, 2, 3], "planned_pct": [85.0, 75.0, 92.0]})
>>> judge_points(chart, plan, "high").select("status", "assurance").rows()
[('off trajectory', 'hit_and_miss'), ('on trajectory', 'pass'), ('to come', 'fail')]
"""

from __future__ import annotations

import polars as pl

from kpi.spc.assurance import improvement_for
from kpi.spc.rules import assurance_code

__all__ = ["ON", "OFF", "STATUSES", "ends_short_of_target", "judge_points", "on_trajectory"]

ON, OFF, TO_COME, NO_VALUE = "on trajectory", "off trajectory", "to come", "no value"
#: Values of the ``status`` column of :func:`judge_points`.
STATUSES = (ON, OFF, TO_COME, NO_VALUE)
_DECIMALS = 9

_POINTS_SCHEMA = {
    "period": pl.String,
    "period_index": pl.Int64,
    "planned_pct": pl.Float64,
    "value": pl.Float64,
    "status": pl.String,
    "assurance": pl.String,
    "lower_limit": pl.Float64,
    "upper_limit": pl.Float64,
}


def on_trajectory(value: float | None, planned: float | None, polarity: str | None) -> bool | None:
    """Whether a value meets its planned value (None without a value, a plan or a polarity).

    >>> on_trajectory(84.0, 84.0, "high"), on_trajectory(83.9, 84.0, "high"), on_trajectory(5.0, 6.0, "low")
    (True, False, True)
    """
    if value is None or planned is None or polarity not in ("high", "low"):
        return None
    value, planned = round(value, _DECIMALS), round(planned, _DECIMALS)
    return value >= planned if polarity == "high" else value <= planned


def judge_points(chart: pl.DataFrame, plan: pl.DataFrame, polarity: str | None) -> pl.DataFrame:
    """Each planned point's status and assurance against the series' XmR chart (see the module docstring).

    ``chart``: period_index, value, upper_limit, lower_limit, limits_shown (:func:`kpi.spc.assurance.xmr_frame`);
    ``plan``: period, period_index, planned_pct. Returns one row per planned point in period order with the
    columns period, period_index, planned_pct, value, status, assurance, lower_limit, upper_limit (the limits the
    point was judged with).
    """
    if plan.is_empty():
        return pl.DataFrame(schema=_POINTS_SCHEMA)
    seen = {} if chart.is_empty() else {row["period_index"]: row for row in chart.iter_rows(named=True)}
    last = max(seen) if seen else None
    improvement = improvement_for(polarity)
    out = []
    for point in plan.sort("period_index").iter_rows(named=True):
        row = seen.get(point["period_index"])
        value = None if row is None else row["value"]
        if value is not None:
            met = on_trajectory(value, point["planned_pct"], polarity)
            status = None if met is None else ON if met else OFF
        else:
            status = TO_COME if last is None or point["period_index"] > last else NO_VALUE
        limits = row if row is not None else seen.get(last) if last is not None else None
        lower = upper = assurance = None
        if limits is not None and limits["limits_shown"] and limits["upper_limit"] is not None:
            lower, upper = limits["lower_limit"], limits["upper_limit"]
            assurance = assurance_code(improvement, point["planned_pct"], upper, lower)
        out.append(
            {
                "period": point["period"],
                "period_index": point["period_index"],
                "planned_pct": point["planned_pct"],
                "value": value,
                "status": status,
                "assurance": assurance,
                "lower_limit": lower,
                "upper_limit": upper,
            }
        )
    return pl.DataFrame(out, schema=_POINTS_SCHEMA)


def ends_short_of_target(final_planned: float | None, target: float | None, polarity: str | None) -> bool:
    """Whether a trajectory's last planned value falls short of the contract target (flagged).

    >>> ends_short_of_target(88.0, 90.0, "high"), ends_short_of_target(90.0, 90.0, "high")
    (True, False)
    """
    met = on_trajectory(final_planned, target, polarity)
    return met is False
