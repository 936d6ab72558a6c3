"""Pure Altair builders for the inequalities page (frame in, chart out).

Method: values by deprivation quantile are drawn against each quantile's relative rank in the population ranked
by deprivation (0 = most deprived end, 1 = least deprived end; :func:`kpi.inequality.views.with_ranks`), the x scale of
the slope index of inequality, so the fitted SII line (:func:`kpi.inequality.views.fitted_lines`) is straight and runs
from one end to the other. Each point carries its 95% confidence interval and its quantile's label (D1..D10 or
Q1..Q5), so nothing rests on colour. The gap's trend is the SII per period with its 95% CI against a zero line.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from kpi.core import deprivation
from kpi.core.charts import BLACK, BLUE, ORANGE

__all__ = ["quantile_sii_chart", "sii_trend_chart"]


def quantile_sii_chart(
    points: pl.DataFrame, lines: pl.DataFrame, title: str, *, prefix: str = "D", columns: int = 2
) -> alt.TopLevelMixin:
    """Values by quantile with 95% CIs and the fitted SII line, one panel per area when there are several.

    ``points``: area_name, quantile, rank, value_pct, lower_ci_pct, upper_ci_pct, numerator, population.
    ``lines``: area_name, rank, fitted_pct (two rows per area: rank 0 and 1).
    """
    marks = points.select(
        "area_name",
        "rank",
        (pl.lit(prefix) + pl.col("quantile").cast(pl.String)).alias("label"),
        pl.col("value_pct").round(1).alias("value"),
        pl.col("lower_ci_pct").round(1).alias("lower_ci"),
        pl.col("upper_ci_pct").round(1).alias("upper_ci"),
        "numerator",
        "population",
        pl.lit(None, dtype=pl.Float64).alias("fitted"),
        pl.lit("quantile").alias("kind"),
    )
    fitted = lines.select(
        "area_name",
        "rank",
        pl.lit(None, dtype=pl.String).alias("label"),
        *[pl.lit(None, dtype=pl.Float64).alias(c) for c in ("value", "lower_ci", "upper_ci")],
        *[pl.lit(None, dtype=pl.Float64).alias(c) for c in ("numerator", "population")],
        pl.col("fitted_pct").round(2).alias("fitted"),
        pl.lit("fitted").alias("kind"),
    )
    data = pl.concat([marks.cast({"numerator": pl.Float64, "population": pl.Float64}), fitted]).to_pandas()
    x = alt.X(
        "rank:Q",
        scale=alt.Scale(domain=[0, 1]),
        title="Rank by deprivation (0 = most, 1 = least deprived)",
    )
    base = alt.Chart().encode(x=x)
    quantiles = base.transform_filter(alt.datum.kind == "quantile")
    bars = quantiles.mark_rule(color=BLUE, strokeWidth=2).encode(
        y=alt.Y("lower_ci:Q", title="Per cent", scale=alt.Scale(zero=False)), y2="upper_ci:Q"
    )
    dots = quantiles.mark_point(filled=True, size=70, color=BLUE).encode(
        y="value:Q",
        tooltip=["area_name", "label", "value", "lower_ci", "upper_ci", "numerator", "population"],
    )
    text = quantiles.mark_text(dy=-10, dx=12, fontSize=10, color=BLACK).encode(y="value:Q", text="label:N")
    line = (
        base.transform_filter(alt.datum.kind == "fitted")
        .mark_line(color=ORANGE, strokeDash=[6, 3], strokeWidth=2)
        .encode(
            y="fitted:Q",
            tooltip=["area_name", "rank", alt.Tooltip("fitted:Q", title="fitted SII line", format=".1f")],
        )
    )
    layered = alt.layer(bars, dots, text, line, data=data)
    if points["area_name"].n_unique() > 1:
        return layered.properties(width=320, height=220).facet(
            facet=alt.Facet("area_name:N", title=None), columns=columns, title=title
        )
    return layered.properties(title=title, height=300)


def sii_trend_chart(table: pl.DataFrame, title: str, *, columns: int = 2) -> alt.TopLevelMixin:
    """The SII per period with its 95% CI and a zero line, one panel per area when there are several.

    ``table``: rated rows of :func:`kpi.inequality.views.sii_table` (area_name, period, period_index, sii_pts,
    sii_lower_pts, sii_upper_pts), and optionally ``deprivation_index`` (each period's index): the line is not drawn
    across a change of index, which a dashed rule and a note mark (docs/methods.md section 7.1).
    """
    if "deprivation_index" not in table.columns:
        table = table.with_columns(pl.lit("").alias("deprivation_index"))
    data = table.select(
        "area_name",
        "period",
        "period_index",
        "deprivation_index",
        pl.col("sii_pts").round(2).alias("sii"),
        pl.col("sii_lower_pts").round(2).alias("sii_lower"),
        pl.col("sii_upper_pts").round(2).alias("sii_upper"),
    ).to_pandas()
    x = alt.X("period:O", sort=alt.SortField("period_index"), title=None, axis=alt.Axis(labelAngle=-45))
    base = alt.Chart().encode(x=x)
    bars = base.mark_rule(color=BLUE, strokeWidth=2).encode(
        y=alt.Y("sii_lower:Q", title="SII (points, most minus least deprived)"), y2="sii_upper:Q"
    )
    dots = base.mark_point(filled=True, size=60, color=BLUE).encode(
        y="sii:Q",
        tooltip=[
            "area_name",
            "period",
            alt.Tooltip("sii:Q", title="SII (points)", format=".1f"),
            alt.Tooltip("sii_lower:Q", title="lower 95% CI", format=".1f"),
            alt.Tooltip("sii_upper:Q", title="upper 95% CI", format=".1f"),
        ],
    )
    line = base.mark_line(color=BLUE, strokeWidth=1).encode(y="sii:Q", detail="deprivation_index:N")
    zero = alt.Chart().mark_rule(color=BLACK, strokeDash=[4, 4]).encode(y=alt.datum(0))
    layers = [zero, bars, line, dots]
    periods_on = table.select("period", "period_index", "deprivation_index").unique().sort("period_index")
    changed = periods_on.filter(
        (pl.col("deprivation_index") != pl.col("deprivation_index").shift(1))
        & (pl.col("deprivation_index") != "")
    )
    if changed.height:
        first = changed["period"][0]
        layers.append(
            base.mark_rule(color=BLACK, strokeDash=[2, 2])
            .encode(x=alt.datum(first))
            .transform_filter(alt.datum.period == first)
        )
        # the note reads away from the nearer edge, so a change late in the series is not cut off at the right
        late = periods_on["period"].to_list().index(first) > periods_on.height / 2
        layers.append(
            base.mark_text(
                align="right" if late else "left",
                baseline="top",
                dx=-4 if late else 4,
                fontSize=11,
                color=BLACK,
            )
            .encode(x=alt.datum(first), y=alt.value(2), text=alt.value(deprivation.CHANGE_NOTE))
            .transform_filter(alt.datum.period == first)
        )
    layered = alt.layer(*layers, data=data)
    if table["area_name"].n_unique() > 1:
        return layered.properties(width=320, height=200).facet(
            facet=alt.Facet("area_name:N", title=None), columns=columns, title=title
        )
    return layered.properties(title=title, height=280)
