"""Every table and chart a page shows can be taken away: CSV (formula cells escaped), PNG and SVG."""

from __future__ import annotations

import io

import altair as alt
import polars as pl
import streamlit as st

from kpi.core import charts


def download_frame(frame: pl.DataFrame, file_stem: str, key: str, label: str = "Download data (CSV)") -> None:
    """A CSV download of a frame, with formula-injection cells escaped."""
    st.download_button(label, charts.safe_csv(frame), file_name=f"{file_stem}.csv", mime="text/csv", key=key)


def chart_with_downloads(chart: alt.TopLevelMixin, frame: pl.DataFrame, file_stem: str, key: str) -> None:
    """Show an Altair chart with its data as CSV and itself as PNG and SVG.

    The chart fills the page's width at its own plot height (Streamlit's default "fit" would squeeze the plot into
    the height left over by the title, axes and legend), and carries an accessible name: its description, else
    its title.
    """
    chart = charts.accessible(chart)
    shown = chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    st.altair_chart(shown, width="stretch", key=f"{key}_chart")
    cols = st.columns(3)
    with cols[0]:
        download_frame(frame, file_stem, key=f"{key}_csv")
    with cols[1]:
        st.download_button(
            "Chart (PNG)",
            _png(chart),
            file_name=f"{file_stem}.png",
            mime="image/png",
            key=f"{key}_png",
            on_click="ignore",
        )
    with cols[2]:
        st.download_button(
            "Chart (SVG)",
            charts.to_svg(chart),
            file_name=f"{file_stem}.svg",
            mime="image/svg+xml",
            key=f"{key}_svg",
            on_click="ignore",
        )


def _png(chart: alt.TopLevelMixin):
    return lambda: io.BytesIO(charts.to_png(chart)).getvalue()
