"""Benchmarks: England, region and statistical-neighbour values per KPI and period.

The sample is seeded with the England figures quoted in docs/methods.md section 2 (OHID health visitor service delivery
metrics), each dated with its own period. A benchmark period is a quarter ('2024-25 Q1') or a financial year
('2024-25'). Which figure a quarter is compared with is one rule, :func:`kpi.contract.values.with_benchmark` (docs/methods.md
section 5): the same quarter, else the annual figure of the financial year containing it, else the latest no older
than the setting ``benchmark_max_age_quarters``; an older figure is shown for context, labelled with its period, and
not compared. Loads supersede earlier values for the same KPI, comparator and period.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import ROOT, Store
from kpi.core.value_maps import map_distinct
from kpi.ingest import pipeline

SAMPLE_FILE = ROOT / "sample_data" / "benchmarks" / "england_health_visiting.csv"


def _is_year(text: str) -> bool:
    return len(text) == 7 and text[4] in "-/"


def normalise_benchmark_period(code: str) -> str:
    """A benchmark period's code: a financial year as '2024-25' (from '2024/25'), a quarter as '2024-25 Q1'."""
    text = str(code).strip()
    if _is_year(text):
        return periods.parse_period(f"{text} Q4").financial_year
    return periods.parse_period(text).quarter.code


def period_end_index(code: str) -> int:
    """Quarter index of the last quarter of a quarter ('2024-25 Q1') or financial year ('2024-25')."""
    text = code.strip()
    if _is_year(text):
        return periods.parse_period(f"{text} Q4").index
    return periods.parse_period(text).quarter.index


def load_benchmarks(
    store: Store,
    council_code: str,
    frame: pl.DataFrame,
    *,
    loaded_at: datetime | None = None,
    principal: Principal,
) -> int:
    """Store benchmark rows (kpi_code, period, comparator, area_code, area_name, value_pct, ...); supersedes."""
    require(principal, "load_data")
    actor = principal.email
    at = loaded_at or periods.now()
    rows = frame.with_columns(map_distinct(frame["period"], normalise_benchmark_period, pl.String))
    rows = rows.with_columns(
        map_distinct(rows["period"], period_end_index, pl.Int64).alias("period_end_index"),
        *[pl.col(c).cast(pl.Float64) for c in ("value_pct", "numerator", "denominator")],
    )
    for name in ("lower_ci_pct", "upper_ci_pct"):
        if name not in rows.columns:
            rows = rows.with_columns(pl.lit(None, dtype=pl.Float64).alias(name))
    with store.transaction() as cur:
        write_benchmarks(cur, council_code, rows, at)
        store.audit(
            "benchmarks loaded", actor=actor, council_code=council_code, detail={"rows": rows.height}, cur=cur
        )
    return rows.height


def write_benchmarks(cur, council_code: str, rows: pl.DataFrame, at: datetime) -> None:
    """Insert benchmark rows, superseding the current ones of the same KPI, comparator and period.

    Runs inside the caller's transaction (:func:`load_benchmarks`, a Fingertips load); ``rows`` has the columns of
    ``benchmarks`` but the council and the load times.
    """
    if rows.is_empty():
        return
    with pipeline.registered(cur, "benchmark_frame", rows):
        keys = ("kpi_code", "comparator", "period")
        pipeline.supersede_matching(
            cur, "benchmarks", "benchmark_frame", keys, council_code=council_code, at=at
        )
        cur.execute(
            """
            insert into benchmarks
            select ?, kpi_code, period, period_end_index, comparator, area_code, area_name, value_pct, lower_ci_pct,
                   upper_ci_pct, numerator, denominator, source, ?, null
            from benchmark_frame
            """,
            [council_code, at],
        )


def seed_sample(store: Store, council_code: str, *, principal: Principal) -> int:
    """Seed the sample's England values from docs/methods.md (``sample_data/benchmarks/``), as ``principal``."""
    require(principal, "load_data")
    frame = pl.read_csv(SAMPLE_FILE, infer_schema_length=0)
    return load_benchmarks(store, council_code, frame, loaded_at=datetime(2022, 4, 1), principal=principal)
