"""mart_kpi_rolling_quintiles: given returns in, expected locality x quintile sums over four quarters out.

Expected sums are added up by hand from the rows below; the Wilson limits are docs/methods.md section 8's independent
figures (65/100 -> 0.5525444-0.7363575), not our output.
"""

from datetime import datetime

import polars as pl
import pytest

from kpi.access.principal import local_principal
from kpi.contract.targets import set_setting
from kpi.core import deprivation
from kpi.core import periods as periods
from kpi.inequality import views as inequalities
from tests.sql.given import council_with_localities, load_return_lines

TOL = 1e-7  # docs/methods.md quotes Wilson limits to 7 decimal places
COUNCIL = "E08000009"
QUARTERS = ["2025-26 Q3", "2025-26 Q4", "2026-27 Q1", "2026-27 Q2"]
# NORTH holds an LSOA in deciles 1, 3, 5, 7 and 9 (every quintile); CENTRAL in deciles 1, 2 and 10 (quintiles 1, 5).
LAYOUT = [(d, "NORTH") for d in (1, 3, 5, 7, 9)] + [(d, "CENTRAL") for d in (1, 2, 10)]


@pytest.fixture()
def store(monkeypatch):
    """Every quarter here on one deprivation index (IoD2025 from 2024-25 Q1), so windows never cross a change."""
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    db = council_with_localities(LAYOUT)
    set_setting(db, COUNCIL, deprivation.QUARTER_SETTING, "2024-25 Q1", principal=local_principal("test"))
    yield db
    db.close()


@pytest.fixture()
def default_store(monkeypatch):
    """The default setting: IoD2025 from 2025-26 Q3."""
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    db = council_with_localities(LAYOUT)
    yield db
    db.close()


def load(store, period, lines):
    received = datetime.combine(periods.parse_period(period).end, datetime.min.time()).replace(hour=12)
    return load_return_lines(store, period, lines, received)


def north_rows(base):
    """NORTH C2 rows for deciles 1, 3, 5, 7, 9 (numerator base+decile of denominator 20+decile) plus U."""
    rows = [f"C2,NORTH,{d},{base + d},{20 + d}," for d in (1, 3, 5, 7, 9)]
    return [*rows, "C2,NORTH,U,1,2,"]


def mart(store):
    return store.run_sql("marts/mart_kpi_rolling_quintiles", council_code=COUNCIL, as_at=periods.now())


def one(frame, **keys):
    found = frame.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert found.height == 1, f"{keys}: {found.height} rows"
    return found.row(0, named=True)


def test_four_quarter_sums_per_locality_and_quintile(store):
    for i, quarter in enumerate(QUARTERS):
        load(store, quarter, north_rows(i))
    frame = mart(store).filter(pl.col("kpi_code") == "C2", pl.col("period") == "2026-27 Q2")
    north_q2 = one(frame, locality_code="NORTH", imd_quintile=2)  # decile 3 only
    # numerators 0+3, 1+3, 2+3, 3+3 = 18; denominators 4 x 23 = 92
    assert (north_q2["numerator"], north_q2["denominator"]) == (18, 92)
    assert north_q2["quarters_in_window"] == 4 and north_q2["lsoa_count"] == 1
    assert north_q2["first_period_index"] == periods.parse_period("2025-26 Q3").index
    north_q5 = one(frame, locality_code="NORTH", imd_quintile=5)  # decile 9: 4 x 9 + 0+1+2+3 = 42 of 4 x 29
    assert (north_q5["numerator"], north_q5["denominator"]) == (42, 116)
    assert north_q5["value_pct"] == pytest.approx(100 * 42 / 116)
    # decile U is left out, and a quintile where the locality has no LSOA is still a row, with lsoa_count 0
    central_q3 = one(frame, locality_code="CENTRAL", imd_quintile=3)
    assert central_q3["lsoa_count"] == 0 and central_q3["numerator"] is None
    assert frame.height == 2 * 5


