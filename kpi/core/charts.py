"""Pure Altair chart builders (frame in, chart out) and their exports.

Charts are exported offline with vl-convert (its own fonts, no network). CSV exports escape cells that begin with
``= + - @`` so a spreadsheet does not run them as formulas (OWASP "CSV injection").
"""

from __future__ import annotations

import textwrap

import altair as alt
import polars as pl
import vl_convert as vlc

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Altair's debug mode checks every schema object against the Vega-Lite JSON schema as it is made (every encoding,
# mark and inline dataset, once more each time a chart is copied): about half the time it takes to build a chart
# and write its spec. The spec is checked once as a whole instead: by ``to_dict()``, which validates by default
# (the chart tests call it), and by vl-convert, which compiles every spec it draws. Off for the process, as the
# product is the only user of Altair in it.
alt.utils.schemapi.DEBUG_MODE = False


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


class LiftedLayerChart(alt.LayerChart):
    """A ``LayerChart`` whose layers were lifted once (by :func:`layered`), so its shallow copy copies only itself.

    Altair makes a shallow copy of a chart by calling its class again with the same properties; for a
    ``LayerChart`` that re-runs the lifting of shared data and parameters, which deep-copies every layer twice. A
    chart is copied that way by ``to_dict`` and by every ``properties`` or :func:`accessible`, so an XmR chart of eight
    layers was deep-copied several times over before its spec was written. Here a shallow copy is what it says: a
    new chart holding the same layers (the spec it writes is the same dict).
    """

    def copy(self, deep=True, ignore=None):
        """A deep copy as Altair makes it; a shallow copy (``deep=False``) without re-lifting the layers."""
        if deep is not False:
            return super().copy(deep=deep, ignore=ignore)
        twin = object.__new__(type(self))
        object.__setattr__(twin, "_args", self._args)
        object.__setattr__(twin, "_kwds", dict(self._kwds))
        return twin


def layered(*layers: alt.Chart, **properties) -> alt.LayerChart:
    """The layers in one panel with top-level ``properties``: the chart ``alt.layer(*layers).properties(...)`` makes.

    Made without Altair's defensive copies: a ``LayerChart`` deep-copies every layer twice as it is made (in case a
    layer is shared with another chart or carries parameters to lift), and ``properties`` copies it again. For an
    XmR chart of eight layers with tooltips that was most of the time spent building it. Layers passed here are
    made for this chart alone (``base.mark_*()`` returns a new object), so the data they share is lifted to the top
    as Altair does and nothing is copied. Layers with parameters, or with their own size, go the usual way.
    """
    lifted = ("params", "height", "width", "view")
    if not layers or any(
        getattr(layer, name, alt.Undefined) is not alt.Undefined for layer in layers for name in lifted
    ):
        return alt.layer(*layers).properties(**properties)
    chart = LiftedLayerChart(**properties)
    shared = layers[0].data
    if shared is not alt.Undefined and all(layer.data is shared for layer in layers):
        chart.data = shared
        for layer in layers:
            layer.data = alt.Undefined
    chart.layer = list(layers)
    return chart


# ---- builders ------------------------------------------------------------------------------------------------

#: Number formats as people write them: per cent to one decimal place, counts with thousands separators.
PCT_FORMAT, COUNT_FORMAT = ".1f", ",.0f"
#: Axis ticks: at most one decimal place, no trailing zeros ("90", "92.5"; never "60.000000").
PCT_AXIS_FORMAT = ",.1~f"
#: Plot height of a chart by locality or decile, in pixels.
CATEGORY_HEIGHT = 280
#: Legend labels are never cut short with an ellipsis (Vega-Lite's default limit is 160 px).
LEGEND_LABEL_LIMIT = 400


def _top_level(chart: alt.TopLevelMixin, name: str):
    """A top-level property of ``chart`` as set (``None`` when unset), read without converting the whole chart.

    Same answer as ``chart.to_dict()[name]`` at a fraction of the cost: ``to_dict`` validates and serialises the
    data and every layer, which made a page with eight charts spend most of its time naming them.
    """
    value = getattr(chart, name, alt.Undefined)
    return None if value is alt.Undefined else value


