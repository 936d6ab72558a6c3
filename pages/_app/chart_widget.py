"""A chart as the pages show it: drawn from a cached Vega-Lite spec, with its data as CSV (formula cells escaped)
and itself as PNG and SVG, drawn only when asked for (docs/performance.md, "Pages of the sample")."""

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
    for col, (kind, draw, mime) in zip(
        cols[1:], (("png", _png, "image/png"), ("svg", _svg, "image/svg+xml")), strict=True
    ):
        with col:
            st.download_button(
                f"Chart ({kind.upper()})",
                draw(build),
                file_name=f"{file_stem}.{kind}",
                mime=mime,
                key=f"{key}_{kind}",
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
