"""The UK 1990 BMI reference (L, M and S by age and sex) and its interpolation at a child's age.

L, M and S are read **at run time** from the ``rcpchgrowth`` package's ``data_tables/uk90_child.json`` (BMI rows,
monthly from 4.0 to 20.0 years): the table is AGPL-licensed data of the RCPCH and is never copied into this
project, so :mod:`kpi.ncmp.bmi` is long for its method, not for data. The age conventions (exact age interpolated
by 4-point cubic Lagrange, linear at the table's edges; or the completed month) and the LMS formula are described
in :mod:`kpi.ncmp.bmi` (docs/methods.md section 3).

References: Cole TJ, Freeman JV, Preece MA (1995), Arch Dis Child 73:25-29; Cole TJ, Green PJ (1992), Stat Med
11:1305-1319.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "EXACT_AGE_DECIMALS",
    "MONTH_FLOOR_TOLERANCE",
    "UK90_FILE",
    "UK90_PACKAGE",
    "LmsTable",
    "lms_exact",
    "lms_from_rows",
    "lms_month",
    "lms_z",
    "load_uk90_bmi_lms",
]

UK90_PACKAGE = "rcpchgrowth.data_tables"
"""Package whose data folder holds the UK90 table (read at run time, never copied)."""
UK90_FILE = "uk90_child.json"
"""UK 1990 child reference, 4-20 years, as shipped by rcpchgrowth."""
_SEX_KEYS = {"M": "male", "F": "female"}
EXACT_AGE_DECIMALS = 4
"""An age matches a tabulated age when both agree rounded to this many decimal places (as rcpchgrowth)."""
MONTH_FLOOR_TOLERANCE = 1e-9
"""Months added before flooring so that e.g. 487 days (16 × 30.4375) is 16 completed months, not 15.99…."""


class LmsTable(NamedTuple):
    """L, M and S by age for one sex (read-only numpy arrays of equal length, ages strictly increasing)."""

    age_years: np.ndarray
    L: np.ndarray
    M: np.ndarray
    S: np.ndarray


def lms_from_rows(rows: Sequence[dict[str, Any]], label: str) -> LmsTable:
    """Build a validated :class:`LmsTable` from the table's rows (dicts with decimal_age, L, M, S)."""
    try:
        data = np.array([[r["decimal_age"], r["L"], r["M"], r["S"]] for r in rows], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as err:
        raise RuntimeError(
            f"The UK90 BMI table for {label} in rcpchgrowth's {UK90_FILE} is not in the expected form "
            f"(rows of decimal_age, L, M and S): {err}."
        ) from err
    if data.shape[0] < 4:
        raise RuntimeError(
            f"The UK90 BMI table for {label} has {data.shape[0]} rows; at least 4 are needed to interpolate."
        )
    if not np.isfinite(data).all() or (data[:, 2] <= 0).any() or (data[:, 3] <= 0).any():
        raise RuntimeError(f"The UK90 BMI table for {label} has missing, infinite or non-positive values.")
    data = data[np.argsort(data[:, 0], kind="stable")]
    steps = np.diff(data[:, 0])
    if (steps <= 0).any():
        repeated = sorted({float(a) for a in data[1:, 0][steps <= 0]})
        raise RuntimeError(
            f"The UK90 BMI table for {label} repeats the age(s) {repeated}; one row per age is needed "
            "so that interpolation never mixes two references."
        )
    columns = [np.ascontiguousarray(data[:, i]) for i in range(4)]
    for column in columns:
        column.setflags(write=False)
    return LmsTable(*columns)


def _uk90_source() -> Path:
    """Where the installed rcpchgrowth keeps the UK90 table, found without importing rcpchgrowth.

    ``importlib.resources.files("rcpchgrowth.data_tables")`` would run rcpchgrowth's ``__init__``, which imports
    scipy.stats and takes 1.5-3 s; only the data file is needed, so the package's folder is located from its import
    spec instead (the same file, read in place).
    """
    spec = importlib.util.find_spec(UK90_PACKAGE.split(".")[0])
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("rcpchgrowth")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder.joinpath(*UK90_PACKAGE.split(".")[1:], UK90_FILE)


@functools.lru_cache(maxsize=1)
def load_uk90_bmi_lms() -> Mapping[str, LmsTable]:
    """Return the UK90 BMI L, M and S by age for each sex, read from the installed ``rcpchgrowth``.

    Reference: UK 1990 growth reference (Cole, Freeman & Preece 1995; reanalysed 2009), in
    ``rcpchgrowth/data_tables/uk90_child.json`` (``measurement → bmi → male|female``), located from the
    package's import spec (without running rcpchgrowth's own imports) and read once per process (``functools.lru_cache``).  The mapping and
    its arrays are read-only because they are shared between callers.

    Returns:
        A read-only mapping ``{"M": LmsTable, "F": LmsTable}`` with ``age_years``, ``L``, ``M`` and ``S``
        arrays.

    Example:
        >>> table = load_uk90_bmi_lms()["F"]
        >>> float(table.age_years[0]), float(table.age_years[-1]), len(table.age_years)
        (4.0, 20.0, 193)

    """
    try:
        source = _uk90_source()
        with source.open("r", encoding="utf-8") as handle:
            document = json.load(handle)
    except ModuleNotFoundError as err:
        raise RuntimeError(
            "The UK90 BMI reference comes from the rcpchgrowth package, which is not installed. "
            "Install the project's dependencies (uv sync) and try again."
        ) from err
    except (FileNotFoundError, json.JSONDecodeError) as err:
        raise RuntimeError(
            f"Could not read {UK90_FILE} from the installed rcpchgrowth package ({err}). "
            "Reinstall the project's dependencies (uv sync)."
        ) from err
    try:
        bmi = document["measurement"]["bmi"]
        tables = {code: lms_from_rows(bmi[key], key) for code, key in _SEX_KEYS.items()}
    except (KeyError, TypeError) as err:
        raise RuntimeError(
            f"rcpchgrowth's {UK90_FILE} has no BMI table for both sexes (missing {err}); "
            "the installed rcpchgrowth version may have changed its data format."
        ) from err
    return MappingProxyType(tables)


# --- LMS lookup at an age -----------------------------------------------------------------------------------------
def lms_exact(table: LmsTable, age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L, M, S at exact ages inside the table (the rcpchgrowth / Cole interpolation convention)."""
    ages = table.age_years
    n = ages.size
    rounded_table = np.round(ages, EXACT_AGE_DECIMALS)
    rounded_age = np.round(age, EXACT_AGE_DECIMALS)
    match = np.minimum(np.searchsorted(rounded_table, rounded_age), n - 1)
    exact = rounded_table[match] == rounded_age

    # Index of the last tabulated age strictly below the child's age (first row at or below 4.0 → 0).
    below = np.clip(np.searchsorted(ages, age, side="left") - 1, 0, n - 2)
    cubic = (below >= 1) & (below <= n - 3)

    # Four-point Lagrange weights through ages[first .. first + 3]; used only where `cubic`.
    first = np.clip(below - 1, 0, n - 4)
    t0, t1, t2, t3 = ages[first], ages[first + 1], ages[first + 2], ages[first + 3]
    d0, d1, d2, d3 = age - t0, age - t1, age - t2, age - t3
    w0 = d1 * d2 * d3 / ((t0 - t1) * (t0 - t2) * (t0 - t3))
    w1 = d0 * d2 * d3 / ((t1 - t0) * (t1 - t2) * (t1 - t3))
    w2 = d0 * d1 * d3 / ((t2 - t0) * (t2 - t1) * (t2 - t3))
    w3 = d0 * d1 * d2 / ((t3 - t0) * (t3 - t1) * (t3 - t2))
    # Linear weight between ages[below] and ages[below + 1]; used at the table's two edges.
    fraction = (age - ages[below]) / (ages[below + 1] - ages[below])

    out = []
    for values in (table.L, table.M, table.S):
        cubic_value = (
            w0 * values[first] + w1 * values[first + 1] + w2 * values[first + 2] + w3 * values[first + 3]
        )
        linear_value = values[below] + fraction * (values[below + 1] - values[below])
        out.append(np.where(exact, values[match], np.where(cubic, cubic_value, linear_value)))
    return out[0], out[1], out[2]


def lms_month(table: LmsTable, age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L, M, S tabulated at the completed month of age (no interpolation); NaN if that month is absent."""
    months = np.floor(age * 12.0 + MONTH_FLOOR_TOLERANCE)
    target = np.round(months / 12.0, EXACT_AGE_DECIMALS)
    rounded_table = np.round(table.age_years, EXACT_AGE_DECIMALS)
    match = np.minimum(np.searchsorted(rounded_table, target), rounded_table.size - 1)
    found = rounded_table[match] == target
    return tuple(np.where(found, values[match], np.nan) for values in (table.L, table.M, table.S))


def lms_z(value: np.ndarray, lms_l: np.ndarray, lms_m: np.ndarray, lms_s: np.ndarray) -> np.ndarray:
    """LMS z-score: ((X/M)^L − 1)/(L·S), or ln(X/M)/S when L = 0; NaN for a missing or non-positive X."""
    with np.errstate(all="ignore"):
        ratio = value / lms_m
        z = np.where(lms_l == 0, np.log(ratio) / lms_s, (ratio**lms_l - 1.0) / (lms_l * lms_s))
    return np.where(np.isfinite(value) & (value > 0) & np.isfinite(z), z, np.nan)
