"""Disclosure control for public outputs, exactly as docs/methods.md section 6.

Rule (after NHS England's rule for sub-national tables, HES/ECDS since 2018), applied to every sub-national figure
of a public output, borough totals included:

* **counts**: 1-7 are shown as ``*`` (primary suppression), 0 stays 0, every other count is rounded to the nearest
  5 (halves up; whole counts never sit on a half);
* **percentages and confidence intervals** are computed from the rounded counts, and suppressed when their
  numerator or denominator is 1-7 (or is itself suppressed: a shown percentage times a shown denominator would
  give the suppressed numerator back);
* **how precisely a percentage is printed** (NHS England's presentation rule for percentages made from counts
  rounded to 5, which the NCMP follows since 2020): the rounded denominator decides it, >= 4,000 one decimal place,
  400-3,995 whole per cent, 100-395 the nearest 5 per cent written "about 85%", below 100 none ("too few": too few
  children to give a reliable percentage; the counts are still shown). A printed percentage must lie within its
  printed precision of the true (unrounded) one; where it would not, less precision is shown, or none
  (:func:`precision_for`, :func:`shown_step`, :meth:`DisclosedRate.text`);
* **means** over 1-7 people are suppressed;
* **secondary suppression**: where a suppressed cell could be recovered by subtraction from a shown total (the
  total minus its shown parts), the next smallest non-zero part is suppressed too, until at least two parts are
  suppressed *and* the suppressed parts together hold more than 7 (so differencing gives neither one cell nor a
  group of 1-7); with no part left to suppress, the total is suppressed. Totals and parts are declared as
  relations; a figure shown in two tables is one key, so it is suppressed the same way everywhere ("another table
  in the same document").

The attack this defends against (tests/kpi/reports/briefing/test_briefing.py runs it on the built briefing): difference
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


#: NHS England's presentation rule for percentages made from counts rounded to 5 (docs/methods.md section 6): the
#: smallest rounded denominator for each precision, finest first; below the last, no percentage is shown.
PRECISION_STEPS: tuple[tuple[int, float], ...] = ((4000, 0.1), (400, 1.0), (100, 5.0))
#: What a table prints for a percentage the rule does not allow, and why (said once, in words, by the document).
TOO_FEW = "too few"
TOO_FEW_WHY = "too few children to give a reliable percentage"
NOT_RELIABLE = "not reliable"
NOT_RELIABLE_WHY = "rounding the counts moved the percentage too far from the true figure to show it"


def precision_for(rounded_denominator: float | None) -> float | None:
    """The precision (0.1, 1 or 5 points) a percentage may be shown to, from its *rounded* denominator.

    NHS England's rule for percentages made from counts rounded to 5 (the secondary-care method the NCMP follows
    since 2020; docs/methods.md section 6): >= 4,000 one decimal place, 400-3,995 whole per cent, 100-395 the nearest
    5 per cent ("about 85%"), below 100 none.

    >>> [precision_for(n) for n in (20, 100, 395, 400, 3995, 4000)]
    [None, 5.0, 5.0, 1.0, 1.0, 0.1]
    """
    if rounded_denominator is None:
        return None
    for smallest, step in PRECISION_STEPS:
        if rounded_denominator >= smallest:
            return step
    return None


def round_to_step(value: float, step: float) -> float:
    """``value`` rounded to a multiple of ``step`` (halves away from zero, as people round)."""
    units = abs(value) / step
    whole = math.floor(units + 0.5 + 1e-9)
    return math.copysign(whole * step, value) if whole else 0.0


def step_text(value: float, step: float, unit: str = "%") -> str:
    """A figure written to its precision: "81.8%", "82%", "about 85%" (a true minus sign for negatives)."""
    shown = round_to_step(value, step)
    text = f"{shown:.1f}" if step < 1 else f"{shown:.0f}"
    text = (text + unit).replace("-", "\u2212")
    return f"about {text}" if step >= 5 else text


def shown_step(shown_pct: float, true_pct: float | None, step: float | None) -> float | None:
    """The finest precision, no finer than ``step``, at which ``shown_pct`` lies within it of ``true_pct``.

    "Every shown percentage must lie within its shown precision of the true unrounded percentage; where it would
    not, show less precision or none" (docs/methods.md section 6). None: no precision will do.
    """
    steps = [s for _, s in PRECISION_STEPS]
    if step is None:
        return None
    if true_pct is None:
        return step
    for candidate in steps[steps.index(step) :]:
        if abs(round_to_step(shown_pct, candidate) - true_pct) <= candidate + 1e-9:
            return candidate
    return None


@dataclass(frozen=True)
class DisclosedRate:
    """A percentage computed from disclosed counts, shown to the precision its rounded denominator allows.

    ``pct`` and the Wilson limits come from the *shown* (rounded) counts, as NHS England publishes them; the true
    percentage (from the raw counts the :class:`Disclosed` carry) only decides how much precision may be shown
    (:func:`precision_for`, :func:`shown_step`) and is never printed.
    """

    numerator: Disclosed
    denominator: Disclosed
    pct: float | None
    lower_pct: float | None
    upper_pct: float | None

    @property
    def suppressed(self) -> bool:
        """Whether the percentage is hidden because a count behind it is."""
        return bool(self.numerator.suppressed or self.denominator.suppressed)

    @property
    def true_pct(self) -> float | None:
        """The unrounded percentage (for judgements and for checking the precision; never printed)."""
        num, den = self.numerator.raw, self.denominator.raw
        if num is None or den is None or den <= 0:
            return None
        return 100.0 * num / den

    @property
    def step(self) -> float | None:
        """The precision the percentage is shown to (0.1, 1 or 5 points), None when it cannot be shown."""
        if self.suppressed or self.pct is None:
            return None
        return shown_step(self.pct, self.true_pct, precision_for(self.denominator.shown))

    @property
    def withheld(self) -> str | None:
        """Why a percentage with shown counts is not printed: :data:`TOO_FEW`, :data:`NOT_RELIABLE` or None."""
        if self.suppressed or self.pct is None or self.step is not None:
            return None
        return TOO_FEW if precision_for(self.denominator.shown) is None else NOT_RELIABLE

    @property
    def shown_pct(self) -> float | None:
        """The percentage as printed, as a number (None when not printed)."""
        step = self.step
        return None if step is None else round_to_step(self.pct, step)

    def text(self) -> str:
        """The percentage as printed: ``*`` when suppressed, en dash when none, "too few", "82%", "about 85%"."""
        if self.suppressed:
            return SUPPRESSED
        if self.pct is None:
            return MISSING
        step = self.step
        return self.withheld or step_text(self.pct, step)

    def ci_text(self, places: int = 1) -> str:
        """The 95% CI of the rounded counts ("85.0–92.1"), ``*`` when suppressed (not printed in public)."""
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
        ('about 80%', '75.5–86.4')
        >>> disclose_rate(Disclosed(18, 20), Disclosed(22, 20)).text()  # 18/22 = 81.8%, rounded 20/20 = 100%
        'too few'
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
