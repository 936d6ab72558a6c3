"""What changed since a date (the Overview's view), the pack's own computation, on the sample.

Since 1 August 2026 the data held 2026-27 Q1 (its resubmission accepted on 27 July); 2026-27 Q2 arrived on 19
October. North's C2 was 156 of 190 = 82.1% in Q1 and is 153 of 190 = 80.5% in Q2: against a trajectory of 81% then
82% (recorded after 1 August, so not in force then) it is off trajectory in Q2, a new breach.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from kpi.access.principal import LOCAL_USER, Principal
from kpi.contract import trajectories
from kpi.contract import values as overview
from kpi.reports.pack import since
from kpi.reports.pack.changes import compare

COUNCIL, PERIOD = "E08000009", "2026-27 Q2"
SINCE = datetime(2026, 8, 1)


@pytest.fixture()
def found(sample_store):
    trajectories.set_trajectory(
        sample_store,
        COUNCIL,
        "C2",
        "2026-27 Q1=81, 2026-27 Q2=82",
        reason="North recovery plan",
        locality_code="NORTH",
        principal=LOCAL_USER,
    )
    return sample_store, since.what_changed(sample_store, COUNCIL, PERIOD, principal=LOCAL_USER, since=SINCE)


def test_the_changes_are_the_pack_s_comparison_with_the_data_as_it_stood(found):
    store, result = found
    assert result.previous is None and result.before_period == "2026-27 Q1" and result.since == SINCE
    before = overview.kpi_values(store, COUNCIL, SINCE, principal=LOCAL_USER)
    now = overview.kpi_values(store, COUNCIL, principal=LOCAL_USER)
    names = overview.locality_names(store, COUNCIL)
    moves, signals, targets = compare(before, "2026-27 Q1", now, PERIOD, names)
    assert result.changes.rag_moves.equals(moves) and result.changes.new_signals.equals(signals)
    assert result.changes.targets.equals(targets)
    assert result.resubmitted.is_empty()  # the Q1 resubmission arrived before 1 August


def test_a_trajectory_breach_is_listed(found):
    _, result = found
    breaches = result.changes.trajectory_breaches
    assert breaches.select("kpi_code", "where", "period", "planned_pct").rows() == [
        ("C2", "North", PERIOD, 82.0)
    ]
    assert breaches["value"][0] == pytest.approx(100 * 153 / 190)
    text = since.summary_text(result)
    assert text.startswith("2026-27 Q2 against 2026-27 Q1 as the data stood on 01 Aug 2026:")
    assert "1 trajectory breach;" in text


def test_a_viewer_sees_the_changes_without_the_packs(found):
    store, _ = found
    viewer = Principal("scrutiny@council.gov.uk", "viewer")
    result = since.what_changed(store, COUNCIL, PERIOD, principal=viewer, since=SINCE)
    assert result.previous is None and result.before_period == "2026-27 Q1"
