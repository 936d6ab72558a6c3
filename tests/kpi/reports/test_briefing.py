"""The scrutiny briefing: plain-English messages from the data, and the disclosure attack of domain.md section 6.

Two briefings are built as at 20 November 2026 09:00: the sample's, and one where a resubmission (received on
18 November) puts small numbers in the 2026-27 Q2 return (West: 5 of 7 new birth visits; North: 3 children with a
12-month review by 15 months). The attack reads the DOCX tables and the headline text back and tries what an
outsider could: difference every shown total against its shown parts (within and across tables, exactly and with
the rounding's bounds), and invert every shown percentage and CI. No true count from 1 to 7 may come back. Truth
comes from the mart rows (unrounded) and the rule is applied here independently of kpi.reports.disclosure.
"""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from kpi import overview, reports
from kpi.sample import SAMPLE_DIR
from kpi.store import Store
from kpi.submissions import WRITTEN, load_return
from tests.kpi.reports.documents import (
    AS_AT,
    COUNCIL,
    PERIOD,
    docx_document,
    docx_tables,
    pdf_pages,
    pdf_text,
)

Z95 = 1.959963984540054
ENGLAND_HEADER = ["Measure", "Children", "Of", "Per cent", "95% CI", "England", "Compared with England"]
LOCALITY_HEADER = ["Measure", "Area", "Children", "Of", "Per cent"]
NAMES = {"CENTRAL": "Central", "NORTH": "North", "SOUTH": "South", "WEST": "West"}


# ---- the rule, written out independently ---------------------------------------------------------------------------


def rounded(n: float) -> int | None:
    """domain.md section 6: 0 stays 0, 1-7 hidden (None), others to the nearest 5."""
    if n == 0:
        return 0
    if 1 <= n <= 7:
        return None
    return int(math.floor(n / 5 + 0.5) * 5)


def wilson_lower(x: float, n: float) -> float:
    return 100 * (2 * x + Z95**2 - Z95 * math.sqrt(Z95**2 + 4 * x * (1 - x / n))) / (2 * (n + Z95**2))


def shown_count(text: str) -> int | None:
    """A count cell as printed: None for '*'."""
    return None if text == "*" else int(text.replace(",", ""))


def shown_pct(text: str) -> float | None:
    return None if text in ("*", "–") else float(text.rstrip("%"))


# ---- builds ------------------------------------------------------------------------------------------------------


def _build(store: Store) -> dict:
    built = reports.build(store, "briefing", PERIOD, AS_AT)
    docx = reports.render(built.document, "docx")
    pdf = reports.render(built.document, "pdf")
    truth = overview.kpi_values(store, COUNCIL, AS_AT)
    return {"built": built, "docx": docx, "pdf": pdf, "pdf_text": pdf_text(pdf), "truth": truth}


@pytest.fixture(scope="module")
def sample(reports_store):
    return _build(reports_store)


def _small_return() -> bytes:
    """The sample's 2026-27 Q2 return with West's new birth visits at 5 of 7 and North's C5 at 3 children."""
    path = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    for row in rows:
        key = (row["metric_code"], row["locality_code"])
        if key == ("C2", "WEST"):
            first = row["imd_decile"] == "1"
            whole = row["imd_decile"] == ""
            row["numerator"], row["denominator"] = ("5", "7") if first or whole else ("0", "0")
        if key == ("C3", "WEST"):  # C3 shares C2's denominator
            first = row["imd_decile"] == "1"
            whole = row["imd_decile"] == ""
            row["numerator"], row["denominator"] = ("1", "7") if first or whole else ("0", "0")
        if key == ("C5", "NORTH"):
            first = row["imd_decile"] == "1"
            whole = row["imd_decile"] == ""
            row["numerator"] = "3" if first or whole else "0"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()


@pytest.fixture(scope="module")
def small(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory):
    target = tmp_path_factory.mktemp("small") / "hcp.duckdb"
    shutil.copyfile(sample_db_path, target)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", "2026-11-23")
        store = Store.open(target)
        result = load_return(
            store,
            _small_return(),
            "mandated_contacts_2026-27_Q2_small.csv",
            council_code=COUNCIL,
            provider_code="ZZ1",
            actor="test",
            accept_warnings=True,
            reason="test: small numbers",
            received_at=datetime(2026, 11, 18, 10, 0),
        )
        assert result.outcome == WRITTEN, result.report.to_text()
        yield _build(store)
        store.close()


