"""The inequality measures in words: the one family of sentences the inequalities page, the pack and the briefing use.

- :func:`gap_sentence`: the SII (the headline measure) in a sentence with its 95% confidence interval;
  :func:`polarity_sentence` what it means for the KPI's polarity, :func:`rii_sentence` the RII;
- :func:`decile_gap_sentence`: the gap between the most and least deprived decile (two groups only);
- :func:`not_rated_reason`: why an area and period has no SII; :func:`quantile_explanation`: which quantiles were
  used and why.

The measures and their names are in :mod:`kpi.inequality.measures` (docs/methods.md section 5.8); a measure joins in
with its own phrase (:data:`KPI_PHRASES`, :data:`NCMP_PHRASES`, :data:`OUTCOME_PHRASE`).
"""

from __future__ import annotations

import math

import polars as pl

from kpi.inequality.measures import REPETITIONS

__all__ = [
    "KPI_PHRASES",
    "NCMP_PHRASES",
    "OUTCOME_PHRASE",
    "decile_gap_sentence",
    "gap_sentence",
    "join_words",
    "not_rated_reason",
    "polarity_sentence",
    "quantile_explanation",
    "rii_sentence",
]

#: How a sentence says what the children were more or less likely to have (catalogue codes of the mandated KPIs).
KPI_PHRASES = {
    "C2": "to have a new birth visit within 14 days",
    "C3": "to have a new birth visit after 14 days",
    "C4": "to have a 12-month review by 12 months",
    "C5": "to have a 12-month review by 15 months",
    "C6i": "to have a 2-2½ year review by 2½ years",
    "C6ii": "to have their 2-2½ year review use ASQ-3",
    "C6iii": "to be at or above the expected level in communication",
    "C6iv": "to be at or above the expected level in gross motor skills",
    "C6v": "to be at or above the expected level in fine motor skills",
    "C6vi": "to be at or above the expected level in problem solving",
    "C6vii": "to be at or above the expected level in personal-social skills",
    "C6viii": "to be at or above the expected level in all five ASQ-3 domains",
    "C8i": "to have a 6-8 week review by 8 weeks",
    "C8ii": "to be breastfed at 6-8 weeks",
}

#: The same for the NCMP prevalence categories (``kpi.ncmp.rules.PREVALENCE_CATEGORIES``).
NCMP_PHRASES = {
    "underweight": "to be underweight",
    "healthy_weight": "to be a healthy weight",
    "overweight": "to be overweight",
    "obese": "to be living with obesity",
    "severely_obese": "to be living with severe obesity",
    "excess_weight": "to be living with excess weight",
}
#: The phrase for an outcome measure, formatted with its name.
OUTCOME_PHRASE = "to be counted in \u201c{name}\u201d"


