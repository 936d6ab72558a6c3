"""The gap between the most and least deprived decile (or quintile): one group's value minus the other's.

The one computation of this measure (docs/methods.md section 5.8), from two groups only; the modelled gap across
every quantile is the SII (:mod:`kpi.inequality.area_sii`). Its sentences are in :mod:`kpi.inequality.words`.
"""

from __future__ import annotations

import math

import polars as pl

__all__ = ["decile_gap"]


def decile_gap(
    groups: pl.DataFrame, column: str = "imd_decile", most: object = "1", least: object = "10"
) -> dict | None:
    """The gap between the most and least deprived decile: value in decile 1 minus value in decile 10, in points.

    The one computation of this measure (docs/methods.md section 5.8), from two groups only; for quintiles pass
    ``column="imd_quintile", most=1, least=5``. ``groups`` has ``column`` and ``value_pct`` (per cent). None when
    either group is missing or has no value: the gap is never taken between other deciles instead.

    >>> decile_gap(pl.DataFrame({"imd_decile": ["1", "5", "10"], "value_pct": [80.0, 85.0, 90.5]}))["gap_points"]
    -10.5
    """
    values = {}
    for row in groups.select(column, "value_pct").iter_rows():
        if row[1] is not None and math.isfinite(row[1]):
            values[str(row[0])] = row[1]
    if str(most) not in values or str(least) not in values:
        return None
    return {
        "most_deprived": str(most),
        "least_deprived": str(least),
        "most_pct": values[str(most)],
        "least_pct": values[str(least)],
        "gap_points": values[str(most)] - values[str(least)],
    }
