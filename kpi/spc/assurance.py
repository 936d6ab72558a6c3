"""Making Data Count SPC for the KPIs: the borough series as an XmR chart frame, and each KPI's icons.

Method: :func:`kpi.spc.rules.xmr` (NHS England Making Data Count; docs/methods.md section 5) on a KPI's borough series, oldest
first, up to and including the chosen period: the value in per cent (the count for count KPIs), the improvement
direction from the KPI's polarity (high is good: "increase"; low is good: "decrease"; none: no judgement, special
causes are "neutral") and the contract target in force for the chosen period (for the assurance icon). Periods
without a value (no children in the cohort) are left out of the series. Fewer than 12 points give a run chart and
no icons (local rule). Icons are :mod:`kpi.spc.icons`: SVG with a ``<title>`` and ``aria-label`` and a letter, so
meaning never rests on colour.

Example:
>>> values = pl.DataFrame({"kpi_code": "K1", "kpi_name": "A KPI", "sort_order": 1, "level": "borough",
...     "locality_code": "ALL", "imd_decile": "ALL", "value_kind": "proportion", "polarity": "high",
...     "period": [f"P{i:02d}" for i in range(14)], "period_index": list(range(14)),
...     "value_pct": [50.0] * 6 + [60.0] * 8, "numerator": [1.0] * 14, "target_pct": 55.0})
>>> row = spc_summary(values, "P13").row(0, named=True)
>>> row["variation"], row["assurance"]
('improvement_high', 'hit_and_miss')
"""

from __future__ import annotations

import polars as pl

from kpi.spc import icons as spc_icons
from kpi.spc import rules as spc
from kpi.spc.segments import SpcControls, segmented_xmr

__all__ = [
    "ASSURANCE_SHORT",
    "POINT_LETTERS",
    "VARIATION_SHORT",
    "improvement_for",
    "kpi_series",
    "spc_summary",
    "xmr_summary",
    "xmr_frame",
]

#: Short visible words beside the icons (the full label is in each icon's title).
VARIATION_SHORT = {
    "common_cause": "Common cause",
    "improvement_high": "Improvement (high)",
    "improvement_low": "Improvement (low)",
    "concern_high": "Concern (high)",
    "concern_low": "Concern (low)",
    "neither_high": "Special cause (high)",
    "neither_low": "Special cause (low)",
    None: "Run chart: too few points",
}
ASSURANCE_SHORT = {
    "pass": "Consistently passing",
    "fail": "Consistently failing",
    "hit_and_miss": "Hit and miss",
    None: "No assurance",
}
#: The letter drawn on a special-cause point of an XmR chart (shape and colour go with it).
POINT_LETTERS = {"improvement": "I", "concern": "C", "neutral": "N", "common cause": ""}


_KEPT = ("period", "period_index", "target_pct", "numerator", "denominator")


def improvement_for(polarity: str | None) -> str | None:
    """The XmR improvement direction of a KPI polarity: high -> "increase", low -> "decrease", else None."""
    return {"high": "increase", "low": "decrease"}.get(polarity or "")


def kpi_series(values: pl.DataFrame, kpi_code: str, period: str | None = None) -> pl.DataFrame:
    """A KPI's borough series in period order, up to and including ``period`` (all periods when None).

    Adds ``spc_value``: value_pct, or the numerator for a count KPI; rows without one are left out.
    """
    rows = values.filter(
        pl.col("kpi_code") == kpi_code,
        pl.col("level") == "borough",
        pl.col("locality_code") == "ALL",
        pl.col("imd_decile") == "ALL",
    ).sort("period_index")
    if period is not None:
        end = rows.filter(pl.col("period") == period)["period_index"]
        if end.len():
            rows = rows.filter(pl.col("period_index") <= end.item())
    spc_value = (
        pl.when(pl.col("value_kind") == "count").then(pl.col("numerator")).otherwise(pl.col("value_pct"))
    )
    return rows.with_columns(spc_value.cast(pl.Float64).alias("spc_value")).filter(
        pl.col("spc_value").is_not_null()
    )


def xmr_frame(series: pl.DataFrame, controls: SpcControls | None = None) -> pl.DataFrame:
    """:func:`kpi_series` joined with its XmR chart, one row per period; empty for an empty series.

    Columns: period, period_index, target_pct, numerator, denominator, then the columns of :func:`kpi.spc.rules.xmr`
    (``value`` is the series value), ``point_letter`` (:data:`POINT_LETTERS`) and ``rules`` (the special-cause
    rules a point meets, in words). With ``controls`` (a recorded baseline or rebases, docs/methods.md section
    5.10) the chart is worked out segment by segment (:func:`kpi.spc.segments.segmented_xmr`), with its columns.
    """
    if series.is_empty():
        return pl.DataFrame()
    polarity = series["polarity"][0]
    target = series["target_pct"][-1]
    target = None if target is None else float(target)
    if controls is not None and not controls.is_default:
        chart = segmented_xmr(
            series["spc_value"].to_list(),
            series["period_index"].to_list(),
            improvement=improvement_for(polarity),
            target=target,
            controls=controls,
        )
    else:
        chart = spc.xmr(
            series["spc_value"],
            improvement=improvement_for(polarity),
            target=target,
            periods=series["period_index"],  # a quarter without a value is a gap: nothing is joined across it
        )
    rules = pl.concat_list(
        [
            pl.when(pl.col(flag)).then(pl.lit(words)).otherwise(pl.lit(None, dtype=pl.String))
            for flag, words in (
                ("outside_limits", "outside the limits"),
                ("shift", "shift"),
                ("trend", "trend"),
                ("two_of_three", "two of three beyond 2 sigma"),
            )
        ]
    ).list.drop_nulls()
    return pl.concat(
        [series.select([c for c in _KEPT if c in series.columns]), chart],
        how="horizontal",
    ).with_columns(
        pl.col("point_type").replace_strict(POINT_LETTERS, default="").alias("point_letter"),
        rules.list.join("; ").alias("rules"),
    )


