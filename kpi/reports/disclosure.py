"""Disclosure control for public outputs, exactly as domain.md section 6.

Rule (after NHS England's rule for sub-national tables, HES/ECDS since 2018), applied to every sub-national figure
of a public output, borough totals included:

* **counts**: 1-7 are shown as ``*`` (primary suppression), 0 stays 0, every other count is rounded to the nearest
  5 (halves up; whole counts never sit on a half);
* **percentages and confidence intervals** are computed from the rounded counts, and suppressed when their
  numerator or denominator is 1-7 (or is itself suppressed: a shown percentage times a shown denominator would
  give the suppressed numerator back);
* **means** over 1-7 people are suppressed;
* **secondary suppression**: where a suppressed cell could be recovered by subtraction from a shown total (the
  total minus its shown parts), the next smallest non-zero part is suppressed too, until at least two parts are
  suppressed *and* the suppressed parts together hold more than 7 (so differencing gives neither one cell nor a
  group of 1-7); with no part left to suppress, the total is suppressed. Totals and parts are declared as
  relations; a figure shown in two tables is one key, so it is suppressed the same way everywhere ("another table
  in the same document").

The attack this defends against (tests/kpi/reports/test_briefing.py runs it on the built briefing): difference
every shown total against its shown parts, within and across tables, and invert every shown percentage and CI; no
count from 1 to 7 may come back.

Example:
>>> [round_count(n) for n in (0, 3, 7, 8, 12, 13, 1234)]
[0, None, None, 10, 10, 15, 1235]
>>> shown = disclose_counts({"total": 40, "a": 3, "b": 9, "c": 28}, [("total", ["a", "b", "c"])])
>>> [shown[k].text for k in ("total", "a", "b", "c")]
['40', '*', '*', '30']
>>> shown["b"].suppressed
'secondary'
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kpi.stats import wilson_ci

#: Counts from SMALL_MIN to SMALL_MAX (inclusive) are suppressed.
SMALL_MIN, SMALL_MAX = 1, 7
#: Other counts are rounded to the nearest ROUND_TO.
ROUND_TO = 5
#: What a suppressed figure shows.
SUPPRESSED = "*"
MISSING = "–"


def is_small(value: float | None) -> bool:
    """Whether a count is in the suppressed range 1-7 (fractional counts: above 0 and below 7.5)."""
    return value is not None and 0 < value < SMALL_MAX + 0.5


def round_count(value: float | None) -> int | None:
    """A count as shown: None when missing or suppressed (1-7), 0 for 0, else the nearest multiple of 5.

    Raises:
        ValueError: for a negative or non-finite count.
    """
    if value is None:
        return None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"a count must be zero or more, not {value!r}")
    if value == 0:
        return 0
    if is_small(value):
        return None
    return int(math.floor(value / ROUND_TO + 0.5)) * ROUND_TO


@dataclass(frozen=True)
class Disclosed:
    """One count after disclosure control: its raw value, what is shown, and why it is hidden."""

    raw: float | None
    shown: int | None
    suppressed: str | None = None  # None, "primary" (1-7) or "secondary"

    @property
    def text(self) -> str:
        """What the document prints: ``*``, ``0``, ``1,235`` or an en dash when there is no figure."""
        if self.suppressed:
            return SUPPRESSED
        if self.shown is None:
            return MISSING
        return f"{self.shown:,}"


def disclose_counts(
    counts: Mapping[Hashable, float | None],
    relations: Iterable[tuple[Hashable, Sequence[Hashable]]] = (),
) -> dict[Hashable, Disclosed]:
    """Disclose a set of counts together: primary suppression, rounding, then secondary suppression.

    Args:
        counts: raw counts by key (None: no figure).
        relations: ``(total_key, [part_keys])`` for every total shown with its parts (within or across tables).

    Returns:
        A :class:`Disclosed` per key. Secondary suppression picks, in each relation whose total is shown and which
        has a suppressed part, the smallest non-zero shown part (first in the given order on a tie) until two or
        more parts are suppressed and their raw sum exceeds 7; if no part is left, the total is suppressed.
        Relations are revisited until nothing changes (suppressing a total can open another relation).

    Raises:
        KeyError: a relation names a key not in ``counts``.
    """
    rules = [(total, list(parts)) for total, parts in relations]
    for total, parts in rules:
        for key in (total, *parts):
            if key not in counts:
                raise KeyError(f"relation names {key!r}, which has no count")
    order = {key: position for position, key in enumerate(counts)}
    hidden: dict[Hashable, str] = {key: "primary" for key, value in counts.items() if is_small(value)}
    changed = True
    while changed:
        changed = False
        for total, parts in rules:
            if total in hidden or counts[total] is None:
                continue
            suppressed = [part for part in parts if part in hidden]
            if not suppressed:
                continue
            held = sum(counts[part] or 0 for part in suppressed)
            if len(suppressed) >= 2 and held > SMALL_MAX:
                continue
            candidates = [
                part for part in parts if part not in hidden and counts[part] is not None and counts[part] > 0
            ]
            if candidates:
                pick = min(candidates, key=lambda part: (counts[part], order[part]))
                hidden[pick] = "secondary"
            else:
                hidden[total] = "secondary"
            changed = True
    return {
        key: Disclosed(value, None if key in hidden else round_count(value), hidden.get(key))
        for key, value in counts.items()
    }


@dataclass(frozen=True)
class DisclosedRate:
    """A percentage with its 95% Wilson CI computed from disclosed counts (None values when suppressed)."""

    numerator: Disclosed
    denominator: Disclosed
    pct: float | None
    lower_pct: float | None
    upper_pct: float | None

    @property
    def suppressed(self) -> bool:
        """Whether the percentage is hidden because a count behind it is."""
        return bool(self.numerator.suppressed or self.denominator.suppressed)

    def text(self, places: int = 1) -> str:
        """The percentage as printed: ``*`` when suppressed, an en dash when there is none."""
        if self.suppressed:
            return SUPPRESSED
        return MISSING if self.pct is None else f"{self.pct:.{places}f}%"

    def ci_text(self, places: int = 1) -> str:
        """The 95% CI as printed ("85.0–92.1"), ``*`` when suppressed."""
        if self.suppressed:
            return SUPPRESSED
        if self.lower_pct is None or self.upper_pct is None:
            return MISSING
        return f"{self.lower_pct:.{places}f}–{self.upper_pct:.{places}f}"


def disclose_rate(numerator: Disclosed, denominator: Disclosed) -> DisclosedRate:
    """Percentage and 95% Wilson CI from the *shown* (rounded) counts; none when either count is suppressed.

    Example:
        >>> rate = disclose_rate(Disclosed(153, 155), Disclosed(190, 190))
        >>> rate.text(), rate.ci_text()
        ('81.6%', '75.5–86.4')
    """
    if numerator.suppressed or denominator.suppressed:
        return DisclosedRate(numerator, denominator, None, None, None)
    num, den = numerator.shown, denominator.shown
    if num is None or den is None or den <= 0:
        return DisclosedRate(numerator, denominator, None, None, None)
    lower, upper = wilson_ci(num, den)
    return DisclosedRate(numerator, denominator, 100.0 * num / den, 100.0 * lower, 100.0 * upper)


def disclose_mean(mean: float | None, people: float | None) -> float | None:
    """A mean as shown: None when it is over 1-7 people (or missing)."""
    if mean is None or people is None or is_small(people):
        return None
    return mean
