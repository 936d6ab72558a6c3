"""More faults against the real store (issue 9; the SIGKILL-mid-load and busy tests are in test_store_faults.py).

* The app restarted mid-upload loses nothing it acknowledged: a process holding the store (as the dashboard does)
  loads returns one after another and prints each submission id once ``load_return`` has returned; it is killed
  with SIGKILL at random moments and started again on the same file; every acknowledged submission is there, whole,
  with its archived file.
* A full disk (the write limited with ``RLIMIT_FSIZE``) and a read-only database file give a clear message and exit
  status 2, never a traceback, and change nothing.
"""

import hashlib
import os
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from kpi.access.principal import local_principal
from kpi.core.store import ROOT, Store, StoreError
from kpi.sample import COUNCIL_CODE, PROVIDER_CODE, SAMPLE_DIR

SAMPLE_Q2_RETURN = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"
TODAY = "2026-11-23"

#: The app's part in an upload: hold the store, load, and acknowledge (print) only after load_return returned.
UPLOADER = textwrap.dedent(
    """
    import hashlib, sys
    from kpi.core.store import Store
    from kpi.access.principal import local_principal
    from kpi.returns.load import load_return

    db, source, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store.open(db)
    base = open(source, "rb").read()
    print("READY", flush=True)
    number = start
    while True:
        number += 1
        data = base + b"\\n" * number  # a new file each time (a blank line more), the same rows
        result = load_return(store, data, f"upload_{{number}}.csv", council_code="{council}",
                             provider_code="{provider}", principal=local_principal("portal"), source="portal")
        if result.outcome == "written":
            print("ACK", result.submission_id, hashlib.sha256(data).hexdigest(), flush=True)
    """
).format(council=COUNCIL_CODE, provider=PROVIDER_CODE)

#: Run ``hcp`` with a file-size limit (a full disk), SIGXFSZ ignored so that the write fails with EFBIG instead.
LIMITED = textwrap.dedent(
    """
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from kpi import cli
    sys.exit(cli.main(sys.argv[2:]))
    """
)

#: Run ``hcp`` as a user who may not write the file. Root writes any file whatever its mode, so it steps down to
#: ``nobody``, keeping one capability, CAP_DAC_READ_SEARCH: it may still read and search every folder (the checkout,
#: the interpreter, the sample return may sit in a 0700 home or ``mktemp -d`` folder), but writes are checked
#: against the file's mode like any user's (capabilities(7)).
UNPRIVILEGED = textwrap.dedent(
    """
    import ctypes, os, sys
    import kpi.cli  # imported before stepping down
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_KEEPCAPS, CAP_DAC_READ_SEARCH, VERSION_3 = 8, 2, 0x20080522
        assert libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "prctl(PR_SET_KEEPCAPS) failed"
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
        header = (ctypes.c_uint32 * 2)(VERSION_3, 0)
        data = (ctypes.c_uint32 * 6)(1 << CAP_DAC_READ_SEARCH, 1 << CAP_DAC_READ_SEARCH, 0, 0, 0, 0)
        assert libc.capset(header, data) == 0, f"capset failed: errno {ctypes.get_errno()}"
    assert not os.access(sys.argv[2], os.W_OK), "the database file should not be writable here"
    sys.exit(kpi.cli.main(sys.argv[1:]))
    """
)


def _env():
    return dict(os.environ, HCP_TODAY=TODAY, PYTHONUNBUFFERED="1")


class _Reader(threading.Thread):
    """Collect a process's stdout lines as they come."""

    def __init__(self, process):
        super().__init__(daemon=True)
        self.process, self.lines, self.ready = process, [], threading.Event()

    def run(self):
        for line in self.process.stdout:
            self.lines.append(line.strip())
            if line.startswith("READY"):
                self.ready.set()


