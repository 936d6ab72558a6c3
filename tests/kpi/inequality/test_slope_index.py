"""Tests for kpi.inequality.slope_index (with its checks and simulation): SII/RII (phe_sii).

Expected values come from independent references:
- docs/methods.md section 8 (PHEindicatormethods' deprivation-decile example, rounded to 7 places);
- PHEindicatormethods' own test workbook ``testdata_SII.xlsx``, driven case by case from
  ``SII_cases.csv`` (both read in place from ../shared/oracles/pheindicatormethods; see its
  SII_cases.md) (phe_quantile is tested in test_local_quantiles.py);
- hand-worked small examples, and the exact normal distribution of a linear fit for the simulation.

Error cases: the R package's checks are mapped to our messages in ERROR_MAP below (R messages are
matched as a partial regex search, ours too). Where R's check concerns something a Python signature
cannot express, the nearest equivalent is tested:
- "requires the arguments: data, quantile, population" (an R argument left out): population=None.
- value_type 'rate' passed as a string where R wants the code 0/1/2: we take names, so the nearest
  invalid input is an unknown name ("rates"); the integer 3 is passed as it is.
- "multiplier, repetitions and confidence inputs should be numeric": the R string 'none' is passed
  as the Python string "none".
- "some input fields in data.frame are non-numeric" (population = a text column): the text column
  is passed as the population.
- SII-37 names a column that does not exist (LowerCI) and no upper limit: only lower_ci is given.
"""

from __future__ import annotations

import csv
import functools
import math
import re
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from kpi.inequality import slope_index as ineq
from kpi.inequality.slope_index import SIIResult, SIIWarning, sii, sii_grouped

ORACLES = (
    Path(__file__).resolve().parents[3] / ".." / "shared" / "oracles" / "pheindicatormethods"
).resolve()
CASES_CSV = ORACLES / "SII_cases.csv"
SII_WORKBOOK = ORACLES / "testdata_SII.xlsx"
MISSING_ORACLE = (
    f"PHEindicatormethods oracle files are not at {ORACLES} (they are read in place from ../shared/oracles "
    "and never copied into the project)"
)

#: Point estimates are deterministic: the reference reproduces them to ~4e-14 (SII_cases.md).
POINT_TOL = 1e-6
#: docs/methods.md section 8 gives the SII example rounded to 7 places.
ROUNDED_7_TOL = 5e-8
#: testthat's tolerance for the simulated limits, applied per column (see column_passes).
CI_COLUMN_TOL = 0.05

# --- docs/methods.md section 8 example -------------------------------------------------------------------------
DECILE_POP = [34353, 32112, 27715, 25372, 23889, 23260, 23180, 24193, 23609, 24488]
DECILE_COUNT = [7287, 6881, 5656, 4868, 4176, 3876, 3617, 3546, 3314, 2960]


def _decile_inputs() -> dict[str, object]:
    share = [c / p for c, p in zip(DECILE_COUNT, DECILE_POP, strict=True)]
    # the limits do not enter the point estimates; any valid ones will do
    return {
        "quantile": list(range(1, 11)),
        "population": DECILE_POP,
        "value": share,
        "value_type": "proportion",
        "lower_ci": [s * 0.97 for s in share],
        "upper_ci": [s * 1.03 for s in share],
        "repetitions": 1000,
    }


def test_domain_example_sii_and_rii() -> None:
    result = sii(**_decile_inputs())
    assert result.sii == pytest.approx(-0.1072003, abs=ROUNDED_7_TOL)
    assert result.rii == pytest.approx(0.5334015, abs=ROUNDED_7_TOL)


def test_domain_example_with_logit_transform() -> None:
    result = sii(**_decile_inputs(), transform=True)
    assert result.sii == pytest.approx(-0.1096463, abs=ROUNDED_7_TOL)
    assert result.rii == pytest.approx(0.5341776, abs=ROUNDED_7_TOL)


def test_domain_example_from_counts_matches_values() -> None:
    inputs = _decile_inputs()
    inputs.pop("value")
    result = sii(**inputs, count=DECILE_COUNT)
    assert result.sii == pytest.approx(-0.1072003, abs=ROUNDED_7_TOL)


