"""``hcp load`` (kpi/cli/load.py): exit codes, reports and the datasets of the registry.

Commands run in-process through :func:`kpi.cli.main` (output captured with ``capsys``); the database is a copy of
the sample, or a fresh one in ``tmp_path``.
"""

import json

import pytest

from kpi.core import periods as periods
from kpi.core.store import Store
from tests.kpi.cli.commands import LOCALITIES, counts, hcp

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
        "ERROR (row 3, column lsoa_code): 'E01999999' is not an English LSOA code of 2011 or 2021: codes look like "
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


def test_hcp_load_peers_and_hcp_peers_list(tmp_path, hcp_today, capsys):
    """A council's own list through ``hcp load peers FILE --name NAME``; ``hcp peers list`` shows it by name."""
    from kpi.cli import main

    db = str(tmp_path / "hcp.duckdb")
    assert main(["--db", db, "init", "--council", "E08000009"]) == 0
    listing = tmp_path / "cipfa.csv"
    listing.write_text("area_code,rank\nE08000007,1\nE08000002,2\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--db", db, "load", "peers", str(listing)]) == 1
    assert "the group has no name: give one with --name" in capsys.readouterr().out
    assert (
        main(["--db", db, "load", "peers", str(listing), "--name", "CIPFA 2025", "--valid-from", "soon"]) == 2
    )
    assert "--valid-from takes a date such as 2025-05-01, not 'soon'" in capsys.readouterr().err
    assert (
        main(
            ["--db", db, "load", "peers", str(listing), "--name", "CIPFA 2025", "--valid-from", "2026-01-01"]
        )
        == 0
    )
    assert "comparator group 'CIPFA 2025' loaded as 'cipfa-2025'" in capsys.readouterr().out
    assert main(["--db", db, "peers", "list"]) == 0
    out = capsys.readouterr().out
    assert "cipfa-2025: CIPFA 2025 (2 councils, from 2026-01-01; not chosen)" in out
    assert (
        "dfe-sn: DfE statistical neighbours (May 2025) (10 councils, from 2025-05-01; compared with)" in out
    )
    assert "  Stockport, Bury" in out
    assert main(["--db", db, "peers", "reference"]) == 0
    assert capsys.readouterr().out.strip() == "the reference groups are already loaded"


# ---- hcp load --snapshots: a load written reaches the replicas at once --------------------------------------------


def test_a_load_written_publishes_a_snapshot_for_the_replicas_and_a_rejected_one_does_not(
    db, new_return, bad_return, tmp_path, capsys
):
    from kpi.core.replica import manifest_of
    from kpi.core.snapshot import snapshot_folders

    out = tmp_path / "snapshots"
    assert (
        hcp(db, "load", "mandated-contacts", str(bad_return), "--provider", "ZZ1", "--snapshots", str(out))
        == 1
    )
    assert not out.exists() or snapshot_folders(out) == []
    assert (
        hcp(db, "load", "mandated-contacts", str(new_return), "--provider", "ZZ1", "--snapshots", str(out))
        == 0
    )
    assert "for the replicas" in capsys.readouterr().out
    assert len(snapshot_folders(out)) == 1
    manifest = manifest_of(out)
    with Store.open(f"{manifest['folder']}/{manifest['file']}", read_only=True) as store:
        newest = store.query("select max(submission_id) from submissions").item()
    assert newest == 18  # the snapshot holds the return just loaded
    # the same file again changes nothing, so nothing new is published
    assert (
        hcp(db, "load", "mandated-contacts", str(new_return), "--provider", "ZZ1", "--snapshots", str(out))
        == 0
    )
    assert len(snapshot_folders(out)) == 1
