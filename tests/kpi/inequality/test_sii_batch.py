"""SII for many areas at once (kpi.inequality.slope_index.sii_batch, area_sii.sii_tables) and the fast limits of
proportions (kpi.inequality.sii_exact_ranks): the same figures, to the last digit, as one area at a time.

``tests/data/sii_limits_before_batch.json`` holds the point estimates, limits, reliability statistics and seeds of 40
areas (every value type, with and without transform, positive and negative multipliers, one or two confidence
levels, 1,000 to 400,001 draws, given and derived seeds), written as ``repr`` of each float by the per-area code
before the batch, the blocks of draws and the fast inverse logit existed. Every figure must be equal, not close.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from kpi.inequality import sii_exact_ranks, sii_simulation
from kpi.inequality.area_sii import sii_table, sii_tables
from kpi.inequality.slope_index import SIIResult, sii, sii_batch

BEFORE = Path(__file__).resolve().parents[2] / "data" / "sii_limits_before_batch.json"


def _cases() -> list[dict]:
    """The 40 areas of the recorded figures (the same generator, seed and order as when they were recorded)."""
    rng = np.random.default_rng(20261205)
    out = []
    for i in range(40):
        k = [5, 10, 10, 7, 12][i % 5]
        pop = rng.integers(200, 5000, k).astype(float)
        p = np.clip(rng.uniform(0.05, 0.95) + np.linspace(-0.1, 0.1, k) * rng.choice([-1, 1]), 0.01, 0.99)
        half = 1.96 * np.sqrt(p * (1 - p) / pop)
        vt = ["proportion", "proportion", "rate", "other", "proportion"][i % 5]
        value = p if vt != "rate" else p * 100
        lo, hi = (p - half, p + half) if vt != "rate" else (value * 0.9, value * 1.1)
        kw = {
            "quantile": list(range(1, k + 1)),
            "population": pop.tolist(),
            "value": value.tolist(),
            "value_type": vt,
            "lower_ci": lo.tolist(),
            "upper_ci": hi.tolist(),
            "multiplier": [-100, 1, 2.5, -1, 100][i % 5],
            "transform": (i % 7 == 3 and vt != "other"),
            "confidence": [0.95, [0.95, 0.998], 0.9][i % 3],
            "repetitions": [100_000, 1000, 4097, 12_345, 100_001, 400_001][i % 6],
            "seed": None if i % 4 else 1000 + i,
            "reliability_stat": (i % 9 == 4),
        }
        if kw["repetitions"] > 100_001 and i % 4 == 1:
            kw["repetitions"] = 100_000
        out.append(kw)
    return out


def _recorded(result: SIIResult) -> list:
    """A result as the recorded figures hold it: every float as its repr."""

    def reprs(mapping):
        return None if mapping is None else {repr(k): [repr(x) for x in v] for k, v in mapping.items()}

    return [
        repr(result.sii),
        repr(result.rii),
        repr(result.intercept),
        result.seed,
        reprs(result.limits),
        reprs(result.reliability),
    ]


@pytest.fixture(scope="module")
def before() -> list:
    return json.loads(BEFORE.read_text())


def test_the_cases_cover_what_the_blocks_and_the_fast_path_must_keep() -> None:
    cases = _cases()
    assert {c["value_type"] for c in cases} == {"proportion", "rate", "other"}
    assert any(c["transform"] for c in cases) and any(c["reliability_stat"] for c in cases)
    # 400,001 draws of 10 quantiles: the last row was fitted alone (a product of one row) and must stay so
    assert any(c["repetitions"] == 400_001 and len(c["quantile"]) == 10 for c in cases)
    assert any(c["value_type"] == "proportion" and not c["transform"] and c["multiplier"] < 0 for c in cases)


def test_one_area_at_a_time_gives_the_recorded_figures_to_the_last_digit(before) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 12 quantiles warn
        got = [_recorded(sii(**case)) for case in _cases()]
    assert got == before


@pytest.mark.parametrize("n_workers", [1, 2, 3])
def test_the_batch_gives_the_recorded_figures_whatever_the_threads(before, n_workers) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = [_recorded(r) for r in sii_batch(_cases(), n_workers=n_workers)]
    assert got == before


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("_MAX_WINDOW", -1),  # the window closed: every proportion refitted exactly
        ("_bracket", lambda approx, r: None),  # no bracket from the sample: every value partitioned
    ],
)
def test_the_slower_paths_give_the_same_figures(before, monkeypatch, name, value) -> None:
    """The fast path's fallbacks (every draw refitted exactly; the ranks found by a full partition): no figure moves."""
    monkeypatch.setattr(sii_exact_ranks, name, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = [_recorded(r) for r in sii_batch(_cases())]
    assert got == before


def test_a_call_that_fails_its_checks_gives_its_error_in_place_and_the_others_are_worked_out() -> None:
    good = {
        "quantile": [1, 2, 3, 4, 5],
        "population": [100] * 5,
        "value": [10.0, 9, 8, 7, 6],
        "se": [0.5] * 5,
    }
    bad = good | {"population": [100, 100, 0, 100, 100]}
    gap = good | {"quantile": [1, 2, 3, 4, 6], "n_quantiles": 5}
    out = sii_batch([good | {"repetitions": 1000}, bad, gap, good | {"seed": 3, "repetitions": 1000}])
    assert out[0] == sii(**good, repetitions=1000) and out[3] == sii(**good, seed=3, repetitions=1000)
    for error, call in ((out[1], bad), (out[2], gap)):
        assert isinstance(error, ValueError)
        with pytest.raises(ValueError) as raised:
            sii(**call)
        assert str(error) == str(raised.value)


def test_sii_tables_gives_each_frame_the_table_sii_table_gives_it() -> None:
    rng = np.random.default_rng(8)
    frames = []
    for kpi in range(3):
        rows = []
        for area in ("E1", "E2"):
            for period, index in (("2026-27 Q1", 8104), ("2026-27 Q2", 8105)):
                for q in range(1, 11):
                    pop = float(rng.integers(50, 400))
                    num = (
                        float(rng.integers(0, int(pop) + 1)) if kpi != 1 or q != 4 else pop
                    )  # kpi 1: a 100% decile
                    p = num / pop
                    half = 1.96 * (p * (1 - p) / pop) ** 0.5 + 0.01
                    rows.append(
                        {
                            "area_code": area,
                            "area_name": f"Area {area}",
                            "period": period,
                            "period_index": index,
                            "quantile": q,
                            "population": pop,
                            "numerator": num,
                            "value_pct": 100 * p,
                            "lower_ci_pct": 100 * max(p - half, 0),
                            "upper_ci_pct": 100 * min(p + half, 1),
                            "reason": None,
                        }
                    )
        frame = pl.DataFrame(rows, schema_overrides={"reason": pl.String})
        frames.append(
            frame if kpi != 2 else frame.filter(~((pl.col("area_code") == "E2") & (pl.col("quantile") == 7)))
        )
    tables = sii_tables(frames, n_quantiles=10, repetitions=2000)
    for frame, table in zip(frames, tables, strict=True):
        assert table.equals(sii_table(frame, n_quantiles=10, repetitions=2000))
    assert tables[1]["ci_scale"].unique().to_list() == ["natural (a quantile at 0% or 100%)"]
    assert tables[2].filter(pl.col("area_code") == "E2")["rated"].to_list() == [False, False]


@pytest.mark.parametrize(
    ("n_draws", "k"), [(100_000, 10), (400_001, 10), (4097, 10), (12_289, 10), (1, 10), (2, 5), (800_001, 5)]
)
def test_blocks_cover_every_draw_and_keep_a_lone_row_alone(n_draws, k) -> None:
    blocks = sii_simulation._blocks(n_draws, k)
    assert blocks[0][0] == 0 and blocks[-1][1] == n_draws
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:], strict=False))
    sizes = [stop - start for start, stop in blocks]
    lone = n_draws > 1 and n_draws % (sii_simulation._CHUNK_ELEMENTS // k) == 1
    assert (sizes[-1] == 1) == (lone or n_draws == 1)
    assert all(size >= 2 for size in sizes[:-1])


def test_fast_inverse_logit_is_within_the_bound_the_exact_ranks_assume() -> None:
    from scipy.special import expit

    rng = np.random.default_rng(4)
    x = rng.standard_normal((100_000, 10)) * 6
    weight = np.tile(np.sqrt(rng.dirichlet(np.ones(10))), (x.shape[0], 1))
    fast = sii_exact_ranks.fast_weighted_expit(-x, weight, np.empty_like(x))
    assert np.abs(fast - expit(x) * weight).max() <= 4.5e-16


def test_exact_ranks_find_the_exact_order_statistics_among_ties_and_near_ties() -> None:
    rng = np.random.default_rng(9)
    exact = np.round(rng.standard_normal(5000), 3)  # many ties
    approx = exact + rng.uniform(-1e-9, 1e-9, exact.size)
    ranks = [1, 125, 2500, 4875, 5000]
    got = sii_exact_ranks._at_ranks(approx, 1e-9, ranks, lambda rows: exact[rows])
    assert got == {r: float(np.sort(exact)[r - 1]) for r in ranks}
    assert sii_exact_ranks._at_ranks(np.r_[approx, np.nan], 1e-9, ranks, lambda rows: exact[rows]) is None
