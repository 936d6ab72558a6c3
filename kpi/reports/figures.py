"""The charts of one document, each rendered at most once per format per build.

A :class:`FigureSet` holds Altair charts by key with a title and a text alternative. ``svg(key)`` renders a chart
to SVG (for HTML and PDF: vector, with ``<title>``, ``<desc>``, ``role="img"`` and ``aria-label``) and ``png(key)``
to PNG (for DOCX, which python-docx can only embed as a bitmap) at :data:`PNG_PPI` pixels per inch, written into
the PNG's ``pHYs`` chunk. Both are cached, so the HTML preview, the PDF and the DOCX of one build share renders, and
the set counts renders and the seconds they took (``bench/pack_bench.py`` reports the share spent on charts).

Rendering is vl-convert (offline, own fonts; ``kpi.core.charts``'s exporter). Element ids inside each SVG are prefixed
with the figure's key, so several charts can sit in one HTML page without their clip paths colliding.

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
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

import altair as alt
import vl_convert as vlc

from kpi.spc import icons as spc_icons

#: Pixels per inch of the PNG charts (the DOCX needs at least 200 dpi at print size).
PNG_PPI = 220
#: Width in CSS pixels charts are drawn at (about 15 cm at 96 px per inch).
CHART_WIDTH = 560
#: Icons in DOCX tables: drawn at this many pixels and this many pixels per inch.
ICON_PIXELS, ICON_PPI = 96, 400

_ID = re.compile(r'\bid="([^"]+)"')
_TOP_LEVEL = alt.TopLevelMixin


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
    """Charts by key, rendered lazily and once per format (see the module docstring)."""

    figures: dict[str, Figure] = field(default_factory=dict)
    renders: dict[str, int] = field(default_factory=lambda: {"svg": 0, "png": 0, "icon": 0})
    seconds: float = 0.0
    _svg: dict[str, str] = field(default_factory=dict, repr=False)
    _png: dict[str, bytes] = field(default_factory=dict, repr=False)
    _icons: dict[tuple[str, str | None], bytes] = field(default_factory=dict, repr=False)

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

    def svg(self, key: str) -> str:
        """The chart as accessible inline SVG (rendered on first use, then cached)."""
        if key not in self._svg:
            figure = self.figures[key]
            raw = self._timed("svg", lambda: vlc.vegalite_to_svg(figure.chart.to_dict()))
            self._svg[key] = accessible_svg(raw, key, figure.title, figure.alt)
        return self._svg[key]

    def png(self, key: str) -> bytes:
        """The chart as PNG at :data:`PNG_PPI` pixels per inch (rendered on first use, then cached)."""
        if key not in self._png:
            figure = self.figures[key]
            self._png[key] = self._timed(
                "png", lambda: vlc.vegalite_to_png(figure.chart.to_dict(), scale=1, ppi=PNG_PPI)
            )
        return self._png[key]

    def icon_png(self, kind: str, code: str | None) -> bytes:
        """A Making Data Count icon (``kind`` "variation" or "assurance") as PNG, once per code."""
        if (kind, code) not in self._icons:
            draw = spc_icons.variation_icon if kind == "variation" else spc_icons.assurance_icon
            svg = draw(code, size=ICON_PIXELS)
            self._icons[(kind, code)] = self._timed(
                "icon", lambda: vlc.svg_to_png(svg, scale=1, ppi=ICON_PPI)
            )
        return self._icons[(kind, code)]


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
