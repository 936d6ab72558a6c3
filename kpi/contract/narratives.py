"""Exception narratives: the provider's explanation and remedial action for every red or amber KPI.

For each red or amber KPI of an accepted period, at borough level (``locality_code`` ALL) and per locality, the
provider writes an explanation, a remedial action, an owner and a date, pre-filled from the comment its return
carried for that KPI; the commissioner marks the narrative agreed. Every edit and every agreement is a new dated
version in ``exception_narratives`` (migration 005), so the narrative in force at any time can be shown again
(``sql/marts/mart_exception_narratives.sql``); editing an agreed narrative needs agreeing again. The overview and
the meeting pack read the same relation.

Scope (:mod:`kpi.access.rules`): a provider reads and writes only its own narratives; a viewer reads agreed ones only;
only commissioners agree.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import accepted_only, provider_scope, require
from kpi.core import periods as periods
from kpi.core.store import Store

#: The RAG statuses that need a narrative, and the levels of the KPI values mart they are asked for at.
EXCEPTION_RAGS = ("red", "amber")
LEVELS = ("borough", "locality")
MAX_TEXT = 2000
STATUS_TO_EXPLAIN, STATUS_EXPLAINED, STATUS_AGREED = "to explain", "explained, awaiting agreement", "agreed"
STATUS_ORDER = (STATUS_TO_EXPLAIN, STATUS_EXPLAINED, STATUS_AGREED)

NARRATIVE_COLUMNS = ("explanation", "remedial_action", "owner", "due_date")


class NarrativeError(ValueError):
    """A narrative that cannot be saved or agreed; the message says why."""


def _values(
    store: Store, principal: Principal, council_code: str, provider_code: str, as_at: datetime | None
) -> pl.DataFrame:
    """One provider's KPI values (accepted returns only) as at ``as_at``."""
    from kpi.contract import values as overview

    return overview.kpi_values(store, council_code, as_at, provider_code=provider_code, principal=principal)


def _providers(store: Store, principal: Principal, council_code: str) -> list[str]:
    scope = provider_scope(principal)
    if scope:
        return [scope]
    return store.query(
        "select distinct provider_code from submissions where council_code = ? and status = 'accepted' "
        "order by 1",
        [council_code],
    )["provider_code"].to_list()


def narratives(
    store: Store,
    principal: Principal,
    council_code: str,
    period: str | None = None,
    as_at: datetime | None = None,
) -> pl.DataFrame:
    """The narratives in force at ``as_at`` that the principal may read (viewers: agreed ones), newest first."""
    require(principal, "read_narratives")
    frame = store.run_sql(
        "marts/mart_exception_narratives",
        council_code=council_code,
        as_at=as_at or periods.now(),
        provider_code=provider_scope(principal),
    )
    if period is not None:
        frame = frame.filter(pl.col("period") == periods.normalise_period(period))
    if accepted_only(principal):
        frame = frame.filter(pl.col("agreed"))
    return frame


