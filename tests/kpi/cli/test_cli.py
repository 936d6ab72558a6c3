"""The ``hcp`` command (architecture.md section 6): exit codes, reports, targets, init, localities and serve.

Commands run in-process through :func:`kpi.cli.main` (output captured with ``capsys``); the database is a copy of
the sample, or a fresh one in ``tmp_path``. No test starts the server.
"""

import json
from datetime import datetime

import pytest

from kpi import cli
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.sample import COUNCIL_CODE, SAMPLE_DIR

LOCALITIES = SAMPLE_DIR / "reference" / "trafford_localities.csv"


def hcp(db, *arguments):
    return cli.main(["--db", str(db), "--actor", "analyst", *arguments])


def counts(db):
    with Store.open(db) as store:
        names = store.query("select table_name from duckdb_tables() order by 1")["table_name"].to_list()
        return {name: store.query(f'select count(*) from "{name}"').item() for name in names}


@pytest.fixture
def db(sample_db_copy, hcp_today):
    return sample_db_copy


def copy_of(rows):
    """An independent copy of the return's rows (each fixture below changes its own)."""
    return type(rows)(dict(row) for row in rows)


@pytest.fixture
def new_return(return_rows, write_return):
    """A valid 2026-27 Q2 return not yet loaded (the sample's, with a comment changed)."""
    rows = copy_of(return_rows)
    rows.row("C1", "CENTRAL", "1")["comment"] = "resent"
    return write_return(rows, "mandated_contacts_2026-27_Q2_v2.csv")


@pytest.fixture
def bad_return(return_rows, write_return):
    """A return with one error: 'n/a' as the numerator of C2 NORTH decile 2."""
    rows = copy_of(return_rows)
    rows.row("C2", "NORTH", "2")["numerator"] = "n/a"
    return write_return(rows, "bad.csv")


@pytest.fixture
def warned_return(return_rows, write_return):
    """A return with one warning (the unknown-decile share of C5 NORTH at 18.8%; C5, as C2 shares C3's denominator)."""
    rows = copy_of(return_rows)
    for key in (("C5", "NORTH", "U"), ("C5", "NORTH", "")):
        row = rows.row(*key)
        row["numerator"] = str(int(row["numerator"]) + 40)
        row["denominator"] = str(int(row["denominator"]) + 40)
    return write_return(rows, "warned.csv")


# ---- hcp load mandated-contacts -----------------------------------------------------------------------------------


def test_load_written_exits_0(db, new_return, capsys):
    assert hcp(db, "load", "mandated-contacts", str(new_return), "--provider", "ZZ1") == 0
    out = capsys.readouterr().out
    assert "mandated_contacts_2026-27_Q2_v2.csv: 656 data rows read" in out
    assert "No problems found." in out
    assert "loaded as submission 18 (2026-27 Q2, 656 rows, accepted); it supersedes submission 17" in out
    with Store.open(db) as store:
        assert store.query("select submitted_by, source from submissions where submission_id = 18").row(
            0
        ) == (
            "analyst",
            "cli",
        )


def test_load_the_same_file_again_exits_0_and_says_so(db, new_return, capsys):
    assert hcp(db, "load", "mandated-contacts", str(new_return), "--provider", "ZZ1") == 0
    before = counts(db)
    capsys.readouterr()
    assert hcp(db, "load", "mandated-contacts", str(new_return), "--provider", "ZZ1") == 0
    assert "this file was already loaded as submission 18: nothing changed" in capsys.readouterr().out
    assert counts(db) == before


def test_load_rejected_exits_1(db, bad_return, return_rows, capsys):
    row = return_rows.source_row("C2", "NORTH", "2")
    before = counts(db)
    assert hcp(db, "load", "mandated-contacts", str(bad_return), "--provider", "ZZ1") == 1
    out = capsys.readouterr().out
    assert "1 error(s), 0 warning(s)." in out
    assert (
        f"ERROR (row {row}, column numerator): 'n/a' is not a number: write the numerator as digits only"
        in out
    )
    assert out.rstrip().endswith("the file was rejected: nothing was written")
    after = counts(db)
    assert after.pop("audit_log") == before.pop("audit_log") + 1 and after == before


