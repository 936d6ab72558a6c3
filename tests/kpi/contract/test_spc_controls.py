"""SPC controls on the sample (docs/methods.md section 5.10): baselines and rebases recorded with their reasons,
annotations, a return flagged as from a changed record system, and the prompt to rebase; all audited, bad input
changes nothing, and the borough C2 chart follows a rebase.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from kpi.access.principal import Principal, local_principal
from kpi.access.rules import AccessDenied
from kpi.contract import spc_controls as controls
from kpi.contract import values as overview
from kpi.spc import assurance

COUNCIL = "E08000009"
WHO = local_principal("commissioner@council.gov.uk")
TRUST = Principal("lead@trust.nhs.uk", "provider", "ZZ1")


def _audit(store, action):
    return store.query("select subject, detail_json from audit_log where action = ?", [action])


def test_a_rebase_splits_the_borough_c2_chart_at_its_quarter(sample_store):
    change = controls.rebase(
        sample_store, COUNCIL, "c2", "2025-26 Q3", reason="New service model", principal=WHO
    )
    found = controls.spc_controls(sample_store, COUNCIL, principal=WHO)[("C2", "ALL")]
    assert found.rebases == ((8102, "New service model"),)
    values = overview.kpi_values(sample_store, COUNCIL, principal=WHO)
    series = assurance.kpi_series(values, "C2")
    chart = assurance.xmr_frame(series, found)
    after = series.filter(pl.col("period_index") >= 8102)["value_pct"].to_numpy()
    before = series.filter(pl.col("period_index") < 8102)["value_pct"].to_numpy()
    # hand-worked from the borough's counts: each segment's mean is the mean of its own values
    assert chart.filter(pl.col("period_index") >= 8102)["mean"][0] == pytest.approx(after.mean())
    assert chart["mean"][0] == pytest.approx(before.mean())
    # the new segment has 4 quarters: a run chart, so no icons until it has 12
    assert chart.filter(pl.col("period_index") >= 8102)["upper_limit"].is_null().all()
    assert chart["upper_limit"][0] == pytest.approx(before.mean() + 2.66 * np.abs(np.diff(before)).mean())
    assert _audit(sample_store, "spc rebased")["subject"].to_list() == ["C2"]
    controls.withdraw_rebase(sample_store, COUNCIL, change, reason="recorded in error", principal=WHO)
    assert ("C2", "ALL") not in controls.spc_controls(sample_store, COUNCIL, principal=WHO)


def test_a_baseline_and_bad_input(sample_store):
    controls.set_baseline(sample_store, COUNCIL, "C2", points=12, reason="First three years", principal=WHO)
    assert controls.spc_controls(sample_store, COUNCIL, principal=WHO)[("C2", "ALL")].baseline_points == 12
    with pytest.raises(controls.SpcControlError) as caught:
        controls.set_baseline(
            sample_store,
            COUNCIL,
            "C9",
            points=1,
            first_period="2025-26 Q2",
            last_period="2024-25 Q1",
            reason="",
            locality_code="EAST",
            principal=WHO,
        )
    assert len(caught.value.problems) == 6, caught.value.problems
    assert sample_store.query("select count(*) from spc_changes").item() == 1
    with pytest.raises(AccessDenied):
        controls.rebase(sample_store, COUNCIL, "C2", "2025-26 Q3", reason="x", principal=TRUST)


def test_annotations_are_dated_audited_and_drawn_on_their_kpi(sample_store):
    controls.add_annotation(
        sample_store, COUNCIL, "2025-26 Q3", "Staffing crisis", kpi_code="C2", principal=WHO
    )
    controls.add_annotation(sample_store, COUNCIL, "2024-25 Q1", "New IT system", principal=WHO)
    notes = controls.annotations(sample_store, COUNCIL, principal=TRUST)
    assert notes.select("kpi_code", "period", "label").rows() == [
        (None, "2024-25 Q1", "New IT system"),
        ("C2", "2025-26 Q3", "Staffing crisis"),
    ]
    assert controls.for_kpi(notes, "C3")["label"].to_list() == ["New IT system"]
    assert _audit(sample_store, "annotation added").height == 2
    with pytest.raises(controls.SpcControlError) as caught:
        controls.add_annotation(sample_store, COUNCIL, "someday", " ", principal=WHO)
    assert len(caught.value.problems) == 2


def test_a_flagged_return_prompts_a_rebase_until_one_is_recorded(sample_store):
    latest = sample_store.query(
        "select submission_id, period from submissions where dataset = 'mandated-contacts' and superseded_at is null "
        "order by period_index desc limit 1"
    ).row(0, named=True)
    with pytest.raises(controls.SpcControlError):
        controls.flag_record_system_change(
            sample_store, COUNCIL, latest["submission_id"], "", principal=TRUST
        )
    controls.flag_record_system_change(
        sample_store,
        COUNCIL,
        latest["submission_id"],
        "Moved to a new patient record system",
        principal=TRUST,
    )
    prompts = controls.rebase_prompts(sample_store, COUNCIL, principal=WHO)
    assert prompts.select("period", "note").rows() == [
        (latest["period"], "Moved to a new patient record system")
    ]
    assert _audit(sample_store, "record-system change flagged").height == 1
    other = Principal("lead@other.nhs.uk", "provider", "ZZ9")
    with pytest.raises(controls.SpcControlError):
        controls.flag_record_system_change(
            sample_store, COUNCIL, latest["submission_id"], "x", principal=other
        )
    controls.rebase(
        sample_store, COUNCIL, "C2", latest["period"], reason="Record-system migration", principal=WHO
    )
    assert controls.rebase_prompts(sample_store, COUNCIL, principal=WHO).is_empty()
