"""Health visiting records: a hand-made extract loads through the real loader and its KPIs match hand counts."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from kpi.access.principal import Principal, local_principal
from kpi.access.rules import AccessDenied
from kpi.core.councils import add_provider
from kpi.hvrecords.load import load_hv_records
from kpi.ingest.pipeline import REJECTED, WRITTEN
from tests.kpi.hvrecords.fixture import C2_CELLS, EXPECTED, extract
from tests.sql.given import COUNCIL, council_with_localities

WHO = local_principal("test")


@pytest.fixture()
def store():
    store = council_with_localities([(1, "NORTH"), (5, "SOUTH")])
    add_provider(store, COUNCIL, "ZZ1", "Sample Trust", "HCP", principal=WHO)
    add_provider(store, COUNCIL, "ZZ2", "Other Trust", "HCP", principal=WHO)
    yield store
    store.close()


def _lsoas(store) -> dict[str, str]:
    frame = store.query("select locality_code, min(lsoa_code) as lsoa from locality_lsoas group by 1")
    return dict(frame.iter_rows())


def _load(store, data: bytes, **options):
    return load_hv_records(
        store, data, "extract.csv", council_code=COUNCIL, principal=WHO, provider_code="ZZ1", **options
    )


def test_the_derived_kpis_agree_with_the_hand_counts(store):
    result = _load(store, extract(_lsoas(store)))
    assert result.outcome == WRITTEN, result.report.to_text()
    borough = store.query(
        "select period, kpi_code, sum(numerator) as n, sum(denominator) as d from hv_kpi_counts group by all"
    )
    found = {(p, k): (n, d) for p, k, n, d in borough.iter_rows()}
    for key, expected in EXPECTED.items():
        assert found.get(key) == expected, key
    cells = store.query(
        "select locality_code, imd_decile, ethnic_group, numerator, denominator from hv_kpi_counts "
        "where period = '2025-26 Q1' and kpi_code = 'C2'"
    )
    assert {(a, b, c): (n, d) for a, b, c, n, d in cells.iter_rows()} == C2_CELLS


def test_no_identifier_date_of_birth_or_lsoa_is_stored(store):
    lsoas = _lsoas(store)
    data = extract(lsoas)
    assert _load(store, data).outcome == WRITTEN
    children = store.query("select * from hv_children")
    assert children.height == 17  # A to Q: twins twice, the child who died too
    dumped = " ".join(
        str(value)
        for table in ("hv_children", "hv_contacts", "hv_loads", "hv_kpi_counts")
        for value in store.query(f"select * from {table}").rows()
    )
    for secret in (*lsoas.values(), "2025-03-02", "2022-10-15"):
        assert secret not in dumped
    assert set(children["child_key"].str.len_chars()) == {64}
    load = store.query("select * from hv_loads")
    assert "file_bytes" not in load.columns  # the extract itself is never kept
    assert load.select("dropped_columns", "provider_code").row(0) == ("nhsnumber", "ZZ1")
    audit = store.query("select action from audit_log where action like 'health visiting%'")["action"]
    assert audit.to_list() == ["health visiting records loaded"]


def test_each_contact_is_stored_with_its_place_and_a_blank_location_as_not_recorded(store):
    lines = extract(_lsoas(store)).decode().splitlines()
    blanked = [
        lines[0],
        *(line.replace(",A01,", ",,") if i == 2 else line for i, line in enumerate(lines[1:], 1)),
    ]
    assert blanked[2] != lines[2]
    assert _load(store, "\n".join(blanked).encode()).outcome == WRITTEN
    places = store.query("select place, count(*) as n from hv_contacts group by place")
    found = dict(places.iter_rows())
    assert found.get("not recorded") == 1
    assert set(found) <= {"home", "clinic", "gp", "hub", "other", "not recorded"}
    assert found["home"] > 0 and found["hub"] > 0


def test_a_new_load_supersedes_the_providers_previous_one_and_the_same_file_changes_nothing(store):
    data = extract(_lsoas(store))
    first = _load(store, data)
    assert _load(store, data).load_id == first.load_id
    second = _load(store, data.replace(b"\n", b"\r\n"))
    assert second.outcome == WRITTEN and second.superseded_id == first.load_id
    keys = store.query("select load_id, child_key from hv_children order by all")
    by_load = keys.group_by("load_id").agg(pl.col("child_key").sort())
    assert (
        by_load["child_key"][0].to_list() == by_load["child_key"][1].to_list()
    )  # the same key, the same hashes


def test_every_problem_is_reported_at_once_and_nothing_is_written(store):
    lines = extract(_lsoas(store)).decode().splitlines()
    bad = [
        lines[0],
        lines[1].replace("2025-03-02", "31/02/2025"),  # impossible date of birth
        lines[2].replace(",A01,", ",Home,"),  # not a location code
        lines[4].replace(",SCPHN,", ",Nurse,"),  # not a role
        ",2025-01-01" + lines[5][lines[5].index(",", 2) :],  # blank person id
        lines[6].replace("2025-04-10,1,H,", "2025-04-10,1,H,SW1A 1AA"),  # a postcode in the LSOA column
    ]
    result = _load(store, ("\n".join(bad) + "\n").encode())
    assert result.outcome == REJECTED
    errors = result.report.errors
    assert sorted(errors["check"].to_list()) == [
        "bad_date",
        "bad_location",
        "bad_lsoa",
        "bad_role",
        "child_fields_differ",  # child A's date of birth differs between its rows 2 and 3
        "child_fields_differ",
        "missing_person_id",
    ]
    assert errors.filter(pl.col("check") == "child_fields_differ")["row"].to_list() == [2, 3]
    text = result.report.to_text()
    assert "SW1A" not in text and "31/02/2025" not in text
    assert store.query("select count(*) from hv_children").item() == 0


def test_a_provider_loads_only_its_own_extract(store):
    data = extract(_lsoas(store))
    other = Principal("lead@other.nhs.uk", "provider", "ZZ2")
    with pytest.raises(AccessDenied):
        _load_as(store, data, other)
    own = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
    assert _load_as(store, data, own).outcome == WRITTEN


def _load_as(store, data, principal):
    return load_hv_records(
        store, data, "extract.csv", council_code=COUNCIL, principal=principal, provider_code="ZZ1"
    )


def test_the_reconciliation_flags_cells_that_differ_from_the_return_and_counts_the_children(store):
    from kpi.hvrecords.reconcile import flagged_cells, reconciliation
    from tests.sql.given import load_return_lines

    assert _load(store, extract(_lsoas(store))).outcome == WRITTEN
    # the return agrees for NORTH decile 1 (3 of 3 within 14 days), and counts one child too many in SOUTH decile 5
    load_return_lines(
        store, "2025-26 Q1", ["C2,NORTH,1,3,3,", "C2,SOUTH,5,1,2,"], received_at=datetime(2025, 8, 1)
    )
    frame = reconciliation(store, COUNCIL, principal=WHO, provider_code="ZZ1", period="2025-26 Q1")
    cells = {
        (r["locality_code"], r["imd_decile"]): (
            r["derived_numerator"], r["derived_denominator"], r["returned_numerator"], r["returned_denominator"],
            r["flagged"], r["children_behind"],
        )
        for r in frame.iter_rows(named=True)
    }  # fmt: skip
    assert cells == {
        ("NORTH", "1"): (3, 3, 3, 3, False, 0),
        ("SOUTH", "5"): (0, 1, 1, 2, True, 1),  # 0% against 50%
        ("UNKNOWN", "U"): (0, 1, 0, None, True, 1),  # child G: the return has no cell for an unknown LSOA
    }
    assert flagged_cells(frame)["locality_code"].to_list() == ["SOUTH", "UNKNOWN"]
    other = Principal("lead@other.nhs.uk", "provider", "ZZ2")
    assert reconciliation(store, COUNCIL, principal=other).is_empty()  # a provider sees only its own
    with pytest.raises(AccessDenied):
        reconciliation(store, COUNCIL, principal=other, provider_code="ZZ1")


def test_the_pack_has_a_small_section_of_the_cells_that_differ(store):
    from kpi.reports.pack import build_pack
    from tests.sql.given import load_return_lines

    assert _load(store, extract(_lsoas(store))).outcome == WRITTEN
    load_return_lines(
        store, "2025-26 Q1", ["C2,NORTH,1,3,3,", "C2,SOUTH,5,1,2,"], received_at=datetime(2025, 8, 1)
    )
    pack = build_pack(store, "2025-26 Q1", principal=WHO)  # as at now: after the load
    (section,) = [extra for extra in pack.extras if extra.anchor == "hv-reconciliation"]
    table = section.blocks[1]
    assert [row[:3] for row in table.rows] == [["C2", "SOUTH", "5"], ["C2", "UNKNOWN", "U"]]
    shown = [[getattr(cell, "text", cell) for cell in row[3:]] for row in table.rows]
    assert shown == [
        ["0 / 1", "1 / 2", "-50.0", "1"],
        ["0 / 1", "0 / –", "–", "1"],
    ]  # counts of children: whole
    assert "2 of 3 cells of 2025-26 Q1 differ" in section.blocks[0].text


def test_the_annex_a_kpis_are_catalogue_kpis_with_targets_and_rag(store):
    assert _load(store, extract(_lsoas(store))).outcome == WRITTEN
    values = store.run_sql(
        "marts/mart_kpi_values",
        council_code=COUNCIL,
        as_at=datetime(2026, 11, 23, 23, 59),  # after the load, whatever the time of day it ran
        first_period_index=8000,
        last_period_index=8110,
    )
    a3 = values.filter(pl.col("kpi_code") == "A3", pl.col("level") == "borough")
    assert a3.select("period", "numerator", "denominator", "target_pct").rows() == [
        ("2024-25 Q4", 1.0, 1.0, 98.0)
    ]
    hvl = values.filter(
        pl.col("kpi_code") == "HVL", pl.col("level") == "locality_decile", pl.col("period") == "2022-23 Q3"
    )
    assert hvl.select(pl.col("numerator").sum(), pl.col("denominator").sum()).row(0) == (1.0, 4.0)


def test_a_kpi_by_ethnic_group_and_as_a_public_table_shows_it(store):
    from kpi.hvrecords.views import ethnic_breakdown
    from kpi.reports.extras import public_ethnic_rows

    assert _load(store, extract(_lsoas(store))).outcome == WRITTEN
    frame = ethnic_breakdown(store, COUNCIL, "C2", "2025-26 Q1", principal=WHO)
    assert frame.select("ethnic_group", "numerator", "denominator").rows() == [
        ("White", 1.0, 1.0),  # A
        ("Mixed", 0.0, 0.0),
        ("Asian or Asian British", 2.0, 2.0),  # the twins D and E
        ("Black or Black British", 0.0, 0.0),
        ("Any other ethnic group", 0.0, 0.0),
        ("Not stated", 0.0, 2.0),  # B (Z) and G (blank)
    ]
    public = public_ethnic_rows(frame)
    assert [row[1:3] for row in public] == [
        ["*", "*"],
        ["0", "0"],
        ["*", "*"],
        ["0", "0"],
        ["0", "0"],
        ["0", "*"],
        ["*", "*"],
    ]
    other = Principal("lead@other.nhs.uk", "provider", "ZZ2")
    assert ethnic_breakdown(store, COUNCIL, "C2", "2025-26 Q1", principal=other)["denominator"].sum() == 0