def test_load_with_unconfirmed_warnings_exits_1(db, warned_return, return_rows, capsys):
    row = return_rows.source_row("C5", "NORTH", "U")
    before = counts(db)
    assert hcp(db, "load", "mandated-contacts", str(warned_return), "--provider", "ZZ1") == 1
    out = capsys.readouterr().out
    assert "0 error(s), 1 warning(s)." in out
    assert f"WARNING (row {row}, column imd_decile): C5 NORTH: 18.8% of children are in decile U" in out
    assert '--accept-warnings --reason "..." to confirm; nothing was written' in out
    after = counts(db)
    assert after.pop("audit_log") == before.pop("audit_log") + 1 and after == before


def test_accepting_warnings_needs_a_reason(db, warned_return, capsys):
    arguments = ["load", "mandated-contacts", str(warned_return), "--provider", "ZZ1", "--accept-warnings"]
    before = counts(db)
    assert hcp(db, *arguments) == 1
    assert 'confirming warnings needs a reason: add --reason "..."' in capsys.readouterr().out
    assert counts(db) == before
    assert hcp(db, *arguments, "--reason", "new estate: postcodes not yet in the lookup") == 0
    assert "loaded as submission 18" in capsys.readouterr().out
    with Store.open(db) as store:
        assert store.query("select warnings_reason from submissions where submission_id = 18").item() == (
            "new estate: postcodes not yet in the lookup"
        )


@pytest.mark.parametrize(("fixture", "code"), [("new_return", 0), ("bad_return", 1), ("warned_return", 1)])
def test_check_exits_0_or_1_and_writes_nothing(db, request, capsys, fixture, code):
    path = request.getfixturevalue(fixture)
    before = counts(db)
    assert hcp(db, "load", "mandated-contacts", str(path), "--provider", "ZZ1", "--check") == code
    out = capsys.readouterr().out
    assert "checked only: nothing was written" in out
    assert counts(db) == before


def test_json_report_parses(db, bad_return, new_return, return_rows, capsys):
    assert hcp(db, "load", "mandated-contacts", str(bad_return), "--provider", "ZZ1", "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["outcome"], report["errors"], report["warnings"], report["submission"]) == (
        "rejected",
        1,
        0,
        None,
    )
    assert report["file_name"] == "bad.csv" and report["rows_read"] == 656
    [problem] = report["problems"]
    assert (problem["severity"], problem["check"], problem["row"], problem["column"], problem["value"]) == (
        "error",
        "not_a_number",
        return_rows.source_row("C2", "NORTH", "2"),
        "numerator",
        "n/a",
    )
    assert hcp(db, "load", "mandated-contacts", str(new_return), "--provider", "ZZ1", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["outcome"], report["submission"], report["problems"]) == ("written", 18, [])
    assert report["message"].startswith("loaded as submission 18")


def test_load_needs_a_provider_and_a_file(db, new_return, tmp_path, capsys):
    before = counts(db)
    assert hcp(db, "load", "mandated-contacts", str(new_return)) == 2
    assert "--provider CODE is required for mandated-contacts" in capsys.readouterr().err
    missing = tmp_path / "nowhere.csv"
    assert hcp(db, "load", "mandated-contacts", str(missing), "--provider", "ZZ1") == 2
    assert f"there is no file at {missing}" in capsys.readouterr().err
    assert counts(db) == before


def test_a_provider_code_the_file_does_not_hold(db, new_return, capsys):
    assert hcp(db, "load", "mandated-contacts", str(new_return), "--provider", "RY7") == 1
    assert (
        "ERROR (rows 2-657, column provider_code): the provider code 'ZZ1' is not RY7"
        in capsys.readouterr().out
    )


def test_python_m_kpi_runs_the_cli():
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "kpi", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0
    assert "usage: hcp" in completed.stdout


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


# ---- init and localities --------------------------------------------------------------------------------------------


def test_init_then_load_localities(tmp_path, capsys):
    db = tmp_path / "trafford.duckdb"
    assert hcp(db, "init", "--council", "e08000009") == 0
    assert capsys.readouterr().out.strip() == (
        f"created {db} for E08000009: load its localities with 'hcp load localities FILE'"
    )
    assert not (tmp_path / "trafford.duckdb.building").exists()
    assert hcp(db, "load", "localities", str(LOCALITIES)) == 0
    out = capsys.readouterr().out
    assert "No problems found." in out and out.rstrip().endswith("localities loaded")
    with Store.open(db) as store:
        from kpi.core.councils import localities
        from kpi.core.store import get_info

        assert get_info(store)["is_sample"] == "false"
        assert store.query("select council_name from councils").item() == "Trafford"
        assert localities(store, COUNCIL_CODE)["locality_code"].to_list() == [
            "CENTRAL",
            "NORTH",
            "SOUTH",
            "WEST",
        ]
        assert store.query("select count(*) from locality_lsoas").item() == 138
        assert store.query("select count(*) from submissions").item() == 0
        actions = store.query("select action from audit_log order by audit_id")["action"].to_list()
        assert actions == ["council created", "localities loaded"]