def exception_candidates(
    store: Store,
    principal: Principal,
    council_code: str,
    period: str | None = None,
    as_at: datetime | None = None,
) -> pl.DataFrame:
    """Every red or amber KPI (borough and locality level) of the accepted returns the principal may read.

    One row per provider x KPI x period x locality with the value, target, RAG, the return's comment (to pre-fill
    the explanation), the narrative in force (if any) and ``narrative_status``: to explain, explained (awaiting
    agreement) or agreed. ``period`` narrows to one period.
    """
    require(principal, "read_narratives")
    wanted = periods.normalise_period(period) if period else None
    frames = []
    for provider in _providers(store, principal, council_code):
        values = _values(store, principal, council_code, provider, as_at).filter(
            pl.col("level").is_in(LEVELS), pl.col("rag").is_in(EXCEPTION_RAGS)
        )
        if wanted:
            values = values.filter(pl.col("period") == wanted)
        frames.append(
            values.select(
                pl.lit(provider).alias("provider_code"),
                "kpi_code",
                "kpi_name",
                "sort_order",
                "period",
                "period_index",
                "locality_code",
                "rag",
                "value_pct",
                "target_pct",
                "amber_margin_pct",
                pl.col("comment").alias("return_comment"),
            )
        )
    keys = ["provider_code", "kpi_code", "period", "locality_code"]
    if not frames:
        return _empty_candidates()
    candidates = pl.concat(frames, how="vertical_relaxed")
    current = narratives(store, principal, council_code, period=wanted, as_at=as_at).select(
        *keys, *NARRATIVE_COLUMNS, "entered_at", "entered_by", "agreed", "agreed_at", "agreed_by"
    )
    joined = candidates.join(current, on=keys, how="left")
    return (
        joined.with_columns(
            pl.when(pl.col("agreed"))
            .then(pl.lit(STATUS_AGREED))
            .when(pl.col("explanation").is_not_null())
            .then(pl.lit(STATUS_EXPLAINED))
            .otherwise(pl.lit(STATUS_TO_EXPLAIN))
            .alias("narrative_status"),
            (pl.col("locality_code") != "ALL").alias("_is_locality"),
        )
        .sort(
            ["period_index", "provider_code", "sort_order", "_is_locality", "locality_code"],
            descending=[True] + [False] * 4,
        )
        .drop("_is_locality")
    )


def _empty_candidates() -> pl.DataFrame:
    schema = {
        "provider_code": pl.String,
        "kpi_code": pl.String,
        "kpi_name": pl.String,
        "sort_order": pl.Int32,
        "period": pl.String,
        "period_index": pl.Int32,
        "locality_code": pl.String,
        "rag": pl.String,
        "value_pct": pl.Float64,
        "target_pct": pl.Float64,
        "amber_margin_pct": pl.Float64,
        "return_comment": pl.String,
        "explanation": pl.String,
        "remedial_action": pl.String,
        "owner": pl.String,
        "due_date": pl.Date,
        "entered_at": pl.Datetime("us"),
        "entered_by": pl.String,
        "agreed": pl.Boolean,
        "agreed_at": pl.Datetime("us"),
        "agreed_by": pl.String,
        "narrative_status": pl.String,
    }
    return pl.DataFrame(schema=schema)


def _candidate(
    store: Store,
    principal: Principal,
    council_code: str,
    provider: str,
    kpi_code: str,
    period: str,
    locality: str,
) -> dict:
    found = exception_candidates(store, principal, council_code, period).filter(
        pl.col("provider_code") == provider,
        pl.col("kpi_code") == kpi_code,
        pl.col("locality_code") == locality,
    )
    where = "the borough" if locality == "ALL" else locality
    if found.is_empty():
        raise NarrativeError(
            f"{kpi_code} for {where} in {period} is not red or amber in {provider}'s accepted return: only red "
            "and amber KPIs need an explanation"
        )
    return found.row(0, named=True)


def _text(value: object, name: str, limit: int = MAX_TEXT) -> str:
    text = str(value or "").strip()
    if not text:
        raise NarrativeError(f"the {name} is missing: every red or amber KPI needs one")
    if len(text) > limit:
        raise NarrativeError(f"the {name} is {len(text)} characters long: keep it to {limit}")
    return text