def title_text(chart: alt.TopLevelMixin) -> str:
    """The chart's title as plain text ("" when it has none)."""
    title = _top_level(chart, "title")
    if isinstance(title, alt.TitleParams):
        title = title.to_dict(validate=False)
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(str(part) for part in title)
    return str(title or "")


def accessible(chart: alt.TopLevelMixin, description: str | None = None) -> alt.TopLevelMixin:
    """``chart`` with an accessible name: Vega-Lite's top-level ``description`` becomes the chart's ARIA label.

    ``description`` defaults to the chart's title; a chart that already has a description keeps it.
    """
    if description is None:
        existing = _top_level(chart, "description")
        description = existing or title_text(chart)
    if not description:
        return chart
    named = chart.copy(deep=False)  # as ``properties`` does, without validating a string against the schema
    named.description = description
    return named


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
        y=alt.Y(
            "lower_ci:Q", title="Per cent", scale=alt.Scale(zero=False), axis=alt.Axis(format=PCT_AXIS_FORMAT)
        ),
        y2="upper_ci:Q",
    )
    line = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=50), color=BLUE).encode(
        y="value:Q",
        tooltip=[
            "period",
            *_ci_tooltips(),
            alt.Tooltip("target_pct:Q", title="target (%)", format=PCT_FORMAT),
        ],
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
            .encode(
                x=x,
                y="england:Q",
                tooltip=[
                    "period",
                    alt.Tooltip("england:Q", title="England (%)", format=PCT_FORMAT),
                    alt.Tooltip("england_period:N", title="England period"),
                ],
            )
        )
    return accessible(layered(*layers, title=title, height=300))


def spread_labels(levels: dict[str, float], gap: float) -> dict[str, float]:
    """Label positions at least ``gap`` apart, each as near its line's level as that allows (order kept).

    Labels are placed bottom-up, each pushed up to clear the one below; the group is then shifted down by half the
    total push so no label ends far from its line.

    Example:
        >>> spread_labels({"Target": 90.0, "Lower limit": 89.8, "Mean": 93.0}, 1.0)
        {'Lower limit': 89.4, 'Target': 90.4, 'Mean': 93.0}
    """
    order = sorted(levels, key=lambda name: levels[name])
    placed: dict[str, float] = {}
    for name in order:
        below = [placed[other] for other in placed]
        level = levels[name]
        placed[name] = max(level, below[-1] + gap) if below else level
    # shift each cluster of pushed labels down by half its push, so labels straddle their lines
    clusters: list[list[str]] = []
    for name in order:
        if clusters and placed[name] - placed[clusters[-1][-1]] <= gap + 1e-9:
            clusters[-1].append(name)
        else:
            clusters.append([name])
    result: dict[str, float] = {}
    for cluster in clusters:
        push = sum(placed[n] - levels[n] for n in cluster) / len(cluster)
        for n in cluster:
            result[n] = round(placed[n] - push, 6)
    return result


def _ci_tooltips() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("value:Q", title="value (%)", format=PCT_FORMAT),
        alt.Tooltip("lower_ci:Q", title="lower 95% CI", format=PCT_FORMAT),
        alt.Tooltip("upper_ci:Q", title="upper 95% CI", format=PCT_FORMAT),
        alt.Tooltip("numerator:Q", format=COUNT_FORMAT),
        alt.Tooltip("denominator:Q", format=COUNT_FORMAT),
    ]