def xmr_summary(frame: pl.DataFrame) -> str:
    """The XmR chart in words (its text alternative): variation, assurance and each special-cause point.

    Example:
        >>> chart = xmr_frame(pl.DataFrame({"period": ["P1", "P2"], "period_index": [1, 2],
        ...     "spc_value": [1.0, 2.0], "polarity": "high", "target_pct": None}))
        >>> xmr_summary(chart)
        'Run chart: 2 points, fewer than the 12 needed for process limits and icons. Special-cause points: none.'
    """
    if frame.is_empty():
        return "No values to chart."
    if frame["limits_shown"][0]:
        variation, assurance = frame["variation"][0], frame["assurance"][0]
        lead = (
            f"Variation: {spc_icons.variation_label(variation).lower()}. "
            f"Assurance: {spc_icons.assurance_label(assurance).lower()}."
        )
    else:
        lead = (
            f"Run chart: {frame.height} point{'s' if frame.height != 1 else ''}, fewer than the "
            f"{spc.MIN_POINTS_FOR_LIMITS} needed for process limits and icons."
        )
    special = frame.filter(pl.col("point_type") != spc.COMMON_CAUSE)
    listed = "; ".join(
        f"{row['period']} {row['point_type']} ({row['rules']})" for row in special.iter_rows(named=True)
    )
    gaps = ""
    if "after_gap" in frame.columns and frame["after_gap"].any():
        after = frame.filter(pl.col("after_gap"))["period"].to_list()
        gaps = (
            f" Periods missing before {', '.join(after)}: no moving range, shift or trend is carried across a "
            "missing period."
        )
    return f"{lead} Special-cause points: {listed or 'none'}.{gaps}"


def spc_summary(
    values: pl.DataFrame, period: str, *, icon_size: int = 32, controls: dict | None = None
) -> pl.DataFrame:
    """Each KPI's variation and assurance on its borough series up to ``period``.

    ``controls``: the recorded baselines and rebases per (KPI, place) (:func:`kpi.contract.spc_controls.spc_controls`);
    the borough's are used.

    Returns one row per KPI in catalogue order: kpi_code, kpi_name, n_points, target_pct (in force for
    ``period``), variation, assurance (codes of :mod:`kpi.spc.rules`, null for a run chart or without a target or
    polarity), variation_label, assurance_label (full words), variation_short, assurance_short (words shown beside
    the icons), variation_svg, assurance_svg (inline SVG with title and aria-label).
    """
    kpis = values.select("kpi_code", "kpi_name", "sort_order").unique().sort("sort_order")
    out = []
    for kpi_code, kpi_name in kpis.select("kpi_code", "kpi_name").iter_rows():
        series = kpi_series(values, kpi_code, period)
        variation = assurance = target = None
        if series.height:
            chart = xmr_frame(series, (controls or {}).get((kpi_code, "ALL")))
            variation, assurance = chart["variation"][0], chart["assurance"][0]
            target = series["target_pct"][-1]
        out.append(
            {
                "kpi_code": kpi_code,
                "kpi_name": kpi_name,
                "n_points": series.height,
                "target_pct": target,
                "variation": variation,
                "assurance": assurance,
                "variation_label": spc_icons.variation_label(variation),
                "assurance_label": spc_icons.assurance_label(assurance),
                "variation_short": VARIATION_SHORT[variation],
                "assurance_short": ASSURANCE_SHORT[assurance],
                "variation_svg": spc_icons.variation_icon(variation, size=icon_size),
                "assurance_svg": spc_icons.assurance_icon(assurance, size=icon_size),
            }
        )
    return pl.DataFrame(
        out,
        schema={
            "kpi_code": pl.String,
            "kpi_name": pl.String,
            "n_points": pl.Int64,
            "target_pct": pl.Float64,
            "variation": pl.String,
            "assurance": pl.String,
            "variation_label": pl.String,
            "assurance_label": pl.String,
            "variation_short": pl.String,
            "assurance_short": pl.String,
            "variation_svg": pl.String,
            "assurance_svg": pl.String,
        },
    )
