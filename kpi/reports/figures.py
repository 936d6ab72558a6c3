"""The charts of one document, each drawn at most once per build (and once per process for the same spec).

A :class:`FigureSet` holds Altair charts by key with a title and a text alternative. ``svg(key)`` draws a chart as
SVG (for HTML and PDF: vector, with ``<title>``, ``<desc>``, ``role="img"`` and ``aria-label``) and ``png(key)`` makes
the PNG for DOCX (which python-docx can only embed as a bitmap) from that same SVG with the reports' typesetter
(:mod:`kpi.reports.engine`), at :data:`PNG_PPI` pixels per inch written into the PNG's ``pHYs`` chunk (at most as wide
as the chart is placed, when that is given). The HTML preview, the PDF and the DOCX of one build share drawings, and
the set counts them and the seconds they took (``bench/pack_bench.py`` reports the time spent on charts).

Drawing is vl-convert (offline), in the reports' font (:data:`REPORT_FONT`, which the
PDF and PNG are typeset in too, so text is measured and drawn in the same font). The Vega-Lite spec is made without
Altair's schema validation, and each data frame shared by several layers converted once (:func:`vega_lite_spec`).
A report that knows its charts early calls :meth:`FigureSet.draw_ahead`: their specs are written there and drawn
by a separate drawing process (:mod:`kpi.core.chart_worker`; vl-convert holds the interpreter lock while it draws)
while the report reads the rest of its data, and ``svg(key)`` then waits only for what is not drawn yet.
Drawings are also kept in a small bounded cache for the process, keyed by the SHA-256 of the spec, so a pack built
again with unchanged charts (for another viewer, or after data that left them unchanged) is not drawn twice;
:func:`clear_chart_cache` empties it (the bench does, so that it times cold drawing). Element ids inside each SVG are
prefixed with the figure's key, so several charts can sit in one HTML page without their clip paths colliding.

Example:
>>> import altair as alt, polars as pl
>>> figures = FigureSet()
>>> chart = alt.Chart(pl.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x:Q", y="y:Q")
>>> figures.add("demo", chart, title="Demo", alt="A rising line from 3 to 4.").key
'demo'
>>> svg = figures.svg("demo"); figures.svg("demo") is svg, figures.renders["svg"]
(True, 1)
>>> '<title id="demo-title">Demo</title>' in svg
True
>>> png = figures.png("demo", max_width_in=1.5); int.from_bytes(png[16:20], "big"), 1.5 * PNG_PPI
(330, 330.0)
>>> 'font-family="DejaVu Sans, sans-serif"' in svg
True
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from html import escape

import altair as alt

from kpi.core import chart_worker
from kpi.reports import engine
from kpi.spc import icons as spc_icons

#: Pixels per inch of the PNG charts (the DOCX needs at least 200 dpi at print size).
PNG_PPI = 220
#: The font of the charts in reports: the one the PDF is typeset in (Debian's fonts-dejavu-core), then any sans.
REPORT_FONT = "DejaVu Sans, sans-serif"
#: Width in CSS pixels charts are drawn at (about 15 cm at 96 px per inch).
CHART_WIDTH = 560
#: Icons in DOCX tables: drawn at this many pixels and this many pixels per inch.
ICON_PIXELS, ICON_PPI = 96, 400
#: Seconds to wait for the drawing process before a chart is drawn in this process instead.
DRAW_TIMEOUT_S = 60
#: How many drawings (SVG by spec) the process keeps.
CACHE_ENTRIES = 64
#: Pixels an inch of an SVG's width and height as printed (a 720-pixel chart is 10 inches wide at its own size).
_SVG_PPI = 72

_ID = re.compile(r'\bid="([^"]+)"')
_SVG_WIDTH = re.compile(r'<svg[^>]*?\bwidth="([0-9.]+)"')
_TOP_LEVEL = alt.TopLevelMixin
_CACHE: OrderedDict[str, str] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def clear_chart_cache() -> None:
    """Forget every drawing kept for the process (the next build draws its charts afresh)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _cached(digest: str) -> str | None:
    with _CACHE_LOCK:
        svg = _CACHE.get(digest)
        if svg is not None:
            _CACHE.move_to_end(digest)
        return svg


