"""Disclosure control, docs/methods.md section 6: rounding, primary and secondary suppression, rates from rounded counts.

Expected values are worked out by hand from the rule's words (counts 1-7 hidden, 0 kept, others to the nearest 5;
percentages and CIs from the rounded counts; hide the next smallest cell where a hidden one could be recovered by
subtraction from a shown total), and NHS England's presentation rule for percentages made from rounded counts
(rounded denominator >= 4,000 one decimal, 400-3,995 whole per cent, 100-395 nearest 5 per cent written "about",
below 100 none; a shown percentage lies within its shown precision of the true one, or less precision is shown).
"""

from __future__ import annotations

import math

import pytest

from kpi.reports.disclosure import (
    Disclosed,
    disclose_counts,
    disclose_mean,
    disclose_rate,
    precision_for,
    round_count,
    shown_step,
)

Z95 = 1.959963984540054
TOL = 1e-9


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (0, 0),
        (1, None),
        (5, None),
        (7, None),
        (8, 10),
        (10, 10),
        (12, 10),
        (13, 15),
        (22, 20),
        (23, 25),
        (789, 790),
        (715, 715),
        (1232, 1230),
        (1233, 1235),
        (None, None),
    ],
)
def test_round_count(raw, shown):
    assert round_count(raw) == shown


def test_round_count_refuses_negative_counts():
    with pytest.raises(ValueError, match="a count must be zero or more, not -1"):
        round_count(-1)


def test_primary_suppression_and_text():
    shown = disclose_counts({"zero": 0, "small": 3, "edge": 7, "eight": 8, "none": None})
    assert [shown[k].text for k in ("zero", "small", "edge", "eight", "none")] == ["0", "*", "*", "10", "–"]
    assert shown["small"].suppressed == "primary" and shown["zero"].suppressed is None


def test_one_hidden_part_of_a_shown_total_hides_the_next_smallest():
    # total 60 = 2 + 15 + 9 + 34: 2 is hidden; 60 - 15 - 34 - 9 would give it back, so 9 (the next smallest) goes too
    shown = disclose_counts({"t": 60, "a": 2, "b": 15, "c": 9, "d": 34}, [("t", ["a", "b", "c", "d"])])
    assert [shown[k].text for k in "tabcd"] == ["60", "*", "15", "*", "35"]
    assert shown["c"].suppressed == "secondary"


def test_two_hidden_parts_that_add_up_to_seven_or_less_hide_a_third():
    # 3 + 4 = 7: the total minus the shown parts would give the pair's 7 back
    shown = disclose_counts({"t": 50, "a": 3, "b": 4, "c": 11, "d": 32}, [("t", ["a", "b", "c", "d"])])
    assert [shown[k].text for k in "tabcd"] == ["50", "*", "*", "*", "30"]


def test_zero_parts_are_never_chosen_and_the_total_goes_when_nothing_is_left():
    shown = disclose_counts({"t": 12, "a": 0, "b": 12}, [("t", ["a", "b"])])
    assert [shown[k].text for k in "tab"] == ["10", "0", "10"]
    shown = disclose_counts({"t": 5, "a": 0, "b": 5}, [("t", ["a", "b"])])  # total itself small
    assert [shown[k].text for k in "tab"] == ["*", "0", "*"]
    shown = disclose_counts({"t": 14, "a": 0, "b": 4, "c": 10}, [("t", ["a", "b", "c"])])
    assert [shown[k].suppressed for k in "tabc"] == [None, None, "primary", "secondary"]


def test_a_hidden_total_is_hidden_in_every_relation_it_belongs_to():
    # the borough total is one key shown in two tables (by locality, by decile): hidden the same way in both
    counts = {"borough": 20, "north": 4, "south": 16, "d1": 6, "d2": 14}
    relations = [("borough", ["north", "south"]), ("borough", ["d1", "d2"])]
    shown = disclose_counts(counts, relations)
    assert shown["north"].text == "*" and shown["south"].text == "*"  # south is the only part left
    assert shown["d1"].text == "*" and shown["d2"].text == "*"
    assert shown["borough"].text == "20"


def test_when_no_part_can_be_hidden_the_total_is_and_that_cascades():
    # region = borough + other; borough = a + b with a small and b zero: borough must go, then other too
    counts = {"region": 40, "borough": 6, "other": 34, "a": 6, "b": 0}
    relations = [("borough", ["a", "b"]), ("region", ["borough", "other"])]
    shown = disclose_counts(counts, relations)
    assert shown["a"].suppressed == "primary" and shown["borough"].suppressed == "primary"
    assert shown["other"].suppressed == "secondary" and shown["region"].text == "40"


def test_relations_must_name_known_counts():
    with pytest.raises(KeyError, match="relation names 'x', which has no count"):
        disclose_counts({"t": 10}, [("t", ["x"])])


def wilson(x: float, n: float) -> tuple[float, float]:
    centre, spread = 2 * x + Z95**2, Z95 * math.sqrt(Z95**2 + 4 * x * (1 - x / n))
    return 100 * (centre - spread) / (2 * (n + Z95**2)), 100 * (centre + spread) / (2 * (n + Z95**2))


