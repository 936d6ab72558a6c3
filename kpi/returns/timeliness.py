"""Data quality of the provider returns: late and missing returns, resubmissions, warnings confirmed and why.

Due dates follow the ``return_due_working_days`` setting (local rule: working days after the quarter ends,
docs/methods.md section 5). A quarter is expected from each provider from the first quarter it ever returned up to the
latest quarter that has ended; a return is *missing* once its due date has passed with nothing received, and
*late* when the first file for the quarter arrived after the due date. Commissioners and admins read these.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require
from kpi.core import periods as periods
from kpi.core.store import Store, setting

ON_TIME, LATE, MISSING, NOT_YET_DUE = "on time", "late", "missing", "not yet due"


def _submissions(store: Store, principal: Principal, council_code: str) -> pl.DataFrame:
    from kpi.returns.review import list_submissions

    return list_submissions(store, council_code, principal)


def return_timeliness(
    store: Store,
    principal: Principal,
    council_code: str,
    today: date | None = None,
    *,
    as_at: datetime | None = None,
) -> pl.DataFrame:
    """One row per provider x expected quarter: due date, first received, accepted, and on time/late/missing.

    As the returns stood at ``as_at`` (default now; ``today`` is the date to judge on, default ``as_at``'s): only
    files received by then, acceptances by then, and the due-date setting in force then (:func:`quarter_timeliness`).
    Columns: provider_code, period, period_index, due_date, first_received_at, submissions, accepted (bool),
    timeliness (on time, late, missing, not yet due) and days_late.
    """
    require(principal, "read_data_quality")
    on = today or (as_at.date() if as_at else periods.today())
    due_days = int(setting(store, council_code, "return_due_working_days", as_at))
    subs = _submissions(store, principal, council_code)
    if as_at is not None:
        subs = submissions_as_at(subs, as_at)
    known = store.query(
        "select provider_code from providers where council_code = ? and (? is null or provider_code = ?)",
        [council_code, provider_scope(principal), provider_scope(principal)],
    )["provider_code"].to_list()
    return quarter_timeliness(subs, due_days, on, known)


def submissions_as_at(listing: pl.DataFrame, as_at: datetime) -> pl.DataFrame:
    """Submissions (:func:`kpi.returns.review.list_submissions` rows) as they stood at ``as_at``.

    What happened after ``as_at`` is not known at ``as_at``: files received later are dropped, later acceptances and
    supersessions blanked out; ``status_at`` is superseded, accepted, queried or submitted as at that time (the
    ``status`` column, today's, is dropped). Sorted by receipt.
    """
    listing = listing.filter(pl.col("received_at") <= as_at)
    later_superseded = pl.col("superseded_at").is_not_null() & (pl.col("superseded_at") > as_at)
    later_accepted = pl.col("accepted_at").is_not_null() & (pl.col("accepted_at") > as_at)
    listing = listing.with_columns(
        pl.when(later_superseded).then(None).otherwise(pl.col("superseded_at")).alias("superseded_at"),
        pl.when(later_superseded).then(None).otherwise(pl.col("superseded_by")).alias("superseded_by"),
        pl.when(later_accepted).then(None).otherwise(pl.col("accepted_at")).alias("accepted_at"),
    )
    return (
        listing.with_columns(
            pl.when(pl.col("superseded_at").is_not_null())
            .then(pl.lit("superseded"))
            .when(pl.col("accepted_at").is_not_null())
            .then(pl.lit("accepted"))
            .when(pl.col("status") == "queried")
            .then(pl.lit("queried"))
            .otherwise(pl.lit("submitted"))
            .alias("status_at")
        )
        .drop("status")
        .sort("received_at", "submission_id")
    )


def quarter_timeliness(
    submissions: pl.DataFrame, due_days: int, on: date, providers: list[str] | tuple[str, ...] = ()
) -> pl.DataFrame:
    """The late and missing rule, once (docs/methods.md section 5): each provider x quarter judged on ``on``.

    A quarter is expected from each provider (``providers`` and every provider in ``submissions``) from the first
    quarter it returned (the latest ended quarter for one that never has) up to the latest quarter ended by ``on``.
    It is *missing* once its due date (``due_days`` working days after the quarter ends) has passed with nothing
    received, *not yet due* before, *late* when its first file arrived after the due date, else *on time*.
    ``submissions`` are :func:`kpi.returns.review.list_submissions` rows (other datasets are ignored). Columns as
    :func:`return_timeliness`, newest quarter first.
    """
    subs = submissions.filter(pl.col("dataset") == "mandated-contacts")
    last = periods.latest_ended_quarter(on)
    rows = []
    for provider in sorted(set(providers) | set(subs["provider_code"].to_list())):
        own = subs.filter(pl.col("provider_code") == provider)
        current = last if own.is_empty() else periods.from_index(int(own["period_index"].min()))
        while current.index <= last.index:
            due = periods.due_date(current, due_days)
            got = own.filter(pl.col("period") == current.code)
            received = got["received_at"].min() if not got.is_empty() else None
            if received is None:
                state = MISSING if on > due else NOT_YET_DUE
                late_days = (on - due).days if on > due else None
            else:
                state = LATE if received.date() > due else ON_TIME
                late_days = (received.date() - due).days if state == LATE else None
            rows.append(
                {
                    "provider_code": provider,
                    "period": current.code,
                    "period_index": current.index,
                    "due_date": due,
                    "first_received_at": received,
                    "submissions": got.height,
                    "accepted": bool(got["accepted_at"].is_not_null().any()) if not got.is_empty() else False,
                    "timeliness": state,
                    "days_late": late_days,
                }
            )
            current = current.next()
    return pl.DataFrame(rows, schema=TIMELINESS_SCHEMA).sort(
        ["period_index", "provider_code"], descending=[True, False]
    )


TIMELINESS_SCHEMA = {
    "provider_code": pl.String,
    "period": pl.String,
    "period_index": pl.Int64,
    "due_date": pl.Date,
    "first_received_at": pl.Datetime("us"),
    "submissions": pl.Int64,
    "accepted": pl.Boolean,
    "timeliness": pl.String,
    "days_late": pl.Int64,
}


def resubmissions(store: Store, principal: Principal, council_code: str) -> pl.DataFrame:
    """Provider x quarter with more than one file received: how many, which, and the status of each."""
    require(principal, "read_data_quality")
    subs = _submissions(store, principal, council_code)
    return (
        subs.sort("received_at")
        .group_by(["provider_code", "dataset", "period", "period_index"], maintain_order=True)
        .agg(
            pl.len().alias("files"),
            pl.col("received_at").min().alias("first_received_at"),
            pl.col("received_at").max().alias("last_received_at"),
            pl.format("{} ({})", pl.col("submission_id"), pl.col("status"))
            .str.join(", ")
            .alias("submissions"),
        )
        .filter(pl.col("files") > 1)
        .sort("period_index", descending=True)
    )


def confirmed_warnings(store: Store, principal: Principal, council_code: str) -> pl.DataFrame:
    """Submissions stored despite warnings: how many warnings, the reason given, who and when."""
    require(principal, "read_data_quality")
    subs = _submissions(store, principal, council_code)
    return subs.filter(pl.col("warning_count") > 0).select(
        "submission_id",
        "provider_code",
        "period",
        "status",
        "warning_count",
        "warnings_reason",
        "submitted_by",
        "received_at",
    )
