"""The scrutiny briefing's recovery trajectories: the pack's judgement, the value as disclosed (docs/methods.md 5.9, 6).

North's C2 in 2026-27 Q2 is 153 of 190 (80.5%): disclosed as 155 of 190, "about 80%" (the disclosure doctest), off a
planned 82%. A trajectory for decile 10 of West, whose counts are small, is listed without naming the area.
"""

from __future__ import annotations

import polars as pl
import pytest

from kpi import reports
from kpi.access.principal import LOCAL_USER
from kpi.contract import trajectories
from kpi.contract import values as overview
from kpi.reports.html import render_html
from tests.kpi.reports.documents import AS_AT, COUNCIL, PERIOD


@pytest.fixture(scope="module")
def briefing(reports_store):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", "2026-11-10")
        trajectories.set_trajectory(
            reports_store,
            COUNCIL,
            "C2",
            "2026-27 Q2=82, 2026-27 Q3=85, 2026-27 Q4=88",
            reason="North recovery plan",
            locality_code="NORTH",
            principal=LOCAL_USER,
        )
        small = _smallest_cell(reports_store)
        trajectories.set_trajectory(
            reports_store,
            COUNCIL,
            "C2",
            "2026-27 Q2=50",
            reason="x",
            locality_code=small[0],
            decile_group=small[1],
            principal=LOCAL_USER,
        )
    result = reports.build(reports_store, "briefing", PERIOD, AS_AT, principal=LOCAL_USER)
    return render_html(result.document)


def _smallest_cell(store) -> tuple[str, str]:
    values = overview.kpi_values(store, COUNCIL, AS_AT, principal=LOCAL_USER)
    cell = (
        values.filter(
            pl.col("kpi_code") == "C2",
            pl.col("period") == PERIOD,
            pl.col("level") == "locality_decile",
            pl.col("denominator").is_between(1, 7),
        )
        .sort("denominator")
        .row(0, named=True)
    )
    return cell["locality_code"], cell["imd_decile"]


def test_north_is_off_trajectory_with_its_value_disclosed(briefing):
    assert "Recovery plans agreed with the provider" in briefing
    assert (
        "New birth visits within 14 days, North: about 80% against a planned 82% in 2026-27 Q2: ■ Off trajectory."
        in briefing
    )
    assert "The plan reaches 88% by 2026-27 Q4, still short of the contract target." in briefing
    assert "80.5" not in briefing.split("Recovery plans agreed with the provider")[1]


def test_a_small_area_is_not_named(briefing):
    assert (
        "a recovery trajectory for an area whose figures are too small to publish, so not named here"
        in briefing
    )