def _kill(process):
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_an_app_restarted_mid_upload_loses_nothing_it_acknowledged(sample_db_copy):
    chooser = random.Random(9)
    acknowledged: dict[int, str] = {}
    next_number = 0
    for delay in [chooser.uniform(0.05, 0.8) for _ in range(3)]:
        process = subprocess.Popen(
            [sys.executable, "-c", UPLOADER, str(sample_db_copy), str(SAMPLE_Q2_RETURN), str(next_number)],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        reader = _Reader(process)
        reader.start()
        try:
            assert reader.ready.wait(60), process.stderr.read() if process.poll() is not None else "no READY"
            deadline = time.monotonic() + 60
            while not any(line.startswith("ACK") for line in reader.lines) and time.monotonic() < deadline:
                time.sleep(
                    0.02
                )  # at least one upload acknowledged in each run, then a kill at a random moment
            time.sleep(delay)
        finally:
            _kill(process)  # the app dies mid-upload: SIGKILL, no clean-up
            reader.join(timeout=30)
            process.stdout.close()
            process.stderr.close()
        assert process.returncode == -signal.SIGKILL
        for line in reader.lines:
            if line.startswith("ACK"):
                _, sid, digest = line.split()
                acknowledged[int(sid)] = digest
        next_number += 1000  # the restarted app uploads files none of the earlier runs did

        # restarted: every acknowledged submission is there, whole, with the file it acknowledged
        with Store.open(sample_db_copy) as store:
            rows = store.query(
                "select s.submission_id, s.row_count, s.file_sha256, s.file_bytes, "
                "(select count(*) from return_rows r where r.submission_id = s.submission_id) as stored_rows, "
                "(select count(*) from submission_events e where e.submission_id = s.submission_id) as events "
                "from submissions s"
            )
            current = store.query(
                "select count(*) from submissions where period = '2026-27 Q2' and superseded_at is null"
            ).item()
        found = {row["submission_id"]: row for row in rows.iter_rows(named=True)}
        for sid, digest in acknowledged.items():
            assert sid in found, f"acknowledged submission {sid} was lost"
            row = found[sid]
            assert row["file_sha256"] == digest
            assert hashlib.sha256(row["file_bytes"]).hexdigest() == digest
            assert row["stored_rows"] == row["row_count"] > 0 and row["events"] == 1
        partial = [r for r in found.values() if r["stored_rows"] != r["row_count"]]
        assert partial == [] and current == 1
    assert len(acknowledged) >= 3, "too few uploads were acknowledged before the kills to test anything"


def _limited_cli(limit: int, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", LIMITED, str(limit), *arguments],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _new_return(tmp_path: Path) -> Path:
    path = tmp_path / "resubmitted.csv"
    path.write_bytes(SAMPLE_Q2_RETURN.read_bytes() + b"\n")
    return path


def test_a_full_disk_stops_a_load_with_a_clear_message_and_changes_nothing(
    sample_db_copy, tmp_path, table_counts
):
    with Store.open(sample_db_copy, read_only=True) as store:
        before = table_counts(store)
    completed = _limited_cli(
        64 * 1024,
        "--db",
        str(sample_db_copy),
        "load",
        "mandated-contacts",
        str(_new_return(tmp_path)),
        "--provider",
        PROVIDER_CODE,
    )
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert (
        completed.stderr.strip()
        == f"the disk holding {sample_db_copy} is full: free some space and try again"
    )
    assert "Traceback" not in completed.stdout + completed.stderr
    with Store.open(sample_db_copy) as store:  # the next start replays what is whole and drops the rest
        assert table_counts(store) == before
    # and with space again, the same load goes through
    assert (
        _limited_cli(
            resource.RLIM_INFINITY,
            "--db",
            str(sample_db_copy),
            "load",
            "mandated-contacts",
            str(_new_return(tmp_path)),
            "--provider",
            PROVIDER_CODE,
        ).returncode
        == 0
    )


def test_a_full_disk_stops_a_backup_with_a_clear_message(sample_db_copy, tmp_path):
    target = tmp_path / "backup"
    completed = _limited_cli(1024 * 1024, "--db", str(sample_db_copy), "backup", str(target))
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "is full: free some space and try again" in completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert not (target / "manifest.json").exists()
    assert not list(target.glob("hcp.duckdb*")), "a partial snapshot was left behind"


def test_a_store_opened_read_only_refuses_writes_with_a_clear_message(
    sample_db_copy, hcp_today, table_counts
):
    from kpi.contract.targets import set_target
    from kpi.returns.load import load_return

    os.chmod(sample_db_copy, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # 0o444 (root may still write it)
    with Store.open(sample_db_copy, read_only=True) as store:
        before = table_counts(store)
        message = "this database is open read-only: writes are made by the dashboard or a stopped app"
        with pytest.raises(StoreError, match=message):
            load_return(
                store,
                _new_return(sample_db_copy.parent).read_bytes(),
                "return.csv",
                council_code=COUNCIL_CODE,
                provider_code=PROVIDER_CODE,
                principal=local_principal("test"),
            )
        with pytest.raises(StoreError, match=message):
            set_target(
                store,
                COUNCIL_CODE,
                "C2",
                target_pct=95,
                amber_margin_pct=5,
                effective_from="2026-27 Q1",
                principal=local_principal("test"),
                reason="test",
            )
        assert table_counts(store) == before


@pytest.fixture
def read_only_database(sample_db_path):
    """A copy of the sample, file 0o444 in a folder 0o555 that every user can reach (outside /tmp/pytest-of-*)."""
    folder = Path(tempfile.mkdtemp(prefix="hcp-read-only-"))
    path = folder / "hcp.duckdb"
    shutil.copyfile(sample_db_path, path)
    os.chmod(path, 0o444)
    os.chmod(folder, 0o555)
    try:
        yield path
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)


@pytest.mark.parametrize(
    "arguments",
    [
        ["load", "mandated-contacts", str(SAMPLE_Q2_RETURN), "--provider", PROVIDER_CODE],
        ["targets", "set", "C2", "--target", "92", "--from", "2026-27 Q1"],
        ["settings", "set", "movement_warn_points", "10"],
    ],
    ids=lambda arguments: " ".join(arguments[:2]),
)
def test_a_read_only_database_file_gives_a_clear_message(read_only_database, arguments):
    if os.geteuid() == 0 and not hasattr(os, "setuid"):  # pragma: no cover
        pytest.skip("running as root without setuid: a file's mode does not stop root writing")
    before = read_only_database.read_bytes()
    completed = subprocess.run(
        [sys.executable, "-c", UNPRIVILEGED, "--db", str(read_only_database), *arguments],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert completed.stderr.startswith(
        f"the database {read_only_database} cannot be written (read-only file or folder)"
    ), completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert read_only_database.read_bytes() == before
