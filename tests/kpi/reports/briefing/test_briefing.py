"""The scrutiny briefing: plain-English messages from the data, and the disclosure attack of docs/methods.md section 6.

Two briefings are built as at 20 November 2026 09:00: the sample's, and one where a resubmission (received on
18 November) puts small numbers in the 2026-27 Q2 return (West: 5 of 7 new birth visits; North: 3 children with a
12-month review by 15 months). The attack reads the DOCX tables and the headline text back and tries what an
outsider could: difference every shown total against its shown parts (within and across tables, exactly and with
the rounding's bounds), and invert every shown percentage. No true count from 1 to 7 may come back. Truth
comes from the mart rows (unrounded) and the rule is applied here independently of kpi.reports.disclosure.

Percentages follow NHS England's presentation rule for rounded data (docs/methods.md section 6): the rounded denominator
sets the precision (>= 4,000 one decimal, 400-3,995 whole per cent, 100-395 "about" the nearest 5, below 100 none)
and every printed percentage lies within its printed precision of the true, unrounded one.
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

from kpi import reports
from kpi.access.principal import LOCAL_USER, local_principal
from kpi.contract import values as overview
from kpi.core.store import Store
from kpi.returns.load import WRITTEN, load_return
from kpi.sample import SAMPLE_DIR
from tests.kpi.reports.documents import (
    AS_AT,
    COUNCIL,
    PERIOD,
    docx_document,
    docx_tables,
    docx_text,
    pdf_pages,
    pdf_text,
)

Z95 = 1.959963984540054
ENGLAND_HEADER = ["Measure", "Children", "Of", "Per cent", "England", "Compared with England"]
LOCALITY_HEADER = ["Measure", "Area", "Children", "Of", "Per cent"]
NAMES = {"CENTRAL": "Central", "NORTH": "North", "SOUTH": "South", "WEST": "West"}


# ---- the rule, written out independently ---------------------------------------------------------------------------


def rounded(n: float) -> int | None:
    """docs/methods.md section 6: 0 stays 0, 1-7 hidden (None), others to the nearest 5."""
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
    """A percentage cell's value (None for '*', '–', 'too few', 'not reliable')."""
    parsed = printed(text)
    return None if parsed is None else parsed[0]


def printed(text: str) -> tuple[float, float] | None:
    """A printed percentage as (value, precision): "81.8%" (0.1), "82%" (1), "about 85%" (5); None for no figure."""
    match = re.fullmatch(r"(about )?([−-]?\d+(?:\.\d)?)%", text)
    if not match:
        assert text in ("*", "–", "too few", "not reliable"), text
        return None
    value = float(match.group(2).replace("−", "-"))
    return value, 5.0 if match.group(1) else (0.1 if "." in match.group(2) else 1.0)


def half_up(value: float, step: float) -> float:
    return math.floor(value / step + 0.5 + 1e-9) * step


def expected_text(num: float, den: float) -> str:
    """The rule by hand: from the rounded counts, as precise as the rounded denominator allows, never further from
    the true percentage than the precision shown (coarser, or none, where it would be)."""
    shown_num, shown_den = rounded(num), rounded(den)
    if shown_num is None or shown_den is None:
        return "*"
    if shown_den == 0:
        return "–"
    steps = [step for least, step in ((4000, 0.1), (400, 1.0), (100, 5.0)) if shown_den >= least]
    if not steps:
        return "too few"
    pct, true = 100 * shown_num / shown_den, 100 * num / den
    for step in steps:
        value = half_up(pct, step)
        if abs(value - true) <= step + 1e-9:
            return f"about {value:.0f}%" if step == 5 else f"{value:.{1 if step < 1 else 0}f}%"
    return "not reliable"


def within_precision(text: str, true_pct: float, where: str) -> bool:
    """Whether a printed percentage lies within its printed precision of the truth (no figure: nothing to check)."""
    parsed = printed(text)
    if parsed is None:
        return False
    value, step = parsed
    assert abs(value - true_pct) <= step + 1e-9, f"{where}: {text} is more than {step} from {true_pct:.2f}%"
    return True


# ---- builds ------------------------------------------------------------------------------------------------------


