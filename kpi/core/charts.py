"""Pure Altair chart builders (frame in, chart out) and their exports.

Charts are exported offline with vl-convert (its own fonts, no network). CSV exports escape cells that begin with
``= + - @`` so a spreadsheet does not run them as formulas (OWASP "CSV injection").
"""

from __future__ import annotations

import altair as alt
import polars as pl
import vl_convert as vlc

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(text: str) -> str:
    """``text`` with a ``'`` in front when a spreadsheet would run it as a formula (it starts ``= + - @``, tab, CR).

    Example:
        >>> escape_cell("=1+1"), escape_cell("North")
        ("'=1+1", 'North')
    """
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def safe_csv(frame: pl.DataFrame) -> bytes:
    """CSV bytes of ``frame`` with text cells that a spreadsheet would run as a formula prefixed by ``'``.

    Text, categorical and enum columns are escaped, and so are column names (a pivot can make a locality code a
    header); numbers are written as numbers (``-2`` stays a number).
    """
    categorical = [n for n, d in frame.schema.items() if isinstance(d, pl.Categorical | pl.Enum)]
    frame = frame.with_columns(pl.col(categorical).cast(pl.String)) if categorical else frame
    frame = frame.rename({name: escape_cell(name) for name in frame.columns if escape_cell(name) != name})
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    escaped = frame.with_columns(
        [
            pl.when(_starts_any(name)).then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
            for name in text_columns
        ]
    )
    return escaped.write_csv().encode("utf-8")


def _starts_any(name: str) -> pl.Expr:
    expr = pl.lit(False)
    for prefix in FORMULA_PREFIXES:
        expr = expr | pl.col(name).str.starts_with(prefix)
    return expr


def to_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as SVG text (vector, for documents and downloads)."""
    return vlc.vegalite_to_svg(chart.to_dict())


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (``scale`` 2 gives about 200 dpi at print size)."""
    return vlc.vegalite_to_png(chart.to_dict(), scale=scale)


# ---- builders ------------------------------------------------------------------------------------------------

#: Okabe-Ito colour-blind-safe colours.
BLUE, ORANGE, GREY, BLACK = "#0072B2", "#D55E00", "#6b6b6b", "#222222"


def _ci_columns(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("value_pct").round(1).alias("value"),
        pl.col("lower_ci_pct").round(1).alias("lower_ci"),
        pl.col("upper_ci_pct").round(1).alias("upper_ci"),
    )


def trend_chart(frame: pl.DataFrame, title: str, *, england: pl.DataFrame | None = None) -> alt.LayerChart:
    """Borough value over periods: line and points, 95% CI band, target as a dashed step line, England points.

    England points are drawn only where the benchmark rule compares a figure (``england_current``), each with its own
    period in the tooltip (:func:`kpi.contract.values.with_benchmark`).

    ``frame``: period, period_index, value_pct, lower_ci_pct, upper_ci_pct, target_pct (from the mart).
    """
    data = (
        _ci_columns(frame)
        .select(
            "period",
            "period_index",
            "value",
            "lower_ci",
            "upper_ci",
            "target_pct",
            "numerator",
            "denominator",
        )
        .to_pandas()
    )
    x = alt.X("period:O", sort=alt.SortField("period_index"), title="Quarter", axis=alt.Axis(labelAngle=-45))
    base = alt.Chart(data).encode(x=x)
    band = base.mark_area(opacity=0.25, color=BLUE).encode(
        y=alt.Y("lower_ci:Q", title="Per cent", scale=alt.Scale(zero=False)), y2="upper_ci:Q"
    )
    line = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=50), color=BLUE).encode(
        y="value:Q",
        tooltip=["period", "value", "lower_ci", "upper_ci", "numerator", "denominator", "target_pct"],
    )
    target = base.mark_line(strokeDash=[6, 4], color=BLACK, interpolate="step-after").encode(y="target_pct:Q")
    layers = [band, line, target]
    if england is not None and "england_current" in england.columns:
        # only figures the benchmark rule compares: an out-of-date England figure is not drawn against a quarter
        england = england.filter(pl.col("england_current").fill_null(False))
    if england is not None and not england.is_empty():
        period_of = (
            pl.col("england_period") if "england_period" in england.columns else pl.lit(None, pl.String)
        )
        eng = england.select(
            "period",
            "period_index",
            pl.col("england_pct").alias("england"),
            period_of.alias("england_period"),
        ).to_pandas()
        layers.append(
            alt.Chart(eng)
            .mark_point(shape="diamond", color=ORANGE, size=60, filled=True)
            .encode(x=x, y="england:Q", tooltip=["period", "england", "england_period"])
        )
    return alt.layer(*layers).properties(title=title, height=300)


def category_ci_chart(
    frame: pl.DataFrame,
    category: str,
    title: str,
    *,
    sort_field: str | None = None,
    reference: dict[str, float] | None = None,
    target: float | None = None,
) -> alt.LayerChart:
    """Points with 95% CI error bars per category (locality or decile), optional reference and target lines.

    ``reference`` maps a label (e.g. "England 2024-25") to a value drawn as a labelled horizontal rule.
    """
    data = (
        _ci_columns(frame)
        .select(
            category,
            "value",
            "lower_ci",
            "upper_ci",
            "numerator",
            "denominator",
            *([sort_field] if sort_field else []),
        )
        .to_pandas()
    )
    x = alt.X(
        f"{category}:N",
        sort=alt.SortField(sort_field) if sort_field else None,
        title=None,
        axis=alt.Axis(labelAngle=0),
    )
    base = alt.Chart(data).encode(x=x)
    bars = base.mark_rule(color=BLUE, strokeWidth=2).encode(
        y=alt.Y("lower_ci:Q", title="Per cent", scale=alt.Scale(zero=False)), y2="upper_ci:Q"
    )
    points = base.mark_point(filled=True, size=80, color=BLUE).encode(
        y="value:Q", tooltip=[category, "value", "lower_ci", "upper_ci", "numerator", "denominator"]
    )
    layers = [bars, points]
    lines = dict(reference or {})
    if target is not None:
        lines[f"Target {target:g}%"] = target
    if lines:
        ref = pl.DataFrame({"label": list(lines), "level": list(lines.values())}).to_pandas()
        rule = alt.Chart(ref).encode(y="level:Q")
        layers.append(rule.mark_rule(strokeDash=[4, 4], color=ORANGE))
        layers.append(
            rule.mark_text(align="left", dx=4, dy=-6, color=BLACK).encode(text="label:N", x=alt.value(0))
        )
    return alt.layer(*layers).properties(title=title, height=280)
