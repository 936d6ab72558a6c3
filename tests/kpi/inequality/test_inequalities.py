"""kpi.inequality.views: SII per area and period, quantile frames, and the words a commissioner reads.

Expected values: domain.md section 8 (PHEindicatormethods' SII example, in its sign: least minus most deprived) and
hand-worked fits; sentences as the issue words them.
"""

import re

import polars as pl
import pytest

from kpi.access.principal import LOCAL_USER
from kpi.inequality import views as iq
from kpi.stats import wilson_ci

# domain.md section 8: deciles 1..10 (value = count / pop) -> SII -0.1072003, RII 0.5334015 (7 places)
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
    sentence = iq.gap_sentence(row, "XX", "Unused", phrase="to be counted")
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


def mart_rows(period, index, deciles):
    """Rows shaped like mart_kpi_values' borough_decile level for C2."""
    rows = []
    for decile in deciles:
        numerator, denominator = 80 + decile, 100
        lower, upper = wilson_ci(numerator, denominator)
        rows.append(
            {
                "kpi_code": "C2",
                "level": "borough_decile",
                "imd_decile": str(decile),
                "period": period,
                "period_index": index,
                "numerator": float(numerator),
                "denominator": float(denominator),
                "value_pct": float(numerator),
                "lower_ci_pct": 100 * lower,
                "upper_ci_pct": 100 * upper,
            }
        )
    return rows


def test_borough_deciles_leave_out_u_and_a_missing_decile_is_not_rated():
    values = pl.DataFrame(
        mart_rows("2026-27 Q1", 8104, range(1, 11))
        + mart_rows("2026-27 Q2", 8105, [1, 2, 4, 5, 6, 7, 8, 9, 10])
        + [{**mart_rows("2026-27 Q2", 8105, [1])[0], "imd_decile": "U"}]
    )
    frame = iq.borough_deciles(values, "C2")
    assert frame.height == 20 and frame.columns == list(iq.QUANTILE_FRAME_COLUMNS)
    table = iq.sii_table(frame, n_quantiles=10, repetitions=1000)
    q1, q2 = table.row(0, named=True), table.row(1, named=True)
    assert q1["rated"] is True and q1["sii_pts"] < 0  # values rise with decile: lower in the most deprived
    assert q2["rated"] is False and q2["sii_pts"] is None
    assert q2["not_rated_reason"] == (
        "Not rated: no children were counted in decile 3 this quarter. The SII needs every one of the 10 deciles."
    )
    assert iq.gap_sentence(q2, "C2", C2_NAME).startswith("Not rated: no children were counted in decile 3")


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


# ---- quantiles and why ---------------------------------------------------------------------------------------


def test_missing_deciles_and_the_explanation_name_the_councils_gaps():
    cells = pl.DataFrame(
        {
            "locality_code": ["NORTH"] * 8 + ["SOUTH"] * 9,
            "imd_decile": [1, 2, 3, 4, 5, 6, 7, 9] + [1, 3, 4, 5, 6, 7, 8, 9, 10],
        }
    )
    gaps = iq.missing_deciles(cells)
    assert gaps == {"NORTH": [8, 10], "SOUTH": [2]}
    text = iq.quantile_explanation("locality", gaps, {"NORTH": "North", "SOUTH": "South"})
    assert "North has no LSOA in deciles 8 and 10; South has no LSOA in decile 2." in text
    assert "quintile 1 = deciles 1-2" in text and "rolling four quarters" in text
    assert "most deprived minus least deprived" in text
    assert "national IMD 2019 deciles" in iq.quantile_explanation("borough")


def test_window_label():
    assert iq.window_label("2026-27 Q2") == "2025-26 Q3 to 2026-27 Q2"
    assert iq.window_label("2026-27 Q4") == "2026-27 Q1 to 2026-27 Q4"


def test_quantile_frame_needs_a_known_level():
    with pytest.raises(ValueError, match="level must be 'borough'"):
        iq.quantile_frame("ward", "C2")


def test_sample_c2_borough_deciles(sample_ro_store):
    from kpi.contract import values as overview
    from kpi.sample import COUNCIL_CODE

    values = overview.kpi_values(sample_ro_store, COUNCIL_CODE, principal=LOCAL_USER)
    kpis = iq.deprivation_kpis(values)["kpi_code"].to_list()
    assert "C2" in kpis and "C1" not in kpis  # C1 is a count: no proportion to compare
    frame = iq.borough_deciles(values, "C2").filter(pl.col("period") == "2026-27 Q2")
    known = values.filter(
        pl.col("kpi_code") == "C2", pl.col("period") == "2026-27 Q2", pl.col("level") == "borough_decile"
    )
    assert frame["population"].sum() == known.filter(pl.col("imd_decile") != "U")["denominator"].sum()
    assert frame["quantile"].to_list() == list(range(1, 11))


