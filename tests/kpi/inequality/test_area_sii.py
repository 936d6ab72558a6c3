"""kpi.inequality.area_sii: SII and RII per area and period of a quantile frame, and the fitted lines.

Expected values: docs/methods.md section 8 (PHEindicatormethods' SII example, in its sign: least minus most deprived) and
hand-worked fits.
"""

import re

import polars as pl
import pytest

from kpi.inequality import area_sii as iq
from kpi.inequality import words
from kpi.stats import wilson_ci

# docs/methods.md section 8: deciles 1..10 (value = count / pop) -> SII -0.1072003, RII 0.5334015 (7 places)
POP = [34353, 32112, 27715, 25372, 23889, 23260, 23180, 24193, 23609, 24488]
COUNT = [7287, 6881, 5656, 4868, 4176, 3876, 3617, 3546, 3314, 2960]
PHE_SII, PHE_RII = -0.1072003, 0.5334015
SII_TOL = 1e-7 * 100  # 7 places, in points
C2_NAME = "New birth visits within 14 days"


def quantile_frame(numerators, populations, *, area="ALL", name="Borough", period="2026-27 Q2", index=8105):
    lower, upper = wilson_ci(
        pl.Series(numerators, dtype=pl.Float64), pl.Series(populations, dtype=pl.Float64)
    )
    n = len(numerators)
    return pl.DataFrame(
        {
            "area_code": [area] * n,
            "area_name": [name] * n,
            "period": [period] * n,
            "period_index": [index] * n,
            "quantile": list(range(1, n + 1)),
            "population": [float(p) for p in populations],
            "numerator": [float(x) for x in numerators],
            "value_pct": [100 * x / p for x, p in zip(numerators, populations, strict=True)],
            "lower_ci_pct": (100 * lower).to_list(),
            "upper_ci_pct": (100 * upper).to_list(),
            "reason": [None] * n,
        },
        schema_overrides={"reason": pl.String},
    )


def test_domain_example_sii_and_rii_most_minus_least_deprived():
    row = iq.sii_table(quantile_frame(COUNT, POP), n_quantiles=10, repetitions=1000).row(0, named=True)
    # this dashboard reports most minus least deprived (PHE multiplier -100): the sign flips, the RII inverts
    assert row["sii_pts"] == pytest.approx(-100 * PHE_SII, abs=SII_TOL)
    assert row["rii"] == pytest.approx(1 / PHE_RII, rel=1e-6)
    assert row["rated"] is True and row["not_rated_reason"] is None and row["ci_scale"] == "logit"
    assert row["sii_lower_pts"] < row["sii_pts"] < row["sii_upper_pts"]
    assert row["rii_lower"] < row["rii"] < row["rii_upper"]
    assert row["most_end_pct"] - row["least_end_pct"] == pytest.approx(row["sii_pts"])
    assert row["most_end_pct"] / row["least_end_pct"] == pytest.approx(row["rii"])
    sentence = words.gap_sentence(row, "XX", "Unused", phrase="to be counted")
    assert re.fullmatch(
        r"Children in the most deprived areas were 10\.7 points more likely to be counted than those in the least "
        r"deprived \(slope index of inequality 10\.7 points, 95% CI \d+\.\d to \d+\.\d\)\.",
        sentence,
    ), sentence


def test_same_data_same_limits():
    frame = quantile_frame(COUNT, POP)
    first = iq.sii_table(frame, n_quantiles=10, repetitions=2000)
    again = iq.sii_table(frame.reverse(), n_quantiles=10, repetitions=2000)
    assert (
        first.select("sii_lower_pts", "sii_upper_pts").rows()
        == again.select("sii_lower_pts", "sii_upper_pts").rows()
    )


def test_hand_worked_quintiles_and_fitted_line():
    # equal populations: ranks 0.1, 0.3, 0.5, 0.7, 0.9; values 80..96 rise 20 points per unit of rank
    table = iq.sii_table(quantile_frame([80, 84, 88, 92, 96], [100] * 5), n_quantiles=5, repetitions=1000)
    row = table.row(0, named=True)
    assert row["sii_pts"] == pytest.approx(-20.0, abs=1e-9)
    assert (row["most_end_pct"], row["least_end_pct"]) == (pytest.approx(78.0), pytest.approx(98.0))
    assert row["rii"] == pytest.approx(78 / 98)
    line = iq.fitted_lines(table)
    assert line.select("rank", "fitted_pct").rows() == [
        (0.0, pytest.approx(78.0)),
        (1.0, pytest.approx(98.0)),
    ]


def test_a_quantile_at_100_per_cent_is_simulated_on_the_natural_scale():
    # y = 80, 84, 88, 92, 100 at ranks 0.1..0.9: slope = 9.6 / 0.4 = 24 points per unit of rank
    row = iq.sii_table(quantile_frame([80, 84, 88, 92, 100], [100] * 5), n_quantiles=5, repetitions=1000).row(
        0, named=True
    )
    assert row["rated"] is True and row["ci_scale"].startswith("natural")
    assert row["sii_pts"] == pytest.approx(-24.0, abs=1e-9)
    assert row["sii_lower_pts"] < -24 < row["sii_upper_pts"]


def test_with_ranks_are_population_midpoints():
    ranked = iq.with_ranks(quantile_frame([1, 1, 1], [1, 1, 2]))
    assert ranked["rank"].to_list() == pytest.approx([0.125, 0.375, 0.75])


def test_a_frame_without_numerators_is_fitted_on_the_natural_scale():
    frame = quantile_frame(COUNT, POP).with_columns(pl.lit(None, dtype=pl.Float64).alias("numerator"))
    row = iq.sii_table(frame, n_quantiles=10, repetitions=1000).row(0, named=True)
    assert row["rated"] is True and row["ci_scale"] == "natural"
    assert row["sii_pts"] == pytest.approx(-100 * PHE_SII, abs=1e-4)
