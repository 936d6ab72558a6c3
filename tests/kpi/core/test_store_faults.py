"""The store under faults (docs/operations.md, "How data is stored"): a load killed half-way, a second process, migrations.

* A load is one transaction: a process killed with SIGKILL part-way through leaves the store as it was, or with
  the submission whole (its rows count equals its row_count, its supersession and audit entry with it).
* One writer: while another process holds the database read-write (as the running dashboard does), a write
  command says "the dashboard is running and holds the database: stop it or use the Admin page" and exits
  non-zero, without a traceback.
* Migrations are recorded in ``schema_migrations`` and applying them again changes nothing.
"""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from kpi import cli
from kpi.core.store import BUSY_MESSAGE, ROOT, SQL_DIR, DatabaseBusy, Store, ensure_not_held
from kpi.sample import COUNCIL_CODE, PROVIDER_CODE, SAMPLE_DIR

SAMPLE_Q2_RETURN = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"
TODAY = "2026-11-23"

#: A loader process. "halfway": stop inside the write transaction (rows inserted, supersession done, not yet
#: committed) and wait to be killed. "loop": load a new version of the 2026-27 Q2 return again and again.
LOADER = textwrap.dedent(
    """
    import sys, time
    import kpi.returns.load as submissions
    from kpi.access.principal import local_principal
    from kpi.core.store import Store

    mode, db, source = sys.argv[1], sys.argv[2], sys.argv[3]
    store = Store.open(db)
    base = open(source, "rb").read()

    def load(data):
        return submissions.load_return(store, data, "return.csv", council_code="{council}",
                                       provider_code="{provider}", principal=local_principal("killed"), source="cli")

    if mode == "halfway":
        supersede = submissions.supersede_previous

        def stall(*args, **kwargs):
            result = supersede(*args, **kwargs)
            print("HALFWAY", flush=True)
            time.sleep(60)
            return result

        submissions.supersede_previous = stall
        load(base.replace(b"\\n", b"\\n", 1) + b"\\n")
    else:
        print("READY", flush=True)
        number = 0
        while True:
            number += 1
            result = load(base + b"\\n" * number)  # a blank line more each time: a new file, the same rows
            print(result.outcome, result.submission_id, flush=True)
    """
).format(council=COUNCIL_CODE, provider=PROVIDER_CODE)

#: A process that holds the database read-write and waits, as the running dashboard does.
HOLDER = textwrap.dedent(
    """
    import sys, time
    from kpi.core.store import Store

    store = Store.open(sys.argv[1])
    print("HOLDING", flush=True)
    time.sleep(60)
    """
)


def _env():
    return dict(os.environ, HCP_TODAY=TODAY, PYTHONUNBUFFERED="1")


