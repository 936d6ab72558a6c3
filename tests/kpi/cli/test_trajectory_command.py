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
