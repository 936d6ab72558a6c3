"""App-layer helpers shared by the pages: the store per process, cached data calls, banners and downloads.

Streamlit caching lives only here (the app layer); every function below calls :mod:`kpi` and never SQL.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from kpi.access.principal import Principal, allowed_hosts, auth_configured, local_principal, request_refusal
from kpi.contract.values import MATRIX_CSS  # noqa: F401 (pages use them here)
from kpi.core.store import Store, db_path, default_council, get_info
from kpi.core.tables import MISSING, column_words, json_words, plain, readable  # noqa: F401
from pages._downloads import chart_with_downloads, download_frame  # noqa: F401

#: The local single user's name in the audit log.
LOCAL_NAME = "local user"
SAMPLE_BANNER = (
    "Sample data: synthetic figures for a real borough (Trafford). No figure here describes a real service."
)


@st.cache_resource(show_spinner=False)
def store() -> Store:
    """The process's one read-write connection (queries take their own cursors)."""
    return Store.open(db_path())


def council_code() -> str:
    """The council this dashboard serves."""
    return default_council(store())


def database_info() -> dict[str, str]:
    """Facts about the database (is it the sample?)."""
    return get_info(store())


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


def sample_banner() -> None:
    """The banner every page of a sample database carries."""
    if database_info().get("is_sample") == "true":
        st.info(SAMPLE_BANNER, icon=":material/science:")


def guard(title: str) -> Principal:
    """The gate every page script runs first, whatever started the server: the local-mode loopback rule, sign-in,
    and the page's roles (``kpi.access.rules.PAGE_ROLES``, by the page's URL path in the page table).

    Returns the principal when the session may see the page; otherwise renders only the refusal (or the sign-in
    button) and stops the script, so nothing of the page runs.
    """
    from kpi.access.rules import page_allowed
    from pages._page_table import entry_titled

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
    """Every page starts here: the guard (sign-in and roles), then its title and, on a sample database, the sample
    banner. Returns the principal the page acts for."""
    who = guard(title)
    st.title(title)
    sample_banner()
    return who


def _data_version() -> int:
    """Changes whenever anything is written (the audit log grows), so cached data refreshes after writes."""
    from kpi.core.store import data_version

    return data_version(store())


@st.cache_data(show_spinner=False, max_entries=32)
def _kpi_values(council: str, version: int, who: Principal | None) -> pl.DataFrame:
    from kpi.contract import values as overview

    return overview.kpi_values(store(), council, principal=who)


def kpi_values() -> pl.DataFrame:
    """Every KPI value at every level (the mandated-contacts mart) the principal may see (a provider: its own
    returns only), cached until the next write."""
    from kpi.access.rules import require

    who = principal()
    require(who, "read_data")
    return _kpi_values(council_code(), _data_version(), who)


@st.cache_data(show_spinner=False, max_entries=8)
def _benchmarks(council: str, version: int) -> pl.DataFrame:
    from kpi.contract import values as overview

    return overview.benchmarks(store(), council)


def benchmarks() -> pl.DataFrame:
    """Benchmark values (England, region, neighbours)."""
    return _benchmarks(council_code(), _data_version())


def pending() -> pl.DataFrame:
    """Submissions waiting for a decision (a provider: its own; a viewer, who reads accepted data only: none)."""
    from kpi.access.rules import accepted_only
    from kpi.contract import values as overview

    who = principal()
    if who is not None and accepted_only(who):
        return pl.DataFrame(schema={"provider_code": pl.String, "dataset": pl.String, "period": pl.String})
    return overview.pending(store(), council_code(), principal=who)


def locality_names() -> dict[str, str]:
    """Locality codes to names."""
    from kpi.contract import values as overview

    return overview.locality_names(store(), council_code())


def provider_names() -> dict[str, str]:
    """Provider codes to names (the providers table); a provider without a name keeps its code."""
    from kpi.core.councils import providers

    frame = providers(store(), council_code())
    return {r["provider_code"]: r["provider_name"] or r["provider_code"] for r in frame.iter_rows(named=True)}


def explanations(period: str, values: pl.DataFrame) -> pl.DataFrame:
    """The provider's explanation per KPI × place for a period (agreed narrative, else awaiting, else comment)."""
    from kpi.contract import narratives

    return narratives.explanations(store(), council_code(), period, values, principal=principal())


def table(frame: pl.DataFrame, key: str, labels: dict[str, str] | None = None, **kwargs) -> None:
    """Show ``frame`` as :func:`kpi.core.tables.readable` makes it (no index, the page's width)."""
    shown, formats = readable(frame, labels)
    config = {name: st.column_config.NumberColumn(name, format=fmt) for name, fmt in formats.items()}
    config.update(kwargs.pop("column_config", {}) or {})
    kwargs.setdefault("width", "stretch")
    st.dataframe(shown, hide_index=True, key=key, column_config=config, **kwargs)


# The analysis pages' cached data and the sign-in gate live in modules of their own; pages reach them here.
from pages._analysis import (  # noqa: E402, F401
    deprivation_outcomes,
    locality_cells,
    ncmp_data,
    outcome_series,
    quantile_frame,
    sii_table,
)
from pages._signin import account_sidebar, navigation, sign_in, signed_in_email  # noqa: E402, F401
