"""SII and RII per area and period of a quantile frame, and the fitted lines charts draw.

Method (docs/methods.md section 5.3):
- **SII and RII** by :func:`kpi.inequality.slope_index.sii` (PHEindicatormethods ``phe_sii``; Low & Low 2004):
  weighted least squares of each quantile's proportion on its population-weighted relative rank (population = the
  KPI's denominator), ``value_type="proportion"``, 95% limits by Monte Carlo
  (:data:`~kpi.inequality.measures.REPETITIONS` draws, seeded from the inputs so the same data always gives the same
  limits) from each quantile's Wilson 95% limits, on the logit scale.
  Where a quantile is at exactly 0% or 100% the logit scale cannot be used; the limits are then simulated on the
  natural scale (``value_type="other"``, standard error = Wilson interval width / (2 x 1.959964)); the point
  estimates do not change and ``ci_scale`` says which was used.
- **Sign** (a presentation choice of this dashboard): the SII is reported in percentage points as *the most
  deprived minus the least deprived end* of the fitted line, PHEindicatormethods' ``multiplier = -100``, so a
  negative SII means lower values among the most deprived ("less likely"), as the sentence reads. The RII, inverted
  by the negative multiplier as the package does, is the fitted value at the most deprived end divided by that at
  the least deprived end.

A quantile frame (:data:`kpi.inequality.views.QUANTILE_FRAME_COLUMNS`) whose ``numerator`` is null (a measure that is
not a count over a population) is fitted on the natural scale from its limits. An area missing a quantile is **not
rated**, with the reason (:func:`kpi.inequality.words.not_rated_reason`).

References:
- Low A, Low A. Measuring the gap: quantifying and comparing local health inequalities. J Public Health
  2004;26:388-395.
- PHEindicatormethods (UKHSA), ``phe_sii``.

Example:
>>> frame = pl.DataFrame({"area_code": "ALL", "area_name": "Borough", "period": "2026-27 Q2",
...     "period_index": 8105, "quantile": [1, 2, 3, 4, 5], "population": [100.0] * 5,
...     "numerator": [80.0, 84, 88, 92, 96], "value_pct": [80.0, 84, 88, 92, 96],
...     "lower_ci_pct": [71.1, 75.6, 80.2, 85.0, 90.2], "upper_ci_pct": [86.7, 89.9, 93.0, 95.9, 98.4],
...     "reason": [None] * 5}, schema_overrides={"reason": pl.String})
>>> row = sii_table(frame, n_quantiles=5, repetitions=1000).row(0, named=True)
>>> round(row["sii_pts"], 6), row["rated"]
(-20.0, True)
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from kpi.inequality.measures import MULTIPLIER, REPETITIONS
from kpi.inequality.slope_index import SIIResult, sii_batch
from kpi.inequality.words import not_rated_reason

__all__ = ["fitted_lines", "sii_table", "sii_tables", "with_ranks"]

#: The figures of a rated row of :func:`sii_table` (null when not rated).
_FIGURES = (
    "sii_pts",
    "sii_lower_pts",
    "sii_upper_pts",
    "rii",
    "rii_lower",
    "rii_upper",
    "most_end_pct",
    "least_end_pct",
)


def sii_table(
    frame: pl.DataFrame,
    *,
    n_quantiles: int,
    repetitions: int = REPETITIONS,
    quantile_word: str | None = None,
) -> pl.DataFrame:
    """SII and RII with 95% limits for every area and period of a quantile frame (see the module's method).

    Every area and period is worked out in one batch (:func:`kpi.inequality.slope_index.sii_batch`, side by side on
    the cores), each exactly as on its own.

    Args:
        frame: a quantile frame (:data:`kpi.inequality.views.QUANTILE_FRAME_COLUMNS`), e.g.
            :func:`kpi.inequality.views.borough_deciles`.
        n_quantiles: how many quantiles an area must have (10 for deciles, 5 for quintiles).
        repetitions: Monte Carlo draws per SII (default 100,000).
        quantile_word: "decile" or "quintile" for the reasons (default from ``n_quantiles``).

    Returns:
        One row per area x period, in period then area order: area_code, area_name, period, period_index,
        population, rated, not_rated_reason, sii_pts, sii_lower_pts, sii_upper_pts, rii, rii_lower, rii_upper,
        most_end_pct and least_end_pct (the fitted line at the most and least deprived ends), ci_scale.
        Unrated rows have null figures.
    """
    (table,) = sii_tables(
        [frame], n_quantiles=n_quantiles, repetitions=repetitions, quantile_word=quantile_word
    )
    return table


def sii_tables(
    frames: Sequence[pl.DataFrame],
    *,
    n_quantiles: int,
    repetitions: int = REPETITIONS,
    quantile_word: str | None = None,
) -> list[pl.DataFrame]:
    """:func:`sii_table` of each of several quantile frames (e.g. one per KPI), every area of every frame in one batch.

    Each table is the one :func:`sii_table` gives for its frame, to the last digit.
    """
    word = quantile_word or {10: "decile", 5: "quintile"}.get(n_quantiles, "quantile")
    keys = ["area_code", "area_name", "period", "period_index"]
    records: list[list[dict[str, object]]] = []
    pending: list[tuple[dict[str, object], tuple[dict[str, object], str]]] = []
    for frame in frames:
        records.append([])
        for key, group in frame.group_by(keys, maintain_order=True):
            record = dict(zip(keys, key, strict=True))
            record.update(
                population=float(group["population"].fill_null(0).sum()),
                rated=False,
                not_rated_reason=not_rated_reason(group, n_quantiles, word),
                ci_scale=None,
            )
            record.update(dict.fromkeys(_FIGURES))
            if record["not_rated_reason"] is None:
                pending.append((record, _sii_call(group.sort("quantile"), n_quantiles, repetitions)))
            records[-1].append(record)
    results = sii_batch([call for _, (call, _) in pending])
    for (record, (_, ci_scale)), result in zip(pending, results, strict=True):
        record.update(_figures(result, ci_scale))
    return [pl.DataFrame(out, schema=_SCHEMA).sort("period_index", "area_code") for out in records]


_SCHEMA = {
    "area_code": pl.String,
    "area_name": pl.String,
    "period": pl.String,
    "period_index": pl.Int64,
    "population": pl.Float64,
    "rated": pl.Boolean,
    "not_rated_reason": pl.String,
    **dict.fromkeys(_FIGURES, pl.Float64),
    "ci_scale": pl.String,
}


def _sii_call(group: pl.DataFrame, n_quantiles: int, repetitions: int) -> tuple[dict[str, object], str]:
    """The arguments of one area's :func:`kpi.inequality.slope_index.sii`, and how its limits are simulated."""
    counted = group["numerator"].null_count() == 0
    value = (group["numerator"] / group["population"] if counted else group["value_pct"] / 100).to_numpy()
    lower = (group["lower_ci_pct"] / 100).to_numpy()
    upper = (group["upper_ci_pct"] / 100).to_numpy()
    on_edge = not counted or bool(((value <= 0) | (value >= 1)).any())
    call = {
        "quantile": group["quantile"].to_list(),
        "population": group["population"].to_list(),
        "value": value,
        "value_type": "other" if on_edge else "proportion",
        "lower_ci": lower,
        "upper_ci": upper,
        "multiplier": MULTIPLIER,
        "repetitions": repetitions,
        "n_quantiles": n_quantiles,
    }
    return call, "logit" if not on_edge else "natural (a quantile at 0% or 100%)" if counted else "natural"


def _figures(result: SIIResult | ValueError, ci_scale: str) -> dict[str, object]:
    if isinstance(result, ValueError):
        return {"not_rated_reason": f"Not rated: {result}"}
    most = 100 * result.intercept
    return {
        "rated": True,
        "sii_pts": result.sii,
        "sii_lower_pts": result.sii_lower,
        "sii_upper_pts": result.sii_upper,
        "rii": result.rii,
        "rii_lower": result.rii_lower,
        "rii_upper": result.rii_upper,
        "most_end_pct": most,
        "least_end_pct": most - result.sii,
        "ci_scale": ci_scale,
    }


def with_ranks(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``rank``: each quantile's relative rank, the midpoint of its share of the population (0 = most deprived).

    Worked over the usable rows of each area and period (b_i = cumulative share before i + a_i / 2).
    """
    usable = frame.filter(pl.col("reason").is_null(), pl.col("population") > 0).sort(
        "area_code", "period_index", "quantile"
    )
    share = pl.col("population") / pl.col("population").sum().over("area_code", "period_index")
    return usable.with_columns(share.alias("share")).with_columns(
        (pl.col("share").cum_sum().over("area_code", "period_index") - pl.col("share") / 2).alias("rank")
    )


def fitted_lines(table: pl.DataFrame) -> pl.DataFrame:
    """Each rated area's fitted SII line as two points, rank 0 (most deprived end) and rank 1 (least deprived end).

    ``table`` is :func:`sii_table` (one period); returns area_code, area_name, rank, fitted_pct in per cent.
    """
    rated = table.filter(pl.col("rated"))
    return pl.concat(
        [
            rated.select(
                "area_code",
                "area_name",
                pl.lit(0.0).alias("rank"),
                pl.col("most_end_pct").alias("fitted_pct"),
            ),
            rated.select(
                "area_code",
                "area_name",
                pl.lit(1.0).alias("rank"),
                pl.col("least_end_pct").alias("fitted_pct"),
            ),
        ]
    ).sort("area_code", "rank")
