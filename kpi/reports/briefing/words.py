"""What the briefing says in words: the headline sentence of a KPI, the target met or missed, the glossary.

Fingertips' words (docs/methods.md section 4) only where a difference is significant; whether the target was met is
the mart's RAG (docs/methods.md section 5), the same judgement as the overview and the pack.
"""

from __future__ import annotations

from kpi.reports import words
from kpi.reports.briefing.model import Headline
from kpi.reports.disclosure import NOT_RELIABLE_WHY, ROUND_TO, SMALL_MAX, TOO_FEW, TOO_FEW_WHY, DisclosedRate

COMPARISON_WORDS = {
    "better": "better than England",
    "similar": "similar to England",
    "worse": "worse than England",
    "higher": "higher than England",
    "lower": "lower than England",
}
#: Headline.comparison when England's only figure is older than the benchmark rule allows (docs/methods.md section 5).
OUT_OF_DATE = "out of date"
GLOSSARY = [
    (
        "Healthy Child Programme 0-19",
        "The national public health programme for children and young people, delivered "
        "here by health visitors, school nurses and the Family Nurse Partnership under a contract with the council.",
    ),
    (
        "Mandated review",
        "One of the five health visitor reviews every family should be offered: before birth, the new "
        "birth visit, 6-8 weeks, 12 months and 2-2½ years.",
    ),
    (
        "Contract target",
        "The level the council's contract asks the provider to reach. Red, amber and green say "
        "whether it was met: green met, amber just missed, red missed by more.",
    ),
    (
        "Compared with England",
        "Better or worse than England are used only when the difference is statistically "
        "significant: England's figure lies outside the range the borough's true figure is likely to be in (the 95% "
        "confidence interval). Otherwise the borough is similar to England. England's figure is for the period shown "
        "beside it: the same quarter, else that financial year, else a recent one; an older figure is out of date "
        "and not compared. The same test compares the borough with similar councils (DfE's statistical neighbours).",
    ),
    (
        "95% confidence interval",
        "The range the true figure is likely to lie in, given how many children were "
        "counted; small numbers give wide ranges. Worked out from the true counts; not printed here.",
    ),
    (
        "Recent trend",
        "Whether the last five quarters show a statistically significant rise or fall (the chi-squared "
        "test for trend that Fingertips uses).",
    ),
    (
        "Deprivation decile",
        "England's neighbourhoods ranked by the Index of Multiple Deprivation 2019 and split into "
        "ten equal groups: decile 1 is the 10% most deprived, decile 10 the 10% least deprived.",
    ),
    (
        "Slope index of inequality (SII)",
        "The headline measure of inequality: the difference in percentage points between the most and the "
        "least deprived ends of a line fitted through all ten deciles, each weighted by its number of children.",
    ),
    (
        "Gap between the most and least deprived decile (or quintile)",
        "A simpler measure from two groups only: the figure in the most deprived decile (or quintile) minus "
        "the figure in the least deprived one, in percentage points.",
    ),
    ("Locality", "One of the council's areas that health visiting and school nursing teams work in."),
    (
        "* and rounding",
        f"To protect privacy, counts from 1 to {SMALL_MAX} are shown as *, other counts are rounded to "
        f"the nearest {ROUND_TO}, and percentages are worked out from the rounded counts; a figure that would let a "
        "hidden count be worked out by subtraction is hidden too.",
    ),
    (
        "“about 85%”, “too few”",
        "How precisely a percentage is shown depends on how many children it is about: one decimal place "
        "from 4,000 children, whole per cent from 400, the nearest 5 per cent (“about”) from 100; below 100, "
        f"{TOO_FEW_WHY} (“{TOO_FEW}”).",
    ),
]


def target_words(h: Headline) -> str | None:
    """Whether the contract target was met, in words, from the mart's RAG (the overview's and the pack's judgement).

    The RAG is worked out from the unrounded counts (docs/methods.md section 5, contract RAG), so 449 of 500 (89.8%)
    against a 90% target is amber, "just missed", even though its rounded counts (450 of 500) print as 90%.
    """
    if h.target_pct is None:
        return None
    target = f"The contract target of {h.target_pct:g}%"
    if h.rag == "green":
        return f"{target} was met."
    if h.rag == "amber":
        return f"{target} was just missed (amber)."
    if h.rag == "red":
        return f"{target} was not met (red)."
    return f"{target} was not rated this quarter."


def _looks_met(rate: DisclosedRate, target: float, polarity: str) -> bool | None:
    shown = rate.shown_pct
    if shown is None or polarity not in ("high", "low"):
        return None
    return shown >= target if polarity == "high" else shown <= target


def message(h: Headline) -> str:
    """The plain-English headline sentence of a KPI (Fingertips words only where significant)."""
    text = f"{h.kpi_name}: {h.rate.text()}"
    if h.rate.suppressed or h.rate.pct is None:
        return text + " (not shown: too few children to publish)."
    if h.rate.shown_pct is None:
        text = (
            f"{h.kpi_name}: {h.rate.numerator.text} of {h.rate.denominator.text} children "
            f"({TOO_FEW_WHY if h.rate.withheld == TOO_FEW else NOT_RELIABLE_WHY})"
        )
    elif h.comparison in COMPARISON_WORDS:
        text += f", {COMPARISON_WORDS[h.comparison]} ({words.pct(h.england_pct)} in {h.england_period})"
    elif h.comparison == OUT_OF_DATE:
        text += (
            f"; not compared with England: the latest England figure ({words.pct(h.england_pct)} in "
            f"{h.england_period}) is out of date"
        )
    else:
        text += " (no England figure to compare with)"
    text += "."
    target = target_words(h)
    if target:
        text += f" {target}"
        looks = _looks_met(h.rate, h.target_pct, h.polarity)
        if looks is not None and looks != (h.rag == "green") and h.rag in ("green", "amber", "red"):
            text = text[:-1] + " (the percentage shown is rounded; the judgement uses the exact figure)."
    if h.neighbours is not None:
        group, phrase = h.neighbours
        text += f" Against {group}, the borough is {phrase}."
    if h.year_ago is not None and h.year_ago.shown_pct is not None:
        text += f" A year earlier it was {h.year_ago.text()}."
    return text