# ---- NCMP categories and outcome measures as quantile frames (issue 6 item 3) ------------------------------------


def test_ncmp_deciles_match_the_mart_and_give_a_rated_sii(sample_ro_store):
    from kpi.ncmp import views as ncmp_views
    from kpi.sample import COUNCIL_CODE

    prevalence = ncmp_views.ncmp_data(sample_ro_store, COUNCIL_CODE, principal=LOCAL_USER).prevalence
    frame = iq.ncmp_deciles(prevalence, "6", "obese")
    assert frame.columns == list(iq.QUANTILE_FRAME_COLUMNS)
    year = frame["period"].max()
    one = frame.filter(pl.col("period") == year)
    assert one["quantile"].to_list() == list(range(1, 11))
    mart = (
        prevalence.filter(
            pl.col("breakdown") == "imd_decile",
            pl.col("school_year") == "6",
            pl.col("category") == "obese",
            pl.col("academic_year") == year,
            pl.col("group_code") != "U",
        )
        .with_columns(pl.col("group_code").cast(pl.Int64).alias("quantile"))
        .sort("quantile")
    )
    assert one["numerator"].to_list() == [float(x) for x in mart["numerator"].to_list()]
    assert one["population"].to_list() == [float(x) for x in mart["denominator"].to_list()]
    row = iq.sii_table(one, n_quantiles=10, repetitions=1000).row(0, named=True)
    assert row["rated"] is True and row["ci_scale"] == "logit"
    sentence = iq.gap_sentence(row, "obese", "Obesity", phrase=iq.NCMP_PHRASES["obese"])
    assert "to be living with obesity" in sentence or "no clear gap" in sentence


def test_outcome_deciles_for_the_sample_measure_with_a_breakdown(sample_ro_store):
    from kpi.outcomes import series as outcomes
    from kpi.sample import COUNCIL_CODE

    values = outcomes.outcome_values(sample_ro_store, COUNCIL_CODE, principal=LOCAL_USER)
    measures = iq.deprivation_outcomes(values, COUNCIL_CODE)
    assert "90319" in measures["measure_ref"].to_list()
    frame = iq.outcome_deciles(values, COUNCIL_CODE, "fingertips", "90319")
    latest = frame.filter(pl.col("period_index") == frame["period_index"].max())
    assert latest["quantile"].to_list() == list(range(1, 11))
    assert latest["numerator"].null_count() == 0  # a percentage with counts: a proportion
    assert iq.sii_table(latest, n_quantiles=10, repetitions=1000)["rated"].to_list() == [True]


def test_a_frame_without_numerators_is_fitted_on_the_natural_scale():
    frame = quantile_frame(COUNT, POP).with_columns(pl.lit(None, dtype=pl.Float64).alias("numerator"))
    row = iq.sii_table(frame, n_quantiles=10, repetitions=1000).row(0, named=True)
    assert row["rated"] is True and row["ci_scale"] == "natural"
    assert row["sii_pts"] == pytest.approx(-100 * PHE_SII, abs=1e-4)


def test_the_decile_gap_is_decile_one_minus_decile_ten_and_nothing_else():
    """domain.md section 5: value in decile 1 minus value in decile 10, from two groups only (by hand)."""
    deciles = pl.DataFrame(
        {
            "imd_decile": ["1", "2", "9", "10", "U"],
            "value_pct": [40 / 45 * 100, 80.0, 90.0, 157 / 165 * 100, 50.0],
        }
    )
    gap = iq.decile_gap(deciles)
    assert gap["gap_points"] == pytest.approx(88.888889 - 95.151515, abs=1e-6)  # C2 sample, 2026-27 Q2: −6.3
    assert (gap["most_deprived"], gap["least_deprived"]) == ("1", "10")
    # without decile 10 there is no decile gap (never decile 1 minus decile 9)
    assert iq.decile_gap(deciles.filter(pl.col("imd_decile") != "10")) is None
    quintiles = pl.DataFrame({"imd_quintile": [1, 2, 3, 4, 5], "value_pct": [72.6, 76.3, 74.5, 76.6, 84.0]})
    assert iq.decile_gap(quintiles, "imd_quintile", 1, 5)["gap_points"] == pytest.approx(-11.4)
    assert iq.HEADLINE_MEASURE == iq.SII_NAME == "slope index of inequality (SII)"
