"""NCMP deciles on the index of the year: files of 2011 or 2021 LSOA codes, mapped by the exact-fit rule.

Children are placed in hand-picked LSOAs of every change type (the ONS exact-fit lookup): unchanged, split (into
LSOAs of one IoD2025 decile or of several), merged and irregular. The expected decile counts are worked out here
from the published files in ``../shared/reference/iod2025/`` (docs/methods.md section 7.1's rule), not from the SQL.
"""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from kpi.access.principal import local_principal
from kpi.core import periods
from kpi.core.councils import init_council
from kpi.core.store import Store
from kpi.ncmp.load import load_ncmp
from kpi.returns.load import WRITTEN

COUNCIL = "E08000009"
SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "iod2025"
WHO = local_principal("test")
# 2011 code -> (children, the 2021 code(s) the same children have in a file of 2021 codes)
PICKED = {
    "E01006074": (3, ["E01006074"]),  # unchanged, decile 5 on both indices
    "E01006076": (2, ["E01006076"]),  # unchanged: IoD2019 decile 9, IoD2025 decile 10
    "E01006079": (1, ["E01006079"]),  # unchanged, decile 10
    "E01006185": (4, ["E01034000", "E01034000", "E01034001", "E01034001"]),  # split: IoD2025 deciles 4 and 2
    "E01000852": (2, ["E01035711"]),  # merged into one 2021 LSOA
    "E01000023": (2, ["E01034471"]),  # split into 2021 LSOAs of one IoD2025 decile
    "E01023679": (1, ["E01035581"]),  # irregular, one 2021 LSOA
    "E01008187": (1, ["E01035624"]),  # irregular, 2021 LSOAs of two IoD2025 deciles
}
UNCHANGED = ("E01006074", "E01006076", "E01006079")


def _codes(vintage: int) -> list[str]:
    out = []
    for code, (n, codes21) in PICKED.items():
        out += [code] * n if vintage == 2011 else codes21 if len(codes21) == n else codes21 * n
    return out


def _file(year: str, codes: list[str]) -> bytes:
    start = int(year[:4])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(
        ["academic_year", "school_urn", "school_year", "sex", "date_of_birth", "date_of_measurement"]
        + ["height_cm", "weight_kg", "lsoa_code", "ethnic_group"]
    )
    for i, code in enumerate(codes):
        born = date(start - 5, 9, 1) + timedelta(days=i)
        height = 110.0 + i / 10
        writer.writerow(
            [year, "100001", "R", "F", born.isoformat(), date(start + 1, 3, 2).isoformat()]
            + [f"{height:.1f}", f"{15.5 * (height / 100) ** 2:.2f}", code, "White"]
        )
    return text.getvalue().encode()


def _load(store: Store, year: str, vintage: int, at: datetime):
    result = load_ncmp(
        store,
        _file(year, _codes(vintage)),
        f"ncmp_{vintage}.csv",
        council_code=COUNCIL,
        principal=WHO,
        accept_warnings=True,
        reason="test children",
        loaded_at=at,
    )
    assert result.outcome == WRITTEN, result.report.to_text()
    return result


def _deciles(store: Store, year: str, as_at: datetime) -> dict[str, int]:
    rows = store.run_sql("marts/mart_ncmp_prevalence", council_code=COUNCIL, as_at=as_at).filter(
        pl.col("academic_year") == year, pl.col("breakdown") == "imd_decile", pl.col("category") == "obese"
    )
    assert set(rows["deprivation_index"]) == {"IoD2025" if year >= "2025/26" else "IoD2019"}
    return dict(zip(rows["group_code"], rows["measured"], strict=True))


def _homes(store: Store, as_at: datetime) -> dict[tuple[str, str], str]:
    rows = store.run_sql("staging/stg_ncmp_home_areas", council_code=COUNCIL, as_at=as_at)
    return {(r["academic_year"], r["lsoa_code"]): r["imd_decile"] for r in rows.iter_rows(named=True)}


