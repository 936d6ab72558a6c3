"""Recovery trajectories on the sample: recorded, revised, refused, and judged (docs/methods.md section 5.9).

North's new birth visits (C2) in the sample: 153 of 190 = 80.53% in 2026-27 Q2. Over its 16 quarters (2022-23 Q3 to
2026-27 Q2) the values sum to 1448.689 (mean 90.543) and the 15 moving ranges to 35.313 (mean 2.354), so the
process limits are 90.543 ± 2.66 × 2.354 = 84.281 to 96.805 (hand-worked from the return's counts).
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from kpi.access.principal import Principal, local_principal
from kpi.access.rules import AccessDenied
from kpi.contract import trajectories, trajectory_status
from kpi.contract import values as overview

COUNCIL, PERIOD = "E08000009", "2026-27 Q2"
WHO = local_principal("commissioner@council.gov.uk")
PLAN = "2026-27 Q2=82, 2026-27 Q3=85, 2026-27 Q4=88, 2027-28 Q1=90"


def _status(store, as_at=None):
    values = overview.kpi_values(store, COUNCIL, principal=WHO)
    names = overview.locality_names(store, COUNCIL)
    return trajectory_status.trajectory_board(store, COUNCIL, values, PERIOD, names, as_at, principal=WHO)


def test_a_trajectory_is_recorded_with_its_reason_meeting_and_audit(sample_store):
    tid, version = trajectories.set_trajectory(
        sample_store,
        COUNCIL,
        "c2",
        PLAN,
        reason="North recovery plan",
        locality_code="north",
        meeting_id=1,
        principal=WHO,
    )
    assert version == 1
    points = trajectories.trajectory_points(sample_store, COUNCIL, principal=WHO)
    assert points.select("kpi_code", "locality_code", "decile_group", "period", "planned_pct").rows() == [
        ("C2", "NORTH", "ALL", "2026-27 Q2", 82.0),
        ("C2", "NORTH", "ALL", "2026-27 Q3", 85.0),
        ("C2", "NORTH", "ALL", "2026-27 Q4", 88.0),
        ("C2", "NORTH", "ALL", "2027-28 Q1", 90.0),
    ]
    assert set(points["meeting_id"]) == {1} and set(points["reason"]) == {"North recovery plan"}
    audit = sample_store.query(
        "select actor, subject, detail_json from audit_log where action = 'trajectory set'"
    )
    assert audit.height == 1 and audit["subject"][0] == "C2"
    assert json.loads(audit["detail_json"][0])["points"]["2026-27 Q3"] == 85.0
    assert json.loads(audit["detail_json"][0])["trajectory_id"] == tid


def test_a_revision_is_a_new_version_and_the_old_one_stays_in_the_history(sample_store, monkeypatch):
    trajectories.set_trajectory(
        sample_store, COUNCIL, "C2", PLAN, reason="First", locality_code="NORTH", principal=WHO
    )
    first_at = sample_store.query("select max(recorded_at) from trajectories").item()
    monkeypatch.setenv("HCP_TODAY", "2026-11-24")
    _, version = trajectories.set_trajectory(
        sample_store,
        COUNCIL,
        "C2",
        "2026-27 Q3=84, 2026-27 Q4=90",
        reason="Revised",
        locality_code="NORTH",
        principal=WHO,
    )
    assert version == 2
    history = trajectories.trajectory_history(sample_store, COUNCIL, principal=WHO)
    assert history.select("version", "points", "reason").rows() == [
        (2, "2026-27 Q3 84.0%; 2026-27 Q4 90.0%", "Revised"),
        (1, "2026-27 Q2 82.0%; 2026-27 Q3 85.0%; 2026-27 Q4 88.0%; 2027-28 Q1 90.0%", "First"),
    ]
    # as at the first version's time, the first version is in force
    earlier = trajectories.trajectory_points(sample_store, COUNCIL, first_at, principal=WHO)
    assert earlier["planned_pct"].to_list() == [82.0, 85.0, 88.0, 90.0]


def test_bad_input_reports_every_problem_and_changes_nothing(sample_store):
    with pytest.raises(trajectories.TrajectoryError) as caught:
        trajectories.set_trajectory(
            sample_store,
            COUNCIL,
            "C9",
            "2026-27 Q3=85, 2026-27 Q3=86, 2026-27 Q4=120, soon=3",
            reason=" ",
            locality_code="EAST",
            decile_group="3-1",
            meeting_id=99,
            principal=WHO,
        )
    problems = caught.value.problems
    assert len(problems) == 8, problems
    assert any("'C9' is not a KPI" in p for p in problems)
    assert any("'EAST' is not a locality" in p for p in problems)
    assert any("120 is not a percentage" in p for p in problems)
    assert any("'soon'" in p for p in problems)
    assert any("2026-27 Q3 is planned twice" in p for p in problems)
    assert any("decile group '3-1'" in p for p in problems)
    assert any("reason" in p for p in problems) and any("no meeting 99" in p for p in problems)
    assert sample_store.query("select count(*) from trajectories").item() == 0
    assert sample_store.query("select count(*) from audit_log where action = 'trajectory set'").item() == 0


def test_only_commissioners_set_trajectories_and_providers_see_them(sample_store):
    with pytest.raises(AccessDenied):
        trajectories.set_trajectory(
            sample_store,
            COUNCIL,
            "C2",
            PLAN,
            reason="x",
            principal=Principal("lead@trust.nhs.uk", "provider", "ZZ1"),
        )
    trajectories.set_trajectory(sample_store, COUNCIL, "C2", PLAN, reason="x", principal=WHO)
    trust = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
    assert trajectories.trajectory_points(sample_store, COUNCIL, principal=trust).height == 4


def test_north_c2_is_off_trajectory_with_assurance_from_the_hand_worked_limits(sample_store):
    trajectories.set_trajectory(
        sample_store, COUNCIL, "C2", PLAN, reason="x", locality_code="NORTH", principal=WHO
    )
    row = _status(sample_store).row(0, named=True)
    assert row["where"] == "North" and row["period"] == PERIOD
    assert row["value"] == pytest.approx(100 * 153 / 190) and row["planned_pct"] == 82.0
    assert row["status"] == "off trajectory" and row["status_label"] == "■ Off trajectory"
    # 82 is below the lower limit 84.281: the process as it was drawn over 16 quarters would pass 82
    assert row["assurance"] == "pass"
    assert (
        row["final_period"] == "2027-28 Q1" and row["final_planned"] == 90.0 and row["target_final"] == 90.0
    )
    assert row["ends_short"] is False


def test_a_trajectory_ending_below_the_target_is_flagged(sample_store):
    trajectories.set_trajectory(
        sample_store, COUNCIL, "C2", "2026-27 Q2=80, 2026-27 Q3=84", reason="x", principal=WHO
    )
    row = _status(sample_store).row(0, named=True)
    assert row["where"] == "Borough" and row["ends_short"] is True and row["target_final"] == 90.0
    assert row["status"] == "on trajectory"


def test_a_decile_group_is_judged_on_its_deciles_together(sample_store):
    trajectories.set_trajectory(
        sample_store, COUNCIL, "C2", "2026-27 Q2=50", reason="x", decile_group="1-2", principal=WHO
    )
    values = overview.kpi_values(sample_store, COUNCIL, principal=WHO)
    cells = values.filter(
        pl.col("kpi_code") == "C2",
        pl.col("period") == PERIOD,
        pl.col("level") == "borough_decile",
        pl.col("imd_decile").is_in(["1", "2"]),
    )
    expected = 100 * cells["numerator"].sum() / cells["denominator"].sum()
    row = _status(sample_store).row(0, named=True)
    assert row["where"] == "Borough, deciles 1-2"
    assert row["value"] == pytest.approx(expected) and row["status"] == "on trajectory"


def test_a_withdrawn_trajectory_is_no_longer_judged_or_drawn_but_stays_in_the_history(
    sample_store, monkeypatch
):
    from kpi.reports.figures import FigureSet
    from kpi.reports.pack.trajectories import trajectory_section

    tid, _ = trajectories.set_trajectory(
        sample_store, COUNCIL, "C2", PLAN, reason="North recovery plan", locality_code="NORTH", principal=WHO
    )
    set_at = sample_store.query("select max(recorded_at) from trajectories").item()
    # bad input: every problem at once, nothing recorded
    with pytest.raises(trajectories.TrajectoryError) as caught:
        trajectories.withdraw_trajectory(sample_store, COUNCIL, 999, reason=" ", meeting_id=99, principal=WHO)
    assert caught.value.problems == [
        "there is no trajectory 999 for this council: choose one in force",
        "give the reason the trajectory is withdrawn: it cannot be blank",
        "there is no meeting 99 for this council: choose a recorded meeting",
    ]
    with pytest.raises(AccessDenied):
        trajectories.withdraw_trajectory(
            sample_store,
            COUNCIL,
            tid,
            reason="x",
            principal=Principal("lead@trust.nhs.uk", "provider", "ZZ1"),
        )
    assert sample_store.query("select count(*) from trajectories").item() == 1
    assert _status(sample_store).height == 1  # judged while in force

    monkeypatch.setenv("HCP_TODAY", "2026-11-24")
    version = trajectories.withdraw_trajectory(
        sample_store, COUNCIL, tid, reason="Replaced by the contract variation", meeting_id=1, principal=WHO
    )
    assert version == 2
    # no longer in force: not judged (Overview, pack, alerts) and not drawn (the pack's charts)
    assert trajectories.trajectory_points(sample_store, COUNCIL, principal=WHO).is_empty()
    assert _status(sample_store).is_empty()
    values = overview.kpi_values(sample_store, COUNCIL, principal=WHO)
    figures = FigureSet()
    section = trajectory_section(
        sample_store,
        COUNCIL,
        values,
        PERIOD,
        overview.locality_names(sample_store, COUNCIL),
        sample_store.query("select max(recorded_at) from trajectories").item(),
        figures,
        principal=WHO,
    )
    assert section.status.is_empty() and section.figure_keys == []
    # ... but as at a time before the withdrawal it was in force, and the history keeps both versions
    assert trajectories.trajectory_points(sample_store, COUNCIL, set_at, principal=WHO).height == 4
    history = trajectories.trajectory_history(sample_store, COUNCIL, principal=WHO)
    assert history.select("version", "withdrawn", "points", "reason", "meeting_id").rows() == [
        (2, True, None, "Replaced by the contract variation", 1),
        (
            1,
            False,
            "2026-27 Q2 82.0%; 2026-27 Q3 85.0%; 2026-27 Q4 88.0%; 2027-28 Q1 90.0%",
            "North recovery plan",
            None,
        ),
    ]
    audit = sample_store.query(
        "select actor, subject, detail_json from audit_log where action = 'trajectory withdrawn'"
    )
    assert audit.rows()[0][:2] == ("commissioner@council.gov.uk", "C2")
    assert json.loads(audit["detail_json"][0]) == {
        "trajectory_id": tid,
        "version": 2,
        "locality_code": "NORTH",
        "decile_group": "ALL",
        "reason": "Replaced by the contract variation",
        "meeting_id": 1,
    }
    # withdrawing it again is refused; setting it again brings it back as the next version
    with pytest.raises(trajectories.TrajectoryError, match="already withdrawn"):
        trajectories.withdraw_trajectory(sample_store, COUNCIL, tid, reason="again", principal=WHO)
    assert trajectories.set_trajectory(
        sample_store, COUNCIL, "C2", PLAN, reason="Back", locality_code="NORTH", principal=WHO
    ) == (tid, 3)
    assert _status(sample_store).height == 1
