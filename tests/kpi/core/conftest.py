"""Fixtures shared by the backup tests (test_backup.py, test_backup_restore.py)."""

import signal
import subprocess
import sys
import textwrap

import pytest

from kpi.core.store import ROOT

HOLDER = textwrap.dedent(
    """
    import sys, time
    from kpi.core.store import Store

    store = Store.open(sys.argv[1])
    print("HOLDING", flush=True)
    time.sleep(60)
    """
)


@pytest.fixture
def held(sample_db_copy):
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(sample_db_copy)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("HOLDING"), process.stderr.read()
        yield sample_db_copy
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()