# --- the PHEindicatormethods cases ---------------------------------------------------------------------
def _load_cases() -> list[dict[str, str]]:
    if not CASES_CSV.exists():
        return []
    with CASES_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


CASES = _load_cases()


def _cases(expect: str) -> list[object]:
    chosen = [pytest.param(c, id=c["case_id"]) for c in CASES if c["expect"] == expect]
    return chosen or [pytest.param(None, marks=pytest.mark.skip(reason=MISSING_ORACLE), id="no-oracle")]


@functools.cache
def _workbook_rows() -> dict[int, dict[str, object]]:
    openpyxl = pytest.importorskip("openpyxl")
    if not SII_WORKBOOK.exists():
        pytest.skip(MISSING_ORACLE)
    book = openpyxl.load_workbook(SII_WORKBOOK, read_only=True, data_only=True)
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    out = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows if r[0] is not None}
    book.close()
    return out


def _row_numbers(spec: str) -> list[int]:
    numbers: list[int] = []
    for part in spec.split(";"):
        first, _, last = part.partition("-")
        numbers.extend(range(int(first), int(last or first) + 1))
    return numbers


def _parse_number(text: str) -> object:
    """R literal from the CSV: 'invalid:'none'' -> "none", "invalid:3" -> 3, "100" -> 100."""
    text = text.removeprefix("invalid:")
    if text.startswith("'"):
        return text.strip("'")
    number = float(text)
    return int(number) if number.is_integer() else number


def _confidence(case: dict[str, str]) -> object:
    passed = case["confidence_as_passed"]
    if passed.startswith("(default"):
        return None
    if passed.startswith("c("):
        return [float(x) for x in passed[2:-1].split(",")]
    return float(passed)


def _value_type(case: dict[str, str]) -> object:
    if case["value_type_as_passed"].startswith("(default"):
        return None
    raw = case["value_type"]
    if raw == "invalid:'rate'":
        return "rates"  # R: a string where a code is wanted; ours: an unknown name
    if raw.startswith("invalid:"):
        return _parse_number(raw)
    return raw


def _options(case: dict[str, str]) -> dict[str, object]:
    """Keyword arguments common to sii and sii_grouped."""
    options: dict[str, object] = {
        "multiplier": _parse_number(case["multiplier"]),
        "repetitions": _parse_number(case["repetitions"]),
        "transform": case["transform"] == "true",
        "reliability_stat": case["reliability_stat"] == "true",
    }
    if (vt := _value_type(case)) is not None:
        options["value_type"] = vt
    if (conf := _confidence(case)) is not None:
        options["confidence"] = conf
    return options


def _column_for(arg: str) -> str | None:
    return {"(missing)": None}.get(arg, arg)


def _area_arrays(case: dict[str, str], rows: list[dict[str, object]]) -> dict[str, object]:
    """Data arguments of sii for one area's rows, as the R call passes them."""
    quantile_col, population_col = _column_for(case["quantile_arg"]), _column_for(case["population_arg"])
    data: dict[str, object] = {
        "quantile": None if quantile_col is None else [r[quantile_col] for r in rows],
        "population": None if population_col is None else [r[population_col] for r in rows],
    }
    if case["value_source"] == "value":
        data["value"] = [r["Value"] for r in rows]
    elif case["value_source"] == "count":
        data["count"] = [r["Count"] for r in rows]
    if case["error_source"] == "se":
        data["se"] = [r["StandardError"] for r in rows]
    elif case["error_source"] == "cl":
        data["lower_ci"] = [r["LowerCL"] for r in rows]
        data["upper_ci"] = [r["UpperCL"] for r in rows]
    elif case["error_source"] == "lower_cl_only":
        data["lower_ci"] = [r["LowerCL"] for r in rows]
    return data