def save_narrative(
    store: Store,
    principal: Principal,
    council_code: str,
    *,
    provider_code: str,
    kpi_code: str,
    period: str,
    locality_code: str,
    explanation: str,
    remedial_action: str,
    owner: str,
    due_date: date | str,
) -> bool:
    """Record a narrative for a red or amber KPI (a new version; agreement is needed again); audited.

    Returns ``False`` when the text is the same as the narrative in force (nothing is written).
    """
    provider = (provider_code or "").strip().upper()
    require(principal, "write_narrative", provider)
    code, where = periods.normalise_period(period), (locality_code or "ALL").strip().upper()
    fields = {
        "explanation": _text(explanation, "explanation"),
        "remedial_action": _text(remedial_action, "remedial action"),
        "owner": _text(owner, "owner", 200),
    }
    try:
        due = due_date if isinstance(due_date, date) else date.fromisoformat(str(due_date).strip())
    except ValueError as exc:
        raise NarrativeError(f"'{due_date}' is not a date: write it as YYYY-MM-DD") from exc
    found = _candidate(store, principal, council_code, provider, kpi_code, code, where)
    if found["explanation"] is not None and (
        (found["explanation"], found["remedial_action"], found["owner"], found["due_date"])
        == (fields["explanation"], fields["remedial_action"], fields["owner"], due)
    ):
        return False
    at = periods.now()
    with store.transaction() as cur:
        cur.execute(
            "insert into exception_narratives (council_code, provider_code, kpi_code, period, period_index, "
            "locality_code, rag, explanation, remedial_action, owner, due_date, entered_at, entered_by, agreed, "
            "recorded_at, recorded_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?)",
            [
                council_code,
                provider,
                found["kpi_code"],
                code,
                found["period_index"],
                where,
                found["rag"],
                fields["explanation"],
                fields["remedial_action"],
                fields["owner"],
                due,
                at,
                principal.email,
                at,
                principal.email,
            ],
        )
        store.audit(
            "exception narrative saved",
            actor=principal.email,
            council_code=council_code,
            subject=f"{found['kpi_code']} {where} {code}",
            cur=cur,
            detail={"provider": provider, "rag": found["rag"], **fields, "due_date": due.isoformat()},
        )
    return True


def agree_narrative(
    store: Store,
    principal: Principal,
    council_code: str,
    *,
    provider_code: str,
    kpi_code: str,
    period: str,
    locality_code: str,
) -> None:
    """Mark the narrative in force agreed (a new version carrying the same text); audited. Commissioners only."""
    require(principal, "agree_narrative")
    provider, code = (provider_code or "").strip().upper(), periods.normalise_period(period)
    where = (locality_code or "ALL").strip().upper()
    at = periods.now()
    with store.transaction() as cur:
        current = cur.execute(
            "select period_index, rag, explanation, remedial_action, owner, due_date, entered_at, entered_by, "
            "agreed from exception_narratives where council_code = ? and provider_code = ? and kpi_code = ? "
            "and period = ? and locality_code = ? order by recorded_at desc, narrative_row_id desc limit 1",
            [council_code, provider, kpi_code, code, where],
        ).fetchone()
        label = f"{kpi_code} for {'the borough' if where == 'ALL' else where} in {code}"
        if current is None:
            raise NarrativeError(f"{provider} has not explained {label} yet: there is nothing to agree")
        if current[8]:
            raise NarrativeError(f"the narrative for {label} is already agreed: nothing was changed")
        cur.execute(
            "insert into exception_narratives (council_code, provider_code, kpi_code, period, period_index, "
            "locality_code, rag, explanation, remedial_action, owner, due_date, entered_at, entered_by, agreed, "
            "agreed_at, agreed_by, recorded_at, recorded_by) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true, ?, ?, ?, ?)",
            [council_code, provider, kpi_code, code, current[0], where, *current[1:8]]
            + [at, principal.email, at, principal.email],
        )
        store.audit(
            "exception narrative agreed",
            actor=principal.email,
            council_code=council_code,
            subject=f"{kpi_code} {where} {code}",
            cur=cur,
            detail={"provider": provider},
        )


def overview_narratives(store: Store, principal: Principal, council_code: str, period: str) -> pl.DataFrame:
    """The narratives in force for a period as the overview lists them: KPI name, place, text and agreement.

    Providers see their own; viewers agreed ones only. Ordered as the catalogue, borough before localities.
    """
    from kpi.core.catalogue_sync import catalogue_in_force

    kpis = catalogue_in_force(store, council_code, period)
    frame = narratives(store, principal, council_code, period)
    names = {code: kpi.name for code, kpi in kpis.items()}
    order = {code: kpi.sort_order for code, kpi in kpis.items()}
    return (
        frame.with_columns(
            pl.col("kpi_code").replace_strict(names, default=pl.col("kpi_code")).alias("kpi_name"),
            pl.col("kpi_code").replace_strict(order, default=999, return_dtype=pl.Int64).alias("_order"),
            pl.when(pl.col("agreed"))
            .then(pl.lit(STATUS_AGREED))
            .otherwise(pl.lit("awaiting agreement"))
            .alias("agreement"),
        )
        .sort(["_order", "provider_code", pl.col("locality_code") != "ALL", "locality_code"])
        .drop("_order")
    )


