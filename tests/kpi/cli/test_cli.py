"""The ``hcp`` command as a whole (kpi/cli/__init__.py): ``python -m kpi`` runs it.

Commands run in-process through :func:`kpi.cli.main` (output captured with ``capsys``); the database is a copy of
the sample, or a fresh one in ``tmp_path``.
"""

import subprocess
import sys

from kpi.core import periods as periods


def test_python_m_kpi_runs_the_cli():

    completed = subprocess.run(
        [sys.executable, "-m", "kpi", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0
    assert "usage: hcp" in completed.stdout