def table(docx: bytes, header: list[str]) -> list[list[str]]:
    return next(t for t in docx_tables(docx) if t[0][: len(header)] == header)


# ---- what the briefing says ----------------------------------------------------------------------------------------


def test_headline_messages_use_fingertips_words_only_where_significant(sample):
    document = docx_document(sample["docx"])
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    truth = sample["truth"].filter(pl.col("period") == PERIOD, pl.col("level") == "borough")
    c2 = truth.filter(pl.col("kpi_code") == "C2").row(0, named=True)
    num, den = rounded(c2["numerator"]), rounded(c2["denominator"])
    assert wilson_lower(num, den) > 85.2  # England outside the interval, above it: significant, better
    expected = (
        f"New birth visits within 14 days: {100 * num / den:.1f}%, better than England (85.2% in 2024-25)."
    )
    assert any(b.startswith(expected) for b in bullets), bullets
    c8i = truth.filter(pl.col("kpi_code") == "C8i").row(0, named=True)
    num, den = rounded(c8i["numerator"]), rounded(c8i["denominator"])
    assert wilson_lower(num, den) <= 81.5  # England inside the interval: similar
    assert any(
        b.startswith(f"6-8 week reviews by 8 weeks: {100 * num / den:.1f}%, similar to England")
        for b in bullets
    )
    assert any(
        "Breastfeeding at 6-8 weeks" in b and "no England figure to compare with" in b for b in bullets
    )
    assert not any("significantly" in b for b in bullets)


def test_briefing_has_its_sections_on_about_four_pages(sample):
    text = sample["pdf_text"]
    for heading in (
        "Headline messages",
        "Compared with England",
        "Over time",
        "The deprivation gap",
        "By locality",
        "What the provider is doing about red areas",
        "Glossary",
        "About these figures",
    ):
        assert heading in text
    assert 3 <= pdf_pages(sample["pdf"]) <= 5
    assert "North team 3.0 WTE vacant" in text  # the provider's own words for the red area
    assert "Sample data: synthetic figures" in text


def test_over_time_and_gap_are_worked_out_from_rounded_counts(sample):
    truth = sample["truth"]
    over = table(sample["docx"], ["Measure", "2025-26 Q2", "2026-27 Q1", "2026-27 Q2"])
    row = next(r for r in over if r[0] == "New birth visits within 14 days")
    for column, period in ((1, "2025-26 Q2"), (2, "2026-27 Q1"), (3, PERIOD)):
        raw = truth.filter(
            pl.col("kpi_code") == "C2", pl.col("level") == "borough", pl.col("period") == period
        )
        num, den = rounded(raw["numerator"].item()), rounded(raw["denominator"].item())
        assert row[column] == f"{100 * num / den:.1f}%"
    assert row[4] in (
        "No significant change",
        "Increasing and getting better",
        "Decreasing and getting worse",
    )
    gap = table(sample["docx"], ["Measure", "Most deprived (decile 1)"])
    deciles = truth.filter(
        pl.col("kpi_code") == "C2", pl.col("level") == "borough_decile", pl.col("period") == PERIOD
    )
    pct = {
        r["imd_decile"]: 100 * rounded(r["numerator"]) / rounded(r["denominator"]) for r in deciles.to_dicts()
    }
    c2 = next(r for r in gap if r[0] == "New birth visits within 14 days")
    assert c2[1:3] == [f"{pct['1']:.1f}%", f"{pct['10']:.1f}%"]
    difference = round(pct["1"], 1) - round(pct["10"], 1)
    assert abs(float(c2[3].replace("−", "-").split(" ")[0]) - (pct["1"] - pct["10"])) < 0.051
    assert difference < 0 and c2[3].startswith("−")


