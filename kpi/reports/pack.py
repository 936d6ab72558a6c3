"""The six-weekly contract meeting pack, as data, built from the marts for a period and an as-at time.

Everything comes from the functions the dashboard pages use, so a number is computed once:

* KPI values, RAG, change and small-denominator marks: :func:`kpi.contract.values.kpi_values` (``mart_kpi_values``) as at
  the pack's time; England: :func:`kpi.contract.values.benchmarks`, :func:`~kpi.contract.values.with_benchmark`,
  :func:`~kpi.contract.values.compare_with_england` (Fingertips rule, docs/methods.md section 4);
* SPC variation and assurance: :func:`kpi.spc.assurance.spc_summary`, i.e. :func:`kpi.spc.rules.xmr` on the borough series
  up to the period (Making Data Count; icons only with 12 points or more);
* inequality of the headline KPIs (catalogue ``headline = true``) on the borough's national deciles, two measures
  named apart (docs/methods.md section 5): the slope index of inequality (SII), the headline measure, from
  :func:`kpi.inequality.views.sii_table` (:func:`kpi.inequality.slope_index.sii`, PHEindicatormethods ``phe_sii``), and the gap
  between the most and least deprived decile from :func:`kpi.inequality.views.decile_gap` (the briefing uses both);
* exceptions: every KPI red or amber at borough or locality level, with the provider's explanation and remedial
  action in force at ``as_at`` (``mart_exception_narratives``, as the portal's Exceptions page shows them) or else
  the return rows' comments;
* data quality: :func:`kpi.returns.load.list_submissions` (late, missing and resubmitted returns since the last
  circulated pack); actions and risks: :mod:`kpi.contract.meetings`;
* NCMP and outcome summaries when those tables exist and hold data (:mod:`kpi.reports.extras`).

**Reproducible**: every input is read as at ``as_at``, and the cover carries a *data version*, the SHA-256 of the
figures the pack was built from (first 12 hex digits). Rebuilding for the same as-at time after later resubmissions
or target changes gives the same figures and the same data version. Internal packs show unrounded figures and mark
small denominators (†); disclosure control is for the public briefing (:mod:`kpi.reports.briefing`).

Example:
    >>> pack = build_pack(store, "2026-27 Q2", as_at=datetime(2026, 11, 20, 9), principal=LOCAL_USER)  # doctest: +SKIP
    >>> pack.cover.period, len(pack.exceptions)  # doctest: +SKIP
    ('2026-27 Q2', 6)
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require
from kpi.contract import meetings as meetings
from kpi.contract import values as overview
from kpi.core import charts as charts
from kpi.core import periods as periods
from kpi.core.catalogue import load_catalogue
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.councils import providers
from kpi.core.store import Store, default_council, get_info, setting
from kpi.inequality import views as inequalities
from kpi.inequality import words as inequality_words
from kpi.reports import words
from kpi.reports.extras import optional_sections, table_exists
from kpi.reports.figures import CHART_WIDTH, FigureSet
from kpi.returns.load import list_submissions
from kpi.spc import assurance as assurance

#: The returns dataset the mandated-contact KPIs come from.
RETURNS_DATASET = "mandated-contacts"
EXCEPTION_RAGS = ("red", "amber")


@dataclass
class Cover:
    """What the cover says."""

    council_code: str
    council_name: str
    contract_name: str
    provider_code: str | None
    provider_name: str
    period: str
    as_at: datetime
    data_version: str
    built_at: datetime
    is_sample: bool
    is_draft: bool
    since: datetime | None
    previous_pack: dict | None = None


@dataclass
class ExceptionItem:
    """One red or amber KPI: its borough row, where it is red or amber, breakdowns, narratives and figure keys."""

    kpi_code: str
    kpi_name: str
    polarity: str
    borough: dict
    flagged: list[dict]
    localities: pl.DataFrame
    deciles: pl.DataFrame
    narratives: list[dict]
    trend_key: str
    decile_key: str | None


@dataclass
class DataQuality:
    """Returns received since the last pack: all, late, resubmissions; returns overdue; submissions waiting."""

    since: datetime | None
    received: pl.DataFrame
    late: pl.DataFrame
    resubmitted: pl.DataFrame
    missing: pl.DataFrame
    waiting: pl.DataFrame


@dataclass
class Pack:
    """A meeting pack as data (see the module docstring); :func:`pack_document` lays it out."""

    cover: Cover
    values: pl.DataFrame
    summary: pl.DataFrame
    locality_names: dict[str, str]
    locality_matrix: pl.DataFrame
    exceptions: list[ExceptionItem]
    inequalities: pl.DataFrame
    extras: list
    data_quality: DataQuality
    actions: pl.DataFrame
    risks: pl.DataFrame
    figures: FigureSet
    timings: dict[str, float] = field(default_factory=dict)


# ---- building --------------------------------------------------------------------------------------------------


def build_pack(
    store: Store,
    period: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    council_code: str | None = None,
    provider_code: str | None = None,
    draft: bool = False,
) -> Pack:
    """Build the meeting pack for ``period`` from the data as it stood at ``as_at`` (default now).

    Every input is read through the principal's scope: a provider's pack is a draft of its own provider's figures,
    returns, narratives, actions and risks only, without the council's NCMP and outcome sections.

    Raises:
        AccessDenied: a principal who may not build packs, or a provider asking for another provider's.
        ValueError: an unreadable period, or no accepted return for the period by ``as_at`` (the message lists
            the periods that have one).
    """
    provider_code, draft = pack_scope(principal, provider_code, draft)
    started = time.perf_counter()
    council = (council_code or default_council(store)).upper()
    at = as_at or periods.now()
    code = periods.normalise_period(period)
    values = overview.kpi_values(store, council, at, provider_code=provider_code, principal=principal)
    available = overview.available_periods(values)
    if code not in available:
        shown = ", ".join(available[:8]) or "none yet"
        raise ValueError(
            f"there is no accepted return for {code} as at {words.as_at_text(at)}: periods with returns are {shown}"
        )
    bench = overview.benchmarks(store, council, at)
    names = overview.locality_names(store, council, at)
    provider = _provider(store, council, provider_code)
    previous = meetings.previous_pack(
        store, council, at, principal=principal, provider_code=provider["provider_code"]
    )
    since = (
        previous["as_at"]
        if previous
        else datetime.combine(periods.parse_period(code).start, datetime.min.time())
    )
    timings = {"read": time.perf_counter() - started}

    step = time.perf_counter()
    summary = summary_frame(values, bench, code)
    timings["summary"] = time.perf_counter() - step
    figures = FigureSet()
    step = time.perf_counter()
    narratives = narratives_frame(
        store, council, provider["provider_code"], code, at, values, principal=principal
    )
    exceptions = exception_items(values, bench, code, names, narratives, figures)
    timings["exceptions"] = time.perf_counter() - step
    step = time.perf_counter()
    gaps = inequality_frame(values, code, headlines=headline_codes(store, council, code, at))
    timings["inequalities"] = time.perf_counter() - step
    extras = (
        optional_sections(store, council, at, principal=principal)
        if provider_scope(principal) is None
        else []
    )
    quality = data_quality(store, council, code, at, since, principal=principal, provider_code=provider_code)
    carried = meetings.carried_actions(store, council, at, since, principal=principal)
    risk_log = meetings.risks(store, council, at, principal=principal, include_closed=False)
    info = get_info(store)
    extra_figures = [repr(extra.blocks) for extra in extras]  # NCMP and outcome tables, as printed
    version = data_version(values, bench, narratives, carried, risk_log, quality, names, extra_figures)
    cover = Cover(
        council_code=council,
        council_name=council_name(store, council),
        contract_name=provider["contract_name"] or "0-19 Healthy Child Programme",
        provider_code=provider["provider_code"],
        provider_name=provider["provider_name"],
        period=code,
        as_at=at,
        data_version=version,
        built_at=periods.now(),
        is_sample=info.get("is_sample") == "true",
        is_draft=draft,
        since=since,
        previous_pack=previous,
    )
    timings["total"] = time.perf_counter() - started
    return Pack(
        cover=cover,
        values=values,
        summary=summary,
        locality_names=names,
        locality_matrix=overview.overview_matrix(values, code, names),
        exceptions=exceptions,
        inequalities=gaps,
        extras=extras,
        data_quality=quality,
        actions=carried,
        risks=risk_log,
        figures=figures,
        timings=timings,
    )


def _provider(store: Store, council: str, provider_code: str | None) -> dict:
    frame = providers(store, council)
    if provider_code:
        chosen = frame.filter(pl.col("provider_code") == provider_code.upper())
        if chosen.is_empty():
            known = ", ".join(frame["provider_code"].to_list()) or "none"
            raise ValueError(
                f"provider {provider_code} does not hold a contract with {council}: known are {known}"
            )
        return chosen.row(0, named=True)
    if frame.height == 1:
        return frame.row(0, named=True)
    return {
        "provider_code": None,
        "provider_name": ", ".join(frame["provider_name"].to_list()) or "No provider recorded",
        "contract_name": None,
    }


def council_name(store: Store, council: str) -> str:
    """The council's name (its code when it has none)."""
    frame = store.query("select council_name from councils where council_code = ?", [council])
    return frame.item() if frame.height else council


