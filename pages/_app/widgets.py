"""Widgets the pages share: tables, downloads (every table and chart a page shows can be taken away: CSV with
formula cells escaped, PNG and SVG) and the Overview's exception narratives."""

from __future__ import annotations

import functools
import hashlib
import io
import pickle
from collections.abc import Callable

import altair as alt
import polars as pl
import streamlit as st

from kpi.core import charts
from kpi.core.tables import plain, readable
from pages._app.reads import locality_names, provider_names
from pages._app.reads_overview import narratives


def table(frame: pl.DataFrame, key: str, labels: dict[str, str] | None = None, **kwargs) -> None:
    """Show ``frame`` as :func:`kpi.core.tables.readable` makes it (no index, the page's width).

    A provider is shown by its name, not its code (the providers table), under the heading "Provider".
    """
    if "provider_code" in frame.columns:
        frame = frame.with_columns(pl.col("provider_code").replace(provider_names()))
        labels = {"provider_code": "Provider", **(labels or {})}
    shown, formats = readable(frame, labels)
    config = {name: st.column_config.NumberColumn(name, format=fmt) for name, fmt in formats.items()}
    config.update(kwargs.pop("column_config", {}) or {})
    kwargs.setdefault("width", "stretch")
    st.dataframe(shown, hide_index=True, key=key, column_config=config, **kwargs)


def download_frame(frame: pl.DataFrame, file_stem: str, key: str, label: str = "Download data (CSV)") -> None:
    """A CSV download of a frame, with formula-injection cells escaped."""
    st.download_button(label, charts.safe_csv(frame), file_name=f"{file_stem}.csv", mime="text/csv", key=key)


def chart_with_downloads(
    chart: alt.TopLevelMixin | functools.partial, frame: pl.DataFrame, file_stem: str, key: str
) -> None:
    """Show an Altair chart with its data as CSV and itself as PNG and SVG.

    The chart fills the page's width at its own plot height (Streamlit's default "fit" would squeeze the plot into
    the height left over by the title, axes and legend), and carries an accessible name: its description, else
    its title.

    ``chart`` is best given as its builder with the builder's arguments, ``functools.partial(builder, *args)``
    (a module-level function, not a closure): then the chart is built, validated and turned into its Vega-Lite
    spec once, and later views of the same arguments (the same data) send the cached spec and CSV
    (:func:`_chart_payload`; docs/performance.md, "Pages"). What is drawn is the same either way.
    """
    if isinstance(chart, functools.partial):
        spec, csv = _cached_payload(chart, frame)
        build: Callable[[], alt.TopLevelMixin] = chart
    else:
        spec, csv = _payload(chart, frame)
        build = functools.partial(lambda built: built, chart)
    st.vega_lite_chart(spec=spec, width="stretch", key=f"{key}_chart")
    cols = st.columns(3)
    with cols[0]:
        st.download_button(
            "Download data (CSV)", csv, file_name=f"{file_stem}.csv", mime="text/csv", key=f"{key}_csv"
        )
    with cols[1]:
        st.download_button(
            "Chart (PNG)",
            _png(build),
            file_name=f"{file_stem}.png",
            mime="image/png",
            key=f"{key}_png",
            on_click="ignore",
        )
    with cols[2]:
        st.download_button(
            "Chart (SVG)",
            _svg(build),
            file_name=f"{file_stem}.svg",
            mime="image/svg+xml",
            key=f"{key}_svg",
            on_click="ignore",
        )


