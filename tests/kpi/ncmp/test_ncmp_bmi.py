"""Tests for kpi.ncmp.bmi: UK90 BMI z-scores and NCMP weight categories.

Expected values come from independent references (docs/methods.md section 8):
- Tim Cole's z-scores in rcpchgrowth's validation file, read in place from ../shared/oracles (GPL/AGPL test
  data: never copied into the project);
- the rcpchgrowth package itself (``sds_for_measurement``), used here only as a test oracle;
- the standard normal quantiles from scipy, and hand arithmetic with the standard library.
"""

from __future__ import annotations

import json
import math
import warnings
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from kpi.ncmp.bmi import (
    CATEGORIES,
    OBESE_Z,
    OVERWEIGHT_Z,
    SEVERE_OBESITY_Z,
    UNDERWEIGHT_Z,
    age_in_days,
    bmi_category,
    bmi_zscore,
    classify,
    decimal_age,
    is_severely_obese,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
COLE_ORACLE = REPO_ROOT / ".." / "shared" / "oracles" / "rcpchgrowth" / "sds_age_validation_2021.json"

# The domain guide's three worked examples are Tim Cole's z-scores from the oracle file, with BMI rounded to
# 4 decimals.  rcpchgrowth 4.6.5 (whose convention we reproduce to ~1e-14) differs from Cole's values for
# these children by 5.0e-5, 5.6e-5 and 7.7e-5 (2.9e-5, 3.0e-5 and 7.7e-5 with the unrounded BMI), so the
# 1e-5 asked for in the brief is not attainable by either; 1e-4 is the tightest tolerance they satisfy.
WORKED_EXAMPLE_TOL = 1e-4
COLE_ORACLE_TOL = 1e-3  # tolerance stated for the oracle file in docs/methods.md section 8
RCPCHGROWTH_TOL = 1e-6  # agreement with rcpchgrowth's own implementation of the same convention
TABULATED_LMS_TOL = 1e-9  # same tabulated L, M, S: only floating-point rounding may differ
CUTOFF_TOL = 1e-12  # statistics.NormalDist vs scipy's normal quantile
HAND_TOL = 1e-12  # hand arithmetic with the standard library
MONTH_DIFFERS = 1e-3  # "the whole-month option moves z" means by more than this

SEX_WORD = {"M": "male", "F": "female"}


def rcpch_sds(sex: str, age: float, bmi: float) -> float:
    """Z from the rcpchgrowth package (test oracle only)."""
    from rcpchgrowth import sds_for_measurement

    return float(sds_for_measurement("uk-who", float(age), "bmi", float(bmi), SEX_WORD[sex]))


def reference_category(z: float) -> str:
    """Independent category rule from docs/methods.md section 3, with scipy's normal quantiles."""
    if z <= norm.ppf(0.02):
        return "underweight"
    if z < norm.ppf(0.85):
        return "healthy weight"
    if z < norm.ppf(0.95):
        return "overweight"
    return "obese"


def test_measurement_before_birth_gives_negative_age_and_missing_z() -> None:
    days = age_in_days(date(2017, 8, 12), date(2017, 8, 1))
    assert days == -11
    assert math.isnan(bmi_zscore("F", days / 365.25, 16.0))


# --- Worked examples and oracles ------------------------------------------------------------------------
WORKED_EXAMPLES = [
    ("F", date(2013, 1, 20), date(2017, 8, 12), 16.0104, 0.319804),
    ("M", date(2014, 4, 15), date(2018, 7, 4), 17.3461, 1.220071),
    ("M", date(2013, 4, 25), date(2024, 8, 11), 15.3983, -0.985367),
]


@pytest.mark.parametrize(("sex", "born", "measured", "bmi", "expected"), WORKED_EXAMPLES)
def test_domain_worked_examples(sex: str, born: date, measured: date, bmi: float, expected: float) -> None:
    z = bmi_zscore(sex, decimal_age(born, measured), bmi)
    assert isinstance(z, float)
    assert z == pytest.approx(expected, abs=WORKED_EXAMPLE_TOL)
    # Same children against rcpchgrowth, which implements the convention we follow.
    assert z == pytest.approx(rcpch_sds(sex, (measured - born).days / 365.25, bmi), abs=RCPCHGROWTH_TOL)


def _cole_rows() -> list[dict]:
    if not COLE_ORACLE.is_file():
        pytest.skip(
            f"Tim Cole's validation file is not at {COLE_ORACLE} (shared oracles are read in place, "
            "never copied into the project); this check needs that checkout of ../shared."
        )
    rows = json.loads(COLE_ORACLE.read_text(encoding="utf-8"))
    return [r for r in rows if r["measurement_method"] == "bmi" and 4 <= r["chronological_age"] <= 13]


def test_every_cole_bmi_row_aged_4_to_13() -> None:
    rows = _cole_rows()
    assert len(rows) == 454 and all(r["chronological_sds"] is not None for r in rows)
    born = [datetime.strptime(r["birth_date"], "%d/%m/%Y").date() for r in rows]
    measured = [datetime.strptime(r["observation_date"], "%d/%m/%Y").date() for r in rows]
    sexes = np.array(["M" if r["sex"] == "male" else "F" for r in rows])
    ages = decimal_age(np.array(born, dtype="datetime64[D]"), np.array(measured, dtype="datetime64[D]"))
    np.testing.assert_allclose(ages, [r["chronological_age"] for r in rows], atol=1e-8)  # file gives 9 dp

    z = bmi_zscore(sexes, ages, np.array([r["observation_value"] for r in rows]))
    expected = np.array([r["chronological_sds"] for r in rows])
    worst = int(np.argmax(np.abs(z - expected)))
    assert np.all(np.abs(z - expected) <= COLE_ORACLE_TOL), f"worst row {rows[worst]} gave {z[worst]}"


def _random_children(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Children aged 4-12.5: half at continuous ages, half at whole days; BMI 11-40 skewed like NCMP."""
    rng = np.random.default_rng(seed)
    half = n // 2
    ages = np.concatenate(
        [rng.uniform(4.0, 12.5, half), rng.integers(1461, int(12.5 * 365.25), n - half) / 365.25]
    )
    bmi = np.clip(np.exp(rng.normal(math.log(17.0), 0.15, n)), 11.0, 40.0)
    sexes = rng.choice(np.array(["M", "F"]), n)
    return sexes, ages, bmi


def test_agrees_with_rcpchgrowth_on_300_random_children() -> None:
    sexes, ages, bmi = _random_children(300, seed=20240611)
    expected = np.array([rcpch_sds(s, a, b) for s, a, b in zip(sexes, ages, bmi, strict=True)])
    z = bmi_zscore(sexes, ages, bmi)
    np.testing.assert_allclose(z, expected, rtol=0, atol=RCPCHGROWTH_TOL)
    assert list(bmi_category(z)) == [reference_category(e) for e in expected]
    assert len(set(bmi_category(z))) == 4, "the sample should reach every category"


@pytest.mark.parametrize(
    "age",
    [
        4.0,  # first tabulated age
        4.01,  # between the first two ages: linear
        4.0833333,  # equals 49 months to 4 decimals: tabulated values
        4.09,  # first cubic interval
        1948 / 365.25,  # 64 months exactly in days
        19.9,  # last cubic interval
        19.95,  # between the last two ages: linear
        19.99999,  # rounds to 20.0000: tabulated values
        20.0,  # last tabulated age
    ],
)
@pytest.mark.parametrize("sex", ["M", "F"])
def test_table_edges_follow_rcpchgrowth(sex: str, age: float) -> None:
    assert bmi_zscore(sex, age, 18.5) == pytest.approx(rcpch_sds(sex, age, 18.5), abs=RCPCHGROWTH_TOL)


# --- Whole-month option ---------------------------------------------------------------------------------
def test_month_option_uses_the_tabulated_month_and_differs_from_exact() -> None:
    sexes, ages, bmi = _random_children(300, seed=7)
    days = np.round(ages * 365.25)
    ages = days / 365.25
    by_month = bmi_zscore(sexes, ages, bmi, age_method="month")
    exact = bmi_zscore(sexes, ages, bmi)
    assert not np.isnan(by_month).any()
    assert np.sum(np.abs(by_month - exact) > MONTH_DIFFERS) > 100

    completed_months = days // 30.4375  # 365.25 / 12 days per month
    expected = [rcpch_sds(s, m / 12, b) for s, m, b in zip(sexes, completed_months, bmi, strict=True)]
    np.testing.assert_allclose(by_month, expected, rtol=0, atol=TABULATED_LMS_TOL)


def test_month_option_matches_exact_at_a_tabulated_age() -> None:
    # 1948 days = 64 × 30.4375 days: exactly 64 months, so both methods use the tabulated row.
    for sex in ("M", "F"):
        exact = bmi_zscore(sex, 1948 / 365.25, 16.2)
        assert bmi_zscore(sex, 1948 / 365.25, 16.2, age_method="month") == pytest.approx(
            exact, abs=TABULATED_LMS_TOL
        )
        # One day short is still month 63.
        assert bmi_zscore(sex, 1947 / 365.25, 16.2, age_method="month") == pytest.approx(
            rcpch_sds(sex, 63 / 12, 16.2), abs=TABULATED_LMS_TOL
        )


# --- Kinds, missing values and input checks -------------------------------------------------------------
def test_output_kind_follows_input_kind() -> None:
    assert isinstance(bmi_zscore("F", 5.0, 16.0), float)
    assert isinstance(bmi_zscore(["F", "M"], 5.0, 16.0), list)
    assert isinstance(bmi_zscore("F", np.array([5.0, 6.0]), 16.0), np.ndarray)
    series = bmi_zscore(pl.Series(["F", "M"]), pl.Series([5.0, None]), pl.Series([16.0, 16.0]))
    assert isinstance(series, pl.Series) and series.name == "bmi_z" and series.dtype == pl.Float64
    assert series.null_count() == 1  # missing age → null, not NaN, in polars
    assert bmi_zscore(pl.Series(["F"], dtype=pl.Categorical), 5.0, 16.0).len() == 1


@pytest.mark.parametrize("age", [3.99, 20.01, -1.0, float("nan"), None, float("inf")])
def test_ages_outside_the_table_give_missing_z(age: float | None) -> None:
    z = bmi_zscore(["M", "F"], [age, 8.0], [16.0, 16.0])
    assert math.isnan(z[0]) and not math.isnan(z[1])


@pytest.mark.parametrize("bmi", [0.0, -3.0, float("nan"), float("inf"), None])
def test_impossible_bmi_gives_missing_z(bmi: float | None) -> None:
    assert math.isnan(bmi_zscore(["M"], [8.0], [bmi])[0])


def test_invalid_sex_lists_the_bad_values() -> None:
    with pytest.raises(
        ValueError,
        match=r"""Sex must be "M" or "F" for every child\. """
        r"""Found: 'male' \(2 rows\), 'f' \(1 row\), missing \(1 row\)\.""",
    ):
        bmi_zscore(["M", "male", None, "f", "male"], 8.0, 16.0)
    with pytest.raises(ValueError, match=r"Found: 'U' \(1 row\), missing \(1 row\)\."):
        bmi_zscore(pl.Series(["F", None, "U"]), 8.0, 16.0)
    with pytest.raises(ValueError, match=r"Found: 1 \(1 row\), 2 \(1 row\)\."):
        bmi_zscore(pl.Series([1, 2]), 8.0, 16.0)


def test_other_input_errors_are_plain_english() -> None:
    with pytest.raises(ValueError, match='age_method must be "exact" or "month", not \'monthly\''):
        bmi_zscore("M", 8.0, 16.0, age_method="monthly")
    with pytest.raises(
        ValueError, match="sex, age_years and bmi must have the same length .* got sex 2, age_"
    ):
        bmi_zscore(["M", "F"], [8.0, 9.0, 10.0], 16.0)
    with pytest.raises(TypeError, match="bmi must be numbers, not text"):
        bmi_zscore("M", 8.0, "16.0")
    with pytest.raises(TypeError, match="age_years must be numbers, but the column holds String values"):
        bmi_zscore("M", pl.Series(["8"]), 16.0)
    with pytest.raises(TypeError, match="age_years must be numbers, not dates or durations"):
        bmi_zscore("M", np.array(["2017-08-12"], dtype="datetime64[D]"), 16.0)
    with pytest.raises(ValueError, match="bmi must be a single value or a one-dimensional"):
        bmi_zscore("M", 8.0, np.ones((2, 2)))


@settings(max_examples=200, deadline=None)
@given(
    age=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    bmi=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    sex=st.sampled_from(["M", "F"]),
    method=st.sampled_from(["exact", "month"]),
)
def test_any_number_gives_a_finite_z_or_missing_without_warnings(
    age: float | None, bmi: float | None, sex: str, method: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = bmi_zscore(sex, [age], [bmi], age_method=method)[0]
    assert math.isnan(z) or math.isfinite(z)
    in_table = age is not None and 4.0 <= age <= 20.0
    if not (in_table and bmi is not None and 0 < bmi < math.inf):
        assert math.isnan(z)


# --- Categories -----------------------------------------------------------------------------------------
def test_cutoffs_are_full_precision_normal_quantiles() -> None:
    for constant, p in [
        (UNDERWEIGHT_Z, 0.02),
        (OVERWEIGHT_Z, 0.85),
        (OBESE_Z, 0.95),
        (SEVERE_OBESITY_Z, 0.996),
    ]:
        assert constant == pytest.approx(norm.ppf(p), abs=CUTOFF_TOL)
    # Population cut-offs, not the clinical ones (z 4/3 and 2).
    assert OVERWEIGHT_Z != pytest.approx(4 / 3, abs=0.1) and OBESE_Z != pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        (UNDERWEIGHT_Z, "underweight"),
        (np.nextafter(UNDERWEIGHT_Z, math.inf), "healthy weight"),
        (np.nextafter(OVERWEIGHT_Z, -math.inf), "healthy weight"),
        (OVERWEIGHT_Z, "overweight"),
        (np.nextafter(OBESE_Z, -math.inf), "overweight"),
        (OBESE_Z, "obese"),
        (SEVERE_OBESITY_Z, "obese"),
        (-7.0, "underweight"),
        (7.0, "obese"),
    ],
)
def test_category_at_the_cutoffs(z: float, expected: str) -> None:
    assert bmi_category(float(z)) == expected
    assert bmi_category(pl.Series([float(z)])).to_list() == [expected]


def test_severe_obesity_at_the_cutoff() -> None:
    below = float(np.nextafter(SEVERE_OBESITY_Z, -math.inf))
    assert is_severely_obese([below, SEVERE_OBESITY_Z, float("nan")]) == [False, True, False]
    assert is_severely_obese(SEVERE_OBESITY_Z) is True
    flags = is_severely_obese(pl.Series([below, SEVERE_OBESITY_Z, None, float("nan")]))
    assert flags.name == "severe_obesity" and flags.to_list() == [False, True, None, None]
    assert is_severely_obese(np.array([3.0])).dtype == np.bool_


def test_missing_z_has_no_category() -> None:
    assert bmi_category(float("nan")) is None
    labels = bmi_category(np.array([np.nan, 0.0]))
    assert labels.tolist() == [None, "healthy weight"]
    series = bmi_category(pl.Series([None, float("nan"), 2.0]))
    assert series.name == "bmi_category" and series.to_list() == [None, None, "obese"]
    with pytest.raises(TypeError, match="z must be numbers, but the column holds String values"):
        bmi_category(pl.Series(["1.0"]))


# --- Frames ---------------------------------------------------------------------------------------------
def test_classify_adds_bmi_z_category_and_severe_flag() -> None:
    frame = pl.DataFrame(
        {
            "sex": ["F", "M", "M", "F"],
            "age_days": [1665, 1541, 4126, 3000],
            "height_cm": [107.9, 112.9, 132.0, 0.0],
            "weight_kg": [18.64, 22.11, 26.83, 30.0],
        }
    )
    out = classify(frame)
    assert out.columns == [*frame.columns, "bmi", "bmi_z", "bmi_category", "severe_obesity"]
    assert out.schema["bmi"] == pl.Float64 and out.schema["bmi_category"] == pl.String
    assert out.schema["severe_obesity"] == pl.Boolean
    hand_bmi = [18.64 / 1.079**2, 22.11 / 1.129**2, 26.83 / 1.32**2]
    np.testing.assert_allclose(out["bmi"].to_list()[:3], hand_bmi, rtol=0, atol=HAND_TOL)
    expected = [
        rcpch_sds(s, d / 365.25, b) for s, d, b in zip("FMM", [1665, 1541, 4126], hand_bmi, strict=True)
    ]
    np.testing.assert_allclose(out["bmi_z"].to_list()[:3], expected, rtol=0, atol=RCPCHGROWTH_TOL)
    assert out["bmi_category"].to_list() == ["healthy weight", "overweight", "healthy weight", None]
    assert out["severe_obesity"].to_list() == [False, False, False, None]
    assert out.row(3, named=True)["bmi"] is None  # zero height: no BMI, not infinity


def test_classify_from_dates_equals_classify_from_age_days() -> None:
    born = [date(2013, 1, 20), date(2014, 4, 15)]
    measured = [date(2017, 8, 12), date(2018, 7, 4)]
    common = {"sex": ["F", "M"], "height_cm": [107.9, 112.9], "weight_kg": [18.64, 22.11]}
    from_dates = classify(pl.DataFrame({**common, "date_of_birth": born, "date_of_measurement": measured}))
    from_days = classify(pl.DataFrame({**common, "age_days": [1665, 1541]}))
    assert from_dates["bmi_z"].to_list() == from_days["bmi_z"].to_list()
    by_month = classify(pl.DataFrame({**common, "age_days": [1665, 1541]}), age_method="month")
    assert by_month["bmi_z"].to_list() != from_days["bmi_z"].to_list()


def test_classify_categories_agree_with_the_scalar_functions() -> None:
    sexes, ages, bmi = _random_children(2000, seed=3)
    height = np.full(ages.size, 120.0)
    frame = pl.DataFrame(
        {"sex": sexes, "age_days": np.round(ages * 365.25), "height_cm": height, "weight_kg": bmi * 1.44}
    )
    out = classify(frame)
    z = out["bmi_z"].to_numpy()
    assert out["bmi_category"].to_list() == list(bmi_category(z))
    assert out["severe_obesity"].to_list() == list(is_severely_obese(z))
    severe = out.filter(pl.col("severe_obesity"))
    assert severe.height > 0 and (severe["bmi_category"] == "obese").all()
    assert set(out["bmi_category"].unique().to_list()) == set(CATEGORIES)


def test_classify_input_errors() -> None:
    with pytest.raises(
        ValueError,
        match=r"classify needs the columns sex, height_cm, weight_kg and either age_days or both "
        r"date_of_birth and date_of_measurement; missing: weight_kg, age_days \(or date_of_measurement\)\.",
    ):
        classify(pl.DataFrame({"sex": ["F"], "height_cm": [110.0], "date_of_birth": [date(2013, 1, 20)]}))
    with pytest.raises(TypeError, match="classify needs a polars DataFrame, not dict"):
        classify({"sex": ["F"]})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="height_cm must be numbers, but the column holds String values"):
        classify(pl.DataFrame({"sex": ["F"], "age_days": [1665], "height_cm": ["110"], "weight_kg": [20.0]}))
    with pytest.raises(
        ValueError, match=r"Sex must be \"M\" or \"F\" for every child\. Found: 'X' \(1 row\)"
    ):
        classify(pl.DataFrame({"sex": ["X"], "age_days": [1665], "height_cm": [110.0], "weight_kg": [20.0]}))