def test_small_numbers_are_hidden_and_a_second_cell_with_them(small):
    rows = table(small["docx"], LOCALITY_HEADER)
    c2 = {r[1]: r for r in rows if r[0] == "New birth visits within 14 days"}
    assert c2["West"][2:] == ["*", "*", "*"]
    hidden = [area for area, r in c2.items() if area != "Borough" and r[2] == "*"]
    assert (
        len(hidden) == 2
    )  # West (5 of 7) and the next smallest locality, so the borough total gives nothing back
    c5 = {r[1]: r for r in rows if r[0] == "12-month reviews by 15 months"}
    assert c5["North"][2] == "*" and c5["North"][4] == "*" and c5["North"][3] != "*"


# ---- the attack --------------------------------------------------------------------------------------------------


def _truth_counts(truth: pl.DataFrame) -> dict:
    """Unrounded counts by (measure name, area, column) for the period."""
    out = {}
    now = truth.filter(pl.col("period") == PERIOD, pl.col("level").is_in(["borough", "locality"]))
    for r in now.to_dicts():
        area = "Borough" if r["level"] == "borough" else NAMES[r["locality_code"]]
        out[(r["kpi_name"], area, "Children")] = r["numerator"]
        out[(r["kpi_name"], area, "Of")] = r["denominator"]
    return out


def _bounds(value: int | None) -> tuple[float, float]:
    """What a reader knows of a count from its printed form: exact 0, +/-2 for a rounded count, nothing for *."""
    if value is None:
        return 0.0, math.inf
    return (0.0, 0.0) if value == 0 else (value - 2.0, value + 2.0)


def _difference_attack(
    total: int | None, parts: dict[str, int | None], truth: dict[str, float], where: str
) -> None:
    hidden = [area for area, value in parts.items() if value is None]
    if total is None:
        if not hidden:  # a hidden total with every part shown: added up, it could come back
            assert not 1 <= truth["__total__"] <= 7, f"{where}: total recovered by addition"
        return
    if not hidden:
        return
    assert len(hidden) >= 2, f"{where}: the one hidden cell ({hidden[0]}) is the total minus the shown parts"
    rest = total - sum(v for v in parts.values() if v is not None)
    group = sum(truth[area] for area in hidden)
    assert not (rest == group and 1 <= group <= 7), f"{where}: hidden cells {hidden} recovered as {rest}"
    # with the rounding's bounds: what can be known of each hidden cell and of the hidden group
    low_t, high_t = _bounds(total)
    shown = [_bounds(v) for v in parts.values() if v is not None]
    group_low = max(0.0, low_t - sum(h for _, h in shown))
    group_high = high_t - sum(lo for lo, _ in shown)
    assert not (group_low == group_high and 1 <= group_low <= 7), (
        f"{where}: hidden group pinned at {group_low}"
    )
    for area in hidden:
        others_high = math.inf  # the other hidden cells could hold anything
        cell_low = max(0.0, low_t - sum(h for _, h in shown) - others_high)
        cell_high = high_t - sum(lo for lo, _ in shown)
        assert not (cell_low == cell_high and 1 <= cell_low <= 7), f"{where}: {area} pinned at {cell_low}"


def _invert_rate(
    num_text: str, den_text: str, pct_text: str, ci_text: str | None, truth_num: float, where: str
):
    num, den, pct = shown_count(num_text), shown_count(den_text), shown_pct(pct_text)
    if num is None or den is None:
        assert pct_text == "*", f"{where}: a percentage is shown beside a hidden count"
        if ci_text is not None:
            assert ci_text == "*", f"{where}: a CI is shown beside a hidden count"
        return
    if pct is None:
        return
    recovered = pct * den / 100
    assert abs(recovered - num) <= den * 0.0005 + 1e-9, (
        f"{where}: the percentage holds more than the rounded count"
    )
    assert not (round(recovered) == truth_num and 1 <= truth_num <= 7), f"{where}: count recovered from the %"
    if ci_text and ci_text not in ("*", "–"):
        lower = float(ci_text.split("–")[0])
        low, high = 0.0, float(den)
        for _ in range(60):  # invert the Wilson lower limit for the numerator, by bisection
            middle = (low + high) / 2
            low, high = (middle, high) if wilson_lower(middle, den) < lower else (low, middle)
        assert abs(low - num) <= 1.0, f"{where}: the CI holds more than the rounded count"
        assert not (round(low) == truth_num and 1 <= truth_num <= 7), f"{where}: count recovered from the CI"


