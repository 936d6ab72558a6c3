"""Tests for kpi.inequality.local_quantiles: local deprivation quantiles (PHEindicatormethods ``phe_quantile``).

Expected values: a hand-worked example and the PHEindicatormethods workbook testdata_Quantiles.xlsx, read in place
from ../shared/oracles (never copied into the project).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from kpi.inequality import quantiles as package_quantiles
from kpi.inequality.local_quantiles import quantiles
from kpi.inequality.sii_inputs import SIIWarning

ORACLES = (
    Path(__file__).resolve().parents[3] / ".." / "shared" / "oracles" / "pheindicatormethods"
).resolve()
QUANTILES_WORKBOOK = ORACLES / "testdata_Quantiles.xlsx"
MISSING_ORACLE = (
    f"PHEindicatormethods oracle files are not at {ORACLES} (they are read in place from ../shared/oracles "
    "and never copied into the project)"
)


def test_the_package_exports_the_same_function() -> None:
    assert package_quantiles is quantiles


# --- quantiles (phe_quantile) ------------------------------------------------------------------------------
def test_quantiles_hand_worked_example() -> None:
    """N = 7 LSOAs ranked 1..7, q = 5, N/q = 1.4: quantile = floor(6 - ceil((8 - rank) / 1.4)).

    rank 1: 7/1.4 = 5 -> 1; rank 2: 4.29 -> 5 -> 1; rank 3: 3.57 -> 4 -> 2; rank 4: 2.86 -> 3 -> 3;
    rank 5: 2.14 -> 3 -> 3; rank 6: 1.43 -> 2 -> 4; rank 7: 0.71 -> 1 -> 5.
    """
    ranks = [3, 7, 1, 5, 2, 6, 4]
    assert quantiles(ranks, 5).to_list() == [2, 5, 1, 3, 1, 4, 3]
    # the same areas by IMD score (higher = more deprived)
    scores = [40.0, 5.0, 60.0, 20.0, 50.0, 10.0, 30.0]
    assert quantiles(scores, 5, most_deprived_first=False).to_list() == [2, 5, 1, 3, 1, 4, 3]


def test_quantiles_ties_and_missing() -> None:
    # ties share the lowest rank (1, 1, 3, 4, 5); a missing value gets no quantile and is not counted
    assert quantiles([1, 1, 3, None, 4, 5], 5).to_list() == [1, 1, 3, None, 4, 5]


def test_quantiles_too_few_areas() -> None:
    with pytest.warns(SIIWarning, match=r"Too few small areas to assign 10 quantiles: 3 have a value"):
        out = quantiles([1, 2, 3], 10)
    assert out.to_list() == [None, None, None] and out.dtype == pl.Int64


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1, "x"], 5), {}, r"quantiles\(\) needs numbers \(IMD ranks or scores\); 'x' is not a number\."),
        (([1, 2], 1), {}, r"The number of quantiles must be a whole number of 2 or more, not 1\."),
        (
            ([1, 2], 2),
            {"most_deprived_first": "yes"},
            r"most_deprived_first must be True or False, not 'yes'\.",
        ),
    ],
)
def test_quantiles_errors(args: tuple[object, ...], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        quantiles(*args, **kwargs)


def test_quantiles_against_phe_quantile_workbook() -> None:
    """testQuantiles.R's ungrouped quartiles (GroupSet "None", invert = TRUE: highest value first)."""
    openpyxl = pytest.importorskip("openpyxl")
    if not QUANTILES_WORKBOOK.exists():
        pytest.skip(MISSING_ORACLE)
    book = openpyxl.load_workbook(QUANTILES_WORKBOOK, read_only=True, data_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = list(next(rows))
    table = [dict(zip(header, r, strict=False)) for r in rows]
    book.close()
    block = [r for r in table if r["GroupSet"] == "None"]
    assert len(block) == 491
    got = quantiles([r["Value"] for r in block], 4, most_deprived_first=False).to_list()
    expected = [None if r["QuantileInGrp"] is None else int(r["QuantileInGrp"]) for r in block]
    assert got == expected
