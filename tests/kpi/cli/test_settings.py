"""``hcp targets`` and ``hcp settings`` (kpi/cli/settings.py): dated, audited, in force from their period.

Commands run in-process through :func:`kpi.cli.main` (output captured with ``capsys``); the database is a copy of
the sample, or a fresh one in ``tmp_path``.
"""

import json
from datetime import datetime

import pytest

from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.sample import COUNCIL_CODE
from tests.kpi.cli.commands import counts, hcp

# ---- targets and settings -------------------------------------------------------------------------------------------


def test_targets_set_list_audit_and_take_effect_from_their_period(db, capsys):
    from kpi.contract.targets import targets_in_force

    arguments = ["targets", "set", "C2", "--target", "92", "--amber-margin", "3", "--from", "2026-27 Q1"]
    assert hcp(db, *arguments, "--reason", "contract variation 4") == 0
    assert capsys.readouterr().out.strip() == "C2: target 92% (amber margin 3 points) from 2026-27 Q1"

    assert hcp(db, "targets", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0] == "kpi_code,effective_from,target_pct,amber_margin_pct,set_at,set_by,reason"
    c2 = [line for line in listed if line.startswith("C2,")]
    assert c2[0].startswith("C2,2026-27 Q1,92.0,3.0,2026-11-23")
    assert c2[0].endswith(",analyst,contract variation 4")
    assert c2[1].startswith("C2,2000-01 Q1,90.0,5.0,1900-01-01")

    with Store.open(db) as store:
        entry = store.query(
            "select actor, action, subject, detail_json from audit_log order by audit_id desc limit 1"
        ).row(0, named=True)
        assert (entry["actor"], entry["action"], entry["subject"]) == ("analyst", "target set", "C2")
        assert json.loads(entry["detail_json"]) == {
            "target_pct": 92.0,
            "amber_margin_pct": 3.0,
            "effective_from": "2026-27 Q1",
            "reason": "contract variation 4",
        }
        first, last = periods.parse_period("2025-26 Q3"), periods.parse_period("2026-27 Q2")
        frame = targets_in_force(store, COUNCIL_CODE, first, last).filter(kpi_code="C2").sort("period_index")
        by_period = {
            periods.from_index(index).code: (target, margin)
            for index, target, margin in frame.select("period_index", "target_pct", "amber_margin_pct").rows()
        }
        assert by_period == {
            "2025-26 Q3": (90.0, 5.0),
            "2025-26 Q4": (90.0, 5.0),
            "2026-27 Q1": (92.0, 3.0),
            "2026-27 Q2": (92.0, 3.0),
        }
        # as known before the change, 2026-27 Q1 still had the catalogue's 90%
        before = targets_in_force(store, COUNCIL_CODE, last, last, as_at=datetime(2026, 11, 1)).filter(
            kpi_code="C2"
        )
        assert before["target_pct"].to_list() == [90.0]


def test_targets_set_without_an_amber_margin_keeps_the_current_one(db, capsys):
    from kpi.contract.targets import targets_in_force

    # C2's margin changes to 3 points from 2026-27 Q1; then only the target changes, from 2026-27 Q2
    assert (
        hcp(db, "targets", "set", "C2", "--target", "92", "--amber-margin", "3", "--from", "2026-27 Q1") == 0
    )
    capsys.readouterr()
    assert hcp(db, "targets", "set", "c2", "--target", "94", "--from", "2026-27 Q2") == 0
    assert capsys.readouterr().out.strip() == "c2: target 94% (amber margin 3 points) from 2026-27 Q2"
    # a KPI never changed keeps the catalogue's margin (5 points for C8i); an earlier period keeps its own margin
    assert hcp(db, "targets", "set", "C8i", "--target", "80", "--from", "2026-27 Q1") == 0
    assert capsys.readouterr().out.strip() == "C8i: target 80% (amber margin 5 points) from 2026-27 Q1"
    assert hcp(db, "targets", "set", "C2", "--target", "91", "--from", "2025-26 Q4") == 0
    assert capsys.readouterr().out.strip() == "C2: target 91% (amber margin 5 points) from 2025-26 Q4"
    with Store.open(db) as store:
        first, last = periods.parse_period("2025-26 Q3"), periods.parse_period("2026-27 Q2")
        frame = targets_in_force(store, COUNCIL_CODE, first, last).filter(kpi_code="C2").sort("period_index")
        assert frame.select("target_pct", "amber_margin_pct").rows() == [
            (90.0, 5.0),
            (91.0, 5.0),
            (92.0, 3.0),
            (94.0, 3.0),
        ]
        detail = store.query(
            "select detail_json from audit_log where action = 'target set' and subject = 'C8i'"
        ).item()
        assert json.loads(detail)["amber_margin_pct"] == 5.0


def test_targets_set_without_an_amber_margin_for_a_kpi_that_never_had_one(db, capsys):
    before = counts(db)
    assert hcp(db, "targets", "set", "C6iii", "--target", "70", "--from", "2026-27 Q1") == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith("C6iii has no amber margin yet: give one in percentage points (--amber-margin)")
    )
    assert counts(db) == before


def test_targets_json_list(db, capsys):
    assert hcp(db, "targets", "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    c2 = [row for row in rows if row["kpi_code"] == "C2"]
    assert [(row["effective_from"], row["target_pct"], row["amber_margin_pct"]) for row in c2] == [
        ("2000-01 Q1", 90.0, 5.0)
    ]


def test_no_target_from_a_period(db, capsys):
    assert hcp(db, "targets", "set", "C8ii", "--no-target", "--from", "2026-27 Q2") == 0
    assert capsys.readouterr().out.strip() == "C8ii: no target from 2026-27 Q2"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["C99", "--target", "90", "--from", "2026-27 Q1"],
            "'C99' is not a KPI in the catalogue: use one of C1, C2,",
        ),
        (
            ["C3", "--target", "90", "--from", "2026-27 Q1"],
            "C3 has no judgement (polarity none), so it cannot have a",
        ),
        (
            ["C2", "--target", "190", "--from", "2026-27 Q1"],
            "a target of 190.0 is not a percentage between 0 and 100",
        ),
        (
            ["C2", "--target", "90", "--from", "2026 Q1"],
            "'2026 Q1' is not a period: write the financial year",
        ),
        (
            ["C2", "--target", "90", "--from", "2026-27 M04"],
            "targets take effect from a quarter: write '2026-27 Q2'",
        ),
        (["C2", "--from", "2026-27 Q1"], "give --target PERCENT (or --no-target)"),
    ],
)
def test_bad_targets_are_refused(db, capsys, arguments, message):
    before = counts(db)
    assert hcp(db, "targets", "set", *arguments) == 2
    assert message in capsys.readouterr().err
    assert counts(db) == before


def test_settings_set_and_list(db, capsys):
    assert hcp(db, "settings", "set", "movement_warn_points", "10", "--reason", "tighter checks") == 0
    assert capsys.readouterr().out.strip() == "movement_warn_points set to 10"
    assert hcp(db, "settings", "list") == 0
    out = capsys.readouterr().out
    assert "movement_warn_points = 10.0    # Warn when" in out
    assert "return_due_working_days = 20    # Working days after the end of a period" in out
    assert hcp(db, "settings", "set", "no_such_setting", "1") == 2
    assert "'no_such_setting' is not a setting: use one of" in capsys.readouterr().err
    assert hcp(db, "settings", "set", "return_due_working_days", "twenty") == 2
    assert (
        "'twenty' is not a valid value for return_due_working_days (expected a int)"
        in capsys.readouterr().err
    )
