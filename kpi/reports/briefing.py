"""The scrutiny committee briefing: a short public document in plain English, with disclosure control.

What it says, for the headline KPIs (catalogue ``headline = true``) in a period, as at a time:

* **headline messages** generated from the data: "New birth visits within 14 days: 90.5%, better than England
  (85.2% in 2024-25)." Fingertips' words (domain.md section 4) are used only where the difference is significant:
  "better"/"worse" (or "higher"/"lower" without a judgement) when England's value lies outside the borough's 95%
  Wilson interval, "similar to England" otherwise (:func:`kpi.stats.compare_with_benchmark`);
* **over time**: the same quarter a year earlier, the previous quarter, and Fingertips' recent-trend words on the
  last five quarters (:func:`kpi.stats.recent_trend`, chi-squared test for trend);
* **the deprivation gap**: most deprived decile minus least deprived decile (national IMD 2019 deciles);
* **by locality**, and **what the provider is doing about red areas** (its explanation and remedial action);
* a **glossary** and a note on the figures.

**Disclosure control** (domain.md section 6, :mod:`kpi.reports.disclosure`) on every figure, borough totals
included: counts 1-7 shown as ``*``, others rounded to the nearest 5; every percentage, confidence interval,
comparison, trend and gap is computed from the rounded counts and suppressed when a count behind it is. Secondary
suppression runs over the locality counts against the borough total (the counts the briefing shows with their
total). So the briefing's percentages can differ by a few tenths from the meeting pack's, which uses the unrounded
counts; the words are always those of the figures printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from kpi import overview, periods
from kpi.councils import providers
from kpi.reports import words
from kpi.reports.disclosure import (
    ROUND_TO,
    SMALL_MAX,
    Disclosed,
    DisclosedRate,
    disclose_counts,
    disclose_rate,
)
from kpi.reports.document import Bullets, Cell, Document, Heading, Paragraph, Table
from kpi.reports.pack import Cover, council_name, data_version, headline_codes, narratives_frame
from kpi.stats import compare_with_benchmark, recent_trend
from kpi.store import Store, default_council, get_info

TREND_POINTS = 5
DECILES = [str(d) for d in range(1, 11)] + ["U"]
COMPARISON_WORDS = {
    "better": "better than England",
    "similar": "similar to England",
    "worse": "worse than England",
    "higher": "higher than England",
    "lower": "lower than England",
}
GLOSSARY = [
    (
        "Healthy Child Programme 0-19",
        "The national public health programme for children and young people, delivered "
        "here by health visitors, school nurses and the Family Nurse Partnership under a contract with the council.",
    ),
    (
        "Mandated review",
        "One of the five health visitor reviews every family should be offered: before birth, the new "
        "birth visit, 6-8 weeks, 12 months and 2-2½ years.",
    ),
    (
        "Contract target",
        "The level the council's contract asks the provider to reach. Red, amber and green say "
        "whether it was met: green met, amber just missed, red missed by more.",
    ),
    (
        "Compared with England",
        "Better or worse than England are used only when the difference is statistically "
        "significant: England's figure lies outside the range the borough's true figure is likely to be in (the 95% "
        "confidence interval). Otherwise the borough is similar to England.",
    ),
    (
        "95% confidence interval",
        "The range the true figure is likely to lie in, given how many children were "
        "counted; small numbers give wide ranges.",
    ),
    (
        "Recent trend",
        "Whether the last five quarters show a statistically significant rise or fall (the chi-squared "
        "test for trend that Fingertips uses).",
    ),
    (
        "Deprivation decile",
        "England's neighbourhoods ranked by the Index of Multiple Deprivation 2019 and split into "
        "ten equal groups: decile 1 is the 10% most deprived, decile 10 the 10% least deprived.",
    ),
    (
        "Deprivation gap",
        "The figure in the most deprived decile minus the figure in the least deprived decile, in "
        "percentage points.",
    ),
    ("Locality", "One of the council's areas that health visiting and school nursing teams work in."),
    (
        "* and rounding",
        f"To protect privacy, counts from 1 to {SMALL_MAX} are shown as *, other counts are rounded to "
        f"the nearest {ROUND_TO}, and percentages are worked out from the rounded counts; a figure that would let a "
        "hidden count be worked out by subtraction is hidden too.",
    ),
]


@dataclass
class Headline:
    """One headline KPI, disclosed: borough now, a year earlier, last quarter, trend, England, localities, deciles."""

    kpi_code: str
    kpi_name: str
    polarity: str
    rate: DisclosedRate
    target_pct: float | None
    england_pct: float | None
    england_period: str | None
    comparison: str
    year_ago: DisclosedRate | None
    previous: DisclosedRate | None
    trend: str
    localities: dict[str, DisclosedRate]
    deciles: dict[str, DisclosedRate]
    gap_points: float | None
    message: str


@dataclass
class RedArea:
    """A KPI red in an area (borough or locality), with the provider's explanation and action."""

    kpi_code: str
    kpi_name: str
    where: str
    rate: DisclosedRate
    target_pct: float | None
    explanation: str | None
    remedial_action: str | None


