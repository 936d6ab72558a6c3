"""Comparator groups (kpi/outcomes/peers.py): the reference groups, a council's own list, the chosen groups.

Expected members come from DfE's published statistical neighbours (May 2025; reference/README.md), not from
our output: Trafford's ten, closest first, as DfE lists them.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from kpi.access.principal import local_principal
from kpi.access.rules import AccessDenied
from kpi.contract.targets import set_setting
from kpi.core.councils import init_council
from kpi.core.store import Store
from kpi.outcomes import peers

WHO = local_principal("test")
TRAFFORD = "E08000009"
#: DfE Children's Services Statistical Neighbours, May 2025: Trafford (358), ranks 1-10.
TRAFFORD_DFE = [
    ("E10000015", "Hertfordshire"),
    ("E08000007", "Stockport"),
    ("E06000060", "Buckinghamshire"),
    ("E10000025", "Oxfordshire"),
    ("E10000030", "Surrey"),
    ("E09000006", "Bromley"),
    ("E06000049", "Cheshire East"),
    ("E10000003", "Cambridgeshire"),
    ("E10000013", "Gloucestershire"),
    ("E08000029", "Solihull"),
]


@pytest.fixture()
def store(hcp_today) -> Store:
    store = Store.open(":memory:")
    init_council(store, TRAFFORD, principal=WHO)
    peers.ensure_reference_groups(store, TRAFFORD, principal=WHO)
    return store


def members(store: Store, code: str, as_at: datetime | None = None) -> list[tuple]:
    groups = peers.comparator_groups(store, TRAFFORD, as_at, principal=WHO)
    return groups.filter(pl.col("group_code") == code).select("member_code", "member_name").rows()


def test_the_real_statistical_neighbour_file_gives_trafford_dfe_s_ten_in_dfe_s_order(store):
    assert members(store, "dfe-sn") == TRAFFORD_DFE
    groups = peers.comparator_groups(store, TRAFFORD, principal=WHO)
    dfe = groups.filter(pl.col("group_code") == "dfe-sn")
    assert dfe["member_rank"].to_list() == list(range(1, 11))
    assert dfe["group_name"].unique().to_list() == ["DfE statistical neighbours (May 2025)"]
    assert dfe["closeness"].to_list()[:2] == ["Very close", "Very close"]


def test_the_nhse_peer_group_holds_trafford_s_fifteen_unordered(store):
    found = members(store, "nhse-peers")
    assert len(found) == 15
    assert ("E08000007", "Stockport") in found and ("E09000029", "Sutton") in found


def test_reference_groups_are_copied_once_and_dated(store):
    assert peers.ensure_reference_groups(store, TRAFFORD, principal=WHO) == []
    assert store.query("select count(*) from comparator_group_loads").item() == 2
    groups = peers.comparator_groups(store, TRAFFORD, principal=WHO)
    dated = dict(groups.select("group_code", "valid_from").unique().rows())
    assert dated == {"dfe-sn": date(2025, 5, 1), "nhse-peers": date(2024, 5, 1)}


def test_an_upper_tier_list_of_153_councils():
    las = peers.upper_tier_las()
    assert las.height == 153 and las["area_code"].n_unique() == 153
    assert las.filter(pl.col("area_code") == TRAFFORD)["dfe_la_number"].item() == "358"


def test_a_council_s_own_list_loads_in_one_transaction_and_is_audited(store):
    data = b"area_code,rank\nE08000007,2\ne10000015,1\n"
    result = peers.load_peers(
        store, data, "cipfa.csv", council_code=TRAFFORD, group_name="CIPFA 2025", principal=WHO
    )
    assert result.outcome == "written"
    assert "loaded as 'cipfa-2025'" in result.message
    assert members(store, "cipfa-2025") == [("E10000015", "Hertfordshire"), ("E08000007", "Stockport")]
    audit = store.query("select action from audit_log where action = 'comparator group loaded'")
    assert audit.height == 1
    again = peers.load_peers(
        store, data, "cipfa.csv", council_code=TRAFFORD, group_name="CIPFA 2025", principal=WHO
    )
    assert again.outcome == "duplicate"
    newer = peers.load_peers(
        store,
        b"area_code\nE08000002\n",
        "cipfa2.csv",
        council_code=TRAFFORD,
        group_name="CIPFA 2025",
        principal=WHO,
    )
    assert newer.outcome == "written"
    assert members(store, "cipfa-2025") == [("E08000002", "Bury")]
    kept = store.query("select count(*) from comparator_group_loads where group_code = 'cipfa-2025'").item()
    assert kept == 2  # the older list stays in history


def test_every_problem_of_a_bad_list_at_once_and_nothing_written(store):
    data = b"area_code,rank\nE08000007,1\nE08000009,2\nXX1,x\nE08000007,1\nE06000036,\n"
    before = store.query("select count(*) from comparator_group_loads").item()
    result = peers.load_peers(store, data, "bad.csv", council_code=TRAFFORD, group_name=" ", principal=WHO)
    assert result.outcome == "rejected"
    checks = set(result.report.problems["check"].to_list())
    assert checks == {
        "blank_name",
        "unknown_council",
        "own_council",
        "duplicate_council",
        "bad_rank",
        "duplicate_rank",
        "partial_rank",
    }
    messages = result.report.problems["message"].to_list()
    assert "E08000009 is the council itself: a comparator group lists the other councils" in messages
    assert "this row has no rank while others have one: rank every council or none" in messages
    assert store.query("select count(*) from comparator_group_loads").item() == before


def test_a_file_without_area_code_is_refused_by_name(store):
    result = peers.load_peers(
        store, b"code\nE08000007\n", "x.csv", council_code=TRAFFORD, group_name="X", principal=WHO
    )
    assert result.report.problems["message"].to_list() == [
        "the column 'area_code' is missing: the header must include area_code (area_name and rank are optional)"
    ]


def test_valid_from_dates_a_list(store):
    peers.load_peers(
        store,
        b"area_code\nE08000007\n",
        "x.csv",
        council_code=TRAFFORD,
        group_name="Later",
        principal=WHO,
        valid_from=date(2027, 1, 1),
    )
    assert members(store, "later") == []
    assert members(store, "later", datetime(2027, 1, 2)) == [("E08000007", "Stockport")]


def test_the_chosen_groups_follow_the_setting(store):
    assert peers.chosen_group_codes(store, TRAFFORD) == ["dfe-sn", "nhse-peers"]
    set_setting(store, TRAFFORD, "comparator_groups", " CIPFA-2025 , dfe-sn,dfe-sn", principal=WHO)
    assert peers.chosen_group_codes(store, TRAFFORD) == ["cipfa-2025", "dfe-sn"]


def test_reading_groups_checks_the_caller(store):
    with pytest.raises(AccessDenied):
        peers.comparator_groups(store, TRAFFORD, principal=None)


def test_barnsley_and_sheffield_on_ons_2025_codes_are_read_as_the_reference_s_2024_codes(store):
    # reference/README.md: ONS 2025 recodes Barnsley E08000016 -> E08000038 and Sheffield E08000019 -> E08000039
    data = b"area_code\nE08000038\nE08000039\n"
    result = peers.load_peers(
        store, data, "x.csv", council_code=TRAFFORD, group_name="Yorkshire", principal=WHO
    )
    assert result.outcome == "written"
    assert members(store, "yorkshire") == [("E08000016", "Barnsley"), ("E08000019", "Sheffield")]
