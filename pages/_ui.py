"""App-layer helpers shared by the pages: the store per process, cached data calls, banners and downloads.

Streamlit caching lives only here (the app layer); every function below calls :mod:`kpi` and never SQL.
"""

from __future__ import annotations

import io

import altair as alt
import polars as pl
import streamlit as st

from kpi import charts
from kpi.auth import LOCAL_USER, REFUSAL, auth_configured, is_loopback
from kpi.store import Store, db_path, default_council, get_info

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


def principal():
    """Who is asking: the signed-in user as the users table knows them (``None`` for a stranger), or, without
    sign-in configured, the local commissioner."""
    if not auth_configured():
        return LOCAL_USER
    from kpi.users import find_user

    return find_user(store(), signed_in_email()) if st.user.get("is_logged_in") else None


def refuse_off_loopback() -> bool:
    """Render only the refusal when a session reaches an unauthenticated app from another machine."""
    if auth_configured():
        return False
    address = st.context.ip_address
    # Streamlit reports None for loopback clients; only a real remote address string is refused (the test
    # harness supplies a stand-in object, which is not a network client).
    if not isinstance(address, str) or is_loopback(address):
        return False
    st.error(REFUSAL)
    return True


def sample_banner() -> None:
    """The banner every page of a sample database carries."""
    if database_info().get("is_sample") == "true":
        st.info(SAMPLE_BANNER, icon=":material/science:")


def start_page(title: str) -> None:
    """Every page starts with its title and, on a sample database, the sample banner."""
    st.title(title)
    sample_banner()


def download_frame(frame: pl.DataFrame, file_stem: str, key: str, label: str = "Download data (CSV)") -> None:
    """A CSV download of a frame, with formula-injection cells escaped."""
    st.download_button(label, charts.safe_csv(frame), file_name=f"{file_stem}.csv", mime="text/csv", key=key)


def chart_with_downloads(chart: alt.TopLevelMixin, frame: pl.DataFrame, file_stem: str, key: str) -> None:
    """Show an Altair chart with its data as CSV and itself as PNG and SVG."""
    st.altair_chart(chart, width="stretch", key=f"{key}_chart")
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
    from kpi.store import data_version

    return data_version(store())


@st.cache_data(show_spinner=False, max_entries=32)
def _kpi_values(council: str, version: int, provider: str | None = None) -> pl.DataFrame:
    from kpi import overview

    return overview.kpi_values(store(), council, provider_code=provider)


def kpi_values() -> pl.DataFrame:
    """Every KPI value at every level (the mandated-contacts mart) the principal may see (a provider: its own
    returns only), cached until the next write."""
    from kpi.access import provider_scope, require

    who = principal()
    require(who, "read_data")
    return _kpi_values(council_code(), _data_version(), provider_scope(who))


@st.cache_data(show_spinner=False, max_entries=8)
def _benchmarks(council: str, version: int) -> pl.DataFrame:
    from kpi import overview

    return overview.benchmarks(store(), council)


def benchmarks() -> pl.DataFrame:
    """Benchmark values (England, region, neighbours)."""
    return _benchmarks(council_code(), _data_version())


def pending() -> pl.DataFrame:
    """Submissions waiting for a decision (a provider: its own; a viewer, who reads accepted data only: none)."""
    from kpi import overview
    from kpi.access import accepted_only, provider_scope

    who = principal()
    frame = overview.pending(store(), council_code())
    if accepted_only(who):
        return frame.head(0)
    scope = provider_scope(who)
    return frame.filter(pl.col("provider_code") == scope) if scope else frame


def locality_names() -> dict[str, str]:
    """Locality codes to names."""
    from kpi import overview

    return overview.locality_names(store(), council_code())


@st.cache_data(show_spinner=False, max_entries=8)
def _outcome_series(council: str, framework_key: str, version: int) -> pl.DataFrame:
    from kpi import frameworks, outcomes

    framework = frameworks.load_frameworks()[framework_key]
    return outcomes.measure_series(
        store(),
        council,
        framework,
        kpi_values=_kpi_values(council, version),
        benchmarks=_benchmarks(council, version),
    )


def outcome_series(framework_key: str) -> pl.DataFrame:
    """Every value of a framework's measures (area, region, England, breakdowns), cached until the next write."""
    return _outcome_series(council_code(), framework_key, _data_version())


# ---- inequalities (issue 6): quantile frames and SII per period, each cached by its inputs -------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _rolling_quintiles(council: str, version: int) -> pl.DataFrame:
    from kpi import inequalities

    return inequalities.rolling_quintiles(store(), council)


