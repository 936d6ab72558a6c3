"""How figures are written in the pack and the briefing (one place, so both documents say things the same way).

Percentages to one decimal place, counts with thousands separators, a true minus sign (U+2212) for negative
changes, dates as "20 November 2026", RAG as shape and word ("■ Red"; :data:`kpi.contract.values.RAG_SHAPES`).

Example:
>>> pct(88.4444), count(1234), points(-0.366), as_at_text(datetime(2026, 11, 20, 9, 0))
('88.4%', '1,234', '−0.4 pts', '20 November 2026 09:00')
"""

from __future__ import annotations

from datetime import date, datetime

from kpi.contract.values import RAG_SHAPES, RAG_WORDS, change_arrow

MINUS = "\u2212"
DASH = "–"


def pct(value: float | None, places: int = 1) -> str:
    """A percentage, or an en dash when missing."""
    if value is None:
        return DASH
    return f"{value:.{places}f}%".replace("-", MINUS)


def count(value: float | None) -> str:
    """A count with thousands separators (decimals kept for ratio KPIs such as whole-time equivalents)."""
    if value is None:
        return DASH
    if float(value) == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def points(change: float | None) -> str:
    """A change in percentage points with its sign ("+1.2 pts", "−0.4 pts", "0.0 pts")."""
    if change is None:
        return DASH
    text = f"{abs(change):.1f}"
    sign = "" if float(text) == 0 else ("+" if change > 0 else MINUS)
    return f"{sign}{text} pts"


def ci(lower: float | None, upper: float | None) -> str:
    """A 95% confidence interval in per cent: "85.1–90.2"."""
    if lower is None or upper is None:
        return DASH
    return f"{lower:.1f}–{upper:.1f}"


def target(value: float | None, polarity: str) -> str:
    """The target with its direction: "≥ 90%" (high is good), "≤ 10%" (low is good), en dash when none."""
    if value is None:
        return DASH
    sign = {"high": "≥ ", "low": "≤ "}.get(polarity, "")
    return f"{sign}{value:g}%"


def rag(status: str | None) -> str:
    """RAG as shape and word: "■ Red", "○ Not rated"."""
    key = status or "not rated"
    return f"{RAG_SHAPES[key]} {RAG_WORDS[key]}"


def change(row: dict) -> str:
    """The change since the previous quarter: points and an arrow for rates, a signed number for counts."""
    if row.get("value_kind") == "count":
        value = row.get("change_count")
        if value is None:
            return DASH
        return f"{'+' if value > 0 else MINUS if value < 0 else ''}{abs(value):,.0f}"
    value = row.get("change_pct")
    if value is None:
        return DASH
    return f"{points(value)} {change_arrow(value, row.get('polarity', 'none'))}".strip()


def day_text(value: date | datetime | None) -> str:
    """A date as "20 November 2026" (en dash when missing)."""
    if value is None:
        return DASH
    return f"{value.day} {value:%B %Y}"


def short_day(value: date | datetime | None) -> str:
    """A date as "20 Nov 2026", for narrow table columns (en dash when missing)."""
    if value is None:
        return DASH
    return f"{value.day} {value:%b %Y}"


def short_time(value: datetime | None) -> str:
    """A time as "20 Nov 2026 09:00", for narrow table columns (en dash when missing)."""
    if value is None:
        return DASH
    return f"{short_day(value)} {value:%H:%M}"


def as_at_text(value: datetime) -> str:
    """A time as "20 November 2026 09:00"."""
    return f"{day_text(value)} {value:%H:%M}"


def join_words(items: list[str]) -> str:
    """Items joined in words: a; a and b; a, b and c."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