@dataclass
class Briefing:
    """The scrutiny briefing as data (see the module docstring); :func:`briefing_document` lays it out."""

    cover: Cover
    locality_names: dict[str, str]
    headlines: list[Headline]
    red_areas: list[RedArea]
    year_ago_period: str
    previous_period: str


def build_briefing(
    store: Store,
    period: str,
    as_at: datetime | None = None,
    *,
    council_code: str | None = None,
    provider_code: str | None = None,
) -> Briefing:
    """Build the briefing for ``period`` from the data as it stood at ``as_at`` (default now)."""
    council = (council_code or default_council(store)).upper()
    at = as_at or periods.now()
    code = periods.normalise_period(period)
    values = overview.kpi_values(store, council, at)
    if code not in overview.available_periods(values):
        raise ValueError(f"there is no accepted return for {code} as at {words.as_at_text(at)}")
    bench = overview.benchmarks(store, council, at)
    names = overview.locality_names(store, council, at)
    this = periods.parse_period(code)
    year_ago, previous = periods.from_index(this.index - 4), this.previous()
    prov = providers(store, council)
    chosen = prov.filter(pl.col("provider_code") == provider_code.upper()) if provider_code else prov
    # a public document quotes only narratives a commissioner agreed (or, without one, the return's comment)
    narratives = narratives_frame(store, council, provider_code, code, at, values, agreed_only=True)

    now = values.filter(pl.col("period") == code, pl.col("level").is_in(["borough", "locality"]))
    rated = now.filter(pl.col("value_kind") == "proportion")
    heads = [c for c in headline_codes(store, council, code, at) if c in set(rated["kpi_code"].to_list())]
    reds = rated.filter(pl.col("rag") == "red").sort(
        "sort_order", pl.col("level") != "borough", "locality_code"
    )
    shown_codes = list(dict.fromkeys(heads + reds["kpi_code"].to_list()))
    disclosed = _disclose(values, shown_codes, this.index, names)

    headlines = []
    england = overview.with_benchmark(values.filter(pl.col("level") == "borough"), bench)
    for kpi_code in heads:
        headlines.append(_headline(values, england, disclosed, kpi_code, this, year_ago, previous, names))
    red_areas = []
    for row in reds.iter_rows(named=True):
        where = (
            "Borough" if row["level"] == "borough" else names.get(row["locality_code"], row["locality_code"])
        )
        said = narratives.filter(
            pl.col("kpi_code") == row["kpi_code"], pl.col("where").is_in([where, "Borough"])
        )
        red_areas.append(
            RedArea(
                row["kpi_code"],
                row["kpi_name"],
                where,
                disclosed["rate"][(row["kpi_code"], row["locality_code"], this.index)],
                row["target_pct"],
                "; ".join(said["explanation"].drop_nulls().to_list()) or None,
                "; ".join(said["remedial_action"].drop_nulls().to_list()) or None,
            )
        )
    info = get_info(store)
    version = data_version(values, bench, narratives, names)
    provider = chosen.row(0, named=True) if chosen.height == 1 else None
    cover = Cover(
        council_code=council,
        council_name=council_name(store, council),
        contract_name=(provider or {}).get("contract_name") or "0-19 Healthy Child Programme",
        provider_code=(provider or {}).get("provider_code"),
        provider_name=(provider or {}).get("provider_name") or ", ".join(prov["provider_name"].to_list()),
        period=code,
        as_at=at,
        data_version=version,
        built_at=periods.now(),
        is_sample=info.get("is_sample") == "true",
        is_draft=False,
        since=None,
    )
    return Briefing(cover, names, headlines, red_areas, year_ago.code, previous.code)


