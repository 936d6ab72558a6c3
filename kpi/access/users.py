"""The users who may sign in, with their roles: dated rows, audited, history kept.

``hcp users add EMAIL --role commissioner|provider|viewer|admin [--provider CODE]``, ``hcp users list`` and
``hcp users remove EMAIL`` (and the Users section of the Admin page) call these functions. Adding a user who is
already present changes their role: the old row is closed and a new one added, so who could do what at any time
stays answerable. Only admins (and the local user at this computer) manage users.

Example:
    >>> from kpi.access.principal import LOCAL_USER
    >>> from kpi.core.store import Store
    >>> store = Store.open(":memory:")
    >>> add_user(store, LOCAL_USER, "Lead@Trust.nhs.uk", "provider", provider_code="zz1").role
    'provider'
    >>> find_user(store, "lead@trust.nhs.uk").provider_code
    'ZZ1'
"""

from __future__ import annotations

import re

import polars as pl

from kpi.access import principal as auth
from kpi.access.principal import ROLES, Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.store import Store

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PROVIDER = re.compile(r"^[A-Z0-9]{2,12}$")


class UserError(ValueError):
    """A user change that cannot be made; the message says why."""


def normalise_email(email: str) -> str:
    """E-mail addresses are compared with ASCII letters in lower case, without surrounding spaces.

    See :func:`kpi.access.principal.normalise_email`: no Unicode case folding.
    """
    return auth.normalise_email(email)


def _check(store: Store, email: str, role: str, provider_code: str | None) -> tuple[str, str, str | None]:
    address = normalise_email(email)
    if not _EMAIL.match(address):
        raise UserError(f"'{email}' is not an e-mail address: give the address the person signs in with")
    chosen = (role or "").strip().lower()
    if chosen not in ROLES:
        raise UserError(f"'{role}' is not a role: use one of {', '.join(ROLES)}")
    code = (provider_code or "").strip().upper() or None
    if chosen == "provider":
        if code is None:
            raise UserError("a provider user needs the provider they work for: add --provider CODE")
        if not _PROVIDER.match(code):
            raise UserError(f"'{provider_code}' is not a provider code (2-12 letters or digits, e.g. RY2)")
        known = store.query("select distinct provider_code from providers order by 1")[
            "provider_code"
        ].to_list()
        if known and code not in known:
            raise UserError(
                f"{code} is not a provider of this database (known providers: {', '.join(known)}): "
                "check the code"
            )
    elif code is not None:
        raise UserError(f"only provider users have a provider: a {chosen} is not tied to {code}")
    return address, chosen, code


def add_user(
    store: Store, principal: Principal, email: str, role: str, *, provider_code: str | None = None
) -> Principal:
    """Add a user, or change an existing user's role or provider (the old row is closed, not deleted); audited."""
    require(principal, "manage_users")
    address, chosen, code = _check(store, email, role, provider_code)
    at = periods.now()
    with store.transaction() as cur:
        current = cur.execute(
            "select user_row_id, role, provider_code from users where email = ? and removed_at is null",
            [address],
        ).fetchone()
        if current is not None and (current[1], current[2]) == (chosen, code):
            return Principal(address, chosen, code)
        if current is not None:
            cur.execute(
                "update users set removed_at = ?, removed_by = ? where user_row_id = ?",
                [at, principal.email, current[0]],
            )
        cur.execute(
            "insert into users (email, role, provider_code, added_at, added_by) values (?, ?, ?, ?, ?)",
            [address, chosen, code, at, principal.email],
        )
        store.audit(
            "user changed" if current is not None else "user added",
            actor=principal.email,
            subject=address,
            cur=cur,
            detail={
                "role": chosen,
                "provider": code,
                **({"previous_role": current[1], "previous_provider": current[2]} if current else {}),
            },
        )
    return Principal(address, chosen, code)


def remove_user(store: Store, principal: Principal, email: str) -> None:
    """Remove a user: they can no longer sign in; their rows stay in the history; audited."""
    require(principal, "manage_users")
    address = normalise_email(email)
    with store.transaction() as cur:
        current = cur.execute(
            "select user_row_id, role from users where email = ? and removed_at is null", [address]
        ).fetchone()
        if current is None:
            raise UserError(f"{address or email!r} is not a current user: nothing was changed")
        cur.execute(
            "update users set removed_at = ?, removed_by = ? where user_row_id = ?",
            [periods.now(), principal.email, current[0]],
        )
        store.audit(
            "user removed", actor=principal.email, subject=address, cur=cur, detail={"role": current[1]}
        )


def list_users(store: Store, principal: Principal, *, include_removed: bool = False) -> pl.DataFrame:
    """The users who may sign in (with ``include_removed``, every row of the history), by e-mail."""
    require(principal, "manage_users")
    return store.query(
        "select email, role, provider_code, added_at, added_by, removed_at, removed_by from users "
        "where ? or removed_at is null order by email, added_at",
        [include_removed],
    )


def find_user(store: Store, email: str | None) -> Principal | None:
    """The principal for a signed-in e-mail address, or ``None`` when it is not a current user.

    This is how sign-in is resolved, so it takes no principal: it answers only "who is this?".
    """
    address = normalise_email(email or "")
    if not address:
        return None
    frame = store.query(
        "select role, provider_code from users where email = ? and removed_at is null "
        "order by added_at desc limit 1",
        [address],
    )
    if frame.is_empty():
        return None
    role, code = frame.row(0)
    return Principal(address, role, code)


def record_sign_in(store: Store, email: str | None, principal: Principal | None) -> None:
    """Audit a sign-in: ``signed in`` for a known user, ``sign-in refused`` for an e-mail not in the table."""
    address = normalise_email(email or "") or "(no e-mail claim)"
    if principal is None:
        store.audit("sign-in refused", actor=address, detail={"reason": "not a user"})
    else:
        store.audit(
            "signed in",
            actor=principal.email,
            detail={"role": principal.role, "provider": principal.provider_code},
        )
