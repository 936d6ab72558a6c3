"""The pack's exception XmR chart of a KPI draws its borough recovery trajectory, quarters to come empty, and says so
in its title and alternative text; a withdrawn trajectory is not drawn (docs/methods.md section 5.9)."""

from __future__ import annotations

from kpi.access.principal import local_principal
from kpi.contract import trajectories
from kpi.contract import values as overview
from kpi.core import periods as periods
from kpi.reports.figures import FigureSet
from kpi.reports.pack.frames import exception_items

COUNCIL, PERIOD = "E08000009", "2026-27 Q2"
WHO = local_principal("commissioner@council.gov.uk")


def _items(store):
    at = periods.now()
    values = overview.kpi_values(store, COUNCIL, at, principal=WHO)
    planned = trajectories.trajectory_points(store, COUNCIL, at, principal=WHO)
    figures = FigureSet()
    items = exception_items(
        values,
        overview.benchmarks(store, COUNCIL, at),
        PERIOD,
        overview.locality_names(store, COUNCIL, at),
        _no_narratives(),
        figures,
        None,
        None,
        planned,
    )
    return items, figures


def _no_narratives():
    import polars as pl

    return pl.DataFrame(schema={"kpi_code": pl.String, "locality_code": pl.String})


def test_the_exception_chart_draws_the_borough_trajectory_with_quarters_to_come_empty(
    sample_store, monkeypatch
):
    tid, _ = trajectories.set_trajectory(
        sample_store, COUNCIL, "C2", "2026-27 Q2=86, 2026-27 Q3=88, 2026-27 Q4=90", reason="x", principal=WHO
    )
    items, figures = _items(sample_store)
    assert any(item.kpi_code == "C2" for item in items), [item.kpi_code for item in items]
    figure = figures["xmr-C2"]
    assert "recovery trajectory" in figure.title and "recovery trajectory" in figure.alt
    spec = figure.make().to_dict()
    rows = [row for data in spec["datasets"].values() for row in data if "planned" in row]
    by_period = {row["period"]: row for row in rows}
    assert by_period["2026-27 Q2"]["planned"] == 86.0 and by_period["2026-27 Q2"]["value"] is not None
    for later, planned in (("2026-27 Q3", 88.0), ("2026-27 Q4", 90.0)):
        assert by_period[later]["planned"] == planned
        assert by_period[later]["value"] is None and by_period[later]["mean"] is None
    # withdrawn: the chart goes back to the series alone
    monkeypatch.setenv("HCP_TODAY", "2026-11-24")
    trajectories.withdraw_trajectory(sample_store, COUNCIL, tid, reason="Replaced", principal=WHO)
    _, figures = _items(sample_store)
    figure = figures["xmr-C2"]
    assert "trajectory" not in figure.title and "trajectory" not in figure.alt
    rows = [row for data in figure.make().to_dict()["datasets"].values() for row in data]
    assert "2026-27 Q3" not in {row["period"] for row in rows}
    assert all(row.get("planned") is None for row in rows)