def data_version(*frames: object) -> str:
    """The first 12 hex digits of the SHA-256 of the figures a document is built from (frames and dicts).

    The same data as at the same time gives the same version; any change to a figure, target, narrative, action
    or risk in force at that time gives another.
    """
    digest = hashlib.sha256()
    for item in frames:
        if isinstance(item, DataQuality):
            parts = [item.received, item.late, item.resubmitted, item.missing, item.waiting]
        elif isinstance(item, pl.DataFrame):
            parts = [item]
        else:
            parts = [pl.DataFrame({"item": [repr(item)]})]
        for frame in parts:
            digest.update(frame.write_csv().encode("utf-8"))
            digest.update(b"\x1e")
    return digest.hexdigest()[:12]


def summary_frame(values: pl.DataFrame, bench: pl.DataFrame, period: str) -> pl.DataFrame:
    """One row per KPI at borough level for the period: the mart's row, England and its comparison, SPC codes."""
    borough = values.filter(pl.col("period") == period, pl.col("level") == "borough")
    compared = overview.compare_with_england(overview.with_benchmark(borough, bench))
    spc = assurance.spc_summary(values, period).select(
        "kpi_code",
        "n_points",
        "variation",
        "assurance",
        "variation_label",
        "assurance_label",
        "variation_short",
        "assurance_short",
    )
    return compared.join(spc, on="kpi_code", how="left").sort("sort_order")


