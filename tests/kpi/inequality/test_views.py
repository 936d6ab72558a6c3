"""kpi.inequality.views: quantile frames (borough deciles, locality quintiles, NCMP and outcome measures).

Expected values: the marts' own rows and hand-worked frames; the names the pages and reports import from here.
"""

import polars as pl
import pytest

from kpi.access.principal import LOCAL_USER
from kpi.inequality import views as iq
from kpi.stats import wilson_ci

C2_NAME = "New birth visits within 14 days"


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
    text = iq.quantile_explanation("locality", gaps, {"NORTH": "North", "SOUTH": "South"}, on="IMD 2019")
    assert "North has no LSOA in deciles 8 and 10; South has no LSOA in decile 2." in text
    assert "quintile 1 = deciles 1-2" in text and "rolling four quarters" in text
    assert "most deprived minus least deprived" in text
    assert "national IMD 2019 deciles" in iq.quantile_explanation("borough", on="IMD 2019")
    assert "national IMD 2025 quintiles" in iq.quantile_explanation("locality", gaps, on="IMD 2025")


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
