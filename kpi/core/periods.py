"""Financial-year reporting periods: parse, normalise, order, date and roll up.

Periods follow the OHID health visiting collection (docs/methods.md section 2): English financial years run
April to March; quarters are written ``2024-25 Q2`` and months ``2024-25 M05`` (M01 = April). ``2024/25 Q2``,
``2024-25Q2`` and lower case are accepted and normalised; anything else is rejected with a message.

Example:
    >>> p = parse_period("2026/27 q2")
    >>> p.code, p.start.isoformat(), p.end.isoformat()
    ('2026-27 Q2', '2026-07-01', '2026-09-30')
"""

from __future__ import annotations

import calendar
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_PATTERN = re.compile(r"^\s*([0-9]{4})\s*[-/]\s*([0-9]{2})\s*([QqMm])\s*([0-9]{1,2})\s*$")


class PeriodError(ValueError):
    """A period code that cannot be read."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: a quarter or a month of a financial year.

    ``index`` orders periods of the same kind: consecutive quarters (or months) differ by one.
    """

    kind: str  # "Q" or "M"
    fy_start: int  # 2026 for 2026-27
    number: int  # quarter 1-4 or month 1-12 (M01 = April)

    @property
    def code(self) -> str:
        """The normalised code, e.g. ``2026-27 Q2`` or ``2026-27 M05``."""
        fy = f"{self.fy_start}-{(self.fy_start + 1) % 100:02d}"
        return f"{fy} Q{self.number}" if self.kind == "Q" else f"{fy} M{self.number:02d}"

    @property
    def financial_year(self) -> str:
        """The financial year, e.g. ``2026-27``."""
        return f"{self.fy_start}-{(self.fy_start + 1) % 100:02d}"

    @property
    def index(self) -> int:
        """A sortable integer: quarters count from Q1 of year 0, months likewise."""
        per_year = 4 if self.kind == "Q" else 12
        return self.fy_start * per_year + self.number - 1

    @property
    def start(self) -> date:
        """First day of the period."""
        first_month = 3 * (self.number - 1) + 1 if self.kind == "Q" else self.number
        return _fy_month(self.fy_start, first_month)

    @property
    def end(self) -> date:
        """Last day of the period."""
        last_month = 3 * self.number if self.kind == "Q" else self.number
        first = _fy_month(self.fy_start, last_month)
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])

    @property
    def quarter(self) -> Period:
        """The quarter a month rolls up into (a quarter returns itself)."""
        if self.kind == "Q":
            return self
        return Period("Q", self.fy_start, (self.number - 1) // 3 + 1)

    def previous(self) -> Period:
        """The period before this one."""
        return from_index(self.index - 1, self.kind)

    def next(self) -> Period:
        """The period after this one."""
        return from_index(self.index + 1, self.kind)

    def __str__(self) -> str:
        return self.code


def _fy_month(fy_start: int, fy_month: int) -> date:
    """Date of the first day of financial-year month ``fy_month`` (1 = April)."""
    calendar_month = (fy_month + 2) % 12 + 1
    year = fy_start if fy_month <= 9 else fy_start + 1
    return date(year, calendar_month, 1)


def parse_period(text: object) -> Period:
    """Read a period code, accepting ``2026-27 Q2``, ``2026/27 Q2``, ``2026-27Q2`` and ``2026-27 M05``.

    Raises:
        PeriodError: with a message saying what is wrong and the form expected.
    """
    raw = "" if text is None else str(text)
    match = _PATTERN.match(raw)
    if not match:
        raise PeriodError(
            f"'{raw}' is not a period: write the financial year and quarter like '2026-27 Q2' (or a month like "
            "'2026-27 M05', M01 = April)"
        )
    fy_start, fy_end, kind, number = int(match[1]), int(match[2]), match[3].upper(), int(match[4])
    if (fy_start + 1) % 100 != fy_end:
        raise PeriodError(
            f"'{raw}' is not a financial year: the second year must follow the first, like "
            f"'{fy_start}-{(fy_start + 1) % 100:02d}'"
        )
    limit = 4 if kind == "Q" else 12
    if not 1 <= number <= limit:
        what = "quarters run Q1 to Q4" if kind == "Q" else "months run M01 (April) to M12 (March)"
        raise PeriodError(f"'{raw}' is not a period: {what}")
    return Period(kind, fy_start, number)


def normalise_period(text: object) -> str:
    """The normalised code of ``text`` (see :func:`parse_period`)."""
    return parse_period(text).code


def from_index(index: int, kind: str = "Q") -> Period:
    """The period with the given :attr:`Period.index`."""
    per_year = 4 if kind == "Q" else 12
    return Period(kind, index // per_year, index % per_year + 1)


def quarter_of(day: date) -> Period:
    """The financial-year quarter containing ``day``."""
    fy_start = day.year if day.month >= 4 else day.year - 1
    fy_month = (day.month - 4) % 12 + 1
    return Period("Q", fy_start, (fy_month - 1) // 3 + 1)


def _fixed_clock() -> datetime | None:
    """``HCP_TODAY`` as a time: YYYY-MM-DD (the day; the time of day runs) or YYYY-MM-DDTHH:MM (fixed to the minute)."""
    fixed = os.environ.get("HCP_TODAY", "").strip()
    if not fixed:
        return None
    try:
        return datetime.fromisoformat(fixed)
    except ValueError as exc:
        raise PeriodError(
            f"HCP_TODAY='{fixed}' is not a date: write it as YYYY-MM-DD (or YYYY-MM-DDTHH:MM to fix the time too)"
        ) from exc


def today() -> date:
    """Today's date, or ``HCP_TODAY``'s when set: tests and demos fix the clock with it."""
    fixed = _fixed_clock()
    return fixed.date() if fixed is not None else date.today()


def now() -> datetime:
    """The current time; with ``HCP_TODAY`` set, the current time of day on that date, or the time it gives."""
    current = datetime.now().replace(microsecond=0)
    fixed = _fixed_clock()
    if fixed is None:
        return current
    has_time = len(os.environ["HCP_TODAY"].strip()) > len("YYYY-MM-DD")
    return fixed if has_time else datetime.combine(fixed.date(), current.time())


def latest_ended_quarter(on: date | None = None) -> Period:
    """The most recent quarter that has ended by ``on`` (default :func:`today`)."""
    return quarter_of(on or today()).previous()


def add_working_days(start: date, working_days: int) -> date:
    """The date ``working_days`` Monday-to-Friday days after ``start``.

    Bank holidays are not skipped (local rule: a due date may fall a day or two earlier than the contract's
    calendar would put it).
    """
    day = start
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return day


def due_date(period: Period, working_days: int) -> date:
    """The date a return for ``period`` is due: ``working_days`` working days after the period ends."""
    return add_working_days(period.end, working_days)
