"""The committed synthetic provider returns in sample_data/provider_returns/ (made by generate_returns.py).

They must be valid returns (one provider x one period per file, decile rows adding up, numerators within
denominators, rows only for locality x decile cells that have LSOAs) and must tell the stories the dashboard
shows: NORTH's C2 slipping below target, one late return, one resubmission.

Lateness here uses the local rule "due 20 working days after the quarter ends" with working days = Monday to
Friday; bank holidays are ignored (a simplification: they only move due dates later).
"""

import csv
import datetime as dt
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tests.conftest import RETURN_COLUMNS

REPO = Path(__file__).resolve().parents[2]
RETURNS = REPO / "sample_data" / "provider_returns"
REFERENCE = REPO / "sample_data" / "reference"
COLUMNS = RETURN_COLUMNS  # the tests' one independent copy of the provider-return header
LOCALITIES = ["CENTRAL", "NORTH", "SOUTH", "WEST"]
SLIP = ["2025-26 Q2", "2025-26 Q3", "2025-26 Q4", "2026-27 Q1", "2026-27 Q2"]


def expected_periods() -> list[str]:
    periods, year, quarter = [], 2022, 3
    while len(periods) < 16:
        periods.append(f"{year}-{(year + 1) % 100:02d} Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return periods


def quarter_end(period: str) -> dt.date:
    year, quarter = int(period[:4]), int(period[-1])
    return {
        1: dt.date(year, 6, 30),
        2: dt.date(year, 9, 30),
        3: dt.date(year, 12, 31),
        4: dt.date(year + 1, 3, 31),
    }[quarter]


def add_working_days(day: dt.date, n: int) -> dt.date:
    while n:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5
    return day


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_return(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            assert reader.fieldnames == COLUMNS, path.name
            return list(reader)
    wb = openpyxl.load_workbook(path)
    try:
        assert "Return" in wb.sheetnames
        rows = list(wb["Return"].iter_rows(values_only=True))
    finally:
        wb.close()
    assert list(rows[0]) == COLUMNS, path.name
    return [dict(zip(COLUMNS, (as_text(v) for v in row), strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, str]]:
    with (RETURNS / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["file", "period", "received_at", "note"]
        return list(reader)


@pytest.fixture(scope="module")
def returns(manifest) -> dict[str, list[dict[str, str]]]:
    return {m["file"]: read_return(RETURNS / m["file"]) for m in manifest}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, dict]:
    with (REPO / "config" / "catalogue.toml").open("rb") as fh:
        # the KPIs a return carries (the others come from the child-level records: source = "hv-records")
        return {k["code"]: k for k in tomllib.load(fh)["kpi"] if k.get("source", "return") == "return"}


@pytest.fixture(scope="module")
def current(manifest, returns) -> dict[str, list[dict[str, str]]]:
    """The latest-received return for each period (what the dashboard reads)."""
    latest: dict[str, dict[str, str]] = {}
    for m in manifest:
        if m["period"] not in latest or m["received_at"] > latest[m["period"]]["received_at"]:
            latest[m["period"]] = m
    return {period: returns[m["file"]] for period, m in latest.items()}


#: The first quarter whose deciles are on IoD2025 (config/settings.toml's default; docs/methods.md section 7.1).
IOD2025_FROM = "2025-26 Q3"


@pytest.fixture(scope="module")
def lsoa_deciles_on() -> dict[str, dict[str, set[str]]]:
    """Each index's deciles per locality, from the reference files: IoD2019 on the 2011 lookup, IoD2025 on 2021."""
    out: dict[str, dict[str, set[str]]] = {}
    for index, lookup, imd in (
        ("IoD2019", "trafford_localities.csv", "lsoa11_imd2019.parquet"),
        ("IoD2025", "trafford_localities_lsoa21.csv", "lsoa21_imd2025.parquet"),
    ):
        cells = (
            pl.read_csv(REFERENCE / lookup)
            .join(pl.read_parquet(REPO / "reference" / imd), on="lsoa_code")
            .select("locality_code", "imd_decile")
            .unique()
        )
        out[index] = defaultdict(set)
        for code, decile in cells.iter_rows():
            out[index][code].add(str(decile))
    return out


def deciles_for(rows, lsoa_deciles_on) -> dict[str, set[str]]:
    """The deciles per locality of the index a return's quarter uses."""
    return lsoa_deciles_on["IoD2025" if rows[0]["period"] >= IOD2025_FROM else "IoD2019"]


def total_rows(rows, metric):
    return {r["locality_code"]: r for r in rows if r["metric_code"] == metric and r["imd_decile"] == ""}


def rate(row) -> float:
    return int(row["numerator"]) / int(row["denominator"])


def test_manifest_lists_every_file_once(manifest):
    files = [m["file"] for m in manifest]
    assert len(files) == len(set(files)) == 17
    on_disk = {p.name for p in RETURNS.iterdir() if p.name != "manifest.csv"}
    assert set(files) == on_disk
    for m in manifest:
        dt.datetime.fromisoformat(m["received_at"])  # ISO 8601, naive (Europe/London local time)
        assert dt.datetime.fromisoformat(m["received_at"]).tzinfo is None


def test_sixteen_periods_and_one_resubmission(manifest):
    periods = list(dict.fromkeys(m["period"] for m in manifest))
    assert periods == expected_periods()
    assert [p for p, n in Counter(m["period"] for m in manifest).items() if n > 1] == ["2026-27 Q1"]
    first, second = [m for m in manifest if m["period"] == "2026-27 Q1"]
    assert first["file"] == "mandated_contacts_2026-27_Q1.csv"
    assert first["note"] == "first submission, superseded"
    assert second["file"] == "mandated_contacts_2026-27_Q1_resubmitted.csv"
    assert second["note"] == "resubmission: corrected breastfeeding and NBV figures for WEST"
    gap = dt.datetime.fromisoformat(second["received_at"]) - dt.datetime.fromisoformat(first["received_at"])
    assert dt.timedelta(days=10) <= gap <= dt.timedelta(days=18)
    for m in manifest:
        if m["file"] != second["file"]:
            assert m["file"].startswith(f"mandated_contacts_{m['period'].replace(' ', '_')}.")


def test_exactly_one_return_is_xlsx_with_numbers_as_numbers(manifest):
    xlsx = [m["file"] for m in manifest if m["file"].endswith(".xlsx")]
    assert xlsx == ["mandated_contacts_2024-25_Q1.xlsx"]
    wb = openpyxl.load_workbook(RETURNS / xlsx[0])
    try:
        rows = list(wb["Return"].iter_rows(min_row=2, values_only=True))
    finally:
        wb.close()
    assert {type(r[4]) for r in rows} == {int, str, type(None)}  # deciles as numbers, U as text, blank empty
    assert {r[4] for r in rows if isinstance(r[4], str)} == {"U"}
    assert all(isinstance(r[5], int | float) for r in rows)


def test_each_file_is_one_period_of_provider_zz1(manifest, returns):
    for m in manifest:
        rows = returns[m["file"]]
        assert rows, m["file"]
        assert {r["period"] for r in rows} == {m["period"]}, m["file"]
        assert {r["provider_code"] for r in rows} == {"ZZ1"}, m["file"]


def test_rows_follow_the_catalogue_breakdown(returns, catalogue, lsoa_deciles_on):
    for name, rows in returns.items():
        keys = Counter((r["metric_code"], r["locality_code"], r["imd_decile"]) for r in rows)
        assert max(keys.values()) == 1, f"{name}: duplicate rows"
        assert {r["metric_code"] for r in rows} == set(catalogue), name
        for code, kpi in catalogue.items():
            got = {(loc, dec) for (m, loc, dec) in keys if m == code}
            if kpi["breakdown"] == "borough":
                want = {("ALL", "")}
            elif kpi["breakdown"] == "locality":
                want = {(loc, "") for loc in LOCALITIES}
            else:  # a row for each decile the locality has LSOAs in, U, and the all-deciles row; no others
                held = deciles_for(rows, lsoa_deciles_on)
                want = {(loc, d) for loc in LOCALITIES for d in held[loc] | {"U", ""}}
            assert got == want, f"{name} {code}"


def test_no_decile_row_for_a_cell_without_lsoas(returns, lsoa_deciles_on):
    # the reference files say so (docs/methods.md section 7): North has no LSOA in deciles 8 and 10 on IoD2019,
    # and none in 10 on IoD2025; South none in 1 or 4 and West none in 2 or 4 on IoD2025
    assert lsoa_deciles_on["IoD2019"]["NORTH"].isdisjoint({"8", "10"})
    assert (
        lsoa_deciles_on["IoD2025"]["NORTH"].isdisjoint({"10"}) and "8" in lsoa_deciles_on["IoD2025"]["NORTH"]
    )
    assert lsoa_deciles_on["IoD2025"]["SOUTH"].isdisjoint({"1", "4"})
    on2025 = 0
    for name, rows in returns.items():
        held = deciles_for(rows, lsoa_deciles_on)
        on2025 += held is lsoa_deciles_on["IoD2025"]
        for r in rows:
            if r["imd_decile"] not in ("", "U"):
                assert r["imd_decile"] in held[r["locality_code"]], f"{name}: {r}"
    assert on2025 == 5  # 2025-26 Q3 to 2026-27 Q2, with 2026-27 Q1's resubmission


def test_decile_rows_sum_to_the_all_deciles_row(returns, catalogue):
    for name, rows in returns.items():
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            if catalogue[r["metric_code"]]["breakdown"] == "locality_decile" and r["imd_decile"]:
                sums[(r["metric_code"], r["locality_code"])][0] += int(r["numerator"])
                sums[(r["metric_code"], r["locality_code"])][1] += int(r["denominator"] or 0)
        for (code, loc), (num, den) in sums.items():
            total = total_rows(rows, code)[loc]
            assert int(total["numerator"]) == num, f"{name} {code} {loc}"
            assert int(total["denominator"] or 0) == den, f"{name} {code} {loc}"


def test_numerators_within_denominators_and_number_formats(returns, catalogue):
    for name, rows in returns.items():
        for r in rows:
            kind = catalogue[r["metric_code"]]["value_kind"]
            if kind == "count":
                assert r["denominator"] == "" and int(r["numerator"]) >= 0, f"{name}: {r}"
                continue
            if kind == "ratio":
                num, den = float(r["numerator"]), float(r["denominator"])
                assert round(num, 1) == num and round(den, 1) == den
            else:
                num, den = int(r["numerator"]), int(r["denominator"])  # whole numbers
            assert 0 <= num <= den, f"{name}: {r}"


def test_cohorts_are_consistent(returns):
    for name, rows in returns.items():
        cell = {(r["metric_code"], r["locality_code"], r["imd_decile"]): r for r in rows}
        for (code, loc, dec), r in cell.items():
            if code == "C2":
                c3 = cell[("C3", loc, dec)]
                assert c3["denominator"] == r["denominator"], name
                assert int(r["numerator"]) + int(c3["numerator"]) <= int(r["denominator"]), name
            if code == "C6ii":
                assert r["denominator"] == cell[("C6i", loc, dec)]["numerator"], name
            if code in ("C6iii", "C6iv", "C6v", "C6vi", "C6vii", "C6viii"):
                assert r["denominator"] == cell[("C6ii", loc, dec)]["numerator"], name
                assert int(cell[("C6viii", loc, dec)]["numerator"]) <= int(r["numerator"]), name


def test_north_c2_slips_below_target_while_others_stay_green(current):
    north = [rate(total_rows(current[p], "C2")["NORTH"]) for p in SLIP]
    assert north == sorted(north, reverse=True), north
    # green, then amber (85-90%) for two quarters, then red (below 85%) with the default target and margin
    assert north[0] >= 0.90 > north[1]
    assert 0.85 <= north[2] < 0.90
    assert north[3] < 0.85 and north[-1] < 0.85
    for period in expected_periods():
        totals = total_rows(current[period], "C2")
        if period not in SLIP:
            assert rate(totals["NORTH"]) >= 0.90, period
        for loc in ("CENTRAL", "SOUTH", "WEST"):
            assert rate(totals[loc]) >= 0.90, f"{period} {loc}"
    comments = [total_rows(current[p], "C2")["NORTH"]["comment"] for p in SLIP]
    assert all(comments), "the provider explains NORTH's C2 in each slipping quarter"


def test_exactly_one_late_return(manifest):
    late = []
    for m in manifest:
        due = add_working_days(quarter_end(m["period"]), 20)
        received = dt.datetime.fromisoformat(m["received_at"])
        assert received.date() > quarter_end(m["period"]), m["file"]
        if received.date() > due:
            late.append((m["file"], m["note"]))
    assert late == [("mandated_contacts_2025-26_Q2.csv", "late")]


def test_resubmission_corrects_only_west_nbv_and_breastfeeding(returns):
    first = returns["mandated_contacts_2026-27_Q1.csv"]
    second = returns["mandated_contacts_2026-27_Q1_resubmitted.csv"]
    assert len(first) == len(second)
    changed = [(a["metric_code"], a["locality_code"]) for a, b in zip(first, second, strict=True) if a != b]
    assert changed
    assert {loc for _, loc in changed} == {"WEST"}
    assert {code for code, _ in changed} == {"C2", "C3", "C8ii"}