def _frame_arguments(case: dict[str, str]) -> dict[str, object]:
    """Column-name arguments of sii_grouped, as the R call passes them."""
    names: dict[str, object] = {
        "quantile": _column_for(case["quantile_arg"]),
        "population": _column_for(case["population_arg"]),
        "value": "Value" if case["value_source"] == "value" else None,
    }
    if case["value_source"] == "count":
        names["count"] = "Count"
    if case["error_source"] == "se":
        names["se"] = "StandardError"
    elif case["error_source"] == "cl":
        names["lower_ci"], names["upper_ci"] = "LowerCL", "UpperCL"
    elif case["error_source"] == "lower_cl_only":
        names["lower_ci"] = "LowerCI"  # the R test names a column that does not exist
    return names


FRAME_SCHEMA = {
    "Area": pl.String,
    "Grouping1": pl.String,
    "Grouping2": pl.String,
    "Quantile": pl.Float64,
    "Population": pl.Float64,
    "Count": pl.Float64,
    "Value": pl.Float64,
    "LowerCL": pl.Float64,
    "UpperCL": pl.Float64,
    "StandardError": pl.Float64,
}
AREA_COLS = ["Area", "Grouping1", "Grouping2"]


def _frame(case: dict[str, str]) -> pl.DataFrame:
    table = _workbook_rows()
    rows = [table[n] for n in _row_numbers(case["input_rows"])]
    return pl.DataFrame([{k: r[k] for k in FRAME_SCHEMA} for r in rows], schema=FRAME_SCHEMA)


def _areas(case: dict[str, str]) -> list[tuple[str, list[dict[str, object]]]]:
    """Input rows grouped into areas (by Area; Grouping1/2 are constant), areas sorted as R does."""
    table = _workbook_rows()
    rows = [table[n] for n in _row_numbers(case["input_rows"])]
    if case["grouped"] == "false":
        return [("(all)", rows)]
    groups: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        groups.setdefault(str(row["Area"]), []).append(row)
    return sorted(groups.items())


_R_LIMIT = re.compile(r"^(sii|rii)_(lower|upper)(\d+)_(\d+)(?:cl)?$")


def _ours(result: SIIResult, r_name: str) -> float:
    """The value of R output column ``r_name`` in our result."""
    if r_name in ("sii", "rii", "intercept"):
        return result[r_name]
    match = _R_LIMIT.match(r_name)
    assert match, f"unexpected R column {r_name}"
    stat, side, whole, fraction = match.groups()
    level = round(float(f"{whole}.{fraction}") / 100, 10)
    index = {"sii": 0, "rii": 2}[stat] + (0 if side == "lower" else 1)
    return result.limits[level][index]


def column_passes(
    actual: list[float], expected: list[float], tolerance: float = CI_COLUMN_TOL
) -> tuple[bool, float]:
    """testthat 3e's column rule (waldo): over entries that differ, d = mean|a - e|, m = mean|e|."""
    pairs = [(a, e) for a, e in zip(actual, expected, strict=True) if a != e]
    if not pairs:
        return True, 0.0
    d = float(np.mean([abs(a - e) for a, e in pairs]))
    m = float(np.mean([abs(e) for _, e in pairs]))
    if m > tolerance:
        return d / m < tolerance, d / m
    return d < tolerance, d


@pytest.mark.parametrize("case", _cases("value"))
def test_value_case(case: dict[str, str]) -> None:
    table = _workbook_rows()
    areas = _areas(case)
    expected_rows = [table[n] for n in _row_numbers(case["expected_rows"])]
    assert len(expected_rows) == len(areas)
    results = [sii(**_area_arrays(case, rows), **_options(case)) for _, rows in areas]

    # positional, as testthat compares (SII-10 compares only the first 4 of R's columns)
    pairs = zip(case["expected_columns"].split(";"), case["r_output_columns"].split(";"), strict=False)
    for workbook_name, r_name in pairs:
        expected = [row[workbook_name] for row in expected_rows]
        if workbook_name in AREA_COLS:  # text columns must match exactly
            assert [rows[0][workbook_name] for _, rows in areas] == expected
            continue
        actual = [_ours(result, r_name) for result in results]
        if r_name in ("sii", "rii", "intercept"):
            assert actual == pytest.approx(expected, abs=POINT_TOL), f"{case['case_id']} {r_name}"
        else:
            passed, ratio = column_passes(actual, expected)
            assert passed, f"{case['case_id']} {r_name}: {actual} vs {expected} (d/m {ratio:.4f})"


