"""``hcp trajectory set|list`` (kpi/cli/settings.py): recorded, versioned, audited; bad input changes nothing."""

import json

from tests.kpi.cli.commands import counts, hcp

POINTS = "2026-27 Q3=85, 2026-27 Q4=88, 2027-28 Q1=90"


def test_set_list_and_revise(db, capsys):
    arguments = ["trajectory", "set", "C2", "--locality", "north", "--points", POINTS, "--reason", "Recovery"]
    assert hcp(db, *arguments, "--meeting", "1") == 0
    assert capsys.readouterr().out.strip() == "C2 (NORTH): trajectory version 1 recorded"
    assert hcp(db, "trajectory", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith(
        "kpi_code,locality_code,decile_group,version,period,planned_pct,reason,meeting_id"
    )
    assert listed[1].startswith("C2,NORTH,ALL,1,2026-27 Q3,85.0,Recovery,1,2026-11-23")
    assert listed[1].endswith(",analyst") and len([line for line in listed if line]) == 4

    assert (
        hcp(
            db,
            "trajectory",
            "set",
            "C2",
            "--locality",
            "NORTH",
            "--points",
            "2026-27 Q3=86",
            "--reason",
            "Revised",
        )
        == 0
    )
    assert capsys.readouterr().out.strip() == "C2 (NORTH): trajectory version 2 recorded"
    assert hcp(db, "trajectory", "list", "--history", "--json") == 0
    history = json.loads(capsys.readouterr().out)
    assert [(v["version"], v["points"], v["reason"]) for v in history] == [
        (2, "2026-27 Q3 86.0%", "Revised"),
        (1, "2026-27 Q3 85.0%; 2026-27 Q4 88.0%; 2027-28 Q1 90.0%", "Recovery"),
    ]


def test_bad_input_lists_every_problem_and_records_nothing(db, capsys):
    before = counts(db)
    code = hcp(
        db, "trajectory", "set", "C2", "--locality", "EAST", "--points", "2026-27 Q3=101", "--reason", ""
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("the trajectory was not recorded:")
    assert "'EAST' is not a locality" in err and "101 is not a percentage" in err and "reason" in err
    assert counts(db) == before


def test_withdraw_keeps_the_history_and_refuses_without_a_reason(db, capsys, monkeypatch):
    assert (
        hcp(db, "trajectory", "set", "C2", "--locality", "NORTH", "--points", POINTS, "--reason", "Recovery")
        == 0
    )
    capsys.readouterr()
    before = counts(db)
    assert hcp(db, "trajectory", "withdraw", "C2", "--locality", "NORTH") == 1
    err = capsys.readouterr().err
    assert "the trajectory was not withdrawn:" in err and "give the reason the trajectory is withdrawn" in err
    assert hcp(db, "trajectory", "withdraw", "C4", "--reason", "x") == 1
    assert "C4 (BOROUGH) has no trajectory" in capsys.readouterr().err
    assert counts(db) == before
    monkeypatch.setenv("HCP_TODAY", "2026-11-24")
    assert (
        hcp(db, "trajectory", "withdraw", "C2", "--locality", "north", "--reason", "Contract variation") == 0
    )
    assert capsys.readouterr().out.strip() == (
        "C2 (NORTH): trajectory withdrawn (version 2); its history is kept"
    )
    assert hcp(db, "trajectory", "list") == 0
    assert [line for line in capsys.readouterr().out.splitlines() if line.startswith("C2,")] == []
    assert hcp(db, "trajectory", "list", "--history", "--json") == 0
    history = json.loads(capsys.readouterr().out)
    assert [(v["version"], v["withdrawn"], v["points"], v["reason"], v["recorded_by"]) for v in history] == [
        (2, True, None, "Contract variation", "analyst"),
        (1, False, "2026-27 Q3 85.0%; 2026-27 Q4 88.0%; 2027-28 Q1 90.0%", "Recovery", "analyst"),
    ]
