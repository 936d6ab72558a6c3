"""The benchmark harness (bench/): its synthetic returns are valid returns, and its orchestrator's helpers work.

Speed is measured by ``make bench``, never asserted here (docs/performance.md); these tests only keep the
harness honest as the loaders change: the data it loads must pass the same checks a real return does.
"""

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bench import national
from bench.__main__ import _external_command, _last_json, machine
from kpi.access.principal import LOCAL_USER, local_principal

COUNCILS = ["E08000009", "E06000001"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    lookup = pl.read_parquet(national.LOOKUP)
    localities = national.make_localities(lookup, COUNCILS)
    rows = national.make_return_rows(localities, np.random.default_rng(national.SEED))
    folder = tmp_path_factory.mktemp("bench")
    files = national.write_returns(rows, folder / "returns")
    for (lad,), part in localities.partition_by("lad_code", as_dict=True).items():
        part.select("lsoa_code", "locality_code", "locality_name").write_csv(folder / f"{lad}_localities.csv")
    return folder, localities, rows, files


def test_every_council_gets_localities_of_its_own_lsoas(generated):
    _, localities, _, _ = generated
    counts = localities.group_by("lad_code").agg(pl.col("locality_code").n_unique().alias("n"))
    assert set(counts["lad_code"]) == set(COUNCILS)
    assert counts["n"].min() >= 2 and counts["n"].max() <= 8
    assert localities["lsoa_code"].is_unique().all()


def test_the_synthetic_returns_pass_the_real_checks(generated, tmp_path, monkeypatch):
    from kpi.contract.targets import set_setting
    from kpi.core import deprivation
    from kpi.core.councils import add_provider, init_council, load_localities
    from kpi.core.store import Store
    from kpi.returns.load import CHECKED, load_return

    monkeypatch.setenv("HCP_TODAY", national.TODAY)
    folder, _, rows, files = generated
    assert files.height == len(COUNCILS) * national.N_QUARTERS
    assert set(rows["kpi_code"]) == set(national.LOCALITY_DECILE_KPIS) | {
        "SN1",
        "SN2",
        "FNP1",
        "FNP2",
        "HVVAC",
    }
    with Store.open(tmp_path / "bench.duckdb") as store:
        for code in COUNCILS:
            init_council(store, code, principal=local_principal("test"))
            add_provider(
                store, code, national.PROVIDER, "Benchmark provider", "contract", principal=LOCAL_USER
            )
            # as bench/steps.py's step_init: the synthetic returns are on IoD2019 deciles in every quarter
            set_setting(
                store,
                code,
                deprivation.QUARTER_SETTING,
                national.RETURNS_ON_IOD2019_UNTIL,
                principal=local_principal("test"),
            )
            lookup = folder / f"{code}_localities.csv"
            assert load_localities(
                store, code, lookup.read_bytes(), lookup.name, principal=local_principal("test")
            ).ok
        for row in files.filter(pl.col("period").is_in(national.quarters()[-2:])).iter_rows(named=True):
            result = load_return(
                store,
                Path(row["path"]).read_bytes(),
                Path(row["path"]).name,
                council_code=row["lad_code"],
                provider_code=national.PROVIDER,
                principal=local_principal("test"),
                check_only=True,
                accept_warnings=True,
                reason="benchmark",
            )
            assert result.outcome == CHECKED and result.report.ok, result.report.to_text()[:1500]


def test_the_orchestrator_reads_other_scripts_output_and_passes_only_options_they_take(tmp_path):
    assert _last_json('table\n{"a": 1}\n') == {"a": 1}
    assert _last_json('{"b": 2}') == {"b": 2}
    assert _last_json("no json here") is None
    script = tmp_path / "pack_bench.py"
    script.write_text('parser.add_argument("--json")\n')
    command = _external_command("pack", script)
    assert command[-1] == "--json" and "--work" not in command
    facts = machine()
    assert facts["cores"] >= 1 and facts["python"] and "duckdb" in facts["packages"]
    json.dumps(facts)
