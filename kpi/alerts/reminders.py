"""Time-based alerts, each sent once: late returns to commissioners, actions falling due to their providers.

See docs/operations.md, e-mail alerts.

A late return is alerted once per recipient when it is late (one received late only while that is news,
:data:`LATE_NEWS`); an open action once when it falls due within the
window (``within_days``, default 7) and once more when it is overdue. What was sent is recorded in
``alert_reminders`` (one row per item, state and recipient, written only when the message carrying it was sent),
so running :func:`due_reminders` again sends nothing new; a failed message is tried again on the next run. Every
message sent or failed is in the audit log (:mod:`kpi.alerts.mail`). The reminders run from ``hcp alerts
send-due`` (cron or a systemd timer), from the served app every ``alerts_check_minutes``
(:mod:`kpi.alerts.schedule`) and from the Alerts page's button. Today is :func:`kpi.core.periods.today`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.alerts import mail, preferences
from kpi.alerts.notify import PRODUCT, compose, provider_name
from kpi.core import periods as periods
from kpi.core.store import Store


@dataclass(frozen=True)
class Item:
    """One thing to remind people of: the alert, the thing (a return or an action), its state and its line."""

    alert: str
    key: str
    state: str
    line: str
    provider_code: str | None = None


#: A return that came late is news for this long after its first file arrived (about a quarter); after that it is
#: history, shown on the Data quality page but not e-mailed (so switching alerts on does not send a list of returns
#: that came late years ago). A return still not received is alerted whatever its age.
LATE_NEWS = timedelta(days=92)


def late_returns(store: Store, council: str, *, principal: Principal) -> list[Item]:
    """Every return late today: not received and past its due date, or received late within :data:`LATE_NEWS`."""
    require(principal, "review")
    from kpi.reports.pack.frames import data_quality

    today = periods.today()
    latest = periods.latest_ended_quarter(today)
    now = periods.now()
    quality = data_quality(store, council, latest.code, now, now - LATE_NEWS, principal=principal)
    frame = pl.concat(
        [quality.late.select("provider_code", "period", "due_date"), quality.missing], how="diagonal_relaxed"
    )
    out = []
    for r in frame.iter_rows(named=True):
        if r["due_date"] is None or r["due_date"] >= today:
            continue
        name = provider_name(store, council, r["provider_code"])
        line = f"{name}: {r['period']} return late (due {_day(r['due_date'])})"
        out.append(Item("return_late", f"{r['provider_code']} {r['period']}", "late", line))
    return out


def actions_due(store: Store, council: str, *, principal: Principal, within_days: int = 7) -> list[Item]:
    """Every open action due within ``within_days`` of today ("due") or already past its date ("overdue")."""
    require(principal, "review")
    from kpi.contract import actions

    today = periods.today()
    frame = actions.actions(store, council, periods.now(), principal=principal).filter(
        pl.col("status") != "closed",
        pl.col("due_date").is_not_null(),
        pl.col("due_date") <= today + timedelta(days=within_days),
    )
    out = []
    for r in frame.sort("due_date", "action_id").iter_rows(named=True):
        due = r["due_date"].date() if isinstance(r["due_date"], datetime) else r["due_date"]
        state = "overdue" if due < today else "due"
        when = f"was due {_day(due)} (overdue)" if state == "overdue" else f"due {_day(due)}"
        line = f"{r['what']} (owner {r['owner']}), {when}"
        out.append(Item("action_due", str(r["action_id"]), state, line, r["provider_code"]))
    return out


def _sent_before(store: Store, council: str) -> set[tuple[str, str, str, str]]:
    rows = store.query(
        "select alert, item, state, recipient from alert_reminders where council_code = ?", [council]
    )
    return set(rows.iter_rows())


def _messages(
    store: Store, council: str, items: list[Item]
) -> list[tuple[mail.Message, list[tuple[Item, str]]]]:
    """One message per recipient and batch (late returns; each provider's actions) with the items not yet sent."""
    done = _sent_before(store, council)
    batches: dict[tuple[str, str | None], list[Item]] = {}
    for item in items:
        batches.setdefault((item.alert, item.provider_code), []).append(item)
    out = []
    for (alert, provider_code), batch in batches.items():
        for email in preferences.recipients(store, alert, provider_code):
            new = [i for i in batch if (i.alert, i.key, i.state, email) not in done]
            if not new:
                continue
            if alert == "return_late":
                subject, opening = f"{PRODUCT}: late returns", "These returns are late."
            else:
                name = provider_name(store, council, provider_code or "")
                subject, opening = (
                    f"{PRODUCT}: {name} actions falling due",
                    f"These actions of {name} fall due.",
                )
            body = compose(opening, [(alert, [i.line for i in new])])
            out.append((mail.Message([email], subject, body, [alert]), [(i, email) for i in new]))
    return out


def due_reminders(
    store: Store, council: str, *, principal: Principal, within_days: int = 7
) -> dict[str, int]:
    """Send the late-return and action reminders not yet sent; counts of messages sent, failed, skipped."""
    require(principal, "review")
    items = late_returns(store, council, principal=principal) + actions_due(
        store, council, principal=principal, within_days=within_days
    )
    planned = _messages(store, council, items)
    outcomes = mail.deliver(store, council, [message for message, _ in planned], actor=principal.email)
    at = periods.now()
    sent = [
        pair
        for (_, pairs), outcome in zip(planned, outcomes, strict=True)
        if outcome == "sent"
        for pair in pairs
    ]
    if sent:
        with store.transaction() as cur:
            for item, email in sent:
                cur.execute(
                    "insert into alert_reminders (council_code, alert, item, state, recipient, sent_at, sent_by) "
                    "values (?, ?, ?, ?, ?, ?, ?)",
                    [council, item.alert, item.key, item.state, email, at, principal.email],
                )
    return {state: outcomes.count(state) for state in ("sent", "failed", "skipped")}


def _day(value: date | datetime) -> str:
    return f"{value:%d %b %Y}"
