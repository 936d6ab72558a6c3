"""Which England (or region) figure a quarter is compared with (docs/methods.md section 5, a local rule).

The rule: the figure for the same quarter; else the annual figure of the financial year containing the quarter; else
the latest figure whose last quarter is no more than ``benchmark_max_age_quarters`` (default 4, a dated setting)
before the quarter. An older figure is shown for context with its own period and not compared. Benchmarks are
loaded into a copy of the sample database under made-up KPI codes (T1...), so only these figures are in play, and
read back through the mart (``overview.benchmarks``). Every expected value below is worked out by hand: a figure's
age is the number of quarters from its last quarter to the quarter compared (2024-25 Q4 to 2025-26 Q3 is 3).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from kpi.access.principal import LOCAL_USER, local_principal
from kpi.contract import values as overview
from kpi.contract.benchmarks import load_benchmarks
from kpi.contract.targets import set_setting
from kpi.core import periods as periods
from kpi.sample import COUNCIL_CODE

LOADED = datetime(2026, 1, 5, 9, 0)
AS_AT = datetime(2026, 11, 20, 9, 0)


def _bench(rows: list[tuple[str, str, float]], comparator: str = "england") -> pl.DataFrame:
    name = {"england": "England", "region": "North West region"}[comparator]
    code = {"england": "E92000001", "region": "E12000002"}[comparator]
    return pl.DataFrame(
        {
            "kpi_code": [r[0] for r in rows],
            "period": [r[1] for r in rows],
            "comparator": [comparator] * len(rows),
            "area_code": [code] * len(rows),
            "area_name": [name] * len(rows),
            "value_pct": [r[2] for r in rows],
            "numerator": [None] * len(rows),
            "denominator": [None] * len(rows),
            "source": ["test figures"] * len(rows),
        }
    )


def _values(rows: list[tuple[str, str]]) -> pl.DataFrame:
    """Borough rows at 90.0% (95% CI 88.0-92.0), high is good: England at 85.2 is below the interval (better)."""
    return pl.DataFrame(
        {
            "kpi_code": [r[0] for r in rows],
            "period": [periods.normalise_period(r[1]) for r in rows],
            "period_index": [periods.parse_period(r[1]).index for r in rows],
            "value_pct": [90.0] * len(rows),
            "lower_ci_pct": [88.0] * len(rows),
            "upper_ci_pct": [92.0] * len(rows),
            "polarity": ["high"] * len(rows),
        }
    )


@pytest.fixture
def store(sample_store):
    load_benchmarks(
        sample_store,
        COUNCIL_CODE,
        _bench(
            [
                ("T1", "2017/18 Q1", 86.4),  # the only T1 figure: nine years before 2026-27 Q2
                ("T2", "2024/25", 85.2),  # an annual figure only (written 2024/25: stored as 2024-25)
                ("T3", "2024-25 Q4", 85.2),  # one quarter's figure only
                ("T4", "2024-25", 85.2),  # an annual figure and one quarter of the same year
                ("T4", "2024-25 Q3", 94.0),
                ("T5", "2025-26 Q1", 85.2),  # a figure after the quarter asked about
            ]
        ),
        loaded_at=LOADED,
        principal=local_principal("test"),
    )
    load_benchmarks(
        sample_store,
        COUNCIL_CODE,
        _bench([("T3", "2023-24", 85.2)], "region"),
        loaded_at=LOADED,
        principal=LOCAL_USER,
    )
    return sample_store


def _chosen(store, rows, as_at=AS_AT, comparator="england") -> dict[tuple[str, str], dict]:
    bench = overview.benchmarks(store, COUNCIL_CODE, as_at)
    attached = overview.with_benchmark(_values(rows), bench, comparator)
    if comparator == "england":
        attached = overview.compare_with_england(attached)
    return {(r["kpi_code"], r["period"]): r for r in attached.iter_rows(named=True)}


def test_the_mart_dates_each_figure_with_its_kind_and_span(store):
    bench = overview.benchmarks(store, COUNCIL_CODE, AS_AT).filter(pl.col("kpi_code").is_in(["T2", "T4"]))
    rows = bench.select(
        "kpi_code",
        "benchmark_period",
        "period_kind",
        "period_start_index",
        "period_end_index",
        "max_age_quarters",
    ).rows()
    year_start = 2024 * 4  # 2024-25 Q1
    assert sorted(rows) == [
        ("T2", "2024-25", "year", year_start, year_start + 3, 4),
        ("T4", "2024-25", "year", year_start, year_start + 3, 4),
        ("T4", "2024-25 Q3", "quarter", year_start + 2, year_start + 2, 4),
    ]


def test_a_figure_nine_years_old_is_shown_with_its_period_but_not_compared(store):
    row = _chosen(store, [("T1", "2026-27 Q2")])[("T1", "2026-27 Q2")]
    assert (row["england_pct"], row["england_period"]) == (86.4, "2017-18 Q1")
    assert (row["england_basis"], row["england_current"]) == ("out of date", False)
    # 86.4 lies below the borough's 88.0-92.0, which would read "better": it must not be compared
    assert row["england_outcome"] == "not compared"
    assert row["england_comparison"] == "England figure out of date (2017-18 Q1)"


def test_q1_to_q4_use_their_own_years_annual_figure(store):
    chosen = _chosen(store, [("T2", f"2024-25 Q{q}") for q in (1, 2, 3, 4)])
    for q in (1, 2, 3, 4):
        row = chosen[("T2", f"2024-25 Q{q}")]
        assert (row["england_period"], row["england_basis"], row["england_current"]) == (
            "2024-25",
            "financial year",
            True,
        )
        assert row["england_comparison"] == "Better than England"  # 85.2 below 88.0-92.0, high is good


def test_the_same_quarter_comes_first_then_the_year_containing_it(store):
    chosen = _chosen(store, [("T4", "2024-25 Q3"), ("T4", "2024-25 Q2"), ("T4", "2024-25 Q4")])
    same = chosen[("T4", "2024-25 Q3")]
    assert (same["england_period"], same["england_pct"], same["england_basis"]) == (
        "2024-25 Q3",
        94.0,
        "same period",
    )
    assert same["england_comparison"] == "Worse than England"  # 94.0 above 88.0-92.0
    # Q2 and Q4 have no figure of their own: the year's, not the Q3 figure (later for Q2, narrower for Q4)
    for q in ("2024-25 Q2", "2024-25 Q4"):
        assert (chosen[("T4", q)]["england_period"], chosen[("T4", q)]["england_basis"]) == (
            "2024-25",
            "financial year",
        )


@pytest.mark.parametrize(
    ("kpi", "period", "age", "expected_current"),
    [
        ("T3", "2025-26 Q3", 3, True),  # 2024-25 Q4 to 2025-26 Q3: 3 quarters
        ("T3", "2025-26 Q4", 4, True),  # exactly the limit
        ("T3", "2026-27 Q1", 5, False),  # one beyond
        ("T2", "2025-26 Q4", 4, True),  # an annual figure ages from its last quarter, 2024-25 Q4
        ("T2", "2026-27 Q1", 5, False),
    ],
)
def test_a_later_quarter_uses_the_latest_figure_no_older_than_the_limit(
    store, kpi, period, age, expected_current
):
    code = periods.normalise_period(period)
    row = _chosen(store, [(kpi, period)])[(kpi, code)]
    assert periods.parse_period(code).index - (2024 * 4 + 3) == age  # the hand-counted age
    assert row["england_current"] is expected_current
    assert row["england_period"] == ("2024-25 Q4" if kpi == "T3" else "2024-25")
    if expected_current:
        assert (row["england_basis"], row["england_comparison"]) == ("recent", "Better than England")
    else:
        assert row["england_basis"] == "out of date"
        assert row["england_outcome"] == "not compared"
        assert row["england_comparison"] == f"England figure out of date ({row['england_period']})"


def test_a_figure_for_a_later_period_is_never_used(store):
    row = _chosen(store, [("T5", "2024-25 Q4")])[("T5", "2024-25 Q4")]
    assert row["england_pct"] is None and row["england_current"] is None
    assert row["england_comparison"] == "Not compared"


def test_the_region_follows_the_same_rule(store):
    chosen = _chosen(store, [("T3", "2024-25 Q4"), ("T3", "2025-26 Q1")], comparator="region")
    # the region's 2023-24 figure ends in 2023-24 Q4: 4 quarters before 2024-25 Q4, 5 before 2025-26 Q1
    assert (
        chosen[("T3", "2024-25 Q4")]["region_period"],
        chosen[("T3", "2024-25 Q4")]["region_current"],
    ) == (
        "2023-24",
        True,
    )
    assert chosen[("T3", "2025-26 Q1")]["region_current"] is False


def test_a_longer_limit_applies_from_when_it_was_set(store, monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-15")
    set_setting(
        store,
        COUNCIL_CODE,
        "benchmark_max_age_quarters",
        8,
        principal=local_principal("test"),
        reason="no newer England data",
    )
    set_at = store.query(
        "select max(set_at) from settings where setting_key = 'benchmark_max_age_quarters'"
    ).item()
    before, after = datetime(2026, 11, 14, 9, 0), datetime(2026, 11, 16, 9, 0)
    assert before < set_at < after
    # 2026-27 Q2 against 2024-25 Q4: 6 quarters, beyond 4 but within 8
    old = _chosen(store, [("T3", "2026-27 Q2")], as_at=before)[("T3", "2026-27 Q2")]
    new = _chosen(store, [("T3", "2026-27 Q2")], as_at=after)[("T3", "2026-27 Q2")]
    assert (old["england_current"], old["england_comparison"]) == (
        False,
        "England figure out of date (2024-25 Q4)",
    )
    assert (new["england_current"], new["england_comparison"]) == (True, "Better than England")
    assert overview.benchmark_max_age(overview.benchmarks(store, COUNCIL_CODE, after)) == 8
    # nine years is beyond 8 as well
    assert (
        _chosen(store, [("T1", "2026-27 Q2")], as_at=after)[("T1", "2026-27 Q2")]["england_current"] is False
    )