def _category_axis(names: pl.Series) -> alt.Axis:
    """An axis that shows every category's whole name: level when the names are short, slanted when they are long."""
    longest = max((len(str(n)) for n in names.drop_nulls()), default=0)
    if longest <= 14:
        return alt.Axis(labelAngle=0, labelOverlap=False)
    return alt.Axis(labelAngle=-30, labelAlign="right", labelLimit=LEGEND_LABEL_LIMIT, labelOverlap=False)


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
        axis=_category_axis(frame[category]),
    )
    base = alt.Chart(data).encode(x=x)
    # channels are given as objects, not "field:type" strings: Altair turns a string into a channel by searching its
    # whole schema, several milliseconds each (the same spec either way)
    bars = base.mark_rule(color=BLUE, strokeWidth=2).encode(
        y=alt.Y(
            "lower_ci:Q", title="Per cent", scale=alt.Scale(zero=False), axis=alt.Axis(format=PCT_AXIS_FORMAT)
        ),
        y2=alt.Y2("upper_ci:Q"),
    )
    points = base.mark_point(filled=True, size=80, color=BLUE).encode(
        y=alt.Y("value:Q"), tooltip=[alt.Tooltip(f"{category}:N"), *_ci_tooltips()]
    )
    layers = [bars, points]
    lines = dict(reference or {})
    if target is not None:
        lines[f"Target {target:.1f}%"] = target
    if lines:
        layers += _line_labels(lines, [*data["lower_ci"].dropna(), *data["upper_ci"].dropna()])
    return accessible(layered(*layers, title=title, height=CATEGORY_HEIGHT))


#: Characters a line of a reference line's label holds, beside the plot.
LABEL_CHARS = 18
#: Height in pixels of one line of a reference line's label.
LABEL_LINE_PX = 13


def wrap_label(text: str, width: int = LABEL_CHARS) -> str:
    """``text`` broken into lines of at most ``width`` characters at spaces (a word longer than that kept whole).

    Example:
        >>> wrap_label("England 2024-25 (out of date, not compared)").splitlines()
        ['England 2024-25', '(out of date, not', 'compared)']
    """
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def _line_labels(lines: dict[str, float], values: list[float]) -> list[alt.Chart]:
    """Dashed rules at each level and their labels beside the plot, on its right, where no point or bar is.

    Labels of lines close together (a target near England's figure) are moved apart, not drawn over each other;
    each is wrapped into lines of :data:`LABEL_CHARS` characters.
    """
    wrapped = {label: wrap_label(label) for label in lines}
    seen = [*values, *lines.values()]
    span = (max(seen) - min(seen)) or 1.0
    tallest = max(text.count("\n") + 1 for text in wrapped.values())
    placed = spread_labels(lines, span * LABEL_LINE_PX * tallest / (CATEGORY_HEIGHT * 0.85))
    ref = pl.DataFrame(
        {
            "label": list(lines),
            "text": [wrapped[k] for k in lines],
            "level": list(lines.values()),
            "at": [placed[k] for k in lines],
        }
    ).to_pandas()
    rule = alt.Chart(ref)
    return [
        rule.mark_rule(strokeDash=[4, 4], color=ORANGE).encode(y=alt.Y("level:Q")),
        rule.mark_text(align="left", baseline="middle", dx=6, lineBreak="\n", color=BLACK).encode(
            y=alt.Y("at:Q"), text=alt.Text("text:N"), x=alt.XValue("width")
        ),
    ]


def category_count_chart(
    frame: pl.DataFrame,
    category: str,
    title: str,
    *,
    sort_field: str | None = None,
    y_title: str = "Children",
) -> alt.Chart:
    """Bars of a count (the numerator) per category (locality or decile), labelled with thousands separators.

    A count KPI has no percentage, confidence interval or target line: it is drawn as what it is.
    """
    data = frame.select(category, pl.col("numerator").alias("count"), *([sort_field] if sort_field else []))
    x = alt.X(
        f"{category}:N",
        sort=alt.SortField(sort_field) if sort_field else None,
        title=None,
        axis=_category_axis(frame[category]),
    )
    base = alt.Chart(data.to_pandas()).encode(
        x=x,
        y=alt.Y("count:Q", title=y_title, axis=alt.Axis(format=COUNT_FORMAT)),
        tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip("count:Q", format=COUNT_FORMAT)],
    )
    bars = base.mark_bar(color=BLUE)
    labels = base.mark_text(dy=-6, color=BLACK).encode(text=alt.Text("count:Q", format=COUNT_FORMAT))
    return accessible(alt.layer(bars, labels).properties(title=title, height=280))