def exception_items(
    values: pl.DataFrame,
    bench: pl.DataFrame,
    period: str,
    names: dict[str, str],
    narratives: pl.DataFrame,
    figures: FigureSet,
) -> list[ExceptionItem]:
    """Every KPI red or amber at borough or locality level in the period, in catalogue order, with its charts."""
    now = values.filter(pl.col("period") == period, pl.col("level").is_in(["borough", "locality"]))
    flagged_codes = now.filter(pl.col("rag").is_in(EXCEPTION_RAGS)).select("kpi_code", "sort_order").unique()
    out = []
    for kpi_code in flagged_codes.sort("sort_order")["kpi_code"].to_list():
        rows = now.filter(pl.col("kpi_code") == kpi_code)
        borough = rows.filter(pl.col("level") == "borough").row(0, named=True)
        flagged = [
            {
                "where": "Borough"
                if row["level"] == "borough"
                else names.get(row["locality_code"], row["locality_code"]),
                **row,
            }
            for row in rows.sort(pl.col("level") != "borough", "locality_code").iter_rows(named=True)
            if row["rag"] in EXCEPTION_RAGS
        ]
        series = overview.with_benchmark(overview.trend(values, kpi_code), bench).filter(
            pl.col("period_index") <= borough["period_index"]
        )
        name = borough["kpi_name"]
        trend_key = f"trend-{_key(kpi_code)}"
        figures.add(
            trend_key,
            lambda s=series, t=f"{kpi_code} {name}: borough trend": charts.trend_chart(
                s, t, england=s
            ).properties(width=CHART_WIDTH, height=230),
            title=f"{kpi_code} {name}: borough trend to {period}",
            alt=trend_alt(series, name),
        )
        localities = overview.by_locality(values, kpi_code, period, names)
        deciles = overview.by_decile(values, kpi_code, period)
        target = borough["target_pct"]
        reference = {}
        if series.height and series["england_pct"][-1] is not None:
            reference[overview.england_reference_label(series.row(-1, named=True))] = series["england_pct"][
                -1
            ]
        decile_key = None
        shown_deciles = deciles.filter(pl.col("imd_decile") != "U")
        if shown_deciles.height and borough["value_kind"] != "count":
            decile_key = f"deciles-{_key(kpi_code)}"
            title = f"{kpi_code} by national IMD decile (1 = most deprived), {period}"
            figures.add(
                decile_key,
                lambda d=shown_deciles, t=title, r=reference, g=target: charts.category_ci_chart(
                    d, "imd_decile", t, sort_field="decile_order", reference=r, target=g
                ).properties(width=CHART_WIDTH, height=200),
                title=f"{kpi_code} {name} by national IMD decile, {period}",
                alt=category_alt(shown_deciles, "imd_decile", name, period, target, prefix="decile "),
            )
        out.append(
            ExceptionItem(
                kpi_code=kpi_code,
                kpi_name=name,
                polarity=borough["polarity"],
                borough=borough,
                flagged=flagged,
                localities=localities,
                deciles=deciles,
                narratives=narratives.filter(pl.col("kpi_code") == kpi_code).to_dicts(),
                trend_key=trend_key,
                decile_key=decile_key,
            )
        )
    return out