def test_rates_are_computed_from_the_rounded_counts():
    rate = disclose_rate(Disclosed(153, 155), Disclosed(189, 190))
    assert rate.pct == pytest.approx(100 * 155 / 190, abs=TOL)
    lower, upper = wilson(155, 190)
    assert rate.lower_pct == pytest.approx(lower, abs=1e-7) and rate.upper_pct == pytest.approx(
        upper, abs=1e-7
    )
    assert rate.ci_text() == f"{lower:.1f}–{upper:.1f}"
    # 190 children (rounded): 100-395, so the nearest 5 per cent: 81.6% is "about 80%"; true 153/189 = 81.0%
    assert rate.text() == "about 80%" and rate.step == 5


@pytest.mark.parametrize(
    ("denominator", "step"),
    [(0, None), (95, None), (100, 5), (395, 5), (400, 1), (3995, 1), (4000, 0.1), (250000, 0.1)],
)
def test_precision_follows_the_rounded_denominator(denominator, step):
    assert precision_for(denominator) == step


def test_a_percentage_of_too_few_children_is_not_shown_but_its_counts_are():
    # 18/22 = 81.8%; rounded 20/20 = 100%: below 100 children, no percentage
    rate = disclose_rate(Disclosed(18, 20), Disclosed(22, 20))
    assert rate.pct == 100.0 and rate.text() == "too few" and rate.shown_pct is None
    assert (rate.numerator.text, rate.denominator.text) == ("20", "20")


@pytest.mark.parametrize(
    ("num", "den", "text"),
    [
        # 4,000+: one decimal. 3,612/4,321 = 83.59%; rounded 3,610/4,320 = 83.565 -> 83.6%, 0.01 from the truth
        (3612, 4321, "83.6%"),
        # 400-3,995: whole per cent. 715/789 = 90.62%; rounded 715/790 = 90.51% -> 91%
        (715, 789, "91%"),
        # 100-395: nearest 5. 106/123 = 86.18%; rounded 105/125 = 84.0% -> about 85%, 1.2 from the truth
        (106, 123, "about 85%"),
        # below 100: 78/91 = 85.7%, rounded 80/90: no percentage
        (78, 91, "too few"),
        # 449/500 = 89.8%; rounded 450/500 = 90% -> 90%, 0.2 from the truth
        (449, 500, "90%"),
    ],
)
def test_shown_percentages_follow_the_rule_worked_by_hand(num, den, text):
    rate = disclose_rate(Disclosed(num, round_count(num)), Disclosed(den, round_count(den)))
    assert rate.text() == text
    if rate.shown_pct is not None:
        assert abs(rate.shown_pct - 100 * num / den) <= rate.step


def test_less_precision_is_shown_when_rounding_moved_the_percentage_too_far():
    # 98/102 = 96.1%, rounded 100/100 = 100%: "about 100%" is 3.9 from the truth, within 5
    assert disclose_rate(Disclosed(98, 100), Disclosed(102, 100)).text() == "about 100%"
    # 4,002/4,002 against 3,998 of 4,002 (99.90%): rounded 4,000/4,000 = 100.0% is 0.1 off: one decimal holds
    assert disclose_rate(Disclosed(3998, 4000), Disclosed(4002, 4000)).text() == "100.0%"
    # 398/402 = 99.0%; rounded 400/400 = 100%: whole per cent, 1.0 off, holds
    assert disclose_rate(Disclosed(398, 400), Disclosed(402, 400)).text() == "100%"
    # 3,997/4,002 = 99.875%, rounded 3,995/4,000 = 99.875%, one decimal 99.9% (0.025 off)
    assert disclose_rate(Disclosed(3997, 3995), Disclosed(4002, 4000)).text() == "99.9%"
    # 4,002 children, 3,993 of them (99.78%) shown as 3,995/4,000 = 99.875 -> 99.9%, 0.12 off: whole per cent
    rate = disclose_rate(Disclosed(3993, 3995), Disclosed(4002, 4000))
    assert rate.text() == "100%" and rate.step == 1


def test_rates_are_suppressed_when_a_count_behind_them_is():
    assert disclose_rate(Disclosed(3, None, "primary"), Disclosed(200, 200)).text() == "*"
    assert disclose_rate(Disclosed(0, 0), Disclosed(5, None, "primary")).ci_text() == "*"
    assert disclose_rate(Disclosed(40, None, "secondary"), Disclosed(60, 60)).text() == "*"
    assert disclose_rate(Disclosed(0, 0), Disclosed(0, 0)).text() == "–"


def test_means_over_one_to_seven_people_are_suppressed():
    assert disclose_mean(16.2, 7) is None
    assert disclose_mean(16.2, 8) == 16.2
    assert disclose_mean(None, 30) is None


def test_no_percentage_when_no_precision_brings_it_within_reach_of_the_truth():
    assert shown_step(100.0, 93.0, 5) is None  # "about 100%" would be 7 points from the truth
    assert shown_step(84.0, 86.2, 1) == 5  # 84% is 2.2 off: about 85% (1.2 off) instead
