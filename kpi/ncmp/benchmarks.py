"""England (or other) NCMP prevalence figures: the benchmarks NCMP pages compare the council with.

A benchmark file has the columns of :data:`ENGLAND_COLUMNS` (confidence limits optional); a load supersedes the
current rows with the same academic year, year group, category, area and IMD decile, which stay in history
(docs/methods.md section 3).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.core.value_maps import map_distinct
from kpi.ingest import pipeline
from kpi.ncmp import rules as ncmp

ENGLAND_COLUMNS = (
    "academic_year",
    "school_year",
    "category",
    "imd_decile",
    "area_code",
    "area_name",
    "value_pct",
    "source",
)


def load_ncmp_benchmarks(
    store: Store,
    council_code: str,
    frame: pl.DataFrame,
    *,
    loaded_at: datetime | None = None,
    principal: Principal,
) -> int:
    """Store England (or other) NCMP prevalence rows (:data:`ENGLAND_COLUMNS`); supersedes rows with the same key.

    The same shape can be produced from a Fingertips export later (the source column says where each came from).
    """
    require(principal, "load_data")
    actor = principal.email
    missing = [c for c in ENGLAND_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"the NCMP benchmark file lacks the column(s) {', '.join(missing)}")
    rows = frame.with_columns(
        map_distinct(frame["academic_year"], ncmp.normalise_academic_year, pl.String),
        pl.col("imd_decile").cast(pl.Int32, strict=True),
        pl.col("value_pct").cast(pl.Float64, strict=True),
        *[
            (pl.col(c).cast(pl.Float64) if c in frame.columns else pl.lit(None, dtype=pl.Float64)).alias(c)
            for c in ("lower_ci_pct", "upper_ci_pct")
        ],
    )
    at = loaded_at or periods.now()
    with store.transaction() as cur:
        with pipeline.registered(cur, "ncmp_benchmark_frame", rows):
            pipeline.supersede_matching(
                cur,
                "ncmp_benchmarks",
                "ncmp_benchmark_frame",
                ("academic_year", "school_year", "category", "area_code", "imd_decile"),
                council_code=council_code,
                at=at,
                nullable=("imd_decile",),
            )
            cur.execute(
                """
                insert into ncmp_benchmarks
                select ?, academic_year, school_year, category, imd_decile, area_code, area_name, value_pct,
                       lower_ci_pct, upper_ci_pct, source, ?, null
                from ncmp_benchmark_frame
                """,
                [council_code, at],
            )
        store.audit(
            "NCMP benchmarks loaded",
            actor=actor,
            council_code=council_code,
            detail={"rows": rows.height},
            cur=cur,
        )
    return rows.height