def _key(code: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in code)


def trend_alt(series: pl.DataFrame, name: str) -> str:
    """The text alternative of a trend chart: span, latest value against target, highest and lowest, England."""
    shown = series.filter(pl.col("value_pct").is_not_null())
    if shown.is_empty():
        return f"Line chart of {name}: no values to show."
    last = shown.row(-1, named=True)
    high = shown.sort("value_pct", descending=True).row(0, named=True)
    low = shown.sort("value_pct").row(0, named=True)
    text = (
        f"Line chart of {name} for the borough, {shown['period'][0]} to {last['period']}, with its 95% confidence "
        f"band and the contract target as a dashed line. Latest {last['period']}: {words.pct(last['value_pct'])} "
        f"(95% CI {words.ci(last['lower_ci_pct'], last['upper_ci_pct'])})"
    )
    if last.get("target_pct") is not None:
        text += f" against a target of {last['target_pct']:g}%"
    text += (
        f". Highest {words.pct(high['value_pct'])} in {high['period']}; lowest {words.pct(low['value_pct'])} in "
        f"{low['period']}."
    )
    if last.get("england_pct") is not None and last.get("england_current"):
        text += f" England (diamonds): {words.pct(last['england_pct'])} ({last['england_period']})."
    elif last.get("england_pct") is not None:
        text += (
            f" England figure out of date ({words.pct(last['england_pct'])}, {last['england_period']}): not drawn "
            "for this quarter and not compared."
        )
    return text


def category_alt(
    frame: pl.DataFrame, column: str, name: str, period: str, target: float | None, prefix: str = ""
) -> str:
    """The text alternative of a points-and-intervals chart: every category's value and 95% CI."""
    parts = [
        f"{prefix}{row[column]} {words.pct(row['value_pct'])} ({words.ci(row['lower_ci_pct'], row['upper_ci_pct'])})"
        for row in frame.iter_rows(named=True)
    ]
    lead = f"Points with 95% confidence intervals of {name}, {period}"
    if target is not None:
        lead += f", target {target:g}% as a dashed line"
    return f"{lead}: " + "; ".join(parts) + "."


# ---- narratives ------------------------------------------------------------------------------------------------


def narratives_frame(
    store: Store,
    council: str,
    provider_code: str | None,
    period: str,
    as_at: datetime,
    values: pl.DataFrame,
    *,
    agreed_only: bool = False,
    principal: Principal,
) -> pl.DataFrame:
    """The provider's explanation and remedial action per KPI and area for the period, as at ``as_at``.

    From the exception narratives in force at ``as_at`` (``sql/marts/mart_exception_narratives.sql``, the relation
    the portal's Exceptions page reads; ``agreed_only`` keeps the ones a commissioner agreed). For a KPI without
    one, the comments on the return rows of the period (locality rows, and borough rows of borough-only KPIs).
    Columns: kpi_code, where, explanation, remedial_action, owner, due_date, agreed, source. Read as ``principal``
    (a provider: its own provider's only).
    """
    require(principal, "read_narratives", provider_code)
    schema = {
        "kpi_code": pl.String,
        "where": pl.String,
        "explanation": pl.String,
        "remedial_action": pl.String,
        "owner": pl.String,
        "due_date": pl.String,
        "agreed": pl.Boolean,
        "source": pl.String,
    }
    names = overview.locality_names(store, council, as_at)
    portal = pl.DataFrame(schema=schema)
    if table_exists(store, "exception_narratives"):
        frame = store.run_sql(
            "marts/mart_exception_narratives", council_code=council, as_at=as_at, provider_code=provider_code
        ).filter(pl.col("period") == period)
        if agreed_only:
            frame = frame.filter(pl.col("agreed"))
        portal = frame.select(
            "kpi_code",
            pl.col("locality_code")
            .replace_strict({**names, "ALL": "Borough"}, default=pl.col("locality_code"))
            .alias("where"),
            "explanation",
            "remedial_action",
            "owner",
            pl.col("due_date").cast(pl.String),
            "agreed",
            pl.lit("provider's exception report").alias("source"),
        ).cast(schema)
    rows = values.filter(
        pl.col("period") == period,
        pl.col("comment").is_not_null(),
        (pl.col("level") == "locality")
        | ((pl.col("level") == "borough") & (pl.col("breakdown") == "borough")),
        ~pl.col("kpi_code").is_in(portal["kpi_code"].unique().to_list()),
    )
    comments = [
        {
            "kpi_code": row["kpi_code"],
            "where": names.get(row["locality_code"], "Borough"),
            "explanation": row["comment"],
            "remedial_action": None,
            "owner": None,
            "due_date": None,
            "agreed": None,
            "source": "comment on the return",
        }
        for row in rows.iter_rows(named=True)
    ]
    return pl.concat([portal, pl.DataFrame(comments, schema=schema)])