def test_window_stops_at_four_quarters_and_counts_missing_quarters(store):
    load(store, "2025-26 Q2", north_rows(10))  # outside the window ending 2026-27 Q2
    for i, quarter in enumerate(QUARTERS):
        load(store, quarter, north_rows(i))
    frame = mart(store).filter(pl.col("kpi_code") == "C2")
    last = one(frame, period="2026-27 Q2", locality_code="NORTH", imd_quintile=1)
    assert (last["numerator"], last["denominator"]) == (0 + 1 + 2 + 3 + 4 * 1, 4 * 21)
    early = one(frame, period="2025-26 Q4", locality_code="NORTH", imd_quintile=1)
    assert early["quarters_in_window"] == 3  # 2025-26 Q2, Q3, Q4: Q1 has no return
    assert (early["numerator"], early["denominator"]) == (11 + 1 + 2, 3 * 21)


def test_wilson_limits_of_the_summed_counts(store):
    # quintile 1 of NORTH (decile 1) sums to 65/100 over the four quarters
    for quarter, (num, den) in zip(QUARTERS, [(10, 20), (15, 25), (20, 25), (20, 30)], strict=True):
        load(store, quarter, [f"C2,NORTH,1,{num},{den},", *north_rows(0)[1:]])
    row = one(mart(store), kpi_code="C2", period="2026-27 Q2", locality_code="NORTH", imd_quintile=1)
    assert (row["numerator"], row["denominator"]) == (65, 100)
    assert row["lower_ci_pct"] / 100 == pytest.approx(0.5525444, abs=TOL)
    assert row["upper_ci_pct"] / 100 == pytest.approx(0.7363575, abs=TOL)


def test_locality_missing_a_quintile_is_not_rated_with_the_reason(store):
    for i, quarter in enumerate(QUARTERS):
        load(
            store,
            quarter,
            [*north_rows(i), "C2,CENTRAL,1,8,10,", "C2,CENTRAL,2,9,10,", "C2,CENTRAL,10,9,10,"],
        )
    frame = inequalities.locality_quintiles(mart(store), "C2").filter(pl.col("period") == "2026-27 Q2")
    table = inequalities.sii_table(frame, n_quantiles=5, repetitions=1000)
    central = one(table, area_code="CENTRAL")
    assert central["rated"] is False and central["sii_pts"] is None
    reason = central["not_rated_reason"]
    assert "it has no LSOA in national quintile 2 (deciles 3 and 4)" in reason
    assert "quintile 4 (deciles 7 and 8)" in reason
    assert reason.endswith("The SII needs every one of the 5 quintiles.")
    assert one(table, area_code="NORTH")["rated"] is True
    early = inequalities.sii_table(
        inequalities.locality_quintiles(mart(store), "C2").filter(pl.col("period") == "2026-27 Q1"),
        n_quantiles=5,
        repetitions=1000,
    )
    assert (
        "only 3 of the four quarters to 2026-27 Q1 have a return"
        in one(early, area_code="NORTH")["not_rated_reason"]
    )


def test_a_window_counts_only_the_quarters_on_its_last_quarters_index(default_store):
    """2025-26 Q3 is the first quarter on IoD2025: a window across it is not joined (docs/methods.md section 7.1)."""
    load(default_store, "2025-26 Q2", north_rows(10))
    for i, quarter in enumerate(QUARTERS):
        load(default_store, quarter, north_rows(i))
    frame = mart(default_store).filter(pl.col("kpi_code") == "C2", pl.col("locality_code") == "NORTH")
    before = one(frame, period="2025-26 Q2", imd_quintile=1)
    assert (before["deprivation_index"], before["crosses_index_change"]) == ("IoD2019", False)
    crossing = one(frame, period="2025-26 Q4", imd_quintile=1)
    assert (crossing["deprivation_index"], crossing["crosses_index_change"]) == ("IoD2025", True)
    assert crossing["quarters_in_window"] == 2  # 2025-26 Q3 and Q4; Q2 is on IoD2019 and left out
    assert (crossing["numerator"], crossing["denominator"]) == (0 + 1 + 2 * 1, 2 * 21)
    last = one(frame, period="2026-27 Q2", imd_quintile=1)  # all four quarters on IoD2025
    assert (last["quarters_in_window"], last["crosses_index_change"]) == (4, False)
    reasons = inequalities.locality_quintiles(mart(default_store), "C2").filter(
        pl.col("period") == "2025-26 Q4", pl.col("area_code") == "NORTH"
    )["reason"]
    assert set(reasons) == {
        "deprivation index changed: IoD2019 → IoD2025 in the four quarters to 2025-26 Q4: only 2 of them are on "
        "the new index (docs/methods.md 7.1)"
    }