def test_grouped_matches_single_area_calls() -> None:
    """sii_grouped works each area out exactly as sii does (seeds derive from each area's data)."""
    case = next((c for c in CASES if c["case_id"] == "SII-25"), None)
    if case is None:
        pytest.skip(MISSING_ORACLE)
    frame = _frame(case)
    grouped = sii_grouped(frame, AREA_COLS, **_frame_arguments(case), **_options(case))
    singles = [sii(**_area_arrays(case, rows), **_options(case)) for _, rows in _areas(case)]
    assert grouped["Area"].to_list() == ["area1", "area2"]
    assert grouped["sii"].to_list() == [r.sii for r in singles]
    assert grouped["rii_lower_95"].to_list() == [r.rii_lower for r in singles]
    assert grouped["sii_upper_95"].to_list() == [r.sii_upper for r in singles]


@pytest.mark.parametrize("case", _cases("dims"))
def test_dims_case(case: dict[str, str]) -> None:
    frame = _frame(case)
    out = sii_grouped(
        frame,
        AREA_COLS,
        **_frame_arguments(case),
        **_options(case),
        rii=case["rii"] == "true",
        intercept=case["intercept"] == "true",
        output=case["output_type"],
    )
    rows, columns = (int(x) for x in case["expected_dims"].split("x"))
    assert out.shape == (rows, columns), out.columns


@pytest.mark.parametrize("case", _cases("reproducible"))
def test_reproducible_case(case: dict[str, str]) -> None:
    frame = _frame(case)
    kwargs = {**_frame_arguments(case), **_options(case), "rii": case["rii"] == "true"}
    first = sii_grouped(frame, AREA_COLS, **kwargs, seed=5)
    assert first.equals(sii_grouped(frame, AREA_COLS, **kwargs, seed=5))
    assert not first.equals(sii_grouped(frame, AREA_COLS, **kwargs, seed=6))
    # without a seed the limits come from the data: the same data always gives the same limits
    assert sii_grouped(frame, AREA_COLS, **kwargs).equals(sii_grouped(frame, AREA_COLS, **kwargs))


WARNING_MAP = {
    "WARNING: some records have been removed due to incomplete or invalid data": (
        r"Some areas were not rated because they lack data for one or more of the 10 quantiles: "
        r"area2 / group A / group C\. Their SII is shown as missing\."
    ),
    "WARNING: Small values can make SII unstable when using a large number of quantiles": (
        r"Small values can make the SII unstable when there are many quantiles: "
        r"15 were given \(more than 10\)\."
    ),
}


@pytest.mark.parametrize("case", _cases("warning"))
def test_warning_case(case: dict[str, str]) -> None:
    frame = _frame(case)
    with pytest.warns(SIIWarning, match=WARNING_MAP[case["message_pattern"]]):
        out = sii_grouped(frame, AREA_COLS, **_frame_arguments(case), **_options(case), rii=True)
    if case["case_id"] == "SII-58":  # area2 lacks quantile 6: not rated; area1 still worked out
        assert out["Area"].to_list() == ["area1", "area2"]
        assert out["sii"][0] is not None
        assert out.row(1, named=True) == {
            **dict.fromkeys(out.columns),
            "Area": "area2",
            "Grouping1": "group A",
            "Grouping2": "group C",
        }
    else:
        assert out.height == 1 and out["sii"][0] is not None and math.isfinite(out["sii_lower_95"][0])


