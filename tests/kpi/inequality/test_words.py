"""kpi.inequality.words: the sentences about inequality a commissioner reads (page, pack and briefing).

Sentences as the issue words them.
"""

import pytest

from kpi.inequality import words as iq

C2_NAME = "New birth visits within 14 days"

# ---- sentences -----------------------------------------------------------------------------------------------


def row(sii, low, high, **extra):
    return {"rated": True, "sii_pts": sii, "sii_lower_pts": low, "sii_upper_pts": high, **extra}


def test_sentence_less_likely_as_the_issue_words_it():
    assert iq.gap_sentence(row(-9.8, -14.1, -5.5), "C2", C2_NAME) == (
        "Children in the most deprived areas were 9.8 points less likely to have a new birth visit within 14 days "
        "than those in the least deprived (slope index of inequality −9.8 points, 95% CI −14.1 to −5.5)."
    )


def test_sentence_more_likely_with_a_locality():
    assert iq.gap_sentence(row(3.24, 1.0, 5.44), "C3", "New birth visits after 14 days", where="North") == (
        "In North, children in the most deprived areas were 3.2 points more likely to have a new birth visit after "
        "14 days than those in the least deprived (slope index of inequality 3.2 points, 95% CI 1.0 to 5.4)."
    )


def test_sentence_no_clear_gap_when_the_interval_includes_zero():
    assert iq.gap_sentence(row(-1.2, -4.0, 1.6), "C2", C2_NAME) == (
        "Children in the most and least deprived areas showed no clear gap (slope index of inequality −1.2 "
        "points, 95% CI −4.0 to 1.6: the interval includes zero)."
    )
    assert "slope index of inequality 0.0 points" in iq.gap_sentence(row(-0.04, -1.0, 1.0), "C2", C2_NAME)
    assert iq.polarity_sentence(row(-1.2, -4.0, 1.6), "high") == ""


def test_sentence_for_an_unknown_measure_and_a_row_not_rated():
    text = iq.gap_sentence(row(-2.0, -3.0, -1.0), "ZZ9", "Healthy weight")
    assert "less likely to be counted in “Healthy weight” than" in text
    not_rated = {
        "rated": False,
        "not_rated_reason": "Not rated: only 2 of the four quarters to X have a return.",
    }
    assert iq.gap_sentence(not_rated, "C2", C2_NAME, where="West") == (
        "In West: Not rated: only 2 of the four quarters to X have a return."
    )
    assert iq.polarity_sentence(not_rated, "high") == "" and iq.rii_sentence(not_rated) == ""


@pytest.mark.parametrize(
    ("sii", "polarity", "expected"),
    [
        (
            -9.8,
            "high",
            "Higher is better for this KPI, so the gap is to the disadvantage of children in the most "
            "deprived areas.",
        ),
        (
            9.8,
            "high",
            "Higher is better for this KPI, so the gap favours children in the most deprived areas.",
        ),
        (
            9.8,
            "low",
            "Lower is better for this KPI, so the gap is to the disadvantage of children in the most "
            "deprived areas.",
        ),
        (
            -9.8,
            "low",
            "Lower is better for this KPI, so the gap favours children in the most deprived areas.",
        ),
        (
            9.8,
            "none",
            "This KPI carries no judgement of better or worse, so the gap is reported without one.",
        ),
    ],
)
def test_polarity_sentence(sii, polarity, expected):
    low, high = sorted([sii / 2, sii * 1.5])
    assert iq.polarity_sentence(row(sii, low, high), polarity) == expected


def test_rii_sentence():
    text = iq.rii_sentence(row(-13.9, -21.9, -7.3, rii=0.857, rii_lower=0.781, rii_upper=0.923))
    assert text == (
        "Relative index of inequality 0.86 (95% CI 0.78 to 0.92): along the fitted line, the most deprived end "
        "stands at 0.86 times the least deprived end."
    )


def test_decile_gap_sentence_with_and_without_its_interval():
    gap = {"most_pct": 88.88889, "least_pct": 95.15152, "gap_points": 88.88889 - 95.15152}
    lead = (
        "**Gap between the most and least deprived decile:** 88.9% in decile 1 (most deprived) against 95.2% in "
        "decile 10 (least deprived): "
    )
    assert iq.decile_gap_sentence(gap) == lead + (
        "6.3 points lower in the most deprived decile. This compares two deciles only; the headline measure of "
        "inequality is the slope index of inequality (SII) across all ten, on the Inequalities page."
    )
    assert iq.decile_gap_sentence({**gap, "gap_points": 2.0}).startswith(
        lead + "2.0 points higher in the most"
    )
    assert iq.decile_gap_sentence(gap, (-12.04, -0.55)) == lead + (
        "a gap of −6.3 percentage points (95% CI −12.0 to −0.6; Newcombe's method)."
    ).replace("−", "-")


def test_an_sii_is_read_one_way_everywhere():
    """The table cell and the sentence read the SII's 95% interval the same way: zero inside means no clear gap."""
    from kpi.inequality.words import gap_sentence, sii_direction, sii_in_words

    clear_low = {"rated": True, "sii_pts": -9.8, "sii_lower_pts": -14.1, "sii_upper_pts": -5.5}
    clear_high = {"rated": True, "sii_pts": 3.0, "sii_lower_pts": 0.5, "sii_upper_pts": 5.5}
    unclear = {"rated": True, "sii_pts": -1.0, "sii_lower_pts": -3.0, "sii_upper_pts": 0.0}
    assert [sii_direction(r) for r in (clear_low, clear_high, unclear, {"rated": False})] == [
        "lower",
        "higher",
        "none",
        None,
    ]
    assert sii_in_words(clear_low) == "Most deprived areas lower"
    assert sii_in_words(clear_high) == "Most deprived areas higher"
    assert sii_in_words(unclear) == "No clear difference"
    assert "no clear gap" in gap_sentence(unclear, "C2", "New birth visits")
    assert "less likely" in gap_sentence(clear_low, "C2", "New birth visits")
