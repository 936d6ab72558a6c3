"""kpi.inequality.decile_gap: the gap between the most and least deprived decile, from those two groups only."""

import polars as pl
import pytest

from kpi.inequality import decile_gap as iq
from kpi.inequality import measures


def test_the_decile_gap_is_decile_one_minus_decile_ten_and_nothing_else():
    """docs/methods.md section 5: value in decile 1 minus value in decile 10, from two groups only (by hand)."""
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
    assert measures.HEADLINE_MEASURE == measures.SII_NAME == "slope index of inequality (SII)"