#: Grouped runs label a row "area area1 / group A / group C, quantile 2", single-area runs "quantile 2".
AREA = r"(?:area area\d / group A / group C, )?"
ERROR_MAP = {
    "function phe_sii requires the arguments: data, quantile, population": (
        r"The SII needs the quantile and the population of each quantile; population was not given\."
    ),
    "function phe_sii requires value field, or x field if indicator is a proportion of population": (
        r"The SII needs a value for each quantile \(or, for a proportion, a count to divide by the "
        r"population\); neither was given\."
    ),
    "function phe_sii requires either lower_cl and upper_cl fields, or se field": (
        r"The SII needs either both confidence limits \(lower_ci and upper_ci\) or the standard errors "
        r"\(se\) of the values; only the lower limit was given\."
    ),
    "value_type should be 0, 1 or 2": (
        r"value_type must be 'other', 'proportion' or 'rate', not ('rates'|3)\."
    ),
    "multiplier, repetitions and confidence inputs should be numeric": (
        r"multiplier, repetitions and confidence must be numbers; (multiplier|repetitions) was 'none'\."
    ),
    "number of repetitions must be 1000 or greater. Default is 100,000": (
        r"repetitions must be at least 1,000 \(the default is 100,000\); 0 was asked for\."
    ),
    "all confidence levels must be between 90 and 100 or between 0.9 and 1": (
        r"Confidence levels must be from 0\.9 up to \(not including\) 1, or from 90 up to 100 as "
        r"percentages, e\.g\. 0\.95 or 99\.8; (0\.35|40\.0|135\.0) cannot be used\."
    ),
    "value_type should be 1 or 2 when transform is true": (
        r"transform=True fits on the logit scale for a proportion or the log scale for a rate; "
        r"it cannot be used with value_type 'other'\."
    ),
    "se to be missing when transform is true": (
        r"With transform=True the standard errors are worked out from the confidence limits: give "
        r"lower_ci and upper_ci, not se\."
    ),
    "some input fields in data.frame are non-numeric": (
        rf"The population must be numbers only; 'group A' \({AREA}quantile 1\) is not a "
        r"number\."
    ),
    "some groups have a zero, negative or missing population": (
        rf"Every quantile needs a population above zero; {AREA}quantile 2 has -200\."
    ),
    "negative or missing standard errors in input dataset": (
        rf"Standard errors must be zero or more and none may be missing; {AREA}"
        r"quantile \d+ has (-5|missing)\."
    ),
    "some groups have a zero or negative count x": (
        r"Counts must be above zero when the value is worked out from the count; "
        rf"{AREA}quantile 8 has 0\."
    ),
    "value proportions are not all between 0 and 1": (
        rf"Proportions must be between 0 and 1; {AREA}quantile 1 has (75\.9335|70\.5485)\."
    ),
    "confidence limit proportions are not all between 0 and 1": (
        rf"Confidence limits of a proportion must be between 0 and 1; {AREA}"
        r"quantile (4 has 11|7 has 8)\."
    ),
    "Number of quantiles must be between 5 and 100": (
        r"The SII needs between 5 and 100 quantiles; 3 were given\."
    ),
    "missing lower or upper confidence limits in input dataset": (
        rf"A lower or upper confidence limit is missing \(or not a finite number\) for {AREA}quantile 1\."
    ),
}


@pytest.mark.parametrize("case", _cases("error"))
def test_error_case(case: dict[str, str]) -> None:
    pattern = ERROR_MAP[case["message_pattern"]]
    with pytest.raises(ValueError, match=pattern):
        sii_grouped(_frame(case), AREA_COLS, **_frame_arguments(case), **_options(case))
    # the single-area function gives the same message (its rows are labelled by quantile only) for
    # at least one area, and never another error
    raised = 0
    for _, rows in _areas(case):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SIIWarning)
                sii(**_area_arrays(case, rows), **_options(case))
        except ValueError as error:
            assert re.search(pattern, str(error)), f"{error} does not match {pattern}"
            raised += 1
    assert raised >= 1


def test_every_error_pattern_is_mapped() -> None:
    if not CASES:
        pytest.skip(MISSING_ORACLE)
    patterns = {c["message_pattern"] for c in CASES if c["expect"] == "error"}
    assert patterns == set(ERROR_MAP)
    assert {c["message_pattern"] for c in CASES if c["expect"] == "warning"} == set(WARNING_MAP)
    counts = {
        e: sum(c["expect"] == e for c in CASES) for e in ("value", "error", "warning", "dims", "reproducible")
    }
    assert counts == {"value": 30, "error": 26, "warning": 2, "dims": 12, "reproducible": 1}


