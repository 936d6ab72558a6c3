"""The session: the store per process, the council, and who is asking.

Streamlit caching lives only in the app layer; every function below calls :mod:`kpi` and never SQL.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from kpi.access.principal import (
    Principal,
    allowed_hosts,
    auth_configured,
    claimed_email,
    local_principal,
    request_refusal,
)
from kpi.alerts import schedule
from kpi.core.store import Store, db_path, default_council, get_info

#: The local single user's name in the audit log.
LOCAL_NAME = "local user"


_render = threading.local()


@st.cache_resource(show_spinner=False)
def _writer_store() -> Store:
    """The process's one read-write connection (queries take their own cursors): a writer publishing snapshots
    (``hcp serve --snapshots DIR``) shares its publisher's (kpi.core.snapshot.start_publisher_from_env). It is
    also handed to the thread that sends the time-based alerts when ``hcp serve`` started one
    (:mod:`kpi.alerts.schedule`)."""
    from kpi.core.snapshot import running_publisher

    publisher = running_publisher()
    if publisher is not None and publisher.store.path == str(db_path()):
        opened = publisher.store
    else:
        opened = Store.open(db_path())
    schedule.offer_store(opened)
    return opened


@st.cache_resource(show_spinner=False)
def _replica():
    """On a replica (``HCP_REPLICA``: ``hcp serve --replica DIR``), its snapshots (kpi.core.replica.Replica)."""
    folder = os.environ.get("HCP_REPLICA", "").strip()
    if not folder:
        return None
    from kpi.core.replica import Replica

    return Replica(folder)


def replica_mode() -> bool:
    """Whether this app is a read-only replica."""
    return bool(os.environ.get("HCP_REPLICA", "").strip())


def store() -> Store:
    """The store this render reads: the writer's one connection, or on a replica the snapshot pinned for this
    render (:func:`render`), so a render that started on one snapshot ends on it even when a newer one appears."""
    if not replica_mode():
        return _writer_store()
    pinned = getattr(_render, "store", None)
    return pinned if pinned is not None else _replica().current()


def _clear() -> None:
    _writer_store.clear()
    _replica.clear()


store.clear = _clear  # type: ignore[attr-defined]  # tests start each app afresh


@contextmanager
def render() -> Iterator[None]:
    """One render (app.py wraps the whole run): on a replica, pin the newest snapshot until the render ends; and
    remember the council for the render (:func:`council_code`)."""
    previous_council = getattr(_render, "council", None)
    _render.council = {}
    try:
        if not replica_mode():
            yield
            return
        previous = getattr(_render, "store", None)
        _render.store = _replica().current()
        try:
            yield
        finally:
            _render.store = previous
    finally:
        _render.council = previous_council


def snapshot_at() -> str | None:
    """On a replica, the time of the snapshot this render reads (``None`` on the writer)."""
    return str(store().replica["snapshot_at"]) if replica_mode() else None


def council_code() -> str:
    """The council this dashboard serves, read once per render of the store the render reads (a page asks for it
    a score of times; only ``hcp init`` and ``hcp sample`` set it)."""
    current = store()
    memo = getattr(_render, "council", None)
    if memo is None:  # outside a render
        return default_council(current)
    if id(current) not in memo:
        memo[id(current)] = (current, default_council(current))
    return memo[id(current)][1]


def database_info() -> dict[str, str]:
    """Facts about the database (is it the sample?)."""
    return get_info(store())


def data_version() -> int:
    """Changes whenever this council's data (or data every council shares) is written, so cached pages refresh
    after a write; another council's load or a sign-in leaves them warm."""
    from kpi.core.page_cache import page_cache_key

    return page_cache_key(store(), council_code())[1]


def signed_in_email() -> str | None:
    """The signed-in user's e-mail address, when the identity provider vouches for it (``None`` when nobody is
    signed in, or the claim is unverified: :func:`kpi.access.principal.claimed_email`)."""
    return claimed_email(st.user)


def principal() -> Principal | None:
    """Who is asking: the signed-in user as the users table knows them (``None`` for a stranger or nobody), or,
    without sign-in configured, the local commissioner, and only for a session on this computer (loopback).

    This is the only place the app makes the local principal; the library grants nothing to ``None``.
    """
    if not auth_configured():
        return None if _refusal() is not None else local_principal(LOCAL_NAME)
    from kpi.access.users import find_user

    return find_user(store(), signed_in_email()) if st.user.get("is_logged_in") else None


def _refusal() -> str | None:
    """Why this session's request may not be served (``kpi.access.principal.request_refusal``), or ``None``.

    Local mode: a session from another machine, through a forwarder (forwarding headers) or under a Host name that
    is not this computer's (DNS rebinding). With sign-in: a Host other than the configured one.
    """
    # Streamlit reports None for loopback clients; the test harness supplies a stand-in object and no headers.
    return request_refusal(
        st.context.ip_address, st.context.headers, signed_in=auth_configured(), hosts=allowed_hosts()
    )


def refuse_off_loopback() -> bool:
    """Render only the refusal when a session's request may not be served (see :func:`_refusal`)."""
    refusal = _refusal()
    if refusal is None:
        return False
    st.error(refusal)
    return True
