"""What the pages read of the child-level records: a KPI by ethnic group (docs/methods.md section 10).

The breakdown is of the counts derived when the extract was loaded (each provider's load current at ``as_at``),
for the borough. Pages show a value where its denominator reaches the KPI's minimum (like any cell); public outputs
put the counts through the disclosure rules of docs/methods.md section 6 (:func:`kpi.reports.extras.public_ethnic_rows`).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require
from kpi.core import periods as periods
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.store import Store
from kpi.hvrecords import schema as hv


def ethnic_breakdown(
    store: Store,
    council_code: str,
    kpi_code: str,
    period: str,
    *,
    principal: Principal,
    provider_code: str | None = None,
    as_at: datetime | None = None,
) -> pl.DataFrame:
    """Per ethnic group (the five ONS groups, then Not stated): numerator, denominator and ``value_pct``.

    Every group is listed, with zeros where no child of the group is in the cohort; ``value_pct`` is null where the
    denominator is below the KPI's minimum (catalogue ``min_denominator``). A provider sees only its own.
    """
    require(principal, "read_data", provider_code)
    scope = provider_scope(principal) or (provider_code.strip().upper() if provider_code else None)
    counts = store.run_sql(
        "staging/stg_hv_kpi_counts",
        council_code=council_code,
        as_at=as_at or periods.now(),
        provider_code=scope,
    ).filter(pl.col("kpi_code") == kpi_code, pl.col("period") == periods.normalise_period(period))
    groups = pl.DataFrame({"ethnic_group": list(hv.ETHNIC_GROUP_ORDER)})
    summed = counts.group_by("ethnic_group").agg(
        pl.col("derived_count").sum().cast(pl.Float64).alias("numerator"),
        pl.col("derived_base").sum().cast(pl.Float64).alias("denominator"),
    )
    frame = groups.join(summed, on="ethnic_group", how="left").with_columns(
        pl.col("numerator", "denominator").fill_null(0.0)
    )
    kpi = catalogue_in_force(store, council_code, period).get(kpi_code)
    least = max(kpi.min_denominator or 0.0, 1.0) if kpi else 1.0
    value = pl.when(pl.col("denominator") >= least).then(100.0 * pl.col("numerator") / pl.col("denominator"))
    return frame.with_columns(value.alias("value_pct"))