def _payload(chart: alt.TopLevelMixin, frame: pl.DataFrame) -> tuple[dict, bytes]:
    """The Vega-Lite spec Streamlit's ``st.altair_chart`` would send for the chart as shown, and the CSV."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    shown = charts.accessible(chart).properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return dict(_convert_altair_to_vega_lite_spec(shown)), charts.safe_csv(frame)


def _cached_payload(build: functools.partial, frame: pl.DataFrame) -> tuple[dict, bytes]:
    func = build.func
    if "<locals>" in func.__qualname__ or getattr(func, "__closure__", None):
        raise ValueError(f"{func.__qualname__}: a chart builder to cache must be a module-level function")
    name = f"{func.__module__}.{func.__qualname__}"
    args = tuple(_digest(arg) for arg in build.args)
    kwargs = {key: _digest(value) for key, value in build.keywords.items()}
    return _chart_payload(name, args, kwargs, frame, build)


def _digest(arg):
    """A dict, list or tuple argument (a map's GeoJSON above all) stands in the cache key as the SHA-256 of its
    pickle, which is made in C: Streamlit's own hashing walks it item by item in Python. Equal pickles mean equal
    values; anything that does not pickle is left to Streamlit."""
    if not isinstance(arg, dict | list | tuple):
        return arg
    try:
        return (
            "pickle-sha256",
            type(arg).__name__,
            hashlib.sha256(pickle.dumps(arg, protocol=5)).hexdigest(),
        )
    except (pickle.PicklingError, TypeError, AttributeError):
        return arg


@st.cache_data(show_spinner=False, max_entries=512)
def _chart_payload(
    builder: str, args: tuple, kwargs: dict, frame: pl.DataFrame, _build
) -> tuple[dict, bytes]:
    """The spec and CSV of a chart, cached on its builder's name, its arguments and the data offered (Streamlit
    hashes frames by their content), so nothing shown can be stale: other data is another entry."""
    return _payload(_build(), frame)


def _png(build: Callable[[], alt.TopLevelMixin]):
    """The PNG, drawn only when the reader presses the button (drawing costs a Vega render)."""
    return lambda: io.BytesIO(charts.to_png(charts.accessible(build()))).getvalue()


def _svg(build: Callable[[], alt.TopLevelMixin]):
    """The SVG, drawn only when the reader presses the button (drawing costs a Vega render)."""
    return lambda: charts.to_svg(charts.accessible(build()))


def exception_narratives(period: str) -> None:
    """The exception narratives in force for a period (the overview's Exceptions section), shown as typed."""
    frame = narratives(period)
    if frame.is_empty():
        st.caption("No explanation has been recorded for this period yet (see the Exceptions page).")
        return
    names = locality_names()
    providers = provider_names()
    for row in frame.iter_rows(named=True):
        where = names.get(row["locality_code"], "Borough")
        provider = plain(providers.get(row["provider_code"], row["provider_code"]))
        st.markdown(
            f"**{row['kpi_name']}, {where}** ({provider}, {row['rag'] or 'exception'}; "
            f"{row['agreement']}): {plain(row['explanation'])}  \n"
            f"Remedial action: {plain(row['remedial_action'])} Owner: {plain(row['owner'])}, "
            f"by {row['due_date']:%d %B %Y}."
        )


def comparison_section(view, title: str, key: str) -> None:
    """The council against similar councils (:class:`kpi.outcomes.neighbours.NeighbourView`): a table of groups,
    every council's value with its interval (caterpillar chart) and the neighbours' trends beside the council's."""
    from kpi.outcomes import charts as outcome_charts

    st.subheader("Compared with similar councils")
    if view is None:
        st.caption(
            "No Fingertips indicator publishes this measure for every council (config/kpi_fingertips.toml), so it "
            "is not compared with other councils."
        )
        return
    if view.empty:
        st.caption(
            "No other council's figures are loaded for this measure: load a Fingertips all-area export "
            "(`hcp load fingertips FILE`) to compare with statistical neighbours, the region and all councils."
        )
        return
    st.markdown(view.note)
    for warning in view.warnings:
        st.caption(warning)
    shown = view.table.select(
        pl.col("group_name").alias("Group"),
        pl.col("n_members").alias("Councils"),
        pl.col("average").round(1).alias("Group average"),
        pl.col("method").alias("Average by"),
        pl.col("words").alias("This council"),
    )
    table(shown, key=f"{key}_groups")
    first = view.table.filter(pl.col("kind") == "comparator").head(1)
    average = first["average"][0] if first.height else None
    group = first["group_name"][0] if first.height else "no comparator group"
    st.caption(
        f"Every council's value with its 95% confidence interval, lowest to highest: this council an orange "
        f"diamond, {group} blue circles (dashed line: their average), other councils grey squares."
    )
    chart_with_downloads(
        functools.partial(
            outcome_charts.caterpillar_chart,
            view.spread,
            f"{title}: every council, {view.period}",
            view.unit,
            average,
        ),
        view.spread,
        f"{key}_councils",
        key=f"{key}_caterpillar",
    )
    if not view.trends.is_empty():
        st.caption(
            f"This council's series (thick orange line, diamonds) beside each member of {group} (thin grey lines) "
            "and their average (dashed blue line)."
        )
        chart_with_downloads(
            functools.partial(
                outcome_charts.neighbour_trend_chart,
                view.trends,
                f"{title}: this council beside {group}",
                view.unit,
            ),
            view.trends,
            f"{key}_neighbour_trends",
            key=f"{key}_trends",
        )
