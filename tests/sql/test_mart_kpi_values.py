"""mart_kpi_values: given returns in, expected rows out (values, Wilson CIs, change, targets, RAG, as-at).

Expected Wilson limits are docs/methods.md section 8's independent figures (PHEindicatormethods), not our output.
"""

from datetime import datetime, timedelta

import polars as pl
import pytest

from kpi.access.principal import LOCAL_USER, local_principal
from kpi.contract.targets import set_target
from kpi.core import periods as periods
from kpi.core.store import Store
from tests.sql.given import council_with_localities, load_return_lines

TOL = 1e-7  # docs/methods.md quotes Wilson limits to 7 decimal places
COUNCIL = "E08000009"


@pytest.fixture()
def store(monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    # Two localities: NORTH holds LSOAs of deciles 1 and 2, CENTRAL of deciles 1 and 10.
    db = council_with_localities([(1, "NORTH"), (2, "NORTH"), (1, "CENTRAL"), (10, "CENTRAL")])
    yield db
    db.close()


def load(store, period, lines, received_at):
    return load_return_lines(store, period, lines, received_at)


def mart(store, as_at=None, first="2025-26 Q1", last="2026-27 Q2"):
    return store.run_sql(
        "marts/mart_kpi_values",
        council_code=COUNCIL,
        as_at=as_at or periods.now(),
        first_period_index=periods.parse_period(first).index,
        last_period_index=periods.parse_period(last).index,
    )


def one(frame, **keys):
    found = frame.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert found.height == 1, f"{keys}: {found.height} rows"
    return found.row(0, named=True)


Q1_ROWS = [
    # NORTH: deciles 1, 2 and U add up to 65/100 (docs/methods.md: 65/100 -> 0.5525444-0.7363575)
    "C2,NORTH,1,40,60,",
    "C2,NORTH,2,20,30,",
    "C2,NORTH,U,5,10,",
    "C2,NORTH,,65,100,",
    # CENTRAL: 980/4900 so the borough is 1045/5000 (docs/methods.md: 0.1979555-0.2204913)
    "C2,CENTRAL,1,490,2450,",
    "C2,CENTRAL,10,489,2441,",
    "C2,CENTRAL,U,1,9,",
    "C2,CENTRAL,,980,4900,",
    "C1,NORTH,,12,,",
    "C1,CENTRAL,,30,,",
    "C6iii,NORTH,,9,10,",
    "C6ii,CENTRAL,,0,0,",
    "HVVAC,ALL,,6.4,58.2,",
]


def test_locality_and_borough_values_with_wilson_limits(store):
    load(store, "2026-27 Q1", Q1_ROWS, datetime(2026, 7, 20))
    frame = mart(store)
    north = one(frame, kpi_code="C2", level="locality", locality_code="NORTH", period="2026-27 Q1")
    assert north["value_pct"] == pytest.approx(65.0, abs=1e-12)
    assert north["lower_ci_pct"] / 100 == pytest.approx(0.5525444, abs=TOL)
    assert north["upper_ci_pct"] / 100 == pytest.approx(0.7363575, abs=TOL)
    borough = one(frame, kpi_code="C2", level="borough", period="2026-27 Q1")
    assert (borough["numerator"], borough["denominator"]) == (1045, 5000)
    assert borough["lower_ci_pct"] / 100 == pytest.approx(0.1979555, abs=TOL)
    assert borough["upper_ci_pct"] / 100 == pytest.approx(0.2204913, abs=TOL)


def test_rag_against_default_target_and_not_rated_reasons(store):
    load(store, "2026-27 Q1", Q1_ROWS, datetime(2026, 7, 20))
    frame = mart(store).filter(pl.col("period") == "2026-27 Q1")
    north = one(frame, kpi_code="C2", level="locality", locality_code="NORTH")
    assert (north["target_pct"], north["amber_margin_pct"], north["rag"]) == (90.0, 5.0, "red")
    small = one(frame, kpi_code="C2", level="locality_decile", locality_code="CENTRAL", imd_decile="U")
    assert small["rag"] == "not rated" and small["not_rated_reason"] == "denominator below 10"
    assert small["is_small_denominator"] is True
    count = one(frame, kpi_code="C1", level="borough")
    assert (count["numerator"], count["value_pct"], count["not_rated_reason"]) == (42, None, "no judgement")
    no_target = one(frame, kpi_code="C6iii", level="locality", locality_code="NORTH")
    assert no_target["not_rated_reason"] == "no target" and no_target["value_pct"] == pytest.approx(90.0)
    empty = one(frame, kpi_code="C6ii", level="locality", locality_code="CENTRAL")
    assert empty["value_pct"] is None and empty["not_rated_reason"] == "no children in the cohort"


def test_low_is_good_ratio_rag_and_no_ci(store):
    load(store, "2026-27 Q1", Q1_ROWS, datetime(2026, 7, 20))
    vacancy = one(mart(store), kpi_code="HVVAC", level="borough", period="2026-27 Q1")
    assert vacancy["value_pct"] == pytest.approx(100 * 6.4 / 58.2)  # 11.0%: target 10, margin 5 -> amber
    assert vacancy["rag"] == "amber"
    assert vacancy["lower_ci_pct"] is None  # WTE ratios are not binomial: no Wilson interval


@pytest.mark.parametrize(
    ("numerator", "expected"),
    [(90, "green"), (85, "amber"), (84, "red")],  # target 90, amber margin 5: the edges are inclusive
)
def test_rag_edges(store, numerator, expected):
    rows = [f"C2,NORTH,,{numerator},100,", "C2,CENTRAL,,90,100,"]
    load(store, "2026-27 Q1", rows, datetime(2026, 7, 20))
    assert one(mart(store), kpi_code="C2", level="locality", locality_code="NORTH")["rag"] == expected


def test_decile_and_quintile_levels_add_up_across_localities(store):
    load(store, "2026-27 Q1", Q1_ROWS, datetime(2026, 7, 20))
    frame = mart(store).filter(pl.col("kpi_code") == "C2")
    decile1 = one(frame, level="borough_decile", imd_decile="1")
    assert (decile1["numerator"], decile1["denominator"]) == (40 + 490, 60 + 2450)
    quintile1 = one(frame, level="borough_quintile", imd_quintile=1)
    assert (quintile1["numerator"], quintile1["denominator"]) == (40 + 20 + 490, 60 + 30 + 2450)
    unknown = one(frame, level="borough_decile", imd_decile="U")
    assert (unknown["numerator"], unknown["denominator"]) == (6, 19)
    assert frame.filter(pl.col("level") == "borough_quintile", pl.col("imd_quintile").is_null()).is_empty()


def test_change_from_previous_period(store):
    load(store, "2026-27 Q1", ["C2,NORTH,,65,100,", "C2,CENTRAL,,90,100,"], datetime(2026, 7, 20))
    load(store, "2026-27 Q2", ["C2,NORTH,,70,100,", "C2,CENTRAL,,90,100,"], datetime(2026, 10, 20))
    frame = mart(store)
    assert one(frame, kpi_code="C2", level="locality", locality_code="NORTH", period="2026-27 Q2")[
        "change_pct"
    ] == pytest.approx(5.0)
    assert (
        one(frame, kpi_code="C2", level="locality", locality_code="NORTH", period="2026-27 Q1")["change_pct"]
        is None
    )


def test_as_at_ignores_a_later_resubmission(store):
    load(store, "2026-27 Q1", ["C2,NORTH,,65,100,", "C2,CENTRAL,,90,100,"], datetime(2026, 7, 20))
    load(store, "2026-27 Q1", ["C2,NORTH,,88,100,", "C2,CENTRAL,,90,100,"], datetime(2026, 8, 3))
    before = mart(store, as_at=datetime(2026, 7, 31))
    after = mart(store, as_at=datetime(2026, 8, 4))
    assert one(before, kpi_code="C2", level="locality", locality_code="NORTH")["numerator"] == 65
    assert one(after, kpi_code="C2", level="locality", locality_code="NORTH")["numerator"] == 88
    assert mart(store, as_at=datetime(2026, 7, 1)).is_empty()  # nothing had arrived yet


def test_target_change_applies_from_its_effective_period_and_as_at(store):
    load(store, "2026-27 Q1", ["C2,NORTH,,65,100,", "C2,CENTRAL,,90,100,"], datetime(2026, 7, 20))
    load(store, "2026-27 Q2", ["C2,NORTH,,65,100,", "C2,CENTRAL,,90,100,"], datetime(2026, 10, 20))
    before_change = periods.now()
    set_target(
        store,
        COUNCIL,
        "C2",
        target_pct=60,
        amber_margin_pct=5,
        effective_from="2026-27 Q2",
        principal=local_principal("test"),
    )
    frame = mart(store)
    q1 = one(frame, kpi_code="C2", level="locality", locality_code="NORTH", period="2026-27 Q1")
    q2 = one(frame, kpi_code="C2", level="locality", locality_code="NORTH", period="2026-27 Q2")
    assert (q1["target_pct"], q1["rag"]) == (90.0, "red")
    assert (q2["target_pct"], q2["rag"]) == (60.0, "green")
    # times have whole-second resolution: ask for a time just before the change was recorded
    earlier = mart(store, as_at=before_change - timedelta(seconds=1))
    q2_then = one(earlier, kpi_code="C2", level="locality", locality_code="NORTH", period="2026-27 Q2")
    assert (q2_then["target_pct"], q2_then["rag"]) == (90.0, "red")


def test_grain_and_numerators_on_the_tiny_council(tiny_values):
    frame, cells = tiny_values
    keys = ["kpi_code", "period", "level", "locality_code", "imd_decile", "imd_quintile"]
    assert frame.select(keys).is_duplicated().sum() == 0
    both = frame.filter(pl.col("denominator").is_not_null())
    assert both.filter(pl.col("numerator") > pl.col("denominator")).is_empty()
    # impossible cells: no locality x decile row where the locality has no LSOA in that decile
    assert frame.filter(
        pl.col("locality_code") == "NORTH", pl.col("imd_decile").is_in(["8", "10"])
    ).is_empty()
    assert frame.filter(pl.col("locality_code") == "SOUTH", pl.col("imd_decile") == "2").is_empty()
    decile_rows = frame.filter(pl.col("level") == "locality_decile", pl.col("imd_decile") != "U")
    possible = {(row["locality_code"], str(row["imd_decile"])) for row in cells.iter_rows(named=True)}
    assert not decile_rows.is_empty()
    assert set(decile_rows.select("locality_code", "imd_decile").iter_rows()) <= possible


@pytest.fixture()
def tiny_values(tiny_council_path):
    from kpi.contract.values import kpi_values
    from kpi.core.councils import locality_cells

    with Store.open(tiny_council_path, read_only=True) as db:
        return kpi_values(db, COUNCIL, principal=LOCAL_USER), locality_cells(db, COUNCIL)