@st.cache_data(show_spinner=False, max_entries=64)
def _quantile_frame(council: str, version: int, level: str, kpi_code: str) -> pl.DataFrame:
    from kpi import inequalities

    if level == "locality":
        return inequalities.quantile_frame(level, kpi_code, rolling=_rolling_quintiles(council, version))
    return inequalities.quantile_frame(level, kpi_code, values=_kpi_values(council, version))


def quantile_frame(level: str, kpi_code: str) -> pl.DataFrame:
    """Values by deprivation quantile of a KPI at a level ("borough" deciles, "locality" rolling quintiles)."""
    return _quantile_frame(council_code(), _data_version(), level, kpi_code)


@st.cache_data(show_spinner=False, max_entries=4096)
def _sii_period(council: str, version: int, level: str, kpi_code: str, period: str) -> pl.DataFrame:
    from kpi import inequalities

    frame = _quantile_frame(council, version, level, kpi_code).filter(pl.col("period") == period)
    return inequalities.sii_table(frame, n_quantiles=inequalities.LEVELS[level][1])


def sii_table(level: str, kpi_code: str, period_list: list[str]) -> pl.DataFrame:
    """SII and RII per area for each period (100,000 draws each), cached per level, KPI and period."""
    council, version = council_code(), _data_version()
    return pl.concat([_sii_period(council, version, level, kpi_code, p) for p in period_list])


def locality_cells() -> pl.DataFrame:
    """Locality x IMD decile cells that hold LSOAs."""
    from kpi.councils import locality_cells as cells

    return cells(store(), council_code())


# ---- sign-in, roles and the provider portal (issue 7) ---------------------------------------------------------------


def signed_in_email() -> str | None:
    """The e-mail claim of the signed-in user (``None`` when nobody is signed in)."""
    email = st.user.get("email")
    return str(email) if email else None


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
    from kpi.users import record_sign_in

    who, email = principal(), signed_in_email()
    if st.session_state.get("_signed_in_as") != email:
        record_sign_in(store(), email, who)
        st.session_state["_signed_in_as"] = email
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
    """The navigation's sections with only the pages the principal's role is offered (empty sections dropped)."""
    from kpi.access import page_allowed

    who = principal()

    def declared_path(page) -> str:
        # The default page answers url_path "" (the root URL); its declared path is what PAGE_ROLES names.
        return getattr(page, "_url_path", None) or page.url_path

    kept = {
        name: [page for page in pages if page_allowed(who, declared_path(page))]
        for name, pages in sections.items()
    }
    return {name: pages for name, pages in kept.items() if pages}


def navigation(sections: dict):
    """``st.navigation`` over the pages the principal's role is offered (kpi.access.PAGE_ROLES)."""
    return st.navigation(allowed_pages(sections))


def account_sidebar() -> None:
    """Who is signed in, as what, and a sign-out button (with sign-in configured)."""
    if not auth_configured():
        return
    who = principal()
    with st.sidebar:
        st.caption(f"Signed in as {who.label}")
        st.button("Sign out", key="sign_out", on_click=st.logout)


def show_denied(exc: Exception) -> None:
    """Show a refusal from the data layer (kpi.access.AccessDenied) and stop the page."""
    st.error(str(exc), icon=":material/block:")
    st.stop()


@st.cache_data(show_spinner=False, max_entries=8)
def _ncmp(council: str, version: int):
    from kpi import ncmp_views

    return ncmp_views.ncmp_data(store(), council)


def ncmp_data():
    """The NCMP marts (kpi.ncmp_views.NcmpData), cached until the next write."""
    return _ncmp(council_code(), _data_version())


def exception_narratives(period: str) -> None:
    """The exception narratives in force for a period (the overview's Exceptions section), as text."""
    from kpi import exceptions

    frame = exceptions.overview_narratives(store(), principal(), council_code(), period)
    if frame.is_empty():
        st.caption("No explanation has been recorded for this period yet (see the Exceptions page).")
        return
    names = locality_names()
    for row in frame.iter_rows(named=True):
        where = names.get(row["locality_code"], "Borough")
        st.markdown(
            f"**{row['kpi_name']}, {where}** ({row['provider_code']}, {row['rag'] or 'exception'}; "
            f"{row['agreement']}): {row['explanation']}  \n"
            f"Remedial action: {row['remedial_action']} Owner: {row['owner']}, by {row['due_date']:%d %B %Y}."
        )
