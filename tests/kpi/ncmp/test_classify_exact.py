"""kpi.ncmp.bmi.classify gives, to the last digit, what its earlier form gave: BMI from polars expressions, L, M and S
of each child gathered from the table of every day of age, ``lms_z`` with a new array per step, and the categories
and severe flag from polars expressions (``_category_expr``, ``_severe_expr``). That form is written out here and
both are run on the same children (exact equality, on every path: whole days, far-apart days, fractional days,
the completed-month option, missing and impossible values)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from kpi.ncmp import bmi as ncmp_bmi
from kpi.ncmp.measurements import sex_codes


def _earlier_z_whole_days(frame: pl.DataFrame, bmis: pl.Series, age_method: str) -> pl.Series:
    codes = sex_codes(frame["sex"]).astype(np.int64)
    whole = frame["age_days"].cast(pl.Int64)
    known = whole.is_not_null().to_numpy()
    values = whole.fill_null(0).to_numpy()
    first, last = int(values[known].min()), int(values[known].max())
    if last - first > ncmp_bmi.MAX_DAY_TABLE:
        return ncmp_bmi.bmi_zscore(frame["sex"], whole.cast(pl.Float64) / 365.25, bmis, age_method=age_method)
    span = last - first + 1
    grid_age = np.arange(first, last + 1, dtype=np.float64) / 365.25
    table = ncmp_bmi._lms_by_sex(np.repeat(np.array([0, 1]), span), np.tile(grid_age, 2), age_method)
    index = codes * span + np.where(known, values - first, 0)
    lms = [np.where(known, column[index], np.nan) for column in table]
    z = ncmp_bmi.lms_z(bmis.to_numpy(), *lms)
    return pl.Series("bmi_z", z, dtype=pl.Float64).fill_nan(None)


def _earlier_classify(frame: pl.DataFrame, age_method: str) -> pl.DataFrame:
    height_m = pl.col("height_cm").cast(pl.Float64) / 100.0
    weight = pl.col("weight_kg").cast(pl.Float64)
    bmi = weight / (height_m * height_m)
    measurable = (height_m > 0) & (weight > 0) & bmi.is_finite() & (bmi > 0)
    bmis = frame.select(pl.when(measurable).then(bmi).otherwise(None).alias("bmi")).to_series()
    if frame["age_days"].dtype.is_integer():
        z = _earlier_z_whole_days(frame, bmis, age_method)
    else:
        z = ncmp_bmi.bmi_zscore(frame["sex"], frame["age_days"] / 365.25, bmis, age_method=age_method)
    return frame.with_columns(bmis, z).with_columns(
        ncmp_bmi._category_expr(pl.col("bmi_z")).alias("bmi_category"),
        ncmp_bmi._severe_expr(pl.col("bmi_z")).alias("severe_obesity"),
    )


def _children(n: int, seed: int, low: int, high: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "sex": rng.choice(["M", "F"], n),
            "age_days": pl.Series(rng.integers(low, high, n)).cast(pl.Int32).scatter([0, 5, 9], None),
            "height_cm": pl.Series(rng.normal(125, 30, n)).scatter([1, 2], None).scatter([3], 0.0),
            "weight_kg": pl.Series(rng.normal(28, 12, n)).scatter([4], None).scatter([6], float("nan")),
        }
    )


@pytest.mark.parametrize(
    ("low", "high", "cast", "age_method"),
    [
        (1400, 4600, None, "exact"),  # an NCMP file: the table of every day
        (-50, 8000, None, "exact"),  # ages outside the reference too
        (0, 40_000, None, "exact"),  # days far apart: per child
        (-50, 8000, pl.Float64, "exact"),  # fractional days possible: per child
        (-50, 8000, None, "month"),
    ],
)
def test_classify_is_its_earlier_form_to_the_last_digit(low, high, cast, age_method) -> None:
    frame = _children(50_000, abs(low) + high, low, high)
    if cast is not None:
        frame = frame.with_columns(pl.col("age_days").cast(cast))
    now = ncmp_bmi.classify(frame, age_method=age_method)
    before = _earlier_classify(frame, age_method)
    assert now.schema == before.schema
    for column in ("bmi", "bmi_z", "bmi_category", "severe_obesity"):
        assert now[column].equals(before[column]), column
    assert now["bmi_z"].null_count() < frame.height  # the comparison is not between two empty columns