def _disclose(values: pl.DataFrame, codes: list[str], index: int, names: dict[str, str]) -> dict:
    """Disclose every count the briefing uses; returns rates keyed (kpi, locality or decile, period index)."""
    borough = values.filter(
        pl.col("kpi_code").is_in(codes),
        pl.col("level") == "borough",
        pl.col("period_index").is_between(index - max(4, TREND_POINTS - 1), index),
    )
    localities = values.filter(
        pl.col("kpi_code").is_in(codes), pl.col("level") == "locality", pl.col("period_index") == index
    )
    counts: dict = {}
    relations = []
    for row in borough.iter_rows(named=True):
        for part in ("numerator", "denominator"):
            counts[(part, row["kpi_code"], "ALL", row["period_index"])] = row[part]
    for row in localities.iter_rows(named=True):
        for part in ("numerator", "denominator"):
            counts[(part, row["kpi_code"], row["locality_code"], index)] = row[part]
    for kpi_code in codes:
        parts = localities.filter(pl.col("kpi_code") == kpi_code)["locality_code"].to_list()
        if parts:
            for part in ("numerator", "denominator"):
                relations.append(
                    ((part, kpi_code, "ALL", index), [(part, kpi_code, loc, index) for loc in parts])
                )
    shown = disclose_counts(counts, relations)
    deciles = values.filter(
        pl.col("kpi_code").is_in(codes), pl.col("level") == "borough_decile", pl.col("period_index") == index
    )
    decile_counts = {}
    for row in deciles.iter_rows(named=True):
        for part in ("numerator", "denominator"):
            decile_counts[(part, row["kpi_code"], f"d{row['imd_decile']}", index)] = row[part]
    # decile counts are not printed (only their percentages), so there is no total to difference against
    shown.update(disclose_counts(decile_counts))
    rates = {}
    for key in shown:
        if key[0] != "numerator":
            continue
        _, kpi_code, area, period_index = key
        rates[(kpi_code, area, period_index)] = disclose_rate(
            shown[key], shown[("denominator", kpi_code, area, period_index)]
        )
    return {"counts": shown, "rate": rates}


def _comparison(rate: DisclosedRate, england_pct: float | None, polarity: str) -> str:
    if rate.pct is None or england_pct is None:
        return "not compared"
    return compare_with_benchmark(rate.pct, rate.lower_pct, rate.upper_pct, england_pct, polarity).outcome


def _trend(disclosed: dict, kpi_code: str, index: int, polarity: str) -> str:
    points = [disclosed["rate"].get((kpi_code, "ALL", i)) for i in range(index - TREND_POINTS + 1, index + 1)]
    if any(p is None or p.pct is None for p in points):
        return "Could not be calculated"
    return recent_trend(
        [p.pct for p in points],
        numerators=[p.numerator.shown for p in points],
        denominators=[p.denominator.shown for p in points],
        polarity=polarity,
    ).label


def _headline(values, england, disclosed, kpi_code, this, year_ago, previous, names) -> Headline:
    row = england.filter(pl.col("kpi_code") == kpi_code, pl.col("period_index") == this.index).row(
        0, named=True
    )
    rate = disclosed["rate"][(kpi_code, "ALL", this.index)]
    comparison = _comparison(rate, row["england_pct"], row["polarity"])
    localities = {
        code: disclosed["rate"][(kpi_code, code, this.index)]
        for code in names
        if (kpi_code, code, this.index) in disclosed["rate"]
    }
    deciles = {
        d: disclosed["rate"][(kpi_code, f"d{d}", this.index)]
        for d in DECILES
        if (kpi_code, f"d{d}", this.index) in disclosed["rate"]
    }
    gap = None
    if (
        deciles.get("1")
        and deciles.get("10")
        and deciles["1"].pct is not None
        and deciles["10"].pct is not None
    ):
        gap = deciles["1"].pct - deciles["10"].pct
    headline = Headline(
        kpi_code=kpi_code,
        kpi_name=row["kpi_name"],
        polarity=row["polarity"],
        rate=rate,
        target_pct=row["target_pct"],
        england_pct=row["england_pct"],
        england_period=row["england_period"],
        comparison=comparison,
        year_ago=disclosed["rate"].get((kpi_code, "ALL", year_ago.index)),
        previous=disclosed["rate"].get((kpi_code, "ALL", previous.index)),
        trend=_trend(disclosed, kpi_code, this.index, row["polarity"]),
        localities=localities,
        deciles=deciles,
        gap_points=gap,
        message="",
    )
    headline.message = message(headline)
    return headline


