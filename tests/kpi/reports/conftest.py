"""Fixtures for the meeting pack and briefing tests (the readers are in ``documents.py``).

* ``reports_db``: a module's own copy of the session sample database, with the clock fixed at 2026-11-23;
* ``reports_store``: that copy, open read-write.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kpi.core.store import Store


@pytest.fixture(scope="module")
def reports_db(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """A writable copy of the sample database for one test module, with HCP_TODAY=2026-11-23."""
    target = tmp_path_factory.mktemp("reports") / "hcp.duckdb"
    shutil.copyfile(sample_db_path, target)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", "2026-11-23")
        yield target


@pytest.fixture(scope="module")
def reports_store(reports_db: Path):
    """The module's database, open read-write."""
    store = Store.open(reports_db)
    yield store
    store.close()