def _build(store: Store) -> dict:
    built = reports.build(store, "briefing", PERIOD, AS_AT, principal=LOCAL_USER)
    docx = reports.render(built.document, "docx")
    pdf = reports.render(built.document, "pdf")
    truth = overview.kpi_values(store, COUNCIL, AS_AT, principal=LOCAL_USER)
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
            principal=local_principal("test"),
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


def test_headline_messages_say_the_england_figure_is_out_of_date_with_its_period(sample):
    # docs/methods.md section 5, default age limit 4 quarters: England's C2 figure is for 2024-25 (last quarter 2024-25
    # Q4, six quarters before 2026-27 Q2) and C8i's for 2017-18 Q1, so neither is compared; both are named
    document = docx_document(sample["docx"])
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    truth = sample["truth"].filter(pl.col("period") == PERIOD, pl.col("level") == "borough")
    c2 = truth.filter(pl.col("kpi_code") == "C2").row(0, named=True)
    # 715 of 789 (90.6%), rounded 715 of 790: whole per cent (400-3,995), 91%, 0.4 from the truth
    assert expected_text(c2["numerator"], c2["denominator"]) == "91%"
    # England's 2024-25 figure ends six quarters before 2026-27 Q2 (more than the default 4): shown, not compared
    expected = (
        "New birth visits within 14 days: 91%; not compared with England: the latest England figure "
        "(85.2% in 2024-25) is out of date."
    )
    assert any(b.startswith(expected) for b in bullets), bullets
    c8i = truth.filter(pl.col("kpi_code") == "C8i").row(0, named=True)
    text = expected_text(c8i["numerator"], c8i["denominator"])
    assert any(
        b.startswith(
            f"6-8 week reviews by 8 weeks: {text}; not compared with England: the latest England "
            "figure (81.5% in 2017-18 Q1) is out of date."
        )
        for b in bullets
    ), bullets
    assert any(
        "Breastfeeding at 6-8 weeks" in b and "no England figure to compare with" in b for b in bullets
    )
    assert not any("than England" in b or "similar to England" in b for b in bullets)
    rows = {row[0]: row for row in table(sample["docx"], ENGLAND_HEADER)[1:]}
    assert rows["New birth visits within 14 days"][4:] == [
        "85.2% (2024-25)",
        "Not compared: England figure out of date (2024-25)",
    ]
    assert rows["6-8 week reviews by 8 weeks"][4:] == [
        "81.5% (2017-18 Q1)",
        "Not compared: England figure out of date (2017-18 Q1)",
    ]


def test_headline_messages_use_fingertips_words_only_where_significant(reports_store, sample):
    # 2025-26 Q2 is two quarters after 2024-25 Q4, within the limit: England's 2024-25 C2 figure is compared
    built = reports.build(reports_store, "briefing", "2025-26 Q2", AS_AT, principal=LOCAL_USER)
    bullets = [h.message for h in built.data.headlines]
    truth = sample["truth"].filter(pl.col("period") == "2025-26 Q2", pl.col("level") == "borough")
    c2 = truth.filter(pl.col("kpi_code") == "C2").row(0, named=True)
    # the comparison uses the exact counts (a complex calculation): England below the interval, significant
    assert wilson_lower(c2["numerator"], c2["denominator"]) > 85.2
    text = expected_text(c2["numerator"], c2["denominator"])
    expected = f"New birth visits within 14 days: {text}, better than England (85.2% in 2024-25)."
    assert any(b.startswith(expected) for b in bullets), bullets
    assert any(
        "6-8 week reviews by 8 weeks" in b and "(81.5% in 2017-18 Q1) is out of date" in b for b in bullets
    )
    assert not any("significantly" in b for b in bullets)


def test_target_words_come_from_the_rag_of_the_exact_counts(sample):
    """The judgement against the target is the mart's RAG (overview and pack), never the rounded figure's."""
    document = docx_document(sample["docx"])
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    truth = sample["truth"].filter(pl.col("period") == PERIOD, pl.col("level") == "borough")
    words = {"green": "was met.", "amber": "was just missed (amber)", "red": "was not met (red)"}
    checked = 0
    for row in truth.filter(pl.col("target_pct").is_not_null()).to_dicts():
        sentence = next((b for b in bullets if b.startswith(f"{row['kpi_name']}: ")), None)
        if sentence is None:
            continue
        assert f"The contract target of {row['target_pct']:g}% {words[row['rag']]}" in sentence, sentence
        checked += 1
    assert checked >= 4


