"""App-layer helpers shared by the pages: the store per process, cached data calls, banners and downloads.

Streamlit caching lives only here (the app layer); every function below calls :mod:`kpi` and never SQL.
"""

from __future__ import annotations

import io

import altair as alt
import polars as pl
import streamlit as st

from kpi.access.principal import Principal, allowed_hosts, auth_configured, local_principal, request_refusal
from kpi.core import charts as charts
from kpi.core.store import Store, db_path, default_council, get_info

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


_MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~$:=")


def plain(text: object) -> str:
    """Text from outside the program (a return's comment, a narrative, a file name) made safe to put in Markdown.

    Streamlit renders Markdown in ``st.markdown``, captions and alerts: a provider's ``![x](https://...)`` would be
    fetched as an image, ``[link](...)`` would show a link, ``:red[...]`` a coloured word. Every Markdown
    punctuation character is escaped with a backslash and line breaks become spaces, so the text shows as typed.

    Example:
        >>> plain("![x](http://evil.example/a.png) *now*")
        '\\!\\[x\\]\\(http\\://evil\\.example/a\\.png\\) \\*now\\*'
    """
    flat = " ".join(str("" if text is None else text).split())
    return "".join("\\" + char if char in _MARKDOWN_SPECIALS else char for char in flat)


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


def download_frame(frame: pl.DataFrame, file_stem: str, key: str, label: str = "Download data (CSV)") -> None:
    """A CSV download of a frame, with formula-injection cells escaped."""
    st.download_button(label, charts.safe_csv(frame), file_name=f"{file_stem}.csv", mime="text/csv", key=key)


def chart_with_downloads(chart: alt.TopLevelMixin, frame: pl.DataFrame, file_stem: str, key: str) -> None:
    """Show an Altair chart with its data as CSV and itself as PNG and SVG.

    The chart fills the page's width at its own plot height (Streamlit's default "fit" would squeeze the plot into
    the height left over by the title, axes and legend), and carries an accessible name: its description, else
    its title.
    """
    chart = charts.accessible(chart)
    shown = chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    name = shown.to_dict().get("description") or None
    st.altair_chart(shown, width="stretch", key=f"{key}_chart", alt=name)
    cols = st.columns(3)
    with cols[0]:
        download_frame(frame, file_stem, key=f"{key}_csv")
    with cols[1]:
        st.download_button(
            "Chart (PNG)",
            _png(chart),
            file_name=f"{file_stem}.png",
            mime="image/png",
            key=f"{key}_png",
            on_click="ignore",
        )
    with cols[2]:
        st.download_button(
            "Chart (SVG)",
            charts.to_svg(chart),
            file_name=f"{file_stem}.svg",
            mime="image/svg+xml",
            key=f"{key}_svg",
            on_click="ignore",
        )


def _png(chart: alt.TopLevelMixin):
    return lambda: io.BytesIO(charts.to_png(chart)).getvalue()


MATRIX_CSS = """<style>
table.rag-matrix {border-collapse: collapse; font-size: 0.9rem; width: 100%;}
table.rag-matrix caption {text-align: left; font-weight: 600; padding: 0.3rem 0;}
table.rag-matrix th, table.rag-matrix td {border: 1px solid #9a9a9a; padding: 0.3rem 0.45rem; color: #1a1a1a;}
table.rag-matrix thead th {background: #f3f3f3;}
table.rag-matrix tbody th {text-align: left; font-weight: 500; background: #fafafa;}
table.rag-matrix img.spc-icon {vertical-align: middle; display: inline;}
table.rag-matrix .spc-text {font-size: 0.8rem;}
</style>"""


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


def show_denied(exc: Exception) -> None:
    """Show a refusal from the data layer (kpi.access.rules.AccessDenied) and stop the page."""
    st.error(plain(str(exc)), icon=":material/block:")
    st.stop()


def exception_narratives(period: str) -> None:
    """The exception narratives in force for a period (the overview's Exceptions section), as text."""
    from kpi.contract import narratives as exceptions

    frame = exceptions.overview_narratives(store(), principal(), council_code(), period)
    if frame.is_empty():
        st.caption("No explanation has been recorded for this period yet (see the Exceptions page).")
        return
    names = locality_names()
    for row in frame.iter_rows(named=True):
        where = names.get(row["locality_code"], "Borough")
        st.markdown(
            f"**{row['kpi_name']}, {where}** ({row['provider_code']}, {row['rag'] or 'exception'}; "
            f"{row['agreement']}): {plain(row['explanation'])}  \n"
            f"Remedial action: {plain(row['remedial_action'])} Owner: {plain(row['owner'])}, "
            f"by {row['due_date']:%d %B %Y}."
        )


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
