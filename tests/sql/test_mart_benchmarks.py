"""mart_benchmarks: given benchmark rows in, the rows current at the as-at time out, each with its period's span.

A quarter ('2026-27 Q1', index 8104) spans one quarter; a financial year ('2025-26', last quarter 8103) spans the four
quarters ending at its period_end_index. A row loaded after the as-at time, or superseded by then, is left out.
"""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
COLUMNS = (
    "kpi_code",
    "comparator",
    "benchmark_period",
    "period_kind",
    "period_start_index",
    "period_end_index",
    "value_pct",
    "lower_ci_pct",
    "area_name",
    "max_age_quarters",
)


def benchmark(kpi, comparator, period, end, value, *, loaded, superseded=None, council=COUNCIL, lower=None):
    return dict(
        council_code=council,
        kpi_code=kpi,
        comparator=comparator,
        period=period,
        period_end_index=end,
        area_name={"england": "England", "region": "North West"}.get(comparator, "Neighbours"),
        value_pct=value,
        lower_ci_pct=lower,
        source="test",
        loaded_at=loaded,
        superseded_at=superseded,
    )


def mart(store, as_at=AT, max_age=4):
    return store.run_sql("marts/mart_benchmarks", council_code=COUNCIL, as_at=as_at, max_age_quarters=max_age)


def test_current_rows_with_quarter_and_year_spans(store):
    early, reload = datetime(2026, 1, 5), datetime(2026, 11, 1)
    given(
        store,
        "benchmarks",
        benchmark("C2", "england", "2026-27 Q1", 8104, 80.0, loaded=early, lower=79.5),
        benchmark("C2", "england", "2025-26", 8103, 81.0, loaded=early, superseded=reload),  # replaced by:
        benchmark("C2", "england", "2025-26", 8103, 81.5, loaded=reload),
        benchmark("C2", "region", "2025-26", 8103, 78.0, loaded=early),
        benchmark("C1", "neighbours", "2025-26 Q4", 8103, 70.0, loaded=early),
        benchmark(
            "C2", "england", "2026-27 Q2", 8105, 82.0, loaded=datetime(2026, 11, 21)
        ),  # after the as-at
        benchmark("C2", "england", "2026-27 Q1", 8104, 99.0, loaded=early, council=OTHER),  # another council
    )
    assert rows(mart(store), *COLUMNS) == [
        ("C1", "neighbours", "2025-26 Q4", "quarter", 8103, 8103, 70.0, None, "Neighbours", 4),
        ("C2", "england", "2025-26", "year", 8100, 8103, 81.5, None, "England", 4),
        ("C2", "england", "2026-27 Q1", "quarter", 8104, 8104, 80.0, 79.5, "England", 4),
        ("C2", "region", "2025-26", "year", 8100, 8103, 78.0, None, "North West", 4),
    ]


def test_the_as_at_edges_loaded_at_counts_superseded_at_does_not(store):
    loaded, replaced = datetime(2026, 6, 1), datetime(2026, 8, 1)
    given(
        store,
        "benchmarks",
        benchmark("C2", "england", "2025-26", 8103, 81.0, loaded=loaded, superseded=replaced),
        benchmark("C2", "england", "2025-26", 8103, 81.5, loaded=replaced),
    )
    assert mart(store, as_at=datetime(2026, 5, 31, 23, 59)).is_empty()
    assert rows(mart(store, as_at=loaded), "value_pct") == [(81.0,)]
    assert rows(mart(store, as_at=datetime(2026, 7, 31, 23, 59)), "value_pct") == [(81.0,)]
    assert rows(mart(store, as_at=replaced), "value_pct") == [(81.5,)]  # superseded at the as-at time: gone


def test_the_max_age_setting_is_carried_on_every_row_as_an_integer(store):
    given(
        store,
        "benchmarks",
        benchmark("C2", "england", "2025-26", 8103, 81.0, loaded=datetime(2026, 1, 1)),
        benchmark("C1", "england", "2025-26", 8103, 60.0, loaded=datetime(2026, 1, 1)),
    )
    frame = mart(store, max_age=8.0)
    assert rows(frame, "kpi_code", "max_age_quarters") == [("C1", 8), ("C2", 8)]
    assert str(frame.schema["max_age_quarters"]) == "Int32"