def test_449_of_500_is_amber_and_not_met_though_it_prints_as_90_per_cent():
    """Raw 449/500 = 89.8% against a 90% target with a 5-point amber margin: amber in the pack, so the briefing
    must not say "met", though its rounded counts 450/500 print as 90%."""
    from kpi.reports.briefing.model import Headline
    from kpi.reports.briefing.words import message
    from kpi.reports.disclosure import Disclosed, disclose_rate

    rate = disclose_rate(Disclosed(449, 450), Disclosed(500, 500))
    assert rate.text() == "90%"
    headline = Headline(
        kpi_code="C2",
        kpi_name="New birth visits within 14 days",
        polarity="high",
        rate=rate,
        target_pct=90.0,
        england_pct=None,
        england_period=None,
        comparison="not compared",
        year_ago=None,
        previous=None,
        trend="No significant change",
        localities={},
        deciles={},
        message="",
        rag="amber",
        amber_margin_pct=5.0,
    )
    text = message(headline)
    assert "The contract target of 90% was just missed (amber" in text and " was met" not in text
    assert "rounded" in text  # says why 90% is not "met"


def test_briefing_has_its_sections_on_about_four_pages(sample):
    text = sample["pdf_text"]
    for heading in (
        "Headline messages",
        "Compared with England",
        "Over time",
        "Inequality by deprivation",
        "By locality",
        "What the provider is doing about red areas",
        "Glossary",
        "About these figures",
    ):
        assert heading in text
    assert 3 <= pdf_pages(sample["pdf"]) <= 5
    assert "North team 3.0 WTE vacant" in text  # the provider's own words for the red area
    assert "Sample data: synthetic figures" in text


def test_over_time_follows_the_precision_rule_and_inequality_names_its_measures(sample):
    truth = sample["truth"]
    over = table(sample["docx"], ["Measure", "2025-26 Q2", "2026-27 Q1", "2026-27 Q2"])
    row = next(r for r in over if r[0] == "New birth visits within 14 days")
    for column, period in ((1, "2025-26 Q2"), (2, "2026-27 Q1"), (3, PERIOD)):
        raw = truth.filter(
            pl.col("kpi_code") == "C2", pl.col("level") == "borough", pl.col("period") == period
        )
        assert row[column] == expected_text(raw["numerator"].item(), raw["denominator"].item())
    assert row[4] in (
        "No significant change",
        "Increasing and getting better",
        "Decreasing and getting worse",
    )
    # deciles of a quarter hold 20-165 children: most are below 100, so the table shows quintiles
    groups = table(sample["docx"], ["Quintile"])
    assert [r[0] for r in groups[1:]] == [
        "1 (deciles 1-2)",
        "2 (deciles 3-4)",
        "3 (deciles 5-6)",
        "4 (deciles 7-8)",
        "5 (deciles 9-10)",
        "Borough",
    ]
    quintiles = truth.filter(
        pl.col("kpi_code") == "C2", pl.col("level") == "borough_quintile", pl.col("period") == PERIOD
    )
    by_quintile = {r["imd_quintile"]: r for r in quintiles.to_dicts()}
    # quintile 1 (IoD2025 deciles 1-2 in 2026-27 Q2): 73 of 86, rounded 75 of 85: below 100, so no percentage (and
    # so no gap)
    assert groups[1][1] == "too few"
    five = by_quintile[5]
    assert groups[5][1] == expected_text(five["numerator"], five["denominator"]) == "about 95%"
    text = sample["pdf_text"]
    assert "The gap between the most and least deprived quintile (quintile 1 minus quintile 5) cannot" in text
    # the SII: the headline measure, the pack's figures (C2: −14.2 points in the sample, on IoD2025's deciles)
    sii = table(sample["docx"], ["Measure", "SII, points", "95% CI", "In words"])
    c2 = next(r for r in sii if r[0] == "New birth visits within 14 days")
    assert c2[1] == "−14.2" and c2[3] == "Most deprived areas lower"
    assert "The headline measure of inequality is the slope index of inequality (SII)" in text
    assert "Deprivation gap" not in text
    # the quintiles name their deprivation index: 2026-27 Q2 is on IoD2025 (docs/methods.md section 7.1)
    assert "Per cent by national deprivation quintile (1 = most deprived; IMD 2025), 2026-27 Q2" in " ".join(
        text.split()
    )


