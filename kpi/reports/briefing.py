"""The scrutiny committee briefing: a short public document in plain English, with disclosure control.

What it says, for the headline KPIs (catalogue ``headline = true``) in a period, as at a time:

* **headline messages** generated from the data: "New birth visits within 14 days: 91%, better than England
  (85.2% in 2024-25)." Fingertips' words (docs/methods.md section 4) are used only where the difference is significant:
  "better"/"worse" (or "higher"/"lower" without a judgement) when England's value lies outside the borough's 95%
  Wilson interval, "similar to England" otherwise (:func:`kpi.stats.compare_with_benchmark`); whether the contract
  target was met is the mart's RAG, the same judgement as the overview and the pack;
* **over time**: the same quarter a year earlier, the previous quarter, and Fingertips' recent-trend words on the
  last five quarters (:func:`kpi.stats.recent_trend`, chi-squared test for trend);
* **inequality by deprivation**: the slope index of inequality (SII), the headline measure, in words
  (:func:`kpi.reports.pack.inequality_frame`, as in the pack), then percentages by national IMD 2019 decile, or by
  quintile (pairs of deciles) when most decile figures would be too small to show, and the gap between the most and
  least deprived decile (or quintile) (:func:`kpi.inequality.views.decile_gap`);
* **by locality**, and **what the provider is doing about red areas** (its explanation and remedial action);
* a **glossary** and a note on the figures.

**Disclosure control** (docs/methods.md section 6, :mod:`kpi.reports.disclosure`, after NHS England's rule for
sub-national tables) on every figure, borough totals included: counts 1-7 shown as ``*``, others rounded to the
nearest 5; percentages are computed from the rounded counts, hidden when a count behind them is, and printed only
as precisely as the rounded denominator allows (NHS England's presentation rule for rounded data: >= 4,000 one
decimal, 400-3,995 whole per cent, 100-395 "about" the nearest 5 per cent, below 100 none), and never further from
the true percentage than the precision printed. Secondary suppression runs over the locality counts against the
borough total. Complex calculations (comparison with England, the trend test, the SII, the gap) and the judgement
against the target come from the unrounded counts, so the words always agree with the pack; no confidence interval
is printed. A locality whose figures are hidden is not named outside the locality table (not in the red list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.contract import values as overview
from kpi.core import periods as periods
from kpi.core.councils import providers
from kpi.core.store import Store, default_council, get_info
from kpi.reports import words
from kpi.reports.disclosure import (
    NOT_RELIABLE_WHY,
    ROUND_TO,
    SMALL_MAX,
    TOO_FEW,
    TOO_FEW_WHY,
    Disclosed,
    DisclosedRate,
    disclose_counts,
    disclose_rate,
)
from kpi.reports.pack import (
    Cover,
    council_name,
    data_version,
    headline_codes,
    inequality_frame,
    narratives_frame,
)
from kpi.stats import compare_with_benchmark, recent_trend

TREND_POINTS = 5
DECILES = [str(d) for d in range(1, 11)] + ["U"]
QUINTILES = [str(q) for q in range(1, 6)]
QUINTILE_DECILES = {q: f"deciles {2 * int(q) - 1}-{2 * int(q)}" for q in QUINTILES}
COMPARISON_WORDS = {
    "better": "better than England",
    "similar": "similar to England",
    "worse": "worse than England",
    "higher": "higher than England",
    "lower": "lower than England",
}
#: Headline.comparison when England's only figure is older than the benchmark rule allows (docs/methods.md section 5).
OUT_OF_DATE = "out of date"
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
        "confidence interval). Otherwise the borough is similar to England. England's figure is for the period shown "
        "beside it: the same quarter, else that financial year, else a recent one; an older figure is out of date "
        "and not compared.",
    ),
    (
        "95% confidence interval",
        "The range the true figure is likely to lie in, given how many children were "
        "counted; small numbers give wide ranges. Worked out from the true counts; not printed here.",
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
        "Slope index of inequality (SII)",
        "The headline measure of inequality: the difference in percentage points between the most and the "
        "least deprived ends of a line fitted through all ten deciles, each weighted by its number of children.",
    ),
    (
        "Gap between the most and least deprived decile (or quintile)",
        "A simpler measure from two groups only: the figure in the most deprived decile (or quintile) minus "
        "the figure in the least deprived one, in percentage points.",
    ),
    ("Locality", "One of the council's areas that health visiting and school nursing teams work in."),
    (
        "* and rounding",
        f"To protect privacy, counts from 1 to {SMALL_MAX} are shown as *, other counts are rounded to "
        f"the nearest {ROUND_TO}, and percentages are worked out from the rounded counts; a figure that would let a "
        "hidden count be worked out by subtraction is hidden too.",
    ),
    (
        "“about 85%”, “too few”",
        "How precisely a percentage is shown depends on how many children it is about: one decimal place "
        "from 4,000 children, whole per cent from 400, the nearest 5 per cent (“about”) from 100; below 100, "
        f"{TOO_FEW_WHY} (“{TOO_FEW}”).",
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
    message: str
    rag: str | None = None
    amber_margin_pct: float | None = None
    quintiles: dict[str, DisclosedRate] = field(default_factory=dict)
    #: unrounded value_pct by group (decile "1".."10", quintile "q1".."q5"), for the gap only, never printed
    true_groups: dict[str, float] = field(default_factory=dict)
    #: the SII (the headline measure of inequality) from the unrounded decile counts: a row of
    #: :func:`kpi.reports.pack.inequality_frame`, the pack's own computation (None without deciles)
    sii: dict | None = None


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
    #: "decile" or "quintile": the groups the deprivation table and gap use (quintiles when deciles are mostly empty)
    groups: str = "decile"
    #: red areas not named because their figures are hidden: (kpi_name, how many localities)
    unnamed_reds: list[tuple[str, int]] = field(default_factory=list)


def build_briefing(
    store: Store,
    period: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    council_code: str | None = None,
    provider_code: str | None = None,
) -> Briefing:
    """Build the briefing for ``period`` from the data as it stood at ``as_at`` (default now).

    Raises:
        AccessDenied: a principal who may not build the briefing (commissioners and viewers may).
    """
    require(principal, "build_briefing")
    council = (council_code or default_council(store)).upper()
    at = as_at or periods.now()
    code = periods.normalise_period(period)
    values = overview.kpi_values(store, council, at, principal=principal)
    if code not in overview.available_periods(values):
        raise ValueError(f"there is no accepted return for {code} as at {words.as_at_text(at)}")
    bench = overview.benchmarks(store, council, at)
    names = overview.locality_names(store, council, at)
    this = periods.parse_period(code)
    year_ago, previous = periods.from_index(this.index - 4), this.previous()
    prov = providers(store, council)
    chosen = prov.filter(pl.col("provider_code") == provider_code.upper()) if provider_code else prov
    # a public document quotes only narratives a commissioner agreed (or, without one, the return's comment)
    narratives = narratives_frame(
        store, council, provider_code, code, at, values, agreed_only=True, principal=principal
    )

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
    # the SII (headline measure of inequality) from the unrounded decile counts, exactly as the pack has it
    sii = inequality_frame(values.filter(pl.col("kpi_code").is_in(heads)), code)
    sii_rows = {row["kpi_code"]: row for row in sii.iter_rows(named=True)} if sii.height else {}
    for kpi_code in heads:
        headline = _headline(values, england, disclosed, kpi_code, this, year_ago, previous, names)
        headline.sii = sii_rows.get(kpi_code)
        headlines.append(headline)
    red_areas = []
    unnamed: dict[str, int] = {}
    for row in reds.iter_rows(named=True):
        rate = disclosed["rate"][(row["kpi_code"], row["locality_code"], this.index)]
        if row["level"] != "borough" and (rate.numerator.suppressed or rate.denominator.suppressed):
            # a locality whose figures are hidden is not named, nor its narrative quoted (it may name it)
            unnamed[row["kpi_name"]] = unnamed.get(row["kpi_name"], 0) + 1
            continue
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
                rate,
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
    return Briefing(
        cover,
        names,
        headlines,
        red_areas,
        year_ago.code,
        previous.code,
        groups=_groups(headlines),
        unnamed_reds=list(unnamed.items()),
    )


def _groups(headlines: list[Headline]) -> str:
    """Deciles, or quintiles when fewer than half the decile percentages (1-10) could be shown."""
    cells = [h.deciles.get(d) for h in headlines if h.deciles for d in DECILES[:10]]
    shown = sum(1 for rate in cells if rate is not None and rate.shown_pct is not None)
    return "decile" if cells and 2 * shown >= len(cells) else "quintile"


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
    quintiles = values.filter(
        pl.col("kpi_code").is_in(codes),
        pl.col("level") == "borough_quintile",
        pl.col("period_index") == index,
    )
    for row in quintiles.iter_rows(named=True):
        for part in ("numerator", "denominator"):
            decile_counts[(part, row["kpi_code"], f"q{row['imd_quintile']}", index)] = row[part]
    # decile and quintile counts are not printed (only their percentages): no total to difference against
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


def _comparison(rate: DisclosedRate, row: dict) -> str:
    """Fingertips' comparison from the unrounded value and its 95% CI (the pack's), none for a hidden figure.

    "Out of date" when the only England figure is too old to compare (the benchmark rule, overview.with_benchmark).
    """
    if row["england_pct"] is not None and not row["england_current"]:
        return OUT_OF_DATE
    if rate.shown_pct is None or row["england_pct"] is None or row["value_pct"] is None:
        return "not compared"
    return compare_with_benchmark(
        row["value_pct"], row["lower_ci_pct"], row["upper_ci_pct"], row["england_pct"], row["polarity"]
    ).outcome


def _trend(disclosed: dict, kpi_code: str, index: int, polarity: str) -> str:
    """The recent-trend words from the unrounded counts (a trend test needs no disclosure control)."""
    points = [disclosed["rate"].get((kpi_code, "ALL", i)) for i in range(index - TREND_POINTS + 1, index + 1)]
    if any(p is None or p.true_pct is None or p.suppressed for p in points):
        return "Could not be calculated"
    return recent_trend(
        [p.true_pct for p in points],
        numerators=[p.numerator.raw for p in points],
        denominators=[p.denominator.raw for p in points],
        polarity=polarity,
    ).label


def _headline(values, england, disclosed, kpi_code, this, year_ago, previous, names) -> Headline:
    row = england.filter(pl.col("kpi_code") == kpi_code, pl.col("period_index") == this.index).row(
        0, named=True
    )
    rate = disclosed["rate"][(kpi_code, "ALL", this.index)]
    comparison = _comparison(rate, row)
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
    quintiles = {
        q: disclosed["rate"][(kpi_code, f"q{q}", this.index)]
        for q in QUINTILES
        if (kpi_code, f"q{q}", this.index) in disclosed["rate"]
    }
    now = values.filter(pl.col("kpi_code") == kpi_code, pl.col("period_index") == this.index)
    true_groups = {
        r["imd_decile"]: r["value_pct"] for r in now.filter(pl.col("level") == "borough_decile").to_dicts()
    } | {
        f"q{r['imd_quintile']}": r["value_pct"]
        for r in now.filter(pl.col("level") == "borough_quintile").to_dicts()
    }
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
        message="",
        rag=row["rag"],
        amber_margin_pct=row["amber_margin_pct"],
        quintiles=quintiles,
        true_groups=true_groups,
    )
    headline.message = message(headline)
    return headline


def target_words(h: Headline) -> str | None:
    """Whether the contract target was met, in words, from the mart's RAG (the overview's and the pack's judgement).

    The RAG is worked out from the unrounded counts (docs/methods.md section 5, contract RAG), so 449 of 500 (89.8%)
    against a 90% target is amber, "just missed", even though its rounded counts (450 of 500) print as 90%.
    """
    if h.target_pct is None:
        return None
    target = f"The contract target of {h.target_pct:g}%"
    if h.rag == "green":
        return f"{target} was met."
    if h.rag == "amber":
        return f"{target} was just missed (amber)."
    if h.rag == "red":
        return f"{target} was not met (red)."
    return f"{target} was not rated this quarter."


def _looks_met(rate: DisclosedRate, target: float, polarity: str) -> bool | None:
    shown = rate.shown_pct
    if shown is None or polarity not in ("high", "low"):
        return None
    return shown >= target if polarity == "high" else shown <= target


def message(h: Headline) -> str:
    """The plain-English headline sentence of a KPI (Fingertips words only where significant)."""
    text = f"{h.kpi_name}: {h.rate.text()}"
    if h.rate.suppressed or h.rate.pct is None:
        return text + " (not shown: too few children to publish)."
    if h.rate.shown_pct is None:
        text = (
            f"{h.kpi_name}: {h.rate.numerator.text} of {h.rate.denominator.text} children "
            f"({TOO_FEW_WHY if h.rate.withheld == TOO_FEW else NOT_RELIABLE_WHY})"
        )
    elif h.comparison in COMPARISON_WORDS:
        text += f", {COMPARISON_WORDS[h.comparison]} ({words.pct(h.england_pct)} in {h.england_period})"
    elif h.comparison == OUT_OF_DATE:
        text += (
            f"; not compared with England: the latest England figure ({words.pct(h.england_pct)} in "
            f"{h.england_period}) is out of date"
        )
    else:
        text += " (no England figure to compare with)"
    text += "."
    target = target_words(h)
    if target:
        text += f" {target}"
        looks = _looks_met(h.rate, h.target_pct, h.polarity)
        if looks is not None and looks != (h.rag == "green") and h.rag in ("green", "amber", "red"):
            text = text[:-1] + " (the percentage shown is rounded; the judgement uses the exact figure)."
    if h.year_ago is not None and h.year_ago.shown_pct is not None:
        text += f" A year earlier it was {h.year_ago.text()}."
    return text


__all__ = ["Briefing", "Disclosed", "Headline", "RedArea", "build_briefing", "message"]
