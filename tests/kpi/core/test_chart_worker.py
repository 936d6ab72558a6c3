"""The drawing process: the same SVG as drawn in process, errors reported, a dead helper replaced."""

from __future__ import annotations

import time

import altair as alt
import polars as pl
import pytest

from kpi.core import chart_worker
from kpi.reports.figures import FigureSet, clear_chart_cache

SPEC = {
    "data": {"values": [{"x": 1, "y": 2}, {"x": 2, "y": 5}]},
    "mark": "line",
    "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}},
}


def test_the_helper_draws_what_the_process_would():
    futures = [chart_worker.draw_svg({**SPEC, "title": f"Chart {n}"}) for n in range(5)]
    svgs = [future.result(timeout=60) for future in futures]
    assert svgs == [chart_worker.svg_now({**SPEC, "title": f"Chart {n}"}) for n in range(5)]
    assert all(f"Chart {n}" in svg for n, svg in enumerate(svgs))


def test_a_spec_it_cannot_draw_is_an_error_and_the_helper_goes_on():
    bad = chart_worker.draw_svg({"mark": "no-such-mark", "data": {"values": []}})
    with pytest.raises(RuntimeError, match="could not be drawn"):
        bad.result(timeout=60)
    assert "<svg" in chart_worker.draw_svg(SPEC).result(timeout=60)


def test_a_helper_that_dies_refuses_requests_and_is_replaced():
    chart_worker.start()
    first = chart_worker._helper()
    first.process.kill()
    first.process.wait()
    deadline = time.monotonic() + 30
    while first.alive and time.monotonic() < deadline:  # its reader sees the end of its output
        time.sleep(0.01)
    assert not first.alive
    with pytest.raises(OSError):
        first.submit("{}")
    assert "<svg" in chart_worker.draw_svg(SPEC).result(timeout=60)
    assert chart_worker._helper() is not first


def test_requests_pending_when_the_helper_dies_fail():
    helper = chart_worker._Helper()
    try:
        helper.process.stdin.write(b"1 100\n{")  # half a request: the helper waits for the rest
        helper.process.stdin.flush()
        helper.pending[1] = waiting = chart_worker.Future()
        helper.process.kill()
        with pytest.raises(chart_worker.HelperGone):
            waiting.result(timeout=30)
    finally:
        helper.stop()


def _figures() -> FigureSet:
    figures = FigureSet()
    frame = pl.DataFrame({"x": [1, 2, 3], "y": [3.0, 1.0, 2.0]})
    for key in ("one", "two"):
        chart = alt.Chart(frame).mark_line().encode(x="x:Q", y="y:Q").properties(title=key)
        figures.add(key, chart, title=key, alt=f"A line, {key}.")
    return figures


def test_charts_drawn_ahead_are_the_charts_drawn_on_demand():
    clear_chart_cache()
    ahead = _figures()
    assert ahead.draw_ahead() == 2
    assert ahead.draw_ahead() == 0  # nothing sent twice
    clear_chart_cache()
    on_demand = _figures()
    assert [ahead.svg(k) for k in ("one", "two")] == [on_demand.svg(k) for k in ("one", "two")]
    assert ahead.renders["svg"] == on_demand.renders["svg"] == 2


def test_a_chart_the_helper_could_not_draw_is_drawn_in_process(monkeypatch):
    clear_chart_cache()
    expected = _figures().svg("one")
    clear_chart_cache()

    def gone(spec):
        failed = chart_worker.Future()
        failed.set_exception(chart_worker.HelperGone("the drawing process stopped"))
        return failed

    monkeypatch.setattr(chart_worker, "draw_svg", gone)
    figures = _figures()
    assert figures.draw_ahead() == 2
    assert figures.svg("one") == expected