def _attack(briefing: dict) -> int:
    """Run the attack over every table and the headline text; returns how many figures were tried."""
    docx, truth = briefing["docx"], briefing["truth"]
    counts = _truth_counts(truth)
    england = table(docx, ENGLAND_HEADER)[1:]
    localities = table(docx, LOCALITY_HEADER)[1:]
    tried = 0
    # every count printed is *, 0 or a multiple of 5 from 10 up: no count from 1 to 7, none unrounded
    for row in england:
        for text in row[1:3]:
            assert text == "*" or (shown_count(text) % 5 == 0 and shown_count(text) != 5), row
    for row in localities:
        for text in row[2:4]:
            assert text == "*" or (shown_count(text) % 5 == 0 and shown_count(text) != 5), row
    # totals against their parts, within the locality table and across tables (the England table's totals)
    measures = dict.fromkeys(row[0] for row in localities)
    for measure in measures:
        rows = {row[1]: row for row in localities if row[0] == measure}
        borough = rows.pop("Borough")
        across = next(row for row in england if row[0] == measure)
        assert across[1:3] == borough[2:4], f"{measure}: the two tables print the borough differently"
        for column, position in (("Children", 2), ("Of", 3)):
            parts = {area: shown_count(row[position]) for area, row in rows.items()}
            truth_parts = {area: counts[(measure, area, column)] for area in rows}
            truth_parts["__total__"] = counts[(measure, "Borough", column)]
            _difference_attack(shown_count(borough[position]), parts, truth_parts, f"{measure} {column}")
            tried += 1
        for area, row in {**rows, "Borough": borough}.items():
            _invert_rate(
                row[2], row[3], row[4], None, counts[(measure, area, "Children")], f"{measure} {area}"
            )
            tried += 1
    for row in england:
        _invert_rate(
            row[1], row[2], row[3], row[4], counts[(row[0], "Borough", "Children")], f"{row[0]} England"
        )
        tried += 1
    # percentages printed without their counts (over time, deciles, gap): exactly those of the rounded counts
    now = truth.filter(pl.col("period") == PERIOD)
    decile_rows = table(docx, ["Decile"])
    codes = decile_rows[0][1:]
    for row in decile_rows[1:]:
        for code, text in zip(codes, row[1:], strict=True):
            level, decile = ("borough", "ALL") if row[0] == "Borough" else ("borough_decile", row[0])
            decile = "U" if decile == "Unknown" else decile
            raw = now.filter(
                pl.col("kpi_code") == code, pl.col("level") == level, pl.col("imd_decile") == decile
            )
            num, den = rounded(raw["numerator"].item()), rounded(raw["denominator"].item())
            if num is None or den is None:
                assert text == "*", f"{code} decile {decile}: a small count's percentage is printed"
            elif den > 0:
                assert text == f"{100 * num / den:.1f}%", f"{code} decile {decile}"
            tried += 1
    # the headline sentences print the England table's percentages, nothing finer
    bullets = [p.text for p in docx_document(docx).paragraphs if p.style.name == "List Bullet"]
    for row in england:
        sentence = next(b for b in bullets if b.startswith(f"{row[0]}: "))
        assert sentence.startswith(f"{row[0]}: {row[3]}"), sentence
        tried += 1
    for sentence in bullets:
        for measure, area in re.findall(r"^(.+?), (Borough|Central|North|South|West): ", sentence):
            shown = next(r for r in localities if r[0] == measure and r[1] == area)
            assert sentence.split(": ")[1].startswith(shown[4]), sentence
            tried += 1
    return tried


def test_attack_on_the_sample_briefing_recovers_no_small_count(sample):
    assert _attack(sample) >= 60


def test_attack_on_a_briefing_with_small_numbers_recovers_no_small_count(small):
    assert _attack(small) >= 60
    text = small["pdf_text"]
    # the PDF prints the same hidden cells: West's row of new birth visits is all stars
    assert re.search(r"New birth visits within 14 days West \* \* \*", text)
