"""Widgets the pages share: tables, CSV downloads (formula cells escaped), the Overview's exception narratives and
the comparison with similar councils. Charts with their downloads: :mod:`pages._app.chart_widget`."""

from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from kpi.core import charts
from kpi.core.tables import plain, readable
from pages._app.chart_widget import chart_with_downloads
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