def _keep(digest: str, svg: str) -> None:
    with _CACHE_LOCK:
        _CACHE[digest] = svg
        _CACHE.move_to_end(digest)
        while len(_CACHE) > CACHE_ENTRIES:
            _CACHE.popitem(last=False)


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec: the same dict as ``chart.to_dict()``, in about a third of the time.

    Two costs of ``to_dict`` are left out. Schema validation checks the whole spec against the Vega-Lite JSON schema
    in Python; vl-convert compiles the spec itself and reports what it cannot draw. And Altair converts a layer's data
    frame for every layer that uses it (an XmR chart draws seven layers from one frame): here the data transformer
    that is enabled is wrapped so that, while this chart's spec is written, each frame is converted once (Altair still
    gathers the values into the spec's ``datasets`` as before). The wrapper is enabled only inside a lock, and in any
    other thread that meets it in that moment it just calls the transformer it wraps.
    """
    with _SPEC_LOCK:
        _SPEC["wrapped"] = alt.data_transformers.get()
        _SPEC_MEMO.frames = {}
        try:
            with alt.data_transformers.enable(_ONCE):
                return chart.to_dict(validate=False)
        finally:
            _SPEC_MEMO.frames = None


def _convert_once(data, **options):
    """The data transformer of :func:`vega_lite_spec`: each frame converted once per spec in its thread."""
    wrapped = _SPEC["wrapped"]
    frames = getattr(_SPEC_MEMO, "frames", None)
    if frames is None:
        return wrapped(data, **options)
    if id(data) not in frames:
        frames[id(data)] = (data, wrapped(data, **options))  # the frame is kept so its id is not reused
    return frames[id(data)][1]


_ONCE = "hcp-convert-once"
_SPEC_LOCK = threading.Lock()
#: The transformer the wrapper calls (set, with the lock held, before the wrapper is enabled).
_SPEC: dict = {"wrapped": alt.data_transformers.get()}
_SPEC_MEMO = threading.local()
alt.data_transformers.register(_ONCE, _convert_once)


@dataclass
class Figure:
    """One chart: key, visible title, text alternative (what a sighted reader would take in) and the chart.

    ``make`` builds the Altair chart when it is first needed (building Altair charts is itself costly, so a
    document whose charts are never drawn, e.g. a data-only check, never pays for them).
    """

    key: str
    make: Callable[[], alt.TopLevelMixin]
    title: str
    alt: str
    _chart: alt.TopLevelMixin | None = field(default=None, repr=False)

    @property
    def chart(self) -> alt.TopLevelMixin:
        """The Altair chart (built on first use)."""
        if self._chart is None:
            self._chart = self.make()
        return self._chart


@dataclass
class FigureSet:
    """Charts by key, drawn lazily and once per format (see the module docstring).

    ``renders`` counts what the set produced per format ("svg", "png", "icon"), ``cached`` how many of its SVGs came
    from the process's cache instead of vl-convert, ``seconds`` the time spent on charts in all and
    ``spec_seconds`` the part of it spent building the Altair charts and their Vega-Lite specs.
    """

    figures: dict[str, Figure] = field(default_factory=dict)
    renders: dict[str, int] = field(default_factory=lambda: {"svg": 0, "png": 0, "icon": 0})
    cached: int = 0
    seconds: float = 0.0
    spec_seconds: float = 0.0
    _raw: dict[str, str] = field(default_factory=dict, repr=False)
    _svg: dict[str, str] = field(default_factory=dict, repr=False)
    _png: dict[tuple[str, float | None], bytes] = field(default_factory=dict, repr=False)
    _icons: dict[tuple[str, str | None], bytes] = field(default_factory=dict, repr=False)
    _pending: dict[str, tuple[str, Future]] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def add(
        self, key: str, chart: alt.TopLevelMixin | Callable[[], alt.TopLevelMixin], *, title: str, alt: str
    ) -> Figure:
        """Register a chart (or a function that builds it) under a unique key (letters, digits, ``-``, ``_``)."""
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", key):
            raise ValueError(f"a figure key is letters, digits, '-' and '_', starting with a letter: {key!r}")
        if key in self.figures:
            raise ValueError(f"the figure key {key!r} is used twice in one document")
        make = (lambda: chart) if isinstance(chart, _TOP_LEVEL) else chart
        figure = Figure(key, make, title, alt)
        self.figures[key] = figure
        return figure

    def __getitem__(self, key: str) -> Figure:
        return self.figures[key]

    def __len__(self) -> int:
        return len(self.figures)

    def _timed(self, kind: str, render):
        start = time.perf_counter()
        out = render()
        self.seconds += time.perf_counter() - start
        self.renders[kind] += 1
        return out

    def _spec(self, key: str) -> tuple[dict, str]:
        """The chart's spec in the reports' font, and the SHA-256 it is cached by."""
        start = time.perf_counter()
        spec = vega_lite_spec(self.figures[key].chart)
        spec.setdefault("config", {}).setdefault("font", REPORT_FONT)
        self.spec_seconds += time.perf_counter() - start
        return spec, hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()

    def _draw(self, key: str) -> str:
        pending = self._pending.pop(key, None)
        if pending is not None:
            digest, future = pending
            try:
                svg = future.result(timeout=DRAW_TIMEOUT_S)
            except Exception:  # the drawing process could not draw it: drawn here, the same drawing
                svg = chart_worker.svg_now(self._spec(key)[0])
            _keep(digest, svg)
            return svg
        spec, digest = self._spec(key)
        svg = _cached(digest)
        if svg is None:
            svg = chart_worker.svg_now(spec)
            _keep(digest, svg)
        else:
            self.cached += 1
        return svg

    def draw_ahead(self) -> int:
        """Send every chart not yet drawn to the drawing process (:mod:`kpi.core.chart_worker`); how many were sent.

        A report calls this as soon as its charts are registered and goes on reading the rest of its data; the
        charts are drawn meanwhile, beside it, and :meth:`raw_svg` waits only for what is not drawn yet. Each chart's
        spec is written here (in this thread); one the process has drawn before is taken from its cache.
        """
        with self._lock:
            sent = 0
            for key in self.figures:
                if key in self._raw or key in self._pending:
                    continue
                start = time.perf_counter()
                spec, digest = self._spec(key)
                svg = _cached(digest)
                if svg is not None:
                    self.cached += 1
                    self._raw[key] = svg
                    self.renders["svg"] += 1
                else:
                    self._pending[key] = (digest, chart_worker.draw_svg(spec))
                    sent += 1
                self.seconds += time.perf_counter() - start
            return sent

    def raw_svg(self, key: str) -> str:
        """The chart as vl-convert draws it (drawn on first use, then kept; the SVG and the PNG are made from it)."""
        with self._lock:
            if key not in self._raw:
                self._raw[key] = self._timed("svg", lambda: self._draw(key))
            return self._raw[key]

    def svg(self, key: str) -> str:
        """The chart as accessible inline SVG (drawn on first use, then cached)."""
        with self._lock:
            if key not in self._svg:
                figure = self.figures[key]
                self._svg[key] = accessible_svg(self.raw_svg(key), key, figure.title, figure.alt)
            return self._svg[key]

    def png(self, key: str, max_width_in: float | None = None) -> bytes:
        """The chart as PNG at :data:`PNG_PPI` pixels per inch, made from its SVG (then cached).

        Drawn at its own size (72 CSS pixels an inch), or narrower, ``max_width_in`` inches wide, when that is
        smaller: the DOCX asks for the width it places the chart at, so its pixels are the ones printed.
        """
        with self._lock:
            if (key, max_width_in) not in self._png:
                svg = self.raw_svg(key)
                inches = _png_inches(svg, max_width_in)
                self._png[key, max_width_in] = self._timed(
                    "png", lambda: engine.svg_to_png(svg, width_in=inches, ppi=PNG_PPI)
                )
            return self._png[key, max_width_in]

    def prepare_png(
        self, charts: list[tuple[str, float | None]], icons: list[tuple[str, str | None]] = ()
    ) -> None:
        """Draw, in one pass of the typesetter, the PNGs :meth:`png` and :meth:`icon_png` will be asked for.

        ``charts``: ``(key, max_width_in)`` pairs; ``icons``: ``(kind, code)`` pairs. Those already drawn are
        skipped; each drawing is counted as if drawn alone.
        """
        with self._lock:
            todo = [(key, width) for key, width in dict.fromkeys(charts) if (key, width) not in self._png]
            drawings = []
            for key, width in todo:
                svg = self.raw_svg(key)
                drawings.append((svg, _png_inches(svg, width)))
            wanted = [icon for icon in dict.fromkeys(icons) if icon not in self._icons]
            start = time.perf_counter()
            pngs = engine.svgs_to_png(drawings, ppi=PNG_PPI)
            icon_pngs = engine.svgs_to_png(
                [(_icon_svg(kind, code), ICON_PIXELS / _SVG_PPI) for kind, code in wanted], ppi=ICON_PPI
            )
            self.seconds += time.perf_counter() - start
            self._png.update(zip(todo, pngs, strict=True))
            self._icons.update(zip(wanted, icon_pngs, strict=True))
            self.renders["png"] += len(todo)
            self.renders["icon"] += len(wanted)

    def icon_png(self, kind: str, code: str | None) -> bytes:
        """A Making Data Count icon (``kind`` "variation" or "assurance") as PNG, once per code."""
        with self._lock:
            if (kind, code) not in self._icons:
                svg = _icon_svg(kind, code)
                self._icons[(kind, code)] = self._timed(
                    "icon", lambda: engine.svg_to_png(svg, width_in=ICON_PIXELS / _SVG_PPI, ppi=ICON_PPI)
                )
            return self._icons[(kind, code)]


def _icon_svg(kind: str, code: str | None) -> str:
    """A Making Data Count icon drawn :data:`ICON_PIXELS` square, for its PNG."""
    draw = spc_icons.variation_icon if kind == "variation" else spc_icons.assurance_icon
    return draw(code, size=ICON_PIXELS)


def _png_inches(svg: str, max_width_in: float | None) -> float:
    """How wide an SVG is drawn as PNG: its own width (72 CSS pixels an inch), or ``max_width_in`` if narrower."""
    found = _SVG_WIDTH.search(svg)
    own = float(found.group(1)) / _SVG_PPI if found else None
    if own is None:
        return max_width_in or CHART_WIDTH / _SVG_PPI
    return own if max_width_in is None else min(own, max_width_in)


def icon_label(kind: str, code: str | None) -> str:
    """The plain-English label of a variation or assurance code (the icon's alternative text)."""
    return spc_icons.variation_label(code) if kind == "variation" else spc_icons.assurance_label(code)


def icon_svg(kind: str, code: str | None, size: int = 22) -> str:
    """A Making Data Count icon as inline SVG with its title and aria-label."""
    draw = spc_icons.variation_icon if kind == "variation" else spc_icons.assurance_icon
    return draw(code, size=size)


def accessible_svg(svg: str, key: str, title: str, alt: str) -> str:
    """Give a vl-convert SVG a role, an accessible name and description, and ids unique to the figure.

    Adds ``role="img"``, ``aria-label`` (the title), ``aria-describedby`` and, first inside the ``<svg>``, a
    ``<title>`` and a ``<desc>`` (the text alternative). Fixed width and height attributes are removed so the
    chart scales to the page (its ``viewBox`` keeps the proportions).
    """
    ids = set(_ID.findall(svg))
    for old in sorted(ids, key=len, reverse=True):
        new = f"{key}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"').replace(f"#{old})", f"#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    start = svg.index("<svg")
    end = svg.index(">", start)
    opening = svg[start:end]
    opening = re.sub(r'\s(width|height)="[^"]*"', "", opening, count=2)
    opening += (
        f' role="img" aria-label="{escape(title, quote=True)}" aria-describedby="{key}-desc"'
        f' preserveAspectRatio="xMinYMin meet"'
    )
    head = f'<title id="{key}-title">{escape(title)}</title><desc id="{key}-desc">{escape(alt)}</desc>'
    return svg[:start] + opening + ">" + head + svg[end + 1 :]