# --- the simulation, against the exact distribution of a linear fit -------------------------------------
def test_simulated_limits_match_the_exact_normal_limits() -> None:
    """For value_type "other" the SII of a draw is linear in the draws, so it is exactly normal.

    Its SD is sqrt(sum(w_i^2 se_i^2)) where w is the slope row of the least-squares projection;
    the 95% limits should sit at SII -/+ 1.959964 SD, within Monte Carlo error.
    """
    pop = np.array([500.0, 800, 1200, 900, 600, 700])
    value = np.array([30.0, 28, 25, 24, 20, 19])
    se = np.array([1.5, 1.2, 0.9, 1.1, 1.4, 1.3])
    share = pop / pop.sum()
    rank = np.cumsum(share) - share / 2
    design = np.column_stack([np.sqrt(share), rank * np.sqrt(share)])
    slope_row = np.linalg.solve(design.T @ design, design.T)[1] * np.sqrt(share)
    sd = math.sqrt(float(np.sum(slope_row**2 * se**2)))
    result = sii(range(1, 7), pop, value, se=se, repetitions=100_000, seed=11)
    assert result.sii == pytest.approx(float(slope_row @ value), abs=POINT_TOL)
    mc_tolerance = 0.02 * sd  # ~5 Monte Carlo standard errors of a 2.5% quantile at 100,000 draws
    assert result.sii_lower == pytest.approx(result.sii - 1.959964 * sd, abs=mc_tolerance)
    assert result.sii_upper == pytest.approx(result.sii + 1.959964 * sd, abs=mc_tolerance)


def test_several_confidence_levels_and_item_access() -> None:
    result = sii(
        range(1, 6), [100] * 5, [10.0, 9, 8, 7, 6], se=[0.5] * 5, confidence=[95, 99.8], repetitions=10_000
    )
    assert result.confidence == (0.95, 0.998)
    assert set(result.limits) == {0.95, 0.998}
    assert result.limits[0.95] == (result.sii_lower, result.sii_upper, result.rii_lower, result.rii_upper)
    low95, high95 = result.limits[0.95][:2]
    low998, high998 = result.limits[0.998][:2]
    assert low998 < low95 < result.sii < high95 < high998
    assert result["sii_upper"] == result.sii_upper
    with pytest.raises(KeyError):
        result["nonsense"]


def test_row_order_does_not_change_the_result() -> None:
    kwargs = {"se": [0.5, 0.6, 0.4, 0.5, 0.7], "repetitions": 1000}
    forward = sii([1, 2, 3, 4, 5], [100, 120, 90, 110, 100], [10.0, 9, 8, 7, 6], **kwargs)
    shuffled = sii(
        [3, 1, 5, 2, 4],
        [90, 100, 100, 120, 110],
        [8.0, 10, 6, 9, 7],
        **{**kwargs, "se": [0.4, 0.5, 0.7, 0.6, 0.5]},
    )
    assert shuffled == forward


def test_reliability_statistics() -> None:
    result = sii(
        range(1, 6), [100] * 5, [10.0, 9, 8, 7, 6], se=[0.5] * 5, repetitions=1000, reliability_stat=True
    )
    assert result.reliability is not None
    sii_mad, rii_mad = result.reliability[0.95]
    assert 0 < sii_mad < 0.5 and 0 < rii_mad < 0.1


def test_grouped_single_area_and_full_output() -> None:
    frame = pl.DataFrame(
        {"quantile": [1, 2, 3, 4, 5], "population": [100] * 5, "value": [10.0, 9, 8, 7, 6], "se": [0.5] * 5}
    )
    out = sii_grouped(
        frame, se="se", repetitions=1000, confidence=[0.95, 0.998], intercept=True, output="full"
    )
    assert out.columns == [
        "sii",
        "rii",
        "sii_lower_95",
        "sii_upper_95",
        "rii_lower_95",
        "rii_upper_95",
        "sii_lower_99_8",
        "sii_upper_99_8",
        "rii_lower_99_8",
        "rii_upper_99_8",
        "intercept",
        "value_type",
        "multiplier",
        "transform",
        "confidence",
        "ci_method",
    ]
    assert out["confidence"][0] == "95%, 99.8%"
    assert out["ci_method"][0] == "simulation, 1,000 repetitions"
    assert out["intercept"][0] == pytest.approx(10.5, abs=POINT_TOL)