@pytest.fixture()
def store(monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    db = Store.open(":memory:")
    init_council(db, COUNCIL, principal=WHO)
    yield db
    db.close()


def test_files_of_2011_and_2021_codes_give_the_same_deciles_for_unchanged_lsoas(store):
    first = _load(store, "2025/26", 2011, datetime(2026, 10, 1))
    second = _load(store, "2025/26", 2021, datetime(2026, 10, 2))  # supersedes the first
    on2011 = _homes(store, datetime(2026, 10, 1, 12))
    on2021 = _homes(store, datetime(2026, 10, 2, 12))
    for code in UNCHANGED:
        assert on2011[("2025/26", code)] == on2021[("2025/26", code)]
    assert on2011[("2025/26", "E01006076")] == "10"  # IoD2025, not IoD2019's 9
    assert on2011[("2025/26", "E01006185")] == "U"  # split across deciles: unknown
    assert (on2021[("2025/26", "E01034000")], on2021[("2025/26", "E01034001")]) == ("4", "2")
    split = first.report.warnings.filter(pl.col("check") == "split_lsoa")
    assert split.height == 5  # every child of the two LSOAs
    named = split["message"].unique().to_list()
    assert len(named) == 2
    assert any("E01006185" in m and "(2, 4)" in m for m in named)
    assert any("E01008187" in m for m in named)
    assert "split_lsoa" not in second.report.warnings["check"].to_list()
    edition = store.query("select distinct imd_edition from ncmp_loads").item()
    assert edition == "IoD2025"


def test_a_year_on_iod2019_maps_2021_codes_back(store):
    _load(store, "2024/25", 2021, datetime(2025, 10, 1))
    homes = _homes(store, periods.now())
    assert homes[("2024/25", "E01034000")] == homes[("2024/25", "E01034001")] == "2"  # the parent's decile
    assert homes[("2024/25", "E01006076")] == "9"
    assert store.query("select imd_edition from ncmp_loads").item() == "IoD2019"


def test_decile_counts_match_an_independent_recomputation(store):
    if not SHARED.exists():
        pytest.skip(f"oracle {SHARED} is absent (the ../shared/reference checkout is not available)")

    def read(name: str) -> list[dict]:
        return list(
            csv.DictReader(io.StringIO(gzip.decompress((SHARED / name).read_bytes()).decode("utf-8-sig")))
        )

    decile = {r["lsoa21cd"]: r["imd_decile"] for r in read("iod2025_lsoa21.csv.gz")}
    parts: dict[str, set[str]] = {}
    for r in read("lsoa11_to_lsoa21_exactfit_england.csv.gz"):
        parts.setdefault(r["LSOA11CD"], set()).add(decile[r["LSOA21CD"]])
    for vintage in (2011, 2021):
        expected: dict[str, int] = {}
        for code in _codes(vintage):
            found = decile.get(code) or (next(iter(parts[code])) if len(parts[code]) == 1 else "U")
            expected[found] = expected.get(found, 0) + 1
        at = datetime(2026, 10, 1 + (vintage == 2021))
        _load(store, "2025/26", vintage, at)
        assert _deciles(store, "2025/26", at + timedelta(hours=1)) == expected


def test_the_sample_shows_both_indices_and_marks_the_change(sample_ro_store):
    from kpi.access.principal import LOCAL_USER
    from kpi.core import deprivation
    from kpi.ncmp import charts, views

    data = views.ncmp_data(sample_ro_store, COUNCIL, principal=LOCAL_USER)
    assert views.decile_index(data, "2024/25") == "IoD2019"
    assert views.decile_index(data, "2025/26") == "IoD2025"
    assert views.decile_index_label(data, "2025/26").startswith(
        "IMD 2025 (English Indices of Deprivation 2025"
    )
    assert views.decile_index_label(data, "1999/00") == ""
    trend = views.gap_trend(data, "R", "obese")
    assert dict(zip(trend["academic_year"], trend["deprivation_index"], strict=True)) == {
        "2022/23": "IoD2019",
        "2023/24": "IoD2019",
        "2024/25": "IoD2019",
        "2025/26": "IoD2025",
    }
    spec = charts.gap_trend_chart(trend, "gap").to_dict()
    notes = [
        layer for layer in spec["layer"] if layer.get("encoding", {}).get("text", {}).get("field") == "note"
    ]
    assert len(notes) == 1
    values = spec["datasets"][notes[0]["data"]["name"]]
    assert values == [{"academic_year": "2025/26", "note": deprivation.CHANGE_NOTE}]
    assert all(layer["mark"]["type"] != "line" for layer in spec["layer"])  # years are never joined
    before = charts.gap_trend_chart(trend.filter(pl.col("deprivation_index") == "IoD2019"), "gap").to_dict()
    assert len(before["layer"]) == 3  # no change, no mark