def join_words(items: list[str]) -> str:
    """Join items in words: "1", "1 and 2", "1, 2 and 3"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def not_rated_reason(group: pl.DataFrame, n_quantiles: int, word: str) -> str | None:
    """Why an area x period (its rows of a quantile frame) cannot have an SII, or None."""
    reasons = [r for r in group["reason"].drop_nulls().unique(maintain_order=True).to_list()]
    present = set(group["quantile"].to_list())
    absent = [q for q in range(1, n_quantiles + 1) if q not in present]
    if absent:
        reasons.append(f"there is no row for {word} {join_words([str(q) for q in absent])}")
    bad = group.filter(pl.col("reason").is_null() & pl.col("value_pct").is_null())
    if bad.height:
        reasons.append(f"{word} {join_words([str(q) for q in bad['quantile'].to_list()])} have no value")
    if not reasons:
        return None
    return f"Not rated: {'; '.join(reasons)}. The SII needs every one of the {n_quantiles} {word}s."


def _num(x: float, places: int = 1) -> str:
    """A signed number with a true minus sign; -0.0 shows as 0.0."""
    text = f"{x:.{places}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "\u2212")


def _phrase(kpi_code: str, kpi_name: str, phrase: str | None) -> str:
    return phrase or KPI_PHRASES.get(kpi_code) or f"to be counted in \u201c{kpi_name}\u201d"


def sii_direction(table_row: dict) -> str | None:
    """Which way a rated SII points; the one reading of its interval behind every sentence and cell about it.

    "none" when the 95% confidence interval includes zero (no clear gap), else "higher" or "lower" among the most
    deprived; None when the row is not rated.
    """
    if not table_row.get("rated"):
        return None
    value, low, high = table_row["sii_pts"], table_row["sii_lower_pts"], table_row["sii_upper_pts"]
    if low <= 0 <= high:
        return "none"
    return "higher" if value > 0 else "lower"


def sii_in_words(table_row: dict) -> str:
    """The SII for a table cell: "No clear difference", "Most deprived areas lower" or "... higher"."""
    direction = sii_direction(table_row)
    if direction is None:
        return "Not rated"
    return "No clear difference" if direction == "none" else f"Most deprived areas {direction}"


def gap_sentence(
    table_row: dict, kpi_code: str, kpi_name: str, *, where: str | None = None, phrase: str | None = None
) -> str:
    """The SII in plain words, with its 95% confidence interval: the headline sentence about inequality.

    For example: "Children in the most deprived areas were 9.8 points less likely to have a new birth visit within
    14 days than those in the least deprived (slope index of inequality −9.8 points, 95% CI −14.1 to −5.5)."
    "More likely" when the SII is positive (higher among the most deprived), "less likely" when negative; "no clear
    gap" when the 95% confidence interval includes zero. ``where`` ("North") starts the sentence with "In North, ".
    A row that is not rated gives its reason.
    """
    lead = f"In {where}, c" if where else "C"
    if not table_row.get("rated"):
        return (f"In {where}: " if where else "") + (table_row.get("not_rated_reason") or "Not rated.")
    value, low, high = table_row["sii_pts"], table_row["sii_lower_pts"], table_row["sii_upper_pts"]
    figures = f"slope index of inequality {_num(value)} points, 95% CI {_num(low)} to {_num(high)}"
    if sii_direction(table_row) == "none":
        return (
            f"{lead}hildren in the most and least deprived areas showed no clear gap "
            f"({figures}: the interval includes zero)."
        )
    direction = "more likely" if value > 0 else "less likely"
    return (
        f"{lead}hildren in the most deprived areas were {abs(value):.1f} points {direction} "
        f"{_phrase(kpi_code, kpi_name, phrase)} than those in the least deprived ({figures})."
    )


def polarity_sentence(table_row: dict, polarity: str) -> str:
    """What the gap means for the KPI's polarity ("high" is good, "low" is good, "none": no judgement)."""
    if sii_direction(table_row) in (None, "none"):
        return ""
    if polarity not in ("high", "low"):
        return "This KPI carries no judgement of better or worse, so the gap is reported without one."
    higher_in_most_deprived = table_row["sii_pts"] > 0
    good = higher_in_most_deprived == (polarity == "high")
    better = "Higher" if polarity == "high" else "Lower"
    effect = (
        "favours children in the most deprived areas"
        if good
        else "is to the disadvantage of children in the most deprived areas"
    )
    return f"{better} is better for this KPI, so the gap {effect}."


def rii_sentence(table_row: dict) -> str:
    """The RII in plain words (fitted value at the most deprived end over that at the least deprived end)."""
    if not table_row.get("rated") or table_row["rii"] is None or not math.isfinite(table_row["rii"]):
        return ""
    rii, low, high = table_row["rii"], table_row["rii_lower"], table_row["rii_upper"]
    return (
        f"Relative index of inequality {rii:.2f} (95% CI {low:.2f} to {high:.2f}): along the fitted line, the "
        f"most deprived end stands at {rii:.2f} times the least deprived end."
    )


