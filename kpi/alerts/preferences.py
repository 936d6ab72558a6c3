"""Which e-mail alerts each user gets (docs/operations.md, e-mail alerts).

Commissioners may be told when a return is submitted or is late, and when a load brings a new red, a new special
cause or a trajectory breach; providers when their return is queried or accepted and when an action they own falls
due. Each user chooses; without a choice a user gets every alert of their role (the sensible default: nobody misses
what their job needs until they say so). Choices are dated, audited rows; nothing is updated.

Example:
    >>> from kpi.access.principal import Principal
    >>> store = Store.open(":memory:")
    >>> lead = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
    >>> set_choices(store, {"return_accepted": False}, principal=lead)
    >>> choices(store, principal=lead)["return_accepted"]
    False
"""

from __future__ import annotations

from kpi.access.principal import Principal
from kpi.access.rules import require, require_writable
from kpi.core import periods as periods
from kpi.core.store import Store

#: Alert -> (the role it is for, what it says, in words).
ALERTS: dict[str, tuple[str, str]] = {
    "return_submitted": ("commissioner", "a return is submitted"),
    "return_late": ("commissioner", "a return is late"),
    "new_red": ("commissioner", "a load brings a new red"),
    "new_special_cause": ("commissioner", "a load brings a new special cause"),
    "trajectory_breach": ("commissioner", "a load brings a trajectory breach"),
    "return_queried": ("provider", "your return is queried"),
    "return_accepted": ("provider", "your return is accepted"),
    "action_due": ("provider", "an action you own falls due"),
}


class AlertChoiceError(ValueError):
    """A choice that cannot be recorded; the message says why."""


def alerts_for(role: str) -> list[str]:
    """The alerts a role may get, in order."""
    return [key for key, (who, _) in ALERTS.items() if who == role]


def _latest(store: Store, email: str) -> dict[str, bool]:
    rows = store.query(
        "select alert, enabled from (select *, row_number() over (partition by alert order by set_at desc, "
        "choice_id desc) as r from alert_choices where email = ?) where r = 1",
        [email.lower()],
    )
    return dict(rows.iter_rows())


def choices(store: Store, *, principal: Principal) -> dict[str, bool]:
    """The principal's own choices for every alert of their role (the default, on, where none was made)."""
    require(principal, "read_data")
    made = _latest(store, principal.email)
    return {alert: made.get(alert, True) for alert in alerts_for(principal.role)}


def set_choices(store: Store, chosen: dict[str, bool], *, principal: Principal) -> None:
    """Record the principal's own choices (alert -> on or off); audited; every unknown alert is refused first."""
    require(principal, "read_data")
    require_writable(store)
    mine = alerts_for(principal.role)
    wrong = [alert for alert in chosen if alert not in mine]
    if wrong:
        raise AlertChoiceError(
            f"{', '.join(wrong)}: not an alert for a {principal.role}: choose from {', '.join(mine)}"
        )
    at = periods.now()
    with store.transaction() as cur:
        for alert, enabled in chosen.items():
            cur.execute(
                "insert into alert_choices (email, alert, enabled, set_at, set_by) values (?, ?, ?, ?, ?)",
                [principal.email.lower(), alert, bool(enabled), at, principal.email],
            )
        store.audit(
            "alert choices set", actor=principal.email, subject=principal.email, cur=cur, detail=chosen
        )


def recipients(store: Store, alert: str, provider_code: str | None = None) -> list[str]:
    """The signed-up users who get ``alert`` (the provider's own users for a provider alert), by address."""
    role = ALERTS[alert][0]
    users = store.query(
        "select email, provider_code from users where removed_at is null and role = ? order by email", [role]
    )
    out = []
    for email, code in users.iter_rows():
        if role == "provider" and (provider_code is None or code != provider_code.upper()):
            continue
        if _latest(store, email).get(alert, True):
            out.append(email)
    return out
