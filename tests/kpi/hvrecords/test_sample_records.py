"""The sample's synthetic health visiting records: made by a seeded script, and consistent with the Q2 return but
for the one planted disagreement (sample_data/hv_records/generate_hv_records.py)."""

from __future__ import annotations

import importlib.util

import polars as pl

from kpi.access.principal import local_principal
from kpi.hvrecords.load import load_hv_records
from kpi.hvrecords.reconcile import flagged_cells, reconciliation
from kpi.ingest.pipeline import WRITTEN
from kpi.sample import COUNCIL_CODE, HV_RECORDS_FILE, HV_RECORDS_TABLES, PROVIDER_CODE

WHO = local_principal("test")


def test_the_generator_rewrites_the_same_file():
    spec = importlib.util.spec_from_file_location(
        "generate_hv_records", HV_RECORDS_FILE.parent / "generate_hv_records.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.generate() == HV_RECORDS_FILE.read_bytes()
    tables = module.generate_tables()
    assert sorted(tables) == sorted(path.name for path in HV_RECORDS_TABLES.iterdir())
    for name, data in tables.items():
        assert data == (HV_RECORDS_TABLES / name).read_bytes(), name


def test_the_sample_tables_derive_the_same_figures_as_the_joined_extract(sample_store):
    counts = "select * exclude (load_id) from hv_kpi_counts where load_id = ? order by all"
    store = sample_store
    joined = store.query("select max(load_id) as id from hv_loads")["id"][0]
    before = store.query(counts, [joined])
    parts = [(path.name, path.read_bytes()) for path in sorted(HV_RECORDS_TABLES.iterdir())]
    result = load_hv_records(
        store,
        b"".join(data for _, data in parts),
        " + ".join(name for name, _ in parts),
        council_code=COUNCIL_CODE,
        principal=WHO,
        provider_code=PROVIDER_CODE,
        parts=parts,
    )
    assert result.outcome == WRITTEN, result.report.to_text()
    assert result.load_id != joined
    assert store.query(counts, [result.load_id]).equals(before)


def test_the_sample_agrees_with_the_q2_return_but_for_the_planted_cells(sample_ro_store):
    frame = reconciliation(sample_ro_store, COUNCIL_CODE, principal=WHO, period="2026-27 Q2")
    assert frame.height > 500  # every locality x decile cell of C1-C6viii
    flagged = flagged_cells(frame).select(
        "kpi_code",
        "locality_code",
        "imd_decile",
        "derived_numerator",
        "returned_numerator",
        "children_behind",
    )
    assert flagged.rows() == [("C2", "WEST", "3", 20.0, 22.0, 2), ("C3", "WEST", "3", 4.0, 2.0, 2)]
    assert flagged_cells(frame).select("derived", "returned").rows() == [
        ("20 / 24", "22 / 24"),
        ("4 / 24", "2 / 24"),
    ]
    assert frame.filter(pl.col("numerator_difference") != 0).height == 2
    assert frame.filter(pl.col("denominator_difference") != 0).is_empty()


def test_the_sample_shows_the_ethnic_groups_and_the_annex_a_kpis(sample_ro_store):
    groups = sample_ro_store.query(
        "select distinct ethnic_group from hv_kpi_counts where period = '2026-27 Q2' order by 1"
    )["ethnic_group"].to_list()
    assert groups == [
        "Any other ethnic group",
        "Asian or Asian British",
        "Black or Black British",
        "Mixed",
        "Not stated",
        "White",
    ]
    values = sample_ro_store.query(
        "select kpi_code from hv_kpi_counts where period = '2026-27 Q2' and kpi_code in ('A1', 'A2', 'A3', 'A4') "
        "group by 1 order by 1"
    )["kpi_code"].to_list()
    assert values == ["A1", "A2", "A3", "A4"]