# ---- inequalities ----------------------------------------------------------------------------------------------


def headline_codes(
    store: Store | None = None,
    council_code: str | None = None,
    period: str | None = None,
    as_at: datetime | None = None,
) -> list[str]:
    """KPI codes marked ``headline = true``, in catalogue order.

    From the database's catalogue for the period as at ``as_at`` when a store is given, else the catalogue file's.
    """
    if store is not None and council_code:
        kpis = catalogue_in_force(store, council_code, period, as_at)
    else:
        kpis = load_catalogue()
    return [kpi.code for kpi in sorted(kpis.values(), key=lambda k: k.sort_order) if kpi.headline]


def inequality_frame(
    values: pl.DataFrame,
    period: str,
    repetitions: int = inequalities.REPETITIONS,
    headlines: list[str] | None = None,
) -> pl.DataFrame:
    """SII with 95% CI (the headline measure) and decile 1 − decile 10 gap of each headline KPI, borough, period.

    The gap is the gap between the most and least deprived decile (:func:`kpi.inequality.views.decile_gap`); the pack
    and the briefing both take their inequality figures from here.

    Columns: kpi_code, kpi_name, polarity, most_deprived, least_deprived, most_pct, least_pct, gap_points, rated,
    not_rated_reason, sii_pts, sii_lower_pts, sii_upper_pts, rii, rii_lower, rii_upper, sentence.
    """
    out = []
    present = set(values.filter(pl.col("level") == "borough_decile")["kpi_code"].unique().to_list())
    for kpi_code in headline_codes() if headlines is None else headlines:
        if kpi_code not in present:
            continue
        deciles = overview.by_decile(values, kpi_code, period)
        if deciles.is_empty():
            continue
        first = deciles.row(0, named=True)
        gap = inequalities.decile_gap(deciles) or {}
        quantiles = inequalities.borough_deciles(values, kpi_code).filter(pl.col("period") == period)
        table = inequalities.sii_table(quantiles, n_quantiles=10, repetitions=repetitions)
        sii = table.row(0, named=True) if table.height else {"rated": False, "not_rated_reason": "no deciles"}
        out.append(
            {
                "kpi_code": kpi_code,
                "kpi_name": first["kpi_name"],
                "polarity": first["polarity"],
                "most_deprived": gap.get("most_deprived"),
                "least_deprived": gap.get("least_deprived"),
                "most_pct": gap.get("most_pct"),
                "least_pct": gap.get("least_pct"),
                "gap_points": gap.get("gap_points"),
                "rated": bool(sii.get("rated")),
                "not_rated_reason": sii.get("not_rated_reason"),
                **{
                    name: sii.get(name)
                    for name in ("sii_pts", "sii_lower_pts", "sii_upper_pts", "rii", "rii_lower", "rii_upper")
                },
                "sentence": inequality_words.gap_sentence(sii, kpi_code, first["kpi_name"]),
            }
        )
    return pl.DataFrame(out, infer_schema_length=None)


# ---- data quality ----------------------------------------------------------------------------------------------


def pack_scope(principal: Principal, provider_code: str | None, draft: bool) -> tuple[str | None, bool]:
    """The provider a pack is built for and whether it is a draft, once the principal may build it.

    A provider builds only drafts of its own pack (its code is taken from the principal, never from the caller);
    a commissioner builds any provider's pack, or the council's.

    Raises:
        AccessDenied: the principal may not build packs, or is a provider asking for another provider's pack.
    """
    require(principal, "build_pack", provider_code)
    scope = provider_scope(principal)
    return (scope, True) if scope is not None else (provider_code, draft)