def message(h: Headline) -> str:
    """The plain-English headline sentence of a KPI (Fingertips words only where significant)."""
    text = f"{h.kpi_name}: {h.rate.text()}"
    if h.rate.pct is None:
        return text + " (not shown: too few children to publish)."
    if h.comparison in COMPARISON_WORDS:
        text += f", {COMPARISON_WORDS[h.comparison]} ({words.pct(h.england_pct)} in {h.england_period})"
    else:
        text += " (no England figure to compare with)"
    text += "."
    if h.target_pct is not None:
        met = h.rate.pct >= h.target_pct if h.polarity == "high" else h.rate.pct <= h.target_pct
        text += f" The contract target of {h.target_pct:g}% was {'met' if met else 'not met'}."
    if h.year_ago is not None and h.year_ago.pct is not None:
        text += f" A year earlier it was {h.year_ago.text()}."
    return text


# ---- layout ----------------------------------------------------------------------------------------------------


def _comparison_cell(h: Headline) -> str:
    text = COMPARISON_WORDS.get(h.comparison, "not compared")
    return text[0].upper() + text[1:]


def briefing_document(b: Briefing) -> Document:
    """Lay the briefing out (about four A4 pages)."""
    c = b.cover
    doc = Document(
        title=f"Healthy Child Programme 0-19: briefing for the scrutiny committee, {c.period}",
        subject=f"{c.council_name}: how the 0-19 Healthy Child Programme is doing, {c.period}",
        footer=(
            f"{c.council_name} · scrutiny briefing · {c.period} · data as at {words.as_at_text(c.as_at)} · "
            f"data version {c.data_version}"
        ),
    )
    blocks = doc.blocks
    blocks.append(Heading(f"Healthy Child Programme 0-19: {c.period}", 1, anchor="title"))
    blocks.append(
        Paragraph(
            f"Briefing for the scrutiny committee: {c.council_name}, services provided by {c.provider_name}. "
            f"Figures for {c.period} as held on {words.as_at_text(c.as_at)}.",
            "lead",
        )
    )
    if c.is_sample:
        blocks.append(
            Paragraph(
                "Sample data: synthetic figures for a real borough. No figure here describes a real service.",
                "banner",
            )
        )
    blocks.append(Heading("Headline messages", 2, anchor="headlines"))
    blocks.append(Bullets([h.message for h in b.headlines] or ["No headline figures for this period."]))
    blocks.append(
        Paragraph(
            "“Better” and “worse than England” are used only where the difference is statistically significant; "
            "otherwise the borough is “similar to England”. Small counts are hidden and others rounded to protect "
            "privacy (see “About these figures”).",
            "note",
        )
    )
    blocks.append(Heading("Compared with England", 2, anchor="england"))
    blocks.append(
        Table(
            f"Headline measures, {c.period}, compared with England",
            ["Measure", "Children", "Of", "Per cent", "95% CI", "England", "Compared with England"],
            [
                [
                    h.kpi_name,
                    Cell(h.rate.numerator.text, numeric=True),
                    Cell(h.rate.denominator.text, numeric=True),
                    Cell(h.rate.text(), numeric=True),
                    Cell(h.rate.ci_text(), numeric=True),
                    f"{words.pct(h.england_pct)} ({h.england_period})" if h.england_pct is not None else "–",
                    _comparison_cell(h),
                ]
                for h in b.headlines
            ],
            key="england",
            widths=(2.6, 0.9, 0.9, 0.9, 1.2, 1.5, 1.6),
        )
    )
    blocks.append(Heading("Over time", 2, anchor="over-time"))
    blocks.append(
        Table(
            "Headline measures over time (borough)",
            ["Measure", b.year_ago_period, b.previous_period, c.period, "Recent trend (five quarters)"],
            [
                [
                    h.kpi_name,
                    Cell(h.year_ago.text() if h.year_ago else "–", numeric=True),
                    Cell(h.previous.text() if h.previous else "–", numeric=True),
                    Cell(h.rate.text(), numeric=True),
                    h.trend,
                ]
                for h in b.headlines
            ],
            key="over-time",
            widths=(2.6, 1.1, 1.1, 1.1, 2.2),
        )
    )
    blocks.append(Heading("The deprivation gap", 2, anchor="deprivation"))
    blocks.append(
        Paragraph(
            "Children living in the most deprived neighbourhoods (decile 1) are compared with those in the least "
            "deprived (decile 10). A negative gap means the most deprived areas are behind."
        )
    )
    blocks.append(
        Table(
            f"Deprivation gap, {c.period}",
            ["Measure", "Most deprived (decile 1)", "Least deprived (decile 10)", "Gap"],
            [
                [
                    h.kpi_name,
                    Cell(h.deciles["1"].text() if "1" in h.deciles else "–", numeric=True),
                    Cell(h.deciles["10"].text() if "10" in h.deciles else "–", numeric=True),
                    Cell(words.points(h.gap_points), numeric=True),
                ]
                for h in b.headlines
            ],
            key="gap",
            widths=(2.6, 1.3, 1.3, 1.0),
        )
    )
    decile_heads = [h for h in b.headlines if h.deciles]
    blocks.append(
        Table(
            f"Per cent by national deprivation decile (1 = most deprived), {c.period}",
            ["Decile", *[h.kpi_code for h in decile_heads]],
            [
                [
                    "Unknown" if d == "U" else d,
                    *[
                        Cell(h.deciles[d].text() if d in h.deciles else "–", numeric=True)
                        for h in decile_heads
                    ],
                ]
                for d in DECILES
            ]
            + [["Borough", *[Cell(h.rate.text(), numeric=True) for h in decile_heads]]],
            key="deciles",
            total_rows=1,
            widths=(1.2, *([1.0] * len(decile_heads))),
            note="Columns: "
            + "; ".join(f"{h.kpi_code} {h.kpi_name}" for h in decile_heads)
            + ". Unknown: the "
            "child's neighbourhood was not recorded.",
        )
    )
    blocks.append(Heading("By locality", 2, anchor="localities"))
    rows = []
    for h in b.headlines:
        for code, name in b.locality_names.items():
            if code in h.localities:
                r = h.localities[code]
                rows.append(
                    [
                        h.kpi_name,
                        name,
                        Cell(r.numerator.text, numeric=True),
                        Cell(r.denominator.text, numeric=True),
                        Cell(r.text(), numeric=True),
                    ]
                )
        if h.localities:
            r = h.rate
            rows.append(
                [
                    h.kpi_name,
                    "Borough",
                    Cell(r.numerator.text, numeric=True),
                    Cell(r.denominator.text, numeric=True),
                    Cell(r.text(), numeric=True),
                ]
            )
    blocks.append(
        Table(
            f"Headline measures by locality, {c.period}",
            ["Measure", "Area", "Children", "Of", "Per cent"],
            rows,
            key="localities",
            widths=(2.8, 1.2, 1.0, 1.0, 1.0),
        )
    )
    blocks.append(Heading("What the provider is doing about red areas", 2, anchor="red-areas"))
    if not b.red_areas:
        blocks.append(
            Paragraph("No measure missed its contract target by more than the amber margin this period.")
        )
    items = []
    for red in b.red_areas:
        text = f"{red.kpi_name}, {red.where}: {red.rate.text()}"
        if red.target_pct is not None:
            text += f" against a target of {red.target_pct:g}%"
        text += ". "
        text += (
            f"The provider says: {red.explanation}"
            if red.explanation
            else "The provider has not given a reason"
        )
        text += (
            f". Action: {red.remedial_action}."
            if red.remedial_action
            else ". The action plan is reviewed at the contract meeting."
        )
        items.append(text)
    if items:
        blocks.append(Bullets(items))
    blocks.append(Heading("Glossary", 2, anchor="glossary"))
    blocks.append(
        Table(
            "Words used in this briefing",
            ["Term", "Meaning"],
            [list(pair) for pair in GLOSSARY],
            key="glossary",
            widths=(1.2, 4.0),
        )
    )
    blocks.append(Heading("About these figures", 2, anchor="about"))
    blocks.append(
        Paragraph(
            f"Source: the provider's quarterly returns to {c.council_name} as accepted by {words.as_at_text(c.as_at)}; "
            "England figures from the Office for Health Improvement and Disparities. Counts from 1 to "
            f"{SMALL_MAX} are shown as *, other counts are rounded to the nearest {ROUND_TO}, and percentages, "
            "confidence intervals, comparisons and trends are worked out from the rounded counts (NHS England's "
            "rule for published sub-national figures); where a hidden count could be worked out by subtraction "
            "from a total, another figure is hidden too. Data version "
            f"{c.data_version}.",
            "note",
        )
    )
    return doc


__all__ = ["Briefing", "Disclosed", "Headline", "RedArea", "briefing_document", "build_briefing", "message"]