# --- our own checks, beyond the package's -----------------------------------------------------------------
BASE = {"quantile": [1, 2, 3, 4, 5], "population": [100] * 5, "value": [0.5, 0.4, 0.3, 0.2, 0.1]}
BASE6 = {"population": [100] * 6, "value": [0.5] * 6, "se": [0.05] * 6}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": [1, 2, 3]}, r"The quantile, population and value lists must be the same length; "),
        (
            {"quantile": [], "population": [], "value": [], "se": []},
            r"The SII needs data for at least 5 quantiles; no rows",
        ),
        (
            {"value": [0.5, 0.4, math.inf, 0.2, 0.1]},
            r"A value is missing \(or not a finite number\) for quantile 3\.",
        ),
        (
            {"population": [100, 100, math.inf, 100, 100]},
            r"Every quantile needs a population above zero; quantile 3 has inf\.",
        ),
        (
            {"value": [0.5, None, 0.3, 0.2, 0.1]},
            r"A value is missing \(or not a finite number\) for quantile 2\.",
        ),
        (
            BASE6 | {"quantile": [1, 2, 2, 3, 4, 5]},
            r"Each quantile may appear only once per area; quantile 2 appears more",
        ),
        (
            BASE6 | {"quantile": [1, 2, None, 4, 5, 6]},
            r"A quantile label is missing in row 3 of the data; every row needs one\.",
        ),
        ({"quantile": ["a", "b", "c", "d", "e"]}, r"The quantile must be numbers only; 'a' \(quantile a\)"),
        ({"value_type": "rate", "value": [0.5, 0.4, 0, 0.2, 0.1]}, r"Values must be above zero for a rate"),
        (
            {"value_type": "proportion", "value": [1, 0.4, 0.3, 0.2, 0.1]},
            r"Values of exactly 0 or 1 cannot be",
        ),
        ({"se": None, "lower_ci": [0.6] * 5, "upper_ci": [0.55] * 5}, r"The lower confidence limit is above"),
        ({"repetitions": 1500.5}, r"repetitions must be a whole number, not 1500\.5\."),
        ({"repetitions": math.nan}, r"repetitions must be a whole number, not nan\."),
        ({"multiplier": 0}, r"The multiplier must be a finite number other than zero, not 0\."),
        ({"confidence": 1}, r"Confidence levels must be from 0\.9 up to \(not including\) 1"),
        (
            {"confidence": 0.9999},
            r"1,000 repetitions are too few for 0\.9999 confidence limits; use at least ",
        ),
        ({"seed": -1}, r"seed must be a whole number of zero or more, or None; not -1\."),
        ({"transform": "yes"}, r"transform must be True or False, not 'yes'\."),
        ({"reliability_stat": 1}, r"reliability_stat must be True or False, not 1\."),
        (
            {"value": None, "count": [5, 4, 3, 2, 1]},
            r"A count can stand in for the value only for a proportion",
        ),
        (
            {"value": None, "count": [500, 4, 3, 2, 1], "value_type": "proportion"},
            r"Proportions must be between",
        ),
        (
            {"n_quantiles": 10},
            r"Quantile\(s\) 6, 7, 8, 9, 10 are missing: the SII needs every one of the 10 ",
        ),
        (
            {"n_quantiles": 5, "quantile": [1, 2, 3, 4, 6]},
            r"With n_quantiles=5 the quantile labels must be 1 to 5; 6 is not\.",
        ),
        ({"n_quantiles": 5, "quantile": [1, 2, 3, 4, 5]}, None),
        ({"n_quantiles": 4}, r"n_quantiles must be a whole number from 5 to 100, or None; not 4\."),
        ({"population": None, "quantile": None}, r"quantile and population were not given\."),
        ({"se": None, "upper_ci": [0.6] * 5}, r"only the upper limit was given\."),
        ({"se": None}, r"none of them was given\."),
        ({"confidence": [0.95, "99"]}, r"confidence was \[0\.95, '99'\]\."),
    ],
)
def test_other_input_errors(changes: dict[str, object], message: str | None) -> None:
    kwargs: dict[str, object] = {**BASE, "se": [0.05] * 5, "repetitions": 1000, **changes}
    if message is None:  # the valid counterpart of the case above it
        assert math.isfinite(sii(**kwargs).sii)
        return
    with pytest.raises(ValueError, match=message):
        sii(**kwargs)


