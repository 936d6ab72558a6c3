"""Sign-in, role-based navigation and the page guard (docs/operations.md, sign-in and roles): the gate app.py and
every page script run first.

``st.login`` (OIDC) when ``[auth]`` is configured; the signed-in e-mail maps to a principal through the users table;
the navigation offers only the pages the principal's role may open (``kpi.access.rules.PAGE_ROLES``), and each page's
guard refuses a principal whose role the page is not offered to.
"""

from __future__ import annotations

import streamlit as st

from kpi.access.principal import UNVERIFIED, Principal, auth_configured, email_verified
from kpi.access.rules import page_allowed
from pages._app.page_table import entry_titled
from pages._app.session import (
    database_info,
    principal,
    refuse_off_loopback,
    signed_in_email,
    snapshot_at,
    store,
)

SAMPLE_BANNER = (
    "Sample data: synthetic figures for a real borough (Trafford). No figure here describes a real service."
)


def sign_in() -> bool:
    """The sign-in gate app.py runs before anything else; ``True`` when the session may see pages.

    Without sign-in configured the local commissioner passes. With it, a visitor who is not signed in sees only a
    sign-in button, and a signed-in e-mail that is not in the users table sees only a polite refusal. Each sign-in
    (or refusal) is audited once per session.
    """
    if not auth_configured():
        return True
    if not st.user.get("is_logged_in"):
        st.title("HCP Contract Monitor")
        st.write("Sign in with your organisation's account to see your contract's returns and figures.")
        st.button("Sign in", key="sign_in", type="primary", on_click=st.login)
        return False
    from kpi.access.users import record_sign_in

    who, email = principal(), signed_in_email()
    if st.session_state.get("_signed_in_as") != email:
        record_sign_in(store(), email, who)
        st.session_state["_signed_in_as"] = email
    if who is None and not email_verified(st.user):
        st.title("HCP Contract Monitor")
        st.error(UNVERIFIED, icon=":material/lock:")
        st.button("Sign out", key="sign_out_unverified", on_click=st.logout)
        return False
    if who is None:
        st.title("HCP Contract Monitor")
        st.error(
            f"You are signed in as {email or 'an account without an e-mail address'}, but this account has not "
            "been given access to HCP Contract Monitor. If you need access, please ask the council's contract "
            "team to add you.",
            icon=":material/lock:",
        )
        st.button("Sign out", key="sign_out_refused", on_click=st.logout)
        return False
    return True


def allowed_pages(sections: dict) -> dict:
    """The navigation's sections with only the pages the principal's role is offered (empty sections dropped).

    A page's roles are looked up by its URL path in the page table (by title, so the default page's twin at "/"
    is judged as the page itself).
    """
    who = principal()
    kept = {
        name: [page for page in pages if page_allowed(who, entry_titled(page.title).url_path)]
        for name, pages in sections.items()
    }
    return {name: pages for name, pages in kept.items() if pages}


def navigation(sections: dict):
    """``st.navigation`` over the pages the principal's role is offered (kpi.access.rules.PAGE_ROLES)."""
    return st.navigation(allowed_pages(sections))


def account_sidebar() -> None:
    """Who is signed in, as what, and a sign-out button (with sign-in configured)."""
    if not auth_configured():
        return
    who = principal()
    with st.sidebar:
        st.caption(f"Signed in as {who.label}")
        st.button("Sign out", key="sign_out", on_click=st.logout)


def sample_banner() -> None:
    """The banner every page of a sample database carries."""
    if database_info().get("is_sample") == "true":
        st.info(SAMPLE_BANNER, icon=":material/science:")


def replica_banner() -> None:
    """On a read-only replica, the banner every page carries: the time of the data shown."""
    at = snapshot_at()
    if at is not None:
        st.info(
            f"Data as at {at.replace('T', ' ')}. This is a read-only copy of the dashboard: changes are made on "
            "the main dashboard and appear here with its next snapshot.",
            icon=":material/schedule:",
        )


def guard(title: str) -> Principal:
    """The gate every page script runs first, whatever started the server: the local-mode loopback rule, sign-in,
    and the page's roles (``kpi.access.rules.PAGE_ROLES``, by the page's URL path in the page table).

    Returns the principal when the session may see the page; otherwise renders only the refusal (or the sign-in
    button) and stops the script, so nothing of the page runs.
    """
    entry = entry_titled(title)
    if refuse_off_loopback() or not sign_in():
        st.stop()
    who = principal()
    if who is None:  # pragma: no cover - sign_in() has stopped a stranger already
        st.stop()
    if not page_allowed(who, entry.url_path):
        st.title(title)
        st.error(
            f"The {title} page is not open to you: you are signed in as {who.label}. Use the pages in the menu.",
            icon=":material/block:",
        )
        st.stop()
    return who


def start_page(title: str) -> Principal:
    """Every page starts here: the guard (sign-in and roles), then its title, on a replica the time of its data and,
    on a sample database, the sample banner. Returns the principal the page acts for."""
    who = guard(title)
    st.title(title)
    replica_banner()
    sample_banner()
    return who
