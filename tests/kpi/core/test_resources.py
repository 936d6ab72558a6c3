"""The SQL, configuration and reference lookups ship in the wheel, and the library finds them in a checkout and in
an installed wheel alike (kpi.core.resources.data_dir)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kpi.core.resources import CHECKOUT_ROOT, DATA_DIRS, data_dir

ROOT = Path(__file__).resolve().parents[3]


def shipped(name: str) -> set[str]:
    """The files of a data folder in the checkout, as paths relative to the folder."""
    folder = ROOT / name
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_a_checkout_reads_the_folders_at_its_root():
    assert CHECKOUT_ROOT == ROOT
    for name in DATA_DIRS:
        assert data_dir(name) == ROOT / name and data_dir(name).is_dir()


def test_only_the_shipped_folders_are_found():
    with pytest.raises(
        ValueError, match="'sample_data' is not one of the library's data folders: sql, config"
    ):
        data_dir("sample_data")


def test_the_readers_use_the_locator():
    from kpi.core.catalogue import CONFIG_DIR
    from kpi.core.councils import REFERENCE_DIR
    from kpi.core.store import SQL_DIR

    assert (SQL_DIR, CONFIG_DIR, REFERENCE_DIR) == tuple(data_dir(name) for name in DATA_DIRS)


def _uv() -> list[str]:
    if shutil.which("uv"):
        return [shutil.which("uv")]
    if subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True).returncode == 0:
        return [sys.executable, "-m", "uv"]
    pytest.skip("uv is not installed here, so the wheel cannot be built (make test bootstraps it)")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built offline (no index: the build backend comes from uv's cache)."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [*_uv(), "build", "--wheel", "--offline", "--out-dir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("*.whl")
    return found


def test_the_wheel_carries_the_sql_config_and_reference_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in DATA_DIRS:
        expected = {f"kpi/_data/{name}/{file}" for file in shipped(name)}
        assert expected and expected <= names, sorted(expected - names)
    assert "kpi/_data/sql/marts/mart_kpi_values.sql" in names


def test_an_installed_wheel_finds_its_files_and_builds_a_database(wheel, tmp_path):
    """Unpacked away from the checkout, the library reads its own copies: it migrates a database (sql), reads the
    catalogue (config) and creates a council from the national lookup (reference)."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = f"""
import json, sys
sys.path.insert(0, {str(site)!r})
import kpi
from kpi.access.principal import local_principal
from kpi.core.catalogue import CONFIG_DIR, load_catalogue
from kpi.core.councils import REFERENCE_DIR, init_council
from kpi.core.store import SQL_DIR, Store

with Store.open(":memory:") as store:
    init_council(store, "E08000009", principal=local_principal("test"))
    councils = store.query("select council_code from councils")["council_code"].to_list()
print(json.dumps({{"kpi": kpi.__file__, "dirs": [str(SQL_DIR), str(CONFIG_DIR), str(REFERENCE_DIR)],
    "kpis": len(load_catalogue()), "councils": councils}}))
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(found["kpi"]).is_relative_to(site)
    assert found["dirs"] == [str(site / "kpi" / "_data" / name) for name in DATA_DIRS]
    assert found["kpis"] > 0 and found["councils"] == ["E08000009"]