def data_quality(
    store: Store,
    council: str,
    period: str,
    as_at: datetime,
    since: datetime | None,
    *,
    principal: Principal,
    provider_code: str | None = None,
) -> DataQuality:
    """Late, missing and resubmitted returns since ``since`` (the last pack), as they stood at ``as_at``.

    A return counts from when it was received; its status is worked out as at ``as_at`` (accepted by then,
    superseded by then). *Missing*: a provider's quarter up to the pack's period whose due date (the
    ``return_due_working_days`` setting in force at ``as_at``) has passed with no accepted return by ``as_at``.
    The returns are those the principal may see, of ``provider_code`` only when given.
    """
    listing = list_submissions(store, council, principal).filter(pl.col("received_at") <= as_at)
    if provider_code:
        listing = listing.filter(pl.col("provider_code") == provider_code.upper())
    # what happened after as_at is not known at as_at: later acceptances and supersessions are blanked out
    later_superseded = pl.col("superseded_at").is_not_null() & (pl.col("superseded_at") > as_at)
    later_accepted = pl.col("accepted_at").is_not_null() & (pl.col("accepted_at") > as_at)
    listing = listing.with_columns(
        pl.when(later_superseded).then(None).otherwise(pl.col("superseded_at")).alias("superseded_at"),
        pl.when(later_superseded).then(None).otherwise(pl.col("superseded_by")).alias("superseded_by"),
        pl.when(later_accepted).then(None).otherwise(pl.col("accepted_at")).alias("accepted_at"),
    )
    listing = (
        listing.with_columns(
            pl.when(pl.col("superseded_at").is_not_null() & (pl.col("superseded_at") <= as_at))
            .then(pl.lit("superseded"))
            .when(pl.col("accepted_at").is_not_null() & (pl.col("accepted_at") <= as_at))
            .then(pl.lit("accepted"))
            .when(pl.col("status") == "queried")
            .then(pl.lit("queried"))
            .otherwise(pl.lit("submitted"))
            .alias("status_at")
        )
        .drop("status")
        .sort("received_at", "submission_id")
    )
    window = listing.filter(pl.col("received_at") > since) if since is not None else listing
    late = window.filter(pl.col("timeliness") == "late")
    superseded = listing.filter(
        pl.col("status_at") == "superseded",
        pl.col("superseded_at") > since if since is not None else pl.lit(True),
    ).select(
        "provider_code",
        "dataset",
        "period",
        pl.col("submission_id").alias("replaced_submission"),
        pl.col("superseded_by").alias("submission_id"),
        "superseded_at",
    )
    resubmitted = superseded.join(
        listing.select("submission_id", "received_at", "file_name"), on="submission_id", how="left"
    )
    missing = _missing_returns(store, council, period, as_at, listing)
    # received by as_at and not accepted by then (overview.pending reads the status now, not as at)
    waiting = listing.filter(pl.col("status_at") == "submitted").select(
        "provider_code", "dataset", "period", "submission_id", "received_at"
    )
    return DataQuality(since, window, late, resubmitted, missing, waiting)


def _missing_returns(
    store: Store, council: str, period: str, as_at: datetime, listing: pl.DataFrame
) -> pl.DataFrame:
    due_days = int(setting(store, council, "return_due_working_days", as_at))
    accepted = listing.filter(pl.col("dataset") == RETURNS_DATASET, pl.col("status_at") == "accepted")
    have = set(zip(accepted["provider_code"].to_list(), accepted["period"].to_list(), strict=True))
    returns = listing.filter(pl.col("dataset") == RETURNS_DATASET)
    rows = []
    end = periods.parse_period(period)
    for provider_code in returns["provider_code"].unique(maintain_order=True).to_list():
        mine = returns.filter(pl.col("provider_code") == provider_code)
        if mine.is_empty():
            continue
        current = periods.from_index(int(mine["period_index"].min()))
        while current.index <= end.index:
            due = periods.due_date(current, due_days)
            if due <= as_at.date() and (provider_code, current.code) not in have:
                rows.append({"provider_code": provider_code, "period": current.code, "due_date": due})
            current = current.next()
    return pl.DataFrame(rows, schema={"provider_code": pl.String, "period": pl.String, "due_date": pl.Date})


# ---- layout ----------------------------------------------------------------------------------------------------


def pack_document(pack: Pack):
    """Lay the pack out as a :class:`~kpi.reports.document.Document` (see :mod:`kpi.reports.pack_layout`)."""
    from kpi.reports.pack_layout import layout

    return layout(pack)
