"""The reports' typesetter: Typst, one per process, for the PDF of a document and the PNG of a chart.

Typst (the ``typst`` package: the typesetter compiled into the wheel, offline) reads its fonts once, when the first
report of the process is made, and keeps them; a lock lets one thread use it at a time. It is given every chart as
SVG by name (``sys.inputs``), so a chart's vector drawing is embedded in the PDF as it was drawn, and rasterised for
the DOCX (which takes only bitmaps) by the same renderer, in the same font (docs/performance.md, "Meeting pack").

Example:
>>> svg = '<svg xmlns="http://www.w3.org/2000/svg" width="144" height="72"><rect width="144" height="72"/></svg>'
>>> png = svg_to_png(svg, width_in=1.0, ppi=200)
>>> int.from_bytes(png[16:20], "big"), png_ppi(png)
(200, 200.0)
>>> [int.from_bytes(p[16:20], "big") for p in svgs_to_png([(svg, 1.0), (svg, 0.5)], ppi=100)]
[100, 50]
"""

from __future__ import annotations

import calendar
import struct
import threading
import zlib
from datetime import datetime
from functools import cache

import typst

#: Metres in an inch (a PNG states its resolution in pixels per metre).
_METRES_PER_INCH = 0.0254
_LOCK = threading.Lock()
#: One page per image, each as wide as asked and as tall as the image: ``svg-N`` and ``inches-N`` for N < ``count``.
_IMAGES = b"""#set page(width: auto, height: auto, margin: 0pt)
#for n in range(int(sys.inputs.at("count"))) {
  let at(name) = sys.inputs.at(name + "-" + str(n))
  page(image(bytes(at("svg")), format: "svg", width: float(at("inches")) * 1in))
}
"""


@cache
def _compiler() -> typst.Compiler:
    """One typesetter for the process: its fonts are found and read once."""
    return typst.Compiler()


def compile_pdf(
    source: str, inputs: dict[str, str], *, standard: str, when: datetime
) -> tuple[bytes, list[str]]:
    """Typeset Typst ``source`` with named string ``inputs`` to PDF, dated ``when`` (as the clock reads it).

    Returns the PDF and the typesetter's warnings (e.g. an unknown font family).
    """
    stamp = calendar.timegm(when.timetuple())
    with _LOCK:
        pdf, warnings = _compiler().compile_with_warnings(
            source.encode("utf-8"), sys_inputs=inputs, pdf_standards=standard, timestamp=stamp
        )
    return pdf, [warning.message for warning in warnings]


def svg_to_png(svg: str, *, width_in: float, ppi: float) -> bytes:
    """An SVG drawn ``width_in`` inches wide at ``ppi`` pixels an inch, as PNG with that resolution recorded."""
    return svgs_to_png([(svg, width_in)], ppi=ppi)[0]


def svgs_to_png(drawings: list[tuple[str, float]], *, ppi: float) -> list[bytes]:
    """Each ``(svg, width_in)`` as PNG (see :func:`svg_to_png`), all in one pass of the typesetter."""
    if not drawings:
        return []
    inputs = {"count": str(len(drawings))}
    for number, (svg, width_in) in enumerate(drawings):
        inputs[f"svg-{number}"], inputs[f"inches-{number}"] = svg, repr(float(width_in))
    with _LOCK:
        pages = _compiler().compile(_IMAGES, format="png", ppi=ppi, sys_inputs=inputs)
    pages = pages if isinstance(pages, list) else [pages]
    return [with_ppi(page, ppi) for page in pages]


def with_ppi(png: bytes, ppi: float) -> bytes:
    """The PNG with a ``pHYs`` chunk saying ``ppi`` pixels an inch (replacing any), right after its header."""
    per_metre = round(ppi / _METRES_PER_INCH)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    header_end = 8 + 8 + 13 + 4  # signature, IHDR length and type, IHDR data, its CRC
    rest = _without_chunk(png[header_end:], b"pHYs")
    return png[:header_end] + chunk + rest


def _without_chunk(chunks: bytes, kind: bytes) -> bytes:
    out, position = [], 0
    while position < len(chunks):
        length = struct.unpack(">I", chunks[position : position + 4])[0]
        end = position + 12 + length
        if chunks[position + 4 : position + 8] != kind:
            out.append(chunks[position:end])
        position = end
    return b"".join(out)


def png_ppi(png: bytes) -> float | None:
    """Pixels per inch from a PNG's ``pHYs`` chunk (None when it has none or states no unit)."""
    position = 8
    while position < len(png):
        length = struct.unpack(">I", png[position : position + 4])[0]
        if png[position + 4 : position + 8] == b"pHYs":
            per_x, _, unit = struct.unpack(">IIB", png[position + 8 : position + 17])
            return round(per_x * _METRES_PER_INCH, 1) if unit == 1 else None
        position += 12 + length
    return None