def test_every_percentage_lies_within_its_precision_of_the_truth(sample, small):
    for built in (sample, small):
        _every_percentage_within_precision(built)


def _every_percentage_within_precision(built: dict) -> None:
    docx, truth = built["docx"], built["truth"]
    now = truth.filter(pl.col("period") == PERIOD)
    borough = {r["kpi_name"]: r for r in now.filter(pl.col("level") == "borough").to_dicts()}
    checked = 0
    for row in table(docx, ENGLAND_HEADER)[1:]:
        r = borough[row[0]]
        checked += within_precision(row[3], 100 * r["numerator"] / r["denominator"], row[0])
    over = next(t for t in docx_tables(docx) if t[0][0] == "Measure" and t[0][3] == PERIOD)
    for row in over[1:]:
        for column, period in enumerate(over[0][1:4], start=1):
            r = truth.filter(
                pl.col("kpi_name") == row[0], pl.col("level") == "borough", pl.col("period") == period
            ).row(0, named=True)
            checked += within_precision(row[column], 100 * r["numerator"] / r["denominator"], row[0])
    names = {v: k for k, v in NAMES.items()}
    for row in table(docx, LOCALITY_HEADER)[1:]:
        level, code = ("borough", "ALL") if row[1] == "Borough" else ("locality", names[row[1]])
        r = now.filter(
            pl.col("kpi_name") == row[0], pl.col("level") == level, pl.col("locality_code") == code
        ).row(0, named=True)
        checked += within_precision(row[4], 100 * r["numerator"] / r["denominator"], f"{row[0]} {row[1]}")
    groups = next(t for t in docx_tables(docx) if t[0][0] in ("Decile", "Quintile"))
    for row in groups[1:]:
        for code, text in zip(groups[0][1:], row[1:], strict=True):
            rows = now.filter(pl.col("kpi_code") == code)
            if row[0] == "Borough":
                r = rows.filter(pl.col("level") == "borough")
            elif groups[0][0] == "Quintile":
                r = rows.filter(
                    pl.col("level") == "borough_quintile", pl.col("imd_quintile") == int(row[0][0])
                )
            else:
                decile = "U" if row[0] == "Unknown" else row[0]
                r = rows.filter(pl.col("level") == "borough_decile", pl.col("imd_decile") == decile)
            r = r.row(0, named=True)
            if r["denominator"]:
                checked += within_precision(text, 100 * r["numerator"] / r["denominator"], f"{code} {row[0]}")
    # sentences: the borough figure now and a year earlier
    year_ago = over[0][1]
    bullets = [p.text for p in docx_document(docx).paragraphs if p.style.name == "List Bullet"]
    for name, r in borough.items():
        sentence = next((b for b in bullets if b.startswith(f"{name}: ")), None)
        if sentence is None:
            continue
        figure = sentence.removeprefix(f"{name}: ").split(",")[0].split(";")[0].split(" (")[0].rstrip(".")
        if printed(figure):
            checked += within_precision(figure, 100 * r["numerator"] / r["denominator"], sentence)
        if " A year earlier it was " in sentence:
            before = sentence.split(" A year earlier it was ")[1].rstrip(".")
            r0 = truth.filter(
                pl.col("kpi_name") == name, pl.col("level") == "borough", pl.col("period") == year_ago
            ).row(0, named=True)
            checked += within_precision(before, 100 * r0["numerator"] / r0["denominator"], sentence)
    assert checked >= 60
    # the PDF prints the same document: every percentage in its text is one the DOCX prints
    docx_all = docx_text(docx)
    for figure in set(re.findall(r"(?:about )?−?\d+(?:\.\d)?%", built["pdf_text"])):
        assert figure in docx_all, figure
    assert "100.0%" not in built["pdf_text"]


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
    step = printed(pct_text)[1]
    # the printed figure holds no more than the rounded counts: it is their percentage rounded to its precision
    assert den > 0 and abs(pct - 100 * num / den) <= step / 2 + 1e-9, (
        f"{where}: the percentage holds more than the rounded count"
    )
    recovered = pct * den / 100
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
    assert "95% CI" not in table(docx, ENGLAND_HEADER)[0]  # no confidence interval is printed in public
    for row in england:
        _invert_rate(
            row[1], row[2], row[3], None, counts[(row[0], "Borough", "Children")], f"{row[0]} England"
        )
        tried += 1
    # percentages printed without their counts (deciles or quintiles): those of the rounded counts, by the rule
    now = truth.filter(pl.col("period") == PERIOD)
    group_rows = next(t for t in docx_tables(docx) if t[0][0] in ("Decile", "Quintile"))
    codes = group_rows[0][1:]
    for row in group_rows[1:]:
        for code, text in zip(codes, row[1:], strict=True):
            raw = now.filter(pl.col("kpi_code") == code)
            if row[0] == "Borough":
                raw = raw.filter(pl.col("level") == "borough")
            elif group_rows[0][0] == "Quintile":
                raw = raw.filter(
                    pl.col("level") == "borough_quintile", pl.col("imd_quintile") == int(row[0][0])
                )
            else:
                decile = "U" if row[0] == "Unknown" else row[0]
                raw = raw.filter(pl.col("level") == "borough_decile", pl.col("imd_decile") == decile)
            num, den = raw["numerator"].item(), raw["denominator"].item()
            assert text == expected_text(num, den), f"{code} {row[0]}"
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