def test_more_than_100_quantiles() -> None:
    n = 101
    with pytest.raises(ValueError, match=r"The SII needs between 5 and 100 quantiles; 101 were given\."):
        sii(range(1, n + 1), [100] * n, [1.0] * n, se=[0.1] * n, repetitions=1000)


def test_grouped_input_errors() -> None:
    frame = pl.DataFrame({"area": ["A"] * 5, **BASE, "se": [0.05] * 5})
    with pytest.raises(ValueError, match=r"The data has no column 'LowerCI' \(it has: area, quantile"):
        sii_grouped(frame, "area", lower_ci="LowerCI", upper_ci="UpperCI")
    with pytest.raises(ValueError, match=r"sii_grouped needs a polars DataFrame, not dict\."):
        sii_grouped(frame.to_dict(as_series=False), "area", se="se")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"output must be 'standard' or 'full', not 'long'\."):
        sii_grouped(frame, "area", se="se", output="long")
    with pytest.raises(ValueError, match=r"rii must be True or False, not 'no'\."):
        sii_grouped(frame, "area", se="se", rii="no")  # type: ignore[arg-type]
    doubled = pl.concat([frame, frame.head(1)])
    with pytest.raises(
        ValueError, match=r"Each quantile may appear only once per area; area A, quantile 1 appears"
    ):
        sii_grouped(doubled, "area", se="se", repetitions=1000)


def test_many_quantiles_warn_once_in_single_area_mode() -> None:
    n = 12
    with pytest.warns(SIIWarning, match=r"12 were given \(more than 10\)") as record:
        result = sii(range(1, n + 1), [100] * n, list(np.linspace(10, 5, n)), se=[0.5] * n, repetitions=1000)
    assert len(record) == 1 and result.n_quantiles == n


def test_value_type_rate_with_transform_uses_log_scale() -> None:
    """With transform the intercept is exp(c0) x |multiplier|; SII = exp(c0 + c1) - exp(c0)."""
    rates = [8.0, 6.0, 5.0, 4.0, 3.0]
    result = sii(
        range(1, 6),
        [100] * 5,
        rates,
        value_type="rate",
        lower_ci=[r * 0.9 for r in rates],
        upper_ci=[r * 1.1 for r in rates],
        transform=True,
        multiplier=-2,
        repetitions=1000,
    )
    share = np.full(5, 0.2)
    rank = np.cumsum(share) - share / 2
    c1, c0 = np.polyfit(rank, np.log(rates), 1)  # equal weights: ordinary least squares
    assert result.intercept == pytest.approx(2 * math.exp(c0), abs=POINT_TOL)
    assert result.sii == pytest.approx(-2 * (math.exp(c0 + c1) - math.exp(c0)), abs=POINT_TOL)
    assert result.rii == pytest.approx(math.exp(c0) / math.exp(c0 + c1), abs=POINT_TOL)
    assert result.sii_lower < result.sii < result.sii_upper
    assert result.rii_lower < result.rii < result.rii_upper


def test_constants() -> None:
    assert ineq.Z_95 == pytest.approx(1.959963984540054, abs=1e-12)
    assert (ineq.MIN_QUANTILES, ineq.MAX_QUANTILES, ineq.MIN_REPETITIONS) == (5, 100, 1000)