def test_init_refuses_to_replace_a_database_without_force(db, capsys):
    before = counts(db)
    assert hcp(db, "init", "--council", "E08000009") == 2
    assert capsys.readouterr().err.strip() == (
        f"a database already exists at {db}: choose another HCP_DB or pass --force to replace it"
    )
    assert counts(db) == before
    assert hcp(db, "init", "--council", "E08000009", "--force") == 0
    assert counts(db)["submissions"] == 0


def test_init_for_an_unknown_code_says_to_use_name(tmp_path, capsys):
    db = tmp_path / "county.duckdb"
    assert hcp(db, "init", "--council", "E10000015") == 2
    assert capsys.readouterr().err.strip() == (
        "'E10000015' is not a local authority code in the IMD 2019 lookup: give the council's name with --name "
        "(county councils are not in the lookup)"
    )
    assert not db.exists(), "a failed init must leave no half-made database behind"
    assert list(tmp_path.iterdir()) == []
    assert hcp(db, "init", "--council", "E10000015", "--name", "Hertfordshire") == 0
    with Store.open(db) as store:
        assert store.query("select council_code, council_name from councils").row(0) == (
            "E10000015",
            "Hertfordshire",
        )


def test_a_bad_localities_file_is_rejected_with_messages(tmp_path, capsys):
    db = tmp_path / "trafford.duckdb"
    assert hcp(db, "init", "--council", "E08000009") == 0
    bad = tmp_path / "localities.csv"
    bad.write_text(
        "lsoa_code,locality_code,locality_name\n"
        "E01006074,SOUTH,South\n"
        "E01999999,SOUTH,South\n"
        "E01006075,SOUTH,\n"
        "E01006074,NORTH,North\n"
        "E01006076,NORTH,Northern\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert hcp(db, "load", "localities", str(bad)) == 1
    out = capsys.readouterr().out
    assert (
        "ERROR (row 3, column lsoa_code): 'E01999999' is not an English LSOA (2011) code: codes look like "
        in out
    )
    assert (
        "ERROR (row 4, column locality_name): locality_name is blank: every row needs an LSOA, a locality"
        in out
    )
    assert (
        "ERROR (rows 2, 5, column lsoa_code): E01006074 appears more than once: each LSOA belongs to one"
        in out
    )
    assert "ERROR (rows 5-6, column locality_name): locality NORTH has more than one name in the file" in out
    with Store.open(db) as store:
        assert store.query("select count(*) from locality_loads").item() == 0
        assert store.query("select action from audit_log order by audit_id desc limit 1").item() == (
            "localities rejected"
        )

    missing = tmp_path / "no_names.csv"
    missing.write_text("lsoa_code,locality_code\nE01006074,SOUTH\n", encoding="utf-8")
    assert hcp(db, "load", "localities", str(missing)) == 1
    assert (
        "ERROR (column locality_name): the column 'locality_name' is missing: the header must be "
        "lsoa_code,locality_code,locality_name" in capsys.readouterr().out
    )


def test_load_localities_check_writes_nothing(db, capsys):
    before = counts(db)
    assert hcp(db, "load", "localities", str(LOCALITIES), "--check") == 0
    assert counts(db) == before


# ---- serve ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_refuses_a_non_loopback_address(db, capsys, monkeypatch, address):
    def never(*args, **kwargs):
        raise AssertionError("the server must not start")

    monkeypatch.setattr("kpi.access.principal.auth_configured", lambda *args, **kwargs: False)
    monkeypatch.setattr("os.execvpe", never)
    assert hcp(db, "serve", "--address", address) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"refusing to serve on {address}: without sign-in configured")
    assert "127.0.0.1" in err


def test_serve_without_a_database_says_what_to_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("os.execvpe", lambda *args: pytest.fail("the server must not start"))
    assert hcp(tmp_path / "absent.duckdb", "serve") == 2
    assert "run 'hcp sample' (or 'hcp init --council CODE')" in capsys.readouterr().err
