"""Making Data Count variation and assurance icons, drawn as our own SVG.

Method:
NHS England's Making Data Count programme summarises an SPC chart with two icons: *variation* (the
type of the latest point: common cause, or special cause that is an improvement, a concern or
neither, high or low) and *assurance* (whether the process will consistently pass a target,
consistently fail it, or hit and miss). These functions draw icons in that spirit, not copies: a
white disc with a coloured ring, a letter and a small picture.

The colours people know (improvement blue #00B0F0, concern orange #E46C0A, neutral purple #490092,
common cause grey #A6A6A6) are too pale for the 3:1 WCAG contrast for graphics on white, so every
icon also has a dark outline and a dark-edged letter (H/L for variation, P/F/? for assurance), and
each carries a ``<title>`` (and ``aria-label``) with the plain-English meaning from
:func:`variation_label` / :func:`assurance_label`. Meaning never rests on colour alone.

Reference: NHS England, Making Data Count (2019, updated 2023), "Variation and assurance icons".

Example:
>>> svg = variation_icon("improvement_high")
>>> svg.startswith("<svg") and "<title>Special cause variation: improvement (higher)</title>" in svg
True
>>> assurance_label("hit_and_miss")
'Hit and miss'
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "ASSURANCE_COLOURS",
    "COLOURS",
    "assurance_icon",
    "assurance_label",
    "variation_icon",
    "variation_label",
]

#: Making Data Count colours.
COLOURS = {
    "improvement": "#00B0F0",
    "concern": "#E46C0A",
    "neither": "#490092",
    "common_cause": "#A6A6A6",
}
#: Assurance colours: a pass is good news (blue), a fail bad news (orange), hit and miss grey.
ASSURANCE_COLOURS = {
    "pass": COLOURS["improvement"],
    "fail": COLOURS["concern"],
    "hit_and_miss": COLOURS["common_cause"],
}
#: Dark outline that gives each icon its contrast on white (NHS dark grey).
OUTLINE = "#212B32"
#: Grey of the "common cause" dots and of the process line in the assurance icons.
PROCESS_GREY = "#7F7F7F"

_VARIATION_LABELS = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause variation: improvement (higher)",
    "improvement_low": "Special cause variation: improvement (lower)",
    "concern_high": "Special cause variation: concern (higher)",
    "concern_low": "Special cause variation: concern (lower)",
    "neither_high": "Special cause variation: neither improvement nor concern (higher)",
    "neither_low": "Special cause variation: neither improvement nor concern (lower)",
}
_ASSURANCE_LABELS = {
    "pass": "Consistently passing the target",
    "fail": "Consistently failing the target",
    "hit_and_miss": "Hit and miss",
}
_NO_ICON_LABEL = "No icon: too few points for process limits (run chart)"


def _check(code: str | None, known: dict[str, str], what: str) -> None:
    if code is not None and code not in known:
        raise ValueError(f"Unknown {what} code {code!r}; expected one of: {', '.join(known)} (or None).")


def variation_label(code: str | None) -> str:
    """Plain-English text of a variation code, for titles, tables and screen readers.

    Args:
        code: a code from ``kpi.spc.rules.xmr``'s ``variation`` column, or None for a run chart.

    Raises:
        ValueError: for an unknown code.

    Example:
        >>> variation_label("concern_low")
        'Special cause variation: concern (lower)'
    """
    _check(code, _VARIATION_LABELS, "variation")
    return _NO_ICON_LABEL if code is None else _VARIATION_LABELS[code]


def assurance_label(code: str | None) -> str:
    """Plain-English text of an assurance code ("pass", "fail", "hit_and_miss"; None: no target).

    Raises:
        ValueError: for an unknown code.

    Example:
        >>> assurance_label("pass")
        'Consistently passing the target'
    """
    _check(code, _ASSURANCE_LABELS, "assurance")
    if code is None:
        return "No assurance icon: no target, no polarity or too few points"
    return _ASSURANCE_LABELS[code]


def _svg(label: str, body: str, size: int) -> str:
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValueError(f"The icon size must be a whole number of pixels above zero, not {size!r}.")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="{size}" height="{size}" '
        f'role="img" aria-label={quoteattr(label)}>'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _ring(colour: str, *, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="9 6"' if dashed else ""
    return (
        f'<circle cx="50" cy="50" r="46" fill="#FFFFFF" stroke="{OUTLINE}" stroke-width="2"{dash}/>'
        f'<circle cx="50" cy="50" r="41" fill="#FFFFFF" stroke="{colour}" stroke-width="7"{dash}/>'
    )


def _letter(text: str, colour: str, y: float) -> str:
    return (
        f'<text x="50" y="{y}" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" '
        f'font-size="30" font-weight="bold" fill="{colour}" stroke="{OUTLINE}" stroke-width="1" '
        f'paint-order="stroke">{escape(text)}</text>'
    )


def _dots(points: list[tuple[float, float]], colours: list[str]) -> str:
    path = " ".join(f"{'M' if i == 0 else 'L'}{x} {y}" for i, (x, y) in enumerate(points))
    line = f'<path d="{path}" fill="none" stroke="{PROCESS_GREY}" stroke-width="3"/>'
    circles = "".join(
        f'<circle cx="{x}" cy="{y}" r="6" fill="{c}" stroke="{OUTLINE}" stroke-width="1.5"/>'
        for (x, y), c in zip(points, colours, strict=True)
    )
    return line + circles


def variation_icon(code: str | None, *, size: int = 48) -> str:
    """SVG variation icon for a code of ``kpi.spc.rules.xmr``'s ``variation`` column.

    Common cause: grey ring and five grey dots. Special cause: ring in the improvement, concern or
    neither colour, the letter H (higher, at the top) or L (lower, at the bottom), and the last two
    dots in that colour climbing or falling. None (a run chart): a dashed grey ring.

    Args:
        code: one of ``kpi.spc.rules.VARIATION_CODES`` or None.
        size: width and height in pixels.

    Raises:
        ValueError: for an unknown code or a size that is not a positive whole number.

    Example:
        >>> "L</text>" in variation_icon("concern_low")
        True
    """
    _check(code, _VARIATION_LABELS, "variation")
    label = variation_label(code)
    if code is None:
        return _svg(label, _ring(COLOURS["common_cause"], dashed=True), size)
    grey = PROCESS_GREY
    if code == "common_cause":
        points = [(24.0, 56.0), (37.0, 64.0), (50.0, 44.0), (63.0, 62.0), (76.0, 55.0)]
        body = _ring(COLOURS["common_cause"]) + _dots(points, [grey] * 5)
        return _svg(label, body, size)
    kind, direction = code.rsplit("_", 1)
    colour = COLOURS[kind]
    if direction == "high":
        points = [(22.0, 66.0), (35.0, 72.0), (48.0, 64.0), (62.0, 50.0), (76.0, 54.0)]
        letter = _letter("H", colour, 38)
    else:
        points = [(22.0, 36.0), (35.0, 30.0), (48.0, 38.0), (62.0, 52.0), (76.0, 48.0)]
        letter = _letter("L", colour, 82)
    body = _ring(colour) + letter + _dots(points, [grey, grey, grey, colour, colour])
    return _svg(label, body, size)


def assurance_icon(code: str | None, *, size: int = 48) -> str:
    """SVG assurance icon: "pass" (P), "fail" (F), "hit_and_miss" (?) or None (dashed ring).

    A dashed line is the target and a grey wavy line the process: above the target for a pass
    (drawn as if higher is better), below it for a fail, crossing it for hit and miss.

    Args:
        code: one of ``kpi.spc.rules.ASSURANCE_CODES`` or None.
        size: width and height in pixels.

    Raises:
        ValueError: for an unknown code or a size that is not a positive whole number.

    Example:
        >>> "<title>Consistently failing the target</title>" in assurance_icon("fail")
        True
    """
    _check(code, _ASSURANCE_LABELS, "assurance")
    label = assurance_label(code)
    if code is None:
        return _svg(label, _ring(COLOURS["common_cause"], dashed=True), size)
    colour = ASSURANCE_COLOURS[code]
    letter = {"pass": "P", "fail": "F", "hit_and_miss": "?"}[code]
    target_y = {"pass": 72.0, "fail": 54.0, "hit_and_miss": 64.0}[code]
    process_y = {"pass": 62.0, "fail": 68.0, "hit_and_miss": 64.0}[code]
    wave = 7.0 if code == "hit_and_miss" else 4.0
    target = (
        f'<line x1="12" y1="{target_y}" x2="88" y2="{target_y}" stroke="{OUTLINE}" '
        f'stroke-width="2.5" stroke-dasharray="6 4"/>'
    )
    p = process_y
    process = (
        f'<path d="M20 {p} C30 {p - 2 * wave} 40 {p - 2 * wave} 48 {p} S62 {p + 2 * wave} 66 {p} '
        f'S74 {p - wave} 80 {p}" fill="none" stroke="{PROCESS_GREY}" stroke-width="4" '
        f'stroke-linecap="round"/>'
    )
    body = _ring(colour) + _letter(letter, colour, 42) + target + process
    return _svg(label, body, size)