def test_a_hidden_locality_is_not_named_in_the_red_list(small):
    """North's new birth visits (red) are hidden by secondary suppression beside West's 5 of 7: its row in the
    locality table is starred, and the red list does not name it or quote its narrative."""
    rows = table(small["docx"], LOCALITY_HEADER)
    hidden = {r[1] for r in rows if r[0] == "New birth visits within 14 days" and r[4] == "*"}
    assert "North" in hidden
    bullets = [p.text for p in docx_document(small["docx"]).paragraphs if p.style.name == "List Bullet"]
    for area in hidden:
        assert not any(b.startswith(f"New birth visits within 14 days, {area}") for b in bullets), bullets
    assert "North team 3.0 WTE vacant" not in small["pdf_text"]
    assert any(
        b.startswith(
            "New birth visits within 14 days: also red in one more locality whose figures are too small"
        )
        for b in bullets
    )


def test_headlines_say_how_the_borough_compares_with_similar_councils_only_where_significant(
    sample, reports_store
):
    # docs/methods.md section 9: the same comparison as the pack's "vs neighbours" column, from unrounded counts
    from kpi.outcomes import neighbours as nb

    summary = nb.neighbour_summary(reports_store, COUNCIL, PERIOD, AS_AT, principal=LOCAL_USER)
    outcomes = dict(summary.select("kpi_code", "outcome").iter_rows())
    checked = 0
    for headline in sample["built"].data.headlines:
        said = " Against DfE statistical neighbours (May 2025), the borough is " in headline.message
        assert said == (outcomes.get(headline.kpi_code) in ("better", "worse")), headline.message
        checked += said
    assert checked >= 1


def test_the_neighbours_sentence_in_words():
    from kpi.reports.briefing.model import Headline
    from kpi.reports.briefing.words import message
    from kpi.reports.disclosure import Disclosed, disclose_rate

    headline = Headline(
        kpi_code="C2",
        kpi_name="New birth visits within 14 days",
        polarity="high",
        rate=disclose_rate(Disclosed(900, 900), Disclosed(1000, 1000)),
        target_pct=None,
        england_pct=None,
        england_period=None,
        comparison="not compared",
        year_ago=None,
        previous=None,
        trend="No significant change",
        localities={},
        deciles={},
        message="",
        neighbours=("DfE statistical neighbours (May 2025)", "among the best quarter of similar councils"),
    )
    assert message(headline).endswith(
        "Against DfE statistical neighbours (May 2025), the borough is among the best quarter of similar councils."
    )