def quantile_explanation(
    level: str,
    gaps: dict[str, list[int]] | None = None,
    names: dict | None = None,
    *,
    unit: str = "quarter",
    on: str = "IMD",
) -> str:
    """Which quantiles were used and why (Markdown), for ``level`` "borough" or "locality".

    ``gaps`` (:func:`missing_deciles`) and ``names`` (locality code to name) add the council's own gaps; ``unit``
    is the borough's period ("quarter"; "academic year" for NCMP, "period" for an outcome measure); ``on`` names
    the deprivation index of the period ("IMD 2025", docs/methods.md section 7.1).
    """
    method = (
        "The slope index of inequality (SII) is the gap between the most and the least deprived ends of a line "
        "fitted to each quantile's value against its place in the population ranked by deprivation, each "
        "quantile weighted by its number of children (Low & Low 2004; PHEindicatormethods `phe_sii`). It is "
        "shown here as **most deprived minus least deprived, in percentage points**: a negative SII means lower "
        "values among the most deprived. The relative index (RII) divides the two ends. 95% confidence "
        f"intervals come from {REPETITIONS:,} simulations of each quantile's value within its Wilson interval "
        "(on the logit scale; on the natural scale when a quantile is at 0% or 100%). "
        "Children whose LSOA is unknown (decile U) are left out. The SII is the headline measure of inequality "
        "here, in the meeting pack and in the scrutiny briefing; the gap between the most and least deprived "
        "decile (decile 1 minus decile 10) is a different measure, from those two groups only."
    )
    if level == "borough":
        return (
            f"**Borough: national {on} deciles, one {unit} at a time.** Decile 1 holds the 10% most deprived "
            "LSOAs in England, decile 10 the 10% least deprived. National deciles make the borough comparable "
            f"with England and other councils; the SII needs all ten, and a {unit} missing one is not rated.\n\n"
            + method
        )
    lines = []
    for code, absent in (gaps or {}).items():
        if absent:
            name = (names or {}).get(code, code)
            lines.append(
                f"{name} has no LSOA in decile{'s' if len(absent) > 1 else ''} "
                f"{join_words([str(d) for d in absent])}"
            )
    own = (" In this council: " + "; ".join(lines) + ".") if lines else ""
    return (
        f"**Localities: national {on} quintiles over a rolling four quarters.** A locality often has no LSOA "
        "in some national deciles, and the SII needs every quantile, so deciles are paired into quintiles "
        "(quintile 1 = deciles 1-2, the most deprived, ... quintile 5 = deciles 9-10)."
        + own
        + " A locality's "
        "quarterly counts per quintile are small, so each value sums the four quarters to the chosen one (only those "
        "on the chosen quarter's deprivation index). A locality missing a quintile (no LSOA, no children, or a "
        "quarter's return missing) is not rated.\n\n" + method
    )


def decile_gap_sentence(gap: dict, interval: tuple[float, float] | None = None) -> str:
    """The gap between the most and least deprived decile in words (Markdown), from two deciles only.

    ``gap`` has ``most_pct``, ``least_pct`` and ``gap_points`` (:func:`kpi.inequality.decile_gap.decile_gap`).
    With its 95% ``interval`` (Newcombe's method, the NCMP's) the sentence gives it; without, it says which decile
    is lower and points to the SII, the headline measure across all ten.
    """
    lead = (
        f"**Gap between the most and least deprived decile:** {gap['most_pct']:.1f}% in decile 1 (most deprived) "
        f"against {gap['least_pct']:.1f}% in decile 10 (least deprived): "
    )
    if interval is not None:
        return lead + (
            f"a gap of {gap['gap_points']:.1f} percentage points (95% CI {interval[0]:.1f} to {interval[1]:.1f}; "
            "Newcombe's method)."
        )
    return lead + (
        f"{abs(gap['gap_points']):.1f} points {'lower' if gap['gap_points'] < 0 else 'higher'} in the most "
        "deprived decile. This compares two deciles only; the headline measure of inequality is the slope index "
        "of inequality (SII) across all ten, on the Inequalities page."
    )
