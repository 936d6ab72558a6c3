"""The Overview's exceptions board, hand-checked against the sample's 2026-27 Q2 return (sample_data)."""

from __future__ import annotations

import polars as pl
import pytest

from kpi.access.principal import Principal, local_principal
from kpi.contract import exceptions_board as board
from kpi.contract import narratives
from kpi.contract import values as overview
from kpi.core.store import Store

COUNCIL, PERIOD = "E08000009", "2026-27 Q2"


@pytest.fixture(scope="module")
def sample(sample_db_path):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", "2026-11-23")
        store = Store.open(sample_db_path, read_only=True)
        who = local_principal("test")
        values = overview.kpi_values(store, COUNCIL, principal=who)
        bench = overview.benchmarks(store, COUNCIL)
        names = overview.locality_names(store, COUNCIL)
        yield store, who, values, bench, names
        store.close()


def _board(sample, who: Principal | None = None) -> pl.DataFrame:
    store, local, values, bench, names = sample
    explained = narratives.explanations(store, COUNCIL, PERIOD, values, principal=who or local)
    return board.exceptions_board(values, bench, PERIOD, names, explained)


def test_north_c2_is_red_and_explained_by_the_return_comment(sample):
    frame = _board(sample)
    north = frame.filter(pl.col("kpi_code") == "C2", pl.col("locality_code") == "NORTH").row(0, named=True)
    # the return: 153 of 190 North births visited within 14 days = 80.5%; target 90%, the default
    assert north["rag"] == "red" and north["rag_label"] == "■ Red"
    assert north["place"] == "North"
    assert north["against"] == "80.5% against 90% (default target, never changed)"
    assert north["change_text"] == "↓ down 1.6 points since last quarter"
    assert north["variation"] == "Common cause"
    assert north["england"] == "not compared: England figure out of date (2024-25)"
    assert north["explanation"].startswith("North team 3.0 WTE vacant")
    assert north["explanation_source"] == narratives.SOURCE_COMMENT
    assert north["link"] == "/mandated-contacts?kpi=C2&period=2026-27+Q2"


def test_red_lines_come_before_amber_and_no_green(sample):
    frame = _board(sample)
    rags = frame["rag"].to_list()
    assert set(rags) == {"red", "amber"}
    assert rags == sorted(rags, key=("red", "amber").index)
    # every red and amber borough/locality cell of the period is on the board, once
    cells = sample[2].filter(
        pl.col("period") == PERIOD,
        pl.col("level").is_in(["borough", "locality"]),
        pl.col("rag").is_in(["red", "amber"]),
    )
    # 12 cells of the returned KPIs, and 5 of A3 (antenatal reviews by a SCPHN in the home, derived from the sample's
    # child-level records loaded on 21 November, against DHSC's 98%: red in the borough (94.1%), NORTH and WEST,
    # amber in CENTRAL and SOUTH), the borough's red A3 first
    assert frame.height == cells.height == 17
    assert frame.filter(pl.col("place") == "Borough")["kpi_code"].to_list() == ["A3", "C8i", "C8ii", "C6i"]


def test_an_agreed_narrative_wins_over_the_return_comment(sample_store):
    who = local_principal("test")
    narratives.save_narrative(
        sample_store,
        who,
        COUNCIL,
        provider_code="ZZ1",
        kpi_code="C2",
        period=PERIOD,
        locality_code="NORTH",
        explanation="Two health visitors started in November.",
        remedial_action="Weekly caseload review",
        owner="North team lead",
        due_date="2027-01-31",
    )
    values = overview.kpi_values(sample_store, COUNCIL, principal=who)
    first = narratives.explanations(sample_store, COUNCIL, PERIOD, values, principal=who)
    row = first.filter(pl.col("kpi_code") == "C2", pl.col("locality_code") == "NORTH").row(0, named=True)
    assert row["explanation"] == "Two health visitors started in November."
    assert row["explanation_source"] == narratives.SOURCE_AWAITING
    narratives.agree_narrative(
        sample_store, who, COUNCIL, provider_code="ZZ1", kpi_code="C2", period=PERIOD, locality_code="NORTH"
    )
    viewer = Principal("scrutiny@council.gov.uk", "viewer")
    agreed = narratives.explanations(sample_store, COUNCIL, PERIOD, values, principal=viewer)
    row = agreed.filter(pl.col("kpi_code") == "C2", pl.col("locality_code") == "NORTH").row(0, named=True)
    assert row["explanation_source"] == narratives.SOURCE_AGREED


def test_words_for_targets_changes_and_england():
    assert overview.target_text(90.0, "2024-25 Q1") == "90% (target from 2024-25 Q1)"
    assert overview.target_text(None, None) == "no target"
    assert board.change_text(0.2, "high") == "→ level with last quarter"
    assert board.change_text(None, "high") == "no previous quarter"
    assert board.england_text({"england_pct": None}) == "not compared: no England figure"
    stale = {"england_pct": 60.0, "england_current": False, "england_period": "2017-18 Q1"}
    assert board.england_text(stale) == "not compared: England figure out of date (2017-18 Q1)"