#: Where a board's explanation came from, in order of preference.
SOURCE_AGREED, SOURCE_AWAITING, SOURCE_COMMENT = (
    "agreed narrative",
    "provider's narrative, awaiting agreement",
    "comment on the return",
)


def explanations(
    store: Store,
    council_code: str,
    period: str,
    values: pl.DataFrame,
    as_at: datetime | None = None,
    *,
    agreed_only: bool = False,
    provider_code: str | None = None,
    principal: Principal,
) -> pl.DataFrame:
    """The provider's explanation per KPI × place (``locality_code``, ALL = borough) for a period: the rule, once.

    The agreed narrative in force at ``as_at``; else the provider's narrative awaiting agreement (never for viewers,
    who read agreed narratives only, nor with ``agreed_only``, as a public briefing asks); else the comment the
    return carried on that KPI's row for that place. The overview's board, the meeting pack and the briefing all
    take their explanations from here. ``values`` are :func:`kpi.contract.values.kpi_values` rows (for the
    comments; ``provider_code`` keeps that provider's narratives only). Columns: kpi_code, locality_code, explanation, explanation_source (:data:`SOURCE_AGREED`,
    :data:`SOURCE_AWAITING` or :data:`SOURCE_COMMENT`), provider_code (``None`` for a comment), and from the
    narrative (``None`` for a comment) remedial_action, owner, due_date and agreed.
    """
    require(principal, "read_narratives")
    code = periods.normalise_period(period)
    schema = {
        "kpi_code": pl.String,
        "locality_code": pl.String,
        "explanation": pl.String,
        "explanation_source": pl.String,
        "provider_code": pl.String,
        "remedial_action": pl.String,
        "owner": pl.String,
        "due_date": pl.Date,
        "agreed": pl.Boolean,
        "_rank": pl.Int32,
    }
    written = narratives(store, principal, council_code, code, as_at)
    if agreed_only:
        written = written.filter(pl.col("agreed"))
    if provider_code:
        written = written.filter(pl.col("provider_code") == provider_code.upper())
    written = written.select(
        "kpi_code",
        "locality_code",
        "explanation",
        pl.when(pl.col("agreed"))
        .then(pl.lit(SOURCE_AGREED))
        .otherwise(pl.lit(SOURCE_AWAITING))
        .alias("explanation_source"),
        "provider_code",
        "remedial_action",
        "owner",
        "due_date",
        "agreed",
        pl.when(pl.col("agreed")).then(1).otherwise(2).cast(pl.Int32).alias("_rank"),
    )
    comments = values.filter(
        pl.col("period") == code,
        pl.col("level").is_in(LEVELS),
        pl.col("imd_decile") == "ALL",
        pl.col("comment").str.strip_chars().str.len_chars() > 0,
    ).select(
        "kpi_code",
        "locality_code",
        pl.col("comment").str.strip_chars().alias("explanation"),
        pl.lit(SOURCE_COMMENT).alias("explanation_source"),
        *(
            pl.lit(None).alias(name)
            for name in ("provider_code", "remedial_action", "owner", "due_date", "agreed")
        ),
        pl.lit(3, dtype=pl.Int32).alias("_rank"),
    )
    both = pl.concat([written.cast(schema), comments.cast(schema)])
    return (
        both.sort("_rank", "provider_code", nulls_last=True)
        .unique(["kpi_code", "locality_code"], keep="first", maintain_order=True)
        .drop("_rank")
    )
