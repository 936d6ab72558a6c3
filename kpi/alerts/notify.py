"""What a load or a review tells people by e-mail, batched: one message per person per load (docs/operations.md).

After a return is loaded (:func:`after_load`): commissioners who chose them get "return submitted" and, once the
return is accepted (a commissioner's upload or a command-line load is accepted at once), the data it brings: new
reds (:func:`kpi.reports.pack.changes.compare`, RAG moves into red), new special causes (its new SPC signals) and
trajectory breaches (:func:`kpi.reports.pack.changes.trajectory_breaches`), worked out as the "What changed" view
does, between the data just before the return was accepted and after. After a review (:func:`after_review`): the
provider's users get "return accepted" or "return queried" (with the commissioner's comment), and commissioners get
the data the accepted return brings. Late returns and actions falling due are :mod:`kpi.alerts.reminders`.
Providers are named by their names, not their codes.

Messages carry KPI names, places and percentages only, never child-level data. Sending and its audit entries are
:mod:`kpi.alerts.mail`; without a relay nothing is sent.
"""

from __future__ import annotations

from datetime import timedelta

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


def provider_name(store: Store, council: str, provider_code: str) -> str:
    """The provider's name as the council recorded it (its code when it has none)."""
    found = store.query(
        "select provider_name from providers where council_code = ? and provider_code = ?",
        [council, str(provider_code).upper()],
    )
    return found.item() if found.height and found.item() else str(provider_code)


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


HEADS = {
    "return_submitted": "Return submitted",
    "new_red": "New reds",
    "new_special_cause": "New special-cause signals (SPC)",
    "trajectory_breach": "Trajectory breaches",
    "return_accepted": "Return accepted",
    "return_queried": "Return queried",
    "return_late": "Late returns",
    "action_due": "Actions falling due",
}
CLOSING = f"Open {PRODUCT} for the detail. You chose these alerts; change them on the Alerts page."


def compose(opening: str, sections: list[tuple[str, list[str]]]) -> str:
    """A message's body: the opening, each alert's heading and lines, and the closing words."""
    parts = [opening, ""]
    for alert, lines in sections:
        parts += [f"{HEADS[alert]}:", *[f"- {line}" for line in lines], ""]
    return "\n".join([*parts, CLOSING])


def _batch(
    store: Store,
    alert_lines: dict[str, list[str]],
    subject: str,
    opening: str,
    provider_code: str | None = None,
) -> list[mail.Message]:
    """One message per recipient with every alert of the load they chose (alerts without lines are left out)."""
    by_person: dict[str, list[str]] = {}
    for alert, lines in alert_lines.items():
        if not lines:
            continue
        for email in preferences.recipients(store, alert, provider_code):
            by_person.setdefault(email, []).append(alert)
    out = []
    for email, alerts in by_person.items():
        body = compose(opening, [(alert, alert_lines[alert]) for alert in alerts])
        out.append(mail.Message([email], subject, body, alerts))
    return out


def after_load(store: Store, council: str, submission_id: int, *, principal: Principal) -> dict[str, int]:
    """Alert commissioners about a return just loaded (one message each); counts of sent, failed, skipped."""
    return after_loads(store, council, [submission_id], principal=principal)


def after_loads(
    store: Store, council: str, submission_ids: list[int], *, principal: Principal
) -> dict[str, int]:
    """Alert commissioners about the returns one load brought (several files of one command).

    One message each covering them all; counts of sent, failed, skipped.
    """
    require(principal, "upload")
    subs = [_submission(store, council, submission_id) for submission_id in submission_ids]
    if not subs:
        return {"sent": 0, "failed": 0, "skipped": 0}
    names = [provider_name(store, council, sub["provider_code"]) for sub in subs]
    lines: dict[str, list[str]] = {"return_submitted": []}
    for sub, name in zip(subs, names, strict=True):
        lines["return_submitted"].append(
            f"{name}: {sub['period']} return received {sub['received_at']:%d %b %Y %H:%M} "
            f"({'accepted' if sub['accepted_at'] else 'waiting for review'})"
        )
        for alert, found in data_events(store, council, sub, principal=principal).items():
            said = [f"{name} {sub['period']}: {line}" for line in found] if len(subs) > 1 else found
            lines.setdefault(alert, []).extend(said)
    returns = [f"the {sub['period']} return of {name}" for sub, name in zip(subs, names, strict=True)]
    if len(subs) == 1:
        subject = f"{PRODUCT}: {names[0]} return for {subs[0]['period']}"
        opening = f"The {subs[0]['period']} return of {names[0]} was loaded."
    else:
        subject = f"{PRODUCT}: {len(subs)} returns loaded ({', '.join(dict.fromkeys(names))})"
        said = f"{', '.join(returns[:-1])} and {returns[-1]} were loaded."
        opening = said[0].upper() + said[1:]
    messages = _batch(store, lines, subject, opening)
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
        name = provider_name(store, council, sub["provider_code"])
        opening = f"The {sub['period']} return of {name} was accepted."
        messages += _batch(store, data, f"{PRODUCT}: {name} return for {sub['period']}", opening)
    return mail.send(store, council, messages, actor=principal.email)
