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
    """Who is asking (local single-user mode: the local commissioner)."""
    return LOCAL_USER


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
</style>"""


def _data_version() -> int:
    """Changes whenever anything is written (the audit log grows), so cached data refreshes after writes."""
    from kpi.store import data_version

    return data_version(store())


@st.cache_data(show_spinner=False, max_entries=32)
def _kpi_values(council: str, version: int) -> pl.DataFrame:
    from kpi import overview

    return overview.kpi_values(store(), council)


def kpi_values() -> pl.DataFrame:
    """Every KPI value at every level (the mandated-contacts mart), cached until the next write."""
    return _kpi_values(council_code(), _data_version())


@st.cache_data(show_spinner=False, max_entries=8)
def _benchmarks(council: str, version: int) -> pl.DataFrame:
    from kpi import overview

    return overview.benchmarks(store(), council)


def benchmarks() -> pl.DataFrame:
    """Benchmark values (England, region, neighbours)."""
    return _benchmarks(council_code(), _data_version())


def pending() -> pl.DataFrame:
    """Submissions waiting for a decision."""
    from kpi import overview

    return overview.pending(store(), council_code())


def locality_names() -> dict[str, str]:
    """Locality codes to names."""
    from kpi import overview

    return overview.locality_names(store(), council_code())


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
