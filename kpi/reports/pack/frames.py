"""The frames a meeting pack is built from: the summary, exceptions, narratives, inequalities and data quality.

Each is computed once here, from the functions the dashboard pages use (see :mod:`kpi.reports.pack`); the briefing
takes its narratives and inequality figures from here too. :func:`pack_scope` is the pack's access rule and
:func:`data_version` the fingerprint on its cover.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require
from kpi.contract import values as overview
from kpi.contract.narratives import explanations
from kpi.core import charts as charts
from kpi.core import periods as periods
from kpi.core.catalogue import load_catalogue
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.store import Store, setting
from kpi.inequality import views as inequalities
from kpi.inequality import words as inequality_words
from kpi.reports import words
from kpi.reports.figures import CHART_WIDTH, FigureSet
from kpi.reports.pack.model import DataQuality, ExceptionItem
from kpi.returns import timeliness as timeliness
from kpi.returns.review import list_submissions
from kpi.spc import assurance as assurance
from kpi.spc import charts as spc_charts

EXCEPTION_RAGS = ("red", "amber")


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


def summary_frame(
    values: pl.DataFrame, bench: pl.DataFrame, period: str, controls: dict | None = None
) -> pl.DataFrame:
    """One row per KPI at borough level for the period: the mart's row, England and its comparison, SPC codes.

    ``controls``: the recorded SPC baselines and rebases the icons follow (docs/methods.md section 5.10).
    """
    borough = values.filter(pl.col("period") == period, pl.col("level") == "borough")
    compared = overview.compare_with_england(overview.with_benchmark(borough, bench))
    spc = assurance.spc_summary(values, period, controls=controls).select(
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
    controls: dict | None = None,
    events: pl.DataFrame | None = None,
    plans: pl.DataFrame | None = None,
    *,
    deciles_on: str = "",
) -> list[ExceptionItem]:
    """Every KPI red or amber at borough or locality level in the period, in catalogue order, with its charts.

    The XmR chart follows the recorded SPC ``controls`` (docs/methods.md section 5.10), draws the annotations
    (``events``: kpi_code, period, label) and the borough's recovery trajectory from ``plans`` (trajectory points,
    docs/methods.md section 5.9), when there are any. ``deciles_on`` names the deprivation index of the
    period's decile rows (``IMD 2025``) on the decile figures.
    """
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
        trend_key = f"xmr-{_key(kpi_code)}"
        xmr = assurance.xmr_frame(
            assurance.kpi_series(values, kpi_code, period), (controls or {}).get((kpi_code, "ALL"))
        )
        count = borough["value_kind"] == "count"
        notes = (
            None
            if events is None
            else events.filter(pl.col("kpi_code").is_null() | (pl.col("kpi_code") == kpi_code))
        )
        plan = None
        if plans is not None and not plans.is_empty():
            plan = plans.filter(
                pl.col("kpi_code") == kpi_code,
                pl.col("locality_code") == "ALL",
                pl.col("decile_group") == "ALL",
            ).select("period", "period_index", "planned_pct")
        drawn = plan is not None and not plan.is_empty()
        figures.add(
            trend_key,
            lambda f=xmr, t=f"{kpi_code} {name}: XmR chart", c=count, n=notes, p=plan: spc_charts.xmr_chart(
                f, t, y_title="Children" if c else "Per cent", count=c, annotations=n, trajectory=p
            ).properties(width=CHART_WIDTH, height=170),
            title=f"{kpi_code} {name}: XmR chart of the borough series to {period}"
            + (" with its recovery trajectory" if drawn else ""),
            alt=f"XmR chart of {name} for the borough to {period}, with its mean and process limits"
            + (
                " and its recovery trajectory as a dash-dot line, the quarters to come drawn empty"
                if drawn
                else ""
            )
            + ". "
            + assurance.xmr_summary(xmr),
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
            on = f"; {deciles_on}" if deciles_on else ""  # docs/methods.md section 7.1
            title = f"{kpi_code} by national IMD decile (1 = most deprived{on}), {period}"
            figures.add(
                decile_key,
                lambda d=shown_deciles, t=title, r=reference, g=target: charts.category_ci_chart(
                    d, "imd_decile", t, sort_field="decile_order", reference=r, target=g
                ).properties(width=CHART_WIDTH, height=200),
                title=f"{kpi_code} {name} by national IMD decile{f' ({deciles_on})' if deciles_on else ''}, {period}",
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
    """The provider's explanation and remedial action per KPI and place for the period, as at ``as_at``.

    The rule is :func:`kpi.contract.narratives.explanations` (the overview's board reads the same): the agreed
    narrative in force at ``as_at`` (``sql/marts/mart_exception_narratives.sql``), else the one awaiting agreement
    (not with ``agreed_only``), else the comment on the return's row. Here with the place named and the borough
    first. Columns: kpi_code, where, explanation, remedial_action, owner, due_date, agreed, source. Read as
    ``principal`` (a provider: its own provider's only).
    """
    require(principal, "read_narratives", provider_code)
    names = overview.locality_names(store, council, as_at)
    frame = explanations(
        store,
        council,
        period,
        values,
        as_at,
        agreed_only=agreed_only,
        provider_code=provider_code,
        principal=principal,
    )
    return frame.sort("kpi_code", pl.col("locality_code") != "ALL", "locality_code").select(
        "kpi_code",
        pl.col("locality_code")
        .replace_strict({**names, "ALL": "Borough"}, default=pl.col("locality_code"))
        .alias("where"),
        "explanation",
        "remedial_action",
        "owner",
        pl.col("due_date").cast(pl.String),
        "agreed",
        pl.col("explanation_source").alias("source"),
    )


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
    present = set(values.filter(pl.col("level") == "borough_decile")["kpi_code"].unique().to_list())
    found = []  # (kpi_code, deciles, quantile frame) of each headline KPI with deciles in the period
    for kpi_code in headline_codes() if headlines is None else headlines:
        if kpi_code not in present:
            continue
        deciles = overview.by_decile(values, kpi_code, period)
        if not deciles.is_empty():
            found.append((kpi_code, deciles, inequalities.borough_deciles(values, kpi_code)))
    # every KPI's SII in one batch, side by side on the cores; each as sii_table gives it on its own
    tables = inequalities.sii_tables(
        [quantiles.filter(pl.col("period") == period) for _, _, quantiles in found],
        n_quantiles=10,
        repetitions=repetitions,
    )
    out = []
    for (kpi_code, deciles, _), table in zip(found, tables, strict=True):
        first = deciles.row(0, named=True)
        gap = inequalities.decile_gap(deciles) or {}
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
    superseded by then: :func:`kpi.returns.timeliness.submissions_as_at`). Late and missing quarters up to the
    pack's period follow the Data quality page's rule (:func:`kpi.returns.timeliness.quarter_timeliness`, with the
    ``return_due_working_days`` setting in force at ``as_at``, judged on ``as_at``'s date); a late quarter is listed
    when its first file arrived since ``since``. The returns are those the principal may see, of ``provider_code``
    only when given.
    """
    listing = timeliness.submissions_as_at(list_submissions(store, council, principal), as_at)
    if provider_code:
        listing = listing.filter(pl.col("provider_code") == provider_code.upper())
    window = listing.filter(pl.col("received_at") > since) if since is not None else listing
    due_days = int(setting(store, council, "return_due_working_days", as_at))
    quarters = timeliness.quarter_timeliness(listing, due_days, as_at.date()).filter(
        pl.col("period_index") <= periods.parse_period(period).index
    )
    received_since = pl.col("first_received_at") > since if since is not None else pl.lit(True)
    late = quarters.filter(pl.col("timeliness") == timeliness.LATE, received_since)
    missing = quarters.filter(pl.col("timeliness") == timeliness.MISSING).select(
        "provider_code", "period", "due_date"
    )
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
    # received by as_at and not accepted by then (overview.pending reads the status now, not as at)
    waiting = listing.filter(pl.col("status_at") == "submitted").select(
        "provider_code", "dataset", "period", "submission_id", "received_at"
    )
    return DataQuality(since, window, late, resubmitted, missing, waiting)
