"""kpi.ncmp.rules: the public names of the classification, the NCMP rules as polars expressions, and the whole-days
fast path of classify (a national file's ages are whole days) agreeing with the per-child path and rcpchgrowth.

Expected z-scores are docs/methods.md section 8's (Tim Cole's LMSgrowth, tolerance 1e-3) and rcpchgrowth's own
``sds_for_measurement`` (test-only oracle).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from kpi.ncmp import bmi as ncmp_bmi
from kpi.ncmp import rules as ncmp


def test_the_architecture_names_are_the_tested_functions():
    for name in ("bmi_zscore", "bmi_category", "is_severely_obese", "classify", "decimal_age", "age_in_days"):
        assert getattr(ncmp, name) is getattr(ncmp_bmi, name)


@pytest.mark.parametrize(
    ("sex", "born", "measured", "bmi", "expected"),
    [
        ("F", date(2013, 1, 20), date(2017, 8, 12), 16.0104, 0.319804),
        ("M", date(2014, 4, 15), date(2018, 7, 4), 17.3461, 1.220071),
        ("M", date(2013, 4, 25), date(2024, 8, 11), 15.3983, -0.985367),
    ],
)
def test_domain_worked_examples_through_classify_with_whole_days(sex, born, measured, bmi, expected):
    days = (measured - born).days
    frame = pl.DataFrame({"sex": [sex], "age_days": [days], "height_cm": [100.0], "weight_kg": [bmi]})
    assert ncmp.classify(frame)["bmi_z"][0] == pytest.approx(expected, abs=1e-3)


def _children(n: int, low: int, high: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    days = pl.Series(rng.integers(low, high, n)).cast(pl.Int32).scatter([0, 5], None)
    return pl.DataFrame(
        {
            "sex": rng.choice(["M", "F"], n),
            "age_days": days,
            "height_cm": rng.normal(125, 20, n),
            "weight_kg": rng.normal(28, 9, n),
        }
    )


@pytest.mark.parametrize(("low", "high"), [(1400, 4600), (-50, 8000), (0, 40_000)])
@pytest.mark.parametrize("age_method", ["exact", "month"])
def test_whole_days_fast_path_agrees_with_the_per_child_path(low, high, age_method):
    frame = _children(20_000, low, high, seed=abs(low) + 7)
    fast = ncmp.classify(frame, age_method=age_method)
    slow = ncmp.classify(frame.with_columns(pl.col("age_days").cast(pl.Float64)), age_method=age_method)
    assert fast["bmi_z"].is_null().to_list() == slow["bmi_z"].is_null().to_list()
    difference = (fast["bmi_z"] - slow["bmi_z"]).abs().max()
    assert difference is None or difference < 1e-9
    assert fast["bmi_category"].equals(slow["bmi_category"])
    assert fast["severe_obesity"].equals(slow["severe_obesity"])


def test_whole_days_fast_path_agrees_with_rcpchgrowth():
    from rcpchgrowth import sds_for_measurement

    frame = _children(300, 1461, 4383, seed=11).drop_nulls()
    classified = ncmp.classify(frame)
    for row in classified.iter_rows(named=True):
        if row["bmi"] is None:
            continue
        sex = {"M": "male", "F": "female"}[row["sex"]]
        expected = sds_for_measurement("uk-who", row["age_days"] / 365.25, "bmi", row["bmi"], sex)
        assert row["bmi_z"] == pytest.approx(expected, abs=1e-6)


def test_rule_expressions_read_the_accepted_spellings():
    frame = pl.DataFrame(
        {
            "sex": ["M", "female", " 1 ", "Girl", "X", None],
            "group": ["R", "Reception", "yr", "6", "Year 6", "3"],
            "urn": ["990101", "990101.0", " 123456 ", "12345", "abcdef", None],
        }
    )
    out = frame.select(ncmp.sex_expr("sex"), ncmp.school_year_expr("group"), ncmp.urn_expr("urn"))
    assert out.rows() == [
        ("M", "R", "990101"),
        ("F", "R", "990101"),
        ("M", "R", "123456"),
        ("F", "6", None),
        (None, "6", None),
        (None, None, None),
    ]


def test_dates_are_iso_or_day_month_year_and_nothing_else():
    values = [
        "2019-04-03",
        "3/4/2019",
        "03/04/2019 00:00:00",
        "2019-02-29",
        "04/13/2019",
        "03/04/19",
        "3 April 2019",
    ]
    out = pl.DataFrame({"d": values}).select(ncmp.date_expr("d"), ncmp.date_problem_expr("d").alias("p"))
    assert out["d"].to_list() == [
        date(2019, 4, 3),
        date(2019, 4, 3),
        date(2019, 4, 3),
        None,
        None,
        None,
        None,
    ]
    assert out["p"].to_list() == [None, None, None, "impossible", "us_style", "two_digit_year", "bad_format"]


def test_academic_years():
    assert [ncmp.normalise_academic_year(t) for t in ("2025/26", "2025-26", "2025/2026", " 1999-2000 ")] == [
        "2025/26",
        "2025/26",
        "2025/26",
        "1999/00",
    ]
    with pytest.raises(ncmp.AcademicYearError, match="the second year must follow the first, like 2025/26"):
        ncmp.normalise_academic_year("2025/27")
    with pytest.raises(ncmp.AcademicYearError, match="'2025' is not an academic year: write it like 2025/26"):
        ncmp.normalise_academic_year("2025")
    assert ncmp.academic_year_bounds("2025/26") == (date(2025, 9, 1), date(2026, 8, 31))
    assert ncmp.current_academic_year(date(2026, 8, 31)) == "2025/26"
    assert ncmp.current_academic_year(date(2026, 9, 1)) == "2026/27"
