"""A chart shown from its builder and arguments (pages/_app/chart_widget.py) sends exactly what ``st.altair_chart`` sends
for the chart built afresh, builds it once per data, and is rebuilt when the data changes."""

from __future__ import annotations

import functools
import importlib

import altair as alt
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

#: Every call of :func:`bar_chart` (the builder the cached path is given).
CALLS: list[str] = []


def _calls() -> list[str]:
    """The calls the script saw (it imports this module by its package name, which pytest may not have used)."""
    return importlib.import_module("tests.pages.test_chart_cache").CALLS


def _bars(frame: pl.DataFrame, title: str) -> alt.Chart:
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(x=alt.X("place:N", title="Place"), y=alt.Y("value:Q", title="Per cent"))
    )


def bar_chart(frame: pl.DataFrame, title: str) -> alt.Chart:
    """A module-level builder, counted."""
    CALLS.append(title)
    return _bars(frame, title)


def _script():
    import functools

    import altair as alt
    import polars as pl
    import streamlit as st

    from kpi.core import charts
    from pages._app import chart_widget
    from tests.pages.test_chart_cache import _bars, bar_chart

    value = float(st.session_state.get("value", 1.0))
    frame = pl.DataFrame({"place": ["North", "South"], "value": [value, 2.0]})
    title = f"Bars at {value}"
    fitted = alt.AutoSizeParams(type="fit-x", contains="padding")
    st.altair_chart(charts.accessible(_bars(frame, title)).properties(autosize=fitted), width="stretch")
    chart_widget.chart_with_downloads(functools.partial(bar_chart, frame, title), frame, "bars", key="bars")
    chart_widget.chart_with_downloads(_bars(frame, title), frame, "plain", key="plain")


@pytest.fixture()
def app():
    import streamlit as st

    st.cache_data.clear()
    _calls().clear()
    yield AppTest.from_function(_script, default_timeout=60)
    st.cache_data.clear()


def _protos(at: AppTest):
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3
    return [c.proto for c in charts]


def test_the_cached_chart_is_what_st_altair_chart_sends(app):
    app.run()
    assert not app.exception
    direct, cached, plain = _protos(app)
    assert cached.spec == direct.spec and plain.spec == direct.spec
    assert '"description": "Bars at 1.0"' in direct.spec  # its accessible name
    assert list(cached.datasets) == list(direct.datasets) and cached.datasets
    assert cached.data == direct.data and cached.theme == direct.theme
    assert cached == direct


def test_the_chart_is_built_once_per_data_and_rebuilt_when_it_changes(app):
    app.run()
    app.run()
    assert _calls() == ["Bars at 1.0"]
    first = _protos(app)[1]
    app.session_state["value"] = 5.0
    app.run()
    assert _calls() == ["Bars at 1.0", "Bars at 5.0"]
    direct, cached, _ = _protos(app)
    assert cached == direct and cached.spec != first.spec


def test_the_csv_is_the_data_with_formulas_escaped():
    from kpi.core import charts
    from pages._app import chart_widget

    frame = pl.DataFrame({"place": ["=North", "South"], "value": [1.0, -2.0]})
    spec, csv = chart_widget._payload(_bars(frame, "Bars"), frame)
    assert csv == charts.safe_csv(frame) and csv.startswith(b"place,value\n'=North,1.0\n")
    assert spec["description"] == "Bars" and spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_a_closure_is_not_cached():
    from pages._app import chart_widget

    frame = pl.DataFrame({"place": ["North"], "value": [1.0]})
    local = 3

    def closure(frame: pl.DataFrame) -> alt.Chart:
        return _bars(frame, str(local))

    with pytest.raises(ValueError, match="module-level"):
        chart_widget._cached_payload(functools.partial(closure, frame), frame)


def test_a_dict_or_list_argument_is_keyed_by_its_whole_value():
    from pages._app import chart_widget

    shape = {
        "type": "FeatureCollection",
        "features": [{"id": "N", "coordinates": [[0.1, 51.5], [0.2, 51.6]]}],
    }
    same = {"type": "FeatureCollection", "features": [{"id": "N", "coordinates": [[0.1, 51.5], [0.2, 51.6]]}]}
    moved = {
        "type": "FeatureCollection",
        "features": [{"id": "N", "coordinates": [[0.1, 51.5], [0.2, 51.7]]}],
    }
    assert chart_widget._digest(shape) == chart_widget._digest(same)
    assert chart_widget._digest(shape) != chart_widget._digest(moved)
    assert chart_widget._digest([1, 2]) != chart_widget._digest((1, 2))
    assert chart_widget._digest("North") == "North"
    unpicklable = [lambda: None]
    assert chart_widget._digest(unpicklable) is unpicklable  # left to Streamlit's hashing