def _start(script, *args):
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(process, word, timeout=30.0):
    """Read the process's output until a line starting with ``word``; fail with its stderr if it dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(word):
            return
        if not line and process.poll() is not None:
            break
    _stop(process)
    pytest.fail(f"the subprocess never said {word}: {process.stderr.read()}")


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()


def _snapshot(path):
    """What the store holds, read in a fresh connection (after the killed process is gone)."""
    with Store.open(path) as store:
        submissions = store.query(
            "select submission_id, row_count, superseded_by, superseded_at is null as current, period "
            "from submissions order by submission_id"
        )
        counts = store.query(
            "select submission_id, count(*) as n from return_rows group by submission_id order by submission_id"
        )
        events = store.query(
            "select submission_id, count(*) as n from submission_events group by submission_id"
        )
        loaded_audits = store.query("select count(*) from audit_log where action = 'return loaded'").item()
        rows_total = store.query("select count(*) from return_rows").item()
    return {
        "submissions": submissions.rows(),
        "rows_per_submission": dict(counts.rows()),
        "events": dict(events.rows()),
        "loaded_audits": loaded_audits,
        "return_rows": rows_total,
    }


def _assert_whole(snapshot):
    """Every submission has all its rows, one status event, and one current return per period."""
    submissions = snapshot["submissions"]
    ids = {row[0] for row in submissions}
    assert set(snapshot["rows_per_submission"]) == ids, (
        "rows without their submission, or a submission without rows"
    )
    for sid, row_count, superseded_by, _current, _period in submissions:
        assert snapshot["rows_per_submission"][sid] == row_count, f"submission {sid} is partial"
        assert snapshot["events"].get(sid) == 1
        assert superseded_by is None or superseded_by in ids
    current_q2 = [row for row in submissions if row[4] == "2026-27 Q2" and row[3]]
    assert len(current_q2) == 1
    assert snapshot["loaded_audits"] == len(submissions)


def test_a_load_killed_inside_its_transaction_leaves_the_store_as_before(sample_db_copy):
    before = _snapshot(sample_db_copy)
    _assert_whole(before)
    process = _start(LOADER, "halfway", sample_db_copy, SAMPLE_Q2_RETURN)
    try:
        _wait_for(process, "HALFWAY")
    finally:
        _stop(process)
    assert process.returncode == -signal.SIGKILL
    after = _snapshot(sample_db_copy)
    assert after == before


def test_loads_killed_at_random_moments_leave_no_partial_submission(sample_db_copy):
    chooser = random.Random(20261123)
    previous = _snapshot(sample_db_copy)
    for delay in [chooser.uniform(0.05, 1.2) for _ in range(4)]:
        process = _start(LOADER, "loop", sample_db_copy, SAMPLE_Q2_RETURN)
        try:
            _wait_for(process, "READY")
            time.sleep(delay)
        finally:
            _stop(process)
        snapshot = _snapshot(sample_db_copy)
        _assert_whole(snapshot)
        # nothing is lost: every submission before the kill is still there, unchanged apart from supersession
        old = {row[0]: row[1] for row in previous["submissions"]}
        assert {row[0]: row[1] for row in snapshot["submissions"] if row[0] in old} == old
        previous = snapshot
    assert len(previous["submissions"]) > 17, "no load completed: the kills came too early to test anything"


@pytest.fixture
def held_database(sample_db_copy):
    """The sample copy held read-write by another process, as the running dashboard holds it."""
    process = _start(HOLDER, sample_db_copy)
    try:
        _wait_for(process, "HOLDING")
        yield sample_db_copy
    finally:
        _stop(process)


def test_a_write_command_meeting_the_running_app_stops_with_a_message(held_database, tmp_path):
    path = tmp_path / "return.csv"
    path.write_bytes(SAMPLE_Q2_RETURN.read_bytes() + b"\n")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "kpi",
            "--db",
            str(held_database),
            "load",
            "mandated-contacts",
            str(path),
            "--provider",
            "ZZ1",
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode != 0
    assert BUSY_MESSAGE in completed.stderr + completed.stdout
    assert completed.stderr.strip() == BUSY_MESSAGE
    assert "Traceback" not in completed.stderr + completed.stdout


@pytest.mark.parametrize(
    "arguments",
    [
        ["targets", "set", "C2", "--target", "92", "--amber-margin", "3", "--from", "2026-27 Q1"],
        ["targets", "list"],
        ["settings", "set", "movement_warn_points", "10"],
        ["load", "localities", str(SAMPLE_DIR / "reference" / "trafford_localities.csv")],
        ["load", "mandated-contacts", str(SAMPLE_Q2_RETURN), "--provider", "ZZ1", "--check"],
        ["sample", "--force"],
        ["init", "--council", "E08000009", "--force"],
    ],
    ids=lambda arguments: " ".join(arguments[:2]),
)
def test_every_command_meeting_the_running_app_stops(held_database, capsys, arguments):
    size = held_database.stat().st_size
    assert cli.main(["--db", str(held_database), *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == BUSY_MESSAGE
    assert "Traceback" not in captured.out + captured.err
    # sample --force and init --force must not replace the file under the running app
    assert held_database.exists() and held_database.stat().st_size == size
    assert not Path(str(held_database) + ".building").exists()


def test_ensure_not_held(held_database, tmp_path):
    with pytest.raises(DatabaseBusy, match=BUSY_MESSAGE):
        ensure_not_held(held_database)
    ensure_not_held(tmp_path / "absent.duckdb")
    not_a_database = tmp_path / "notes.duckdb"
    not_a_database.write_text("not a database")
    ensure_not_held(not_a_database)  # not held by anyone: the caller may replace it


def test_migrations_are_recorded_and_idempotent(tmp_path):
    path = tmp_path / "fresh.duckdb"
    files = sorted(file.stem for file in (SQL_DIR / "schema").glob("[0-9][0-9][0-9]_*.sql"))
    assert files[0] == "001_core"
    with Store.open(path, migrate=False) as store:
        assert store.migrate() == files
        recorded = store.query("select version, name from schema_migrations order by version").rows()
        assert recorded == [(int(name[:3]), name) for name in files]
        assert store.migrate() == []
        tables = store.query("select table_name from duckdb_tables() order by 1")["table_name"].to_list()
    with Store.open(path) as store:  # opening again migrates again: nothing to do
        assert store.query("select count(*) from schema_migrations").item() == len(files)
        assert (
            store.query("select table_name from duckdb_tables() order by 1")["table_name"].to_list() == tables
        )
        assert store.migrate() == []


def test_migrations_are_applied_in_order_each_in_one_transaction(tmp_path, monkeypatch):
    schema = tmp_path / "sql" / "schema"
    schema.mkdir(parents=True)
    (schema / "001_first.sql").write_text("create table one (x integer);")
    (schema / "002_broken.sql").write_text("create table two (x integer); insert into nowhere values (1);")
    monkeypatch.setattr("kpi.core.store.SQL_DIR", tmp_path / "sql")
    path = tmp_path / "db.duckdb"
    with Store.open(path, migrate=False) as store:
        with pytest.raises(Exception, match="could not be used"):
            store.migrate()
        assert store.query("select name from schema_migrations").rows() == [("001_first",)]
        names = store.query("select table_name from duckdb_tables()")["table_name"].to_list()
        assert "one" in names and "two" not in names  # the broken migration left nothing behind
    (schema / "002_broken.sql").write_text("create table two (x integer);")
    with Store.open(path, migrate=False) as store:
        assert store.migrate() == ["002_broken"]


def test_the_sample_is_marked_and_migrated(sample_ro_store):
    from kpi.core.store import get_info

    info = get_info(sample_ro_store)
    assert (info["is_sample"], info["council_code"]) == ("true", COUNCIL_CODE)
    versions = sample_ro_store.query("select version from schema_migrations order by version")["version"]
    assert versions.to_list() == sorted(
        int(f.name[:3]) for f in (SQL_DIR / "schema").glob("[0-9][0-9][0-9]_*.sql")
    )


def test_duckdb_lock_errors_become_database_busy(held_database):
    with pytest.raises(DatabaseBusy) as raised:
        Store.open(held_database)
    assert str(raised.value) == BUSY_MESSAGE
    assert isinstance(raised.value.__cause__, duckdb.Error)
