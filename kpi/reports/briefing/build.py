"""Build the scrutiny briefing: the headline KPIs and red areas of a period as at a time, every figure disclosed.

:func:`build_briefing` reads the marts as the pack does (:mod:`kpi.reports.pack.frames` for the narratives and the
SII), applies disclosure control (:mod:`kpi.reports.disclosure`) and words each headline
(:func:`kpi.reports.briefing.words.message`); see :mod:`kpi.reports.briefing` for what it says and why.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.contract import values as overview
from kpi.core import deprivation
from kpi.core import periods as periods
from kpi.core.councils import providers
from kpi.core.store import Store, default_council, get_info
from kpi.outcomes.neighbours import neighbour_summary
from kpi.reports import words
from kpi.reports.briefing.ethnicity import ethnic_tables
from kpi.reports.briefing.model import (
    DECILES,
    QUINTILES,
    TREND_POINTS,
    Briefing,
    Headline,
    RedArea,
)
from kpi.reports.briefing.trajectories import briefing_trajectories
from kpi.reports.briefing.words import OUT_OF_DATE, message
from kpi.reports.disclosure import DisclosedRate, disclose_counts, disclose_rate
from kpi.reports.pack.frames import (
    council_name,
    data_version,
    headline_codes,
    inequality_frame,
    narratives_frame,
)
from kpi.reports.pack.model import Cover
from kpi.stats import compare_with_benchmark, recent_trend


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
    peers = _neighbour_phrases(store, council, code, at, principal, values)
    for kpi_code in heads:
        headline = _headline(values, england, disclosed, kpi_code, this, year_ago, previous, names)
        headline.sii = sii_rows.get(kpi_code)
        if kpi_code in peers:
            headline.neighbours = peers[kpi_code]
            headline.message = message(headline)
        headlines.append(headline)
    red_areas, unnamed = _red_areas(reds, disclosed, this.index, names, narratives)
    plans = briefing_trajectories(store, council, values, code, names, at, principal=principal)
    ethnic = ethnic_tables(
        store,
        council,
        code,
        [(h.kpi_code, h.kpi_name) for h in headlines],
        at,
        principal=principal,
        provider_code=provider_code,
    )
    version = data_version(
        values,
        bench,
        narratives,
        names,
        sorted(peers.items()),
        *([plans] if plans else []),
        *([ethnic] if ethnic else []),
    )
    cover = _cover(store, council, chosen, prov, code, at, version)
    return Briefing(
        cover,
        names,
        headlines,
        red_areas,
        year_ago.code,
        previous.code,
        groups=_groups(headlines),
        unnamed_reds=unnamed,
        deciles_on=deprivation.short_label(deprivation.index_for_period(store, council, code, at)),
        trajectories=plans,
        ethnic_groups=ethnic,
    )


def _neighbour_phrases(store, council, code, at, principal, values) -> dict[str, tuple[str, str]]:
    """KPI -> (group, phrase) where the borough differs significantly from its first comparator group.

    docs/methods.md section 9: computed from the unrounded counts, like the England comparison; no figure printed.
    """
    summary = neighbour_summary(store, council, code, at, principal=principal, kpi_values=values)
    chosen = summary.filter(pl.col("phrase").is_not_null())
    return {row["kpi_code"]: (row["group_name"], row["phrase"]) for row in chosen.iter_rows(named=True)}


def _red_areas(
    reds: pl.DataFrame, disclosed: dict, index: int, names: dict[str, str], narratives: pl.DataFrame
) -> tuple[list[RedArea], list[tuple[str, int]]]:
    """The red KPIs by place with the agreed explanation, and per KPI how many red places are left unnamed.

    A locality whose figures are suppressed is not named, nor its narrative quoted (it may name it).
    """
    red_areas = []
    unnamed: dict[str, int] = {}
    for row in reds.iter_rows(named=True):
        rate = disclosed["rate"][(row["kpi_code"], row["locality_code"], index)]
        if row["level"] != "borough" and (rate.numerator.suppressed or rate.denominator.suppressed):
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
    return red_areas, list(unnamed.items())


def _cover(
    store: Store,
    council: str,
    chosen: pl.DataFrame,
    prov: pl.DataFrame,
    code: str,
    at: datetime,
    version: str,
) -> Cover:
    """The briefing's cover: the council, the contract and provider (all providers' names when not one)."""
    info = get_info(store)
    provider = chosen.row(0, named=True) if chosen.height == 1 else None
    return Cover(
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
