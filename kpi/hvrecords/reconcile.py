"""Reconciliation: the KPIs derived from a provider's health visiting records beside the provider's own return.

Per quarter x KPI x locality x IMD decile (``sql/marts/mart_hv_reconciliation.sql``): derived and returned
numerator and denominator, their differences (derived minus returned, counts of children) and the difference in
percentage points. A cell is **flagged** when the values differ by more than the setting ``hv_reconcile_points``,
or, where a value cannot be compared (a count KPI, or a cell only one side has), when the counts differ.
``children_behind`` is how many children at least are counted differently (the larger count difference): the
children themselves are never listed (docs/methods.md section 10).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require
from kpi.core import periods as periods
from kpi.core.store import Store, setting


def reconciliation(
    store: Store,
    council_code: str,
    *,
    principal: Principal,
    provider_code: str | None = None,
    period: str | None = None,
    as_at: datetime | None = None,
) -> pl.DataFrame:
    """Every compared cell, with ``flagged`` and ``children_behind``; a provider sees only its own.

    Example:
        >>> # reconciliation(store, "E08000009", principal=who, provider_code="ZZ1", period="2026-27 Q2")
    """
    require(principal, "read_submissions", provider_code)
    scope = provider_scope(principal) or (provider_code.strip().upper() if provider_code else None)
    at = as_at or periods.now()
    frame = store.run_sql(
        "marts/mart_hv_reconciliation", council_code=council_code, as_at=at, provider_code=scope
    )
    if period is not None:
        frame = frame.filter(pl.col("period") == periods.normalise_period(period))
    points = float(setting(store, council_code, "hv_reconcile_points", at))
    counts_differ = (pl.col("numerator_difference") != 0) | (pl.col("denominator_difference") != 0)
    flagged = (
        pl.when(pl.col("points_difference").is_not_null())
        .then(pl.col("points_difference").abs() > points)
        .otherwise(counts_differ)
    )
    behind = pl.max_horizontal(pl.col("numerator_difference").abs(), pl.col("denominator_difference").abs())
    return frame.with_columns(
        flagged.alias("flagged"),
        behind.round().cast(pl.Int64).alias("children_behind"),
        counts_text("derived").alias("derived"),
        counts_text("returned").alias("returned"),
    )


def _whole(column: str) -> pl.Expr:
    """A count as text: a whole number without decimals (the counts compared are of children), else one decimal."""
    value = pl.col(column)
    whole = value.round().cast(pl.Int64).cast(pl.String)
    return pl.when(value == value.round()).then(whole).otherwise(value.round(1).cast(pl.String))


def counts_text(side: str) -> pl.Expr:
    """``numerator / denominator`` of one side (``derived`` or ``returned``), as the page and the pack show it.

    Example:
        >>> frame = pl.DataFrame({"derived_numerator": [20.0, 3.0], "derived_denominator": [24.0, None]})
        >>> frame.select(counts_text("derived").alias("shown"))["shown"].to_list()
        ['20 / 24', '3 / –']

    """
    return pl.format("{} / {}", _whole(f"{side}_numerator"), _whole(f"{side}_denominator").fill_null("–"))


def flagged_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """The flagged cells of :func:`reconciliation`, largest difference first."""
    return frame.filter(pl.col("flagged")).sort(
        "children_behind", "provider_code", "period", "kpi_code", descending=[True, False, False, False]
    )
