"""Words for the comparison with similar councils (docs/methods.md section 9): table cells, sentences, phrases.

Only a significant difference is put into a sentence (:func:`quarter_phrase`); ranks read "2nd of 11" with what
1st means; quintiles read as fifths, the best fifth first (the lowest fifth for a measure without a judgement).
"""

from __future__ import annotations

import polars as pl

ORDINALS = {1: "st", 2: "nd", 3: "rd"}
QUINTILE_WORDS = {1: "best fifth", 2: "second fifth", 3: "middle fifth", 4: "fourth fifth", 5: "worst fifth"}
QUINTILE_WORDS_NONE = {
    1: "lowest fifth",
    2: "second fifth",
    3: "middle fifth",
    4: "fourth fifth",
    5: "highest fifth",
}


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th, 21st.

    Example:
        >>> ordinal(1), ordinal(12), ordinal(22)
        ('1st', '12th', '22nd')
    """
    suffix = "th" if 10 <= n % 100 <= 20 else ORDINALS.get(n % 10, "th")
    return f"{n}{suffix}"


def group_words(row: dict, polarity: str) -> str:
    """One group's result in words: "Better than the average (pooled counts, 70.0%); 2nd of 11; best fifth"."""
    outcome = row.get("outcome") or "not compared"
    if row.get("average") is None:
        return "No figures for this group"
    average = f"{row['average']:.1f}%"
    head = {
        "better": "Better than the group average",
        "worse": "Worse than the group average",
        "similar": "Similar to the group average",
        "higher": "Higher than the group average",
        "lower": "Lower than the group average",
    }.get(outcome, "Not compared with the group average")
    parts = [f"{head} ({average}, {row['method']})"]
    if row.get("rank") is not None:
        first = "highest" if polarity == "high" else "lowest"
        parts.append(f"{ordinal(row['rank'])} of {row['n_ranked']} (1st = {first})")
    if row.get("quintile") is not None:
        words = QUINTILE_WORDS_NONE if polarity == "none" else QUINTILE_WORDS
        parts.append(words[row["quintile"]])
    return "; ".join(parts)


def quarter_phrase(row: dict) -> str | None:
    """Briefing words where the difference from a comparator group is significant (docs/methods.md section 9).

    "among the best quarter of similar councils" when the council ranks in the best quarter and is better than
    the group average; "among the worst quarter ..." when worse and in the worst quarter; otherwise "better (worse)
    than the average of similar councils". None when similar or not compared.

    Example:
        >>> quarter_phrase({"outcome": "better", "rank": 2, "n_ranked": 11})
        'among the best quarter of similar councils'
    """
    outcome, rank, n = row.get("outcome"), row.get("rank"), row.get("n_ranked")
    if outcome not in ("better", "worse") or rank is None or not n:
        return None
    if outcome == "better" and rank <= max(1, n // 4):
        return "among the best quarter of similar councils"
    if outcome == "worse" and rank > n - max(1, n // 4):
        return "among the worst quarter of similar councils"
    return f"{outcome} than the average of similar councils"


def short_words(row: dict | None) -> str:
    """A table cell: "Better (2nd of 11)", "Similar (6th of 11)", "Not compared"; "–" without a comparison.

    Example:
        >>> short_words({"outcome": "better", "rank": 2, "n_ranked": 11}), short_words(None)
        ('Better (2nd of 11)', '–')
    """
    if not row:
        return "–"
    outcome = (row.get("outcome") or "not compared").capitalize()
    if row.get("rank") is None:
        return outcome
    return f"{outcome} ({ordinal(row['rank'])} of {row['n_ranked']})"


def overview_line(summary: pl.DataFrame) -> str | None:
    """One sentence for the overview: how many KPIs are better, similar or worse than the group (None: no figures).

    Example:
        >>> s = pl.DataFrame({"kpi_code": ["C2", "C4"], "group_name": ["DfE SN", "DfE SN"],
        ...                   "outcome": ["better", "similar"]})
        >>> overview_line(s)
        'Against DfE SN: better on C2; similar on C4.'
    """
    if summary.is_empty():
        return None
    parts = []
    for outcome in ("better", "similar", "worse", "higher", "lower", "not compared"):
        codes = summary.filter(pl.col("outcome") == outcome)["kpi_code"].to_list()
        if codes:
            parts.append(f"{outcome} on {', '.join(codes)}")
    return f"Against {summary['group_name'][0]}: {'; '.join(parts)}."
