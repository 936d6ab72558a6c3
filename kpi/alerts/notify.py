"""What a load or a review tells people by e-mail, batched: one message per person per load (docs/operations.md).

After a return is loaded (:func:`after_load`): commissioners who chose them get "return submitted" and, once the
return is accepted (a commissioner's upload or a command-line load is accepted at once), the data it brings: new
reds (:func:`kpi.reports.pack.changes.compare`, RAG moves into red), new special causes (its new SPC signals) and
trajectory breaches (:func:`kpi.reports.pack.changes.trajectory_breaches`), worked out as the "What changed" view
does, between the data just before the return was accepted and after. After a review (:func:`after_review`): the
provider's users get "return accepted" or "return queried" (with the commissioner's comment), and commissioners get
the data the accepted return brings. :func:`due_reminders` tells commissioners of late returns and providers of
their actions falling due.

Messages carry KPI names, places and percentages only, never child-level data. Sending and its audit entries are
:mod:`kpi.alerts.mail`; without a relay nothing is sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.alerts import mail, preferences
from kpi.contract import trajectory_status
from kpi.contract import values as overview
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.reports.pack.changes import compare, trajectory_breaches

PRODUCT = "HCP Contract Monitor"


def _submission(store: Store, council: str, submission_id: int) -> dict:
    found = store.query(
        "select submission_id, provider_code, period, period_index, status, received_at, accepted_at, "
        "submitted_by from submissions where submission_id = ? and council_code = ?",
        [int(submission_id), council],
    )
    if not found.height:
        raise LookupError(f"there is no submission {submission_id}")
    return found.row(0, named=True)


def data_events(store: Store, council: str, sub: dict, *, principal: Principal) -> dict[str, list[str]]:
    """The new reds, special causes and trajectory breaches an accepted return brought, as lines of words."""
    require(principal, "read_data")
    if sub["accepted_at"] is None:
        return {}
    after = sub["accepted_at"]
    before_at = after - timedelta(microseconds=1)
    names = overview.locality_names(store, council, after)
    now = overview.kpi_values(store, council, after, principal=principal)
    before = overview.kpi_values(store, council, before_at, principal=principal)
    period = sub["period"]
    known = overview.available_periods(before)
    then = (
        period
        if period in known
        else next((p for p in known if periods.parse_period(p).index < sub["period_index"]), None)
    )
    if then is None or period not in overview.available_periods(now):
        return {}
    moves, signals, _ = compare(before, then, now, period, names)
    board_now = trajectory_status.trajectory_board(
        store, council, now, period, names, after, principal=principal
    )
    board_then = trajectory_status.trajectory_board(
        store, council, before, then, names, before_at, principal=principal
    )
    breaches = trajectory_breaches(board_then, board_now)
    reds = moves.filter(pl.col("rag_now") == "red") if moves.height else moves
    return {
        "new_red": [
            f"{r['kpi_code']} {r['kpi_name']}, {r['where']}: red ({_pct(r['value_now'])}; was {r['rag_before'] or 'not rated'} in {then})"
            for r in reds.iter_rows(named=True)
        ],
        "new_special_cause": [
            f"{r['kpi_code']} {r['kpi_name']}: {r['variation_now']} (was {r['variation_before']})"
            for r in signals.iter_rows(named=True)
        ],
        "trajectory_breach": [
            f"{r['kpi_code']} {r['kpi_name']}, {r['where']}: off trajectory in {r['period']} "
            f"({_pct(r['value'])} against a planned {_pct(r['planned_pct'])})"
            for r in breaches.iter_rows(named=True)
        ],
    }


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _batch(
    store: Store,
    alert_lines: dict[str, list[str]],
    subject: str,
    opening: str,
    provider_code: str | None = None,
) -> list[mail.Message]:
    """One message per recipient with every alert of the load they chose (alerts without lines are left out)."""
    heads = {
        "return_submitted": "Return submitted",
        "new_red": "New reds",
        "new_special_cause": "New special-cause signals (SPC)",
        "trajectory_breach": "Trajectory breaches",
        "return_accepted": "Return accepted",
        "return_queried": "Return queried",
        "return_late": "Late returns",
        "action_due": "Actions falling due",
    }
    by_person: dict[str, list[str]] = {}
    for alert, lines in alert_lines.items():
        if not lines:
            continue
        for email in preferences.recipients(store, alert, provider_code):
            by_person.setdefault(email, []).append(alert)
    out = []
    for email, alerts in by_person.items():
        parts = [opening, ""]
        for alert in alerts:
            parts += [f"{heads[alert]}:", *[f"- {line}" for line in alert_lines[alert]], ""]
        parts.append(
            f"Open {PRODUCT} for the detail. You chose these alerts; change them on the Alerts page."
        )
        out.append(mail.Message([email], subject, "\n".join(parts), alerts))
    return out


def after_load(store: Store, council: str, submission_id: int, *, principal: Principal) -> dict[str, int]:
    """Alert commissioners about a return just loaded (one message each); counts of sent, failed, skipped."""
    require(principal, "upload")
    sub = _submission(store, council, submission_id)
    lines = {
        "return_submitted": [
            f"{sub['provider_code']}: {sub['period']} return received {sub['received_at']:%d %b %Y %H:%M} "
            f"({'accepted' if sub['accepted_at'] else 'waiting for review'})"
        ],
        **data_events(store, council, sub, principal=principal),
    }
    subject = f"{PRODUCT}: {sub['provider_code']} return for {sub['period']}"
    messages = _batch(
        store, lines, subject, f"The {sub['period']} return of {sub['provider_code']} was loaded."
    )
    return mail.send(store, council, messages, actor=principal.email)


def after_review(
    store: Store, council: str, submission_id: int, comment: str | None = None, *, principal: Principal
) -> dict[str, int]:
    """Alert the provider that its return was accepted or queried, and commissioners of the data it brings."""
    require(principal, "review")
    sub = _submission(store, council, submission_id)
    decision = "return_accepted" if sub["status"] == "accepted" else "return_queried"
    said = f" The commissioner says: {comment.strip()}" if comment and comment.strip() else ""
    provider_lines = {decision: [f"{sub['period']} return: {sub['status']}.{said}"]}
    subject = f"{PRODUCT}: your {sub['period']} return was {sub['status']}"
    messages = _batch(
        store,
        provider_lines,
        subject,
        f"Your {sub['period']} return was {sub['status']}.",
        sub["provider_code"],
    )
    data = data_events(store, council, sub, principal=principal) if decision == "return_accepted" else {}
    if any(data.values()):
        opening = f"The {sub['period']} return of {sub['provider_code']} was accepted."
        messages += _batch(
            store, data, f"{PRODUCT}: {sub['provider_code']} return for {sub['period']}", opening
        )
    return mail.send(store, council, messages, actor=principal.email)


def due_reminders(
    store: Store, council: str, *, principal: Principal, within_days: int = 7
) -> dict[str, int]:
    """Tell commissioners of late returns and providers of open actions due within ``within_days`` (or overdue)."""
    require(principal, "review")
    from kpi.contract import actions
    from kpi.reports.pack.frames import data_quality

    today = periods.today()
    latest = periods.latest_ended_quarter(today)
    quality = data_quality(store, council, latest.code, periods.now(), None, principal=principal)
    late = [
        f"{r['provider_code']}: {r['period']} return late (due {r['due_date']})"
        for r in pl.concat(
            [quality.late.select("provider_code", "period", "due_date"), quality.missing],
            how="diagonal_relaxed",
        ).iter_rows(named=True)
        if r["due_date"] is not None and r["due_date"] < today
    ]
    messages = _batch(store, {"return_late": late}, f"{PRODUCT}: late returns", "These returns are late.")
    open_actions = actions.actions(store, council, periods.now(), principal=principal)
    due = open_actions.filter(
        pl.col("status") != "closed",
        pl.col("due_date").is_not_null(),
        pl.col("due_date") <= today + timedelta(days=within_days),
    )
    for provider, rows in due.group_by("provider_code"):
        lines = [
            f"{r['what']} (owner {r['owner']}), due {_day(r['due_date'])}" for r in rows.iter_rows(named=True)
        ]
        messages += _batch(
            store,
            {"action_due": lines},
            f"{PRODUCT}: actions falling due",
            "These actions fall due.",
            provider[0],
        )
    return mail.send(store, council, messages, actor=principal.email)


def _day(value: date | datetime) -> str:
    return f"{value:%d %b %Y}"
