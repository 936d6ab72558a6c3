"""Disclosure control, domain.md section 6: rounding, primary and secondary suppression, rates from rounded counts.

Expected values are worked out by hand from the rule's words (counts 1-7 hidden, 0 kept, others to the nearest 5;
percentages and CIs from the rounded counts; hide the next smallest cell where a hidden one could be recovered by
subtraction from a shown total).
"""

from __future__ import annotations

import math

import pytest

from kpi.reports.disclosure import (
    Disclosed,
    disclose_counts,
    disclose_mean,
    disclose_rate,
    round_count,
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
    assert rate.text() == "81.6%" and rate.ci_text() == f"{lower:.1f}–{upper:.1f}"


def test_rates_are_suppressed_when_a_count_behind_them_is():
    assert disclose_rate(Disclosed(3, None, "primary"), Disclosed(200, 200)).text() == "*"
    assert disclose_rate(Disclosed(0, 0), Disclosed(5, None, "primary")).ci_text() == "*"
    assert disclose_rate(Disclosed(40, None, "secondary"), Disclosed(60, 60)).text() == "*"
    assert disclose_rate(Disclosed(0, 0), Disclosed(0, 0)).text() == "–"


def test_means_over_one_to_seven_people_are_suppressed():
    assert disclose_mean(16.2, 7) is None
    assert disclose_mean(16.2, 8) == 16.2
    assert disclose_mean(None, 30) is None
