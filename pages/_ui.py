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
    st.altair_chart(shown, width="stretch", key=f"{key}_chart")
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
table.exceptions-board td, table.exceptions-board th {vertical-align: top;}
table.exceptions-board a {color: #0b4f8a;}
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


def provider_names() -> dict[str, str]:
    """Provider codes to names (the providers table); a provider without a name keeps its code."""
    from kpi.core.councils import providers

    frame = providers(store(), council_code())
    return {r["provider_code"]: r["provider_name"] or r["provider_code"] for r in frame.iter_rows(named=True)}


def explanations(period: str, values: pl.DataFrame) -> pl.DataFrame:
    """The provider's explanation per KPI × place for a period (agreed narrative, else awaiting, else comment)."""
    from kpi.contract import narratives

    return narratives.explanations(store(), council_code(), period, values, principal=principal())


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
    providers = provider_names()
    for row in frame.iter_rows(named=True):
        where = names.get(row["locality_code"], "Borough")
        provider = plain(providers.get(row["provider_code"], row["provider_code"]))
        st.markdown(
            f"**{row['kpi_name']}, {where}** ({provider}, {row['rag'] or 'exception'}; "
            f"{row['agreement']}): {plain(row['explanation'])}  \n"
            f"Remedial action: {plain(row['remedial_action'])} Owner: {plain(row['owner'])}, "
            f"by {row['due_date']:%d %B %Y}."
        )


# ---- tables as people read them ------------------------------------------------------------------------------

#: Words for the database's column names that tables show (anything else: underscores become spaces).
COLUMN_WORDS = {
    "kpi_code": "KPI",
    "kpi_name": "KPI name",
    "locality_code": "Locality",
    "locality_name": "Locality",
    "imd_decile": "IMD decile",
    "provider_code": "Provider",
    "submission_id": "Submission",
    "audit_id": "Entry",
    "load_id": "Load",
    "event_at": "When",
    "council_code": "Council",
    "detail_json": "Details",
    "source_row": "Row in file",
    "is_warning_row": "Has a warning",
    "warning_count": "Warnings",
    "warnings_reason": "Reason warnings were accepted",
    "submitted_by": "Submitted by",
    "received_at": "Received",
    "first_received_at": "First received",
    "last_received_at": "Last received",
    "value_pct": "Value %",
    "target_pct": "Target %",
    "lower_ci_pct": "Lower 95% CI %",
    "upper_ci_pct": "Upper 95% CI %",
    "academic_year": "Academic year",
    "year_group": "Year group",
    "file_name": "File",
    "loaded_at": "Loaded",
    "loaded_by": "Loaded by",
}
#: Columns only the program needs (ordering keys, hashes): never shown.
HIDDEN_COLUMNS = ("period_index", "sort_order", "decile_order", "file_sha256")
#: Shown for a missing value (never "None").
MISSING = "–"
#: Dates before this are placeholders (e.g. 1900-01-01), not dates: shown as missing.
_PLACEHOLDER_YEAR = 1901
_IDENTIFIERS = ("submission", "entry", "load", "row in file", "year", "academic year", "id")


def column_words(name: str) -> str:
    """A column's header in words: ``COLUMN_WORDS``, else underscores as spaces with the first letter capitalised.

    Example:
        >>> column_words("kpi_code"), column_words("days_late")
        ('KPI', 'Days late')
    """
    if name in COLUMN_WORDS:
        return COLUMN_WORDS[name]
    if "_" not in name and not name.islower():
        return name
    words = name.replace("_", " ").strip()
    if words.endswith(" pct"):
        words = words[: -len(" pct")] + " %"
    return words[:1].upper() + words[1:]


def json_words(text: str | None) -> str | None:
    """A JSON object of details as "key: value; ..." in words (lists joined by commas; empty values left out).

    Example:
        >>> json_words('{"load_id": 8, "year_groups": ["R", "6"], "reason": null}')
        'Load: 8; Year groups: R, 6'
    """
    import json

    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return str(data)
    parts = []
    for key, value in data.items():
        if value is None or value == [] or value == "":
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        parts.append(f"{column_words(key)}: {value}")
    return "; ".join(parts)


def _is_percent(label: str) -> bool:
    return "%" in label or "per cent" in label.lower() or label.lower().endswith("pct")


def readable(frame: pl.DataFrame, labels: dict[str, str] | None = None) -> tuple[pl.DataFrame, dict]:
    """``frame`` as a table for people, and the ``column_config`` to show it with.

    Headers in words (``labels`` first, then :func:`column_words`); program-only columns dropped; dates and times
    written out (placeholders before 1901 shown as missing); yes/no for booleans; percentages to one decimal
    place and counts with thousands separators; a missing value shows as "–", never "None". A number column with
    missing values is written as text so the dash can show.
    """
    labels = labels or {}
    frame = frame.drop([c for c in HIDDEN_COLUMNS if c in frame.columns])
    frame = frame.with_columns(
        pl.col(c).map_elements(json_words, return_dtype=pl.String)
        for c in frame.columns
        if c.endswith("_json")
    )
    frame = frame.rename({c: labels.get(c) or column_words(c) for c in frame.columns})
    config: dict = {}
    columns = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
            text = (
                pl.when(col.dt.year() < _PLACEHOLDER_YEAR)
                .then(None)
                .otherwise(col.dt.strftime("%d %b %Y %H:%M"))
            )
            columns.append(text.fill_null(MISSING).alias(name))
        elif dtype == pl.Date:
            text = (
                pl.when(col.dt.year() < _PLACEHOLDER_YEAR).then(None).otherwise(col.dt.strftime("%d %b %Y"))
            )
            columns.append(text.fill_null(MISSING).alias(name))
        elif dtype == pl.Boolean:
            columns.append(
                pl.when(col)
                .then(pl.lit("Yes"))
                .when(~col)
                .then(pl.lit("No"))
                .otherwise(pl.lit(MISSING))
                .alias(name)
            )
        elif dtype.is_numeric():
            identifier = name.lower() in _IDENTIFIERS
            whole = dtype.is_integer() or (frame[name].drop_nulls() % 1 == 0).all()
            if _is_percent(name) or not whole:
                fmt, text = "%.1f", col.round(1).map_elements(lambda v: f"{v:.1f}", return_dtype=pl.String)
            elif identifier:
                fmt, text = "%d", col.cast(pl.Int64).cast(pl.String)
            else:
                fmt = "localized"
                text = col.cast(pl.Int64).map_elements(lambda v: f"{v:,}", return_dtype=pl.String)
            if frame[name].null_count():
                columns.append(text.fill_null(MISSING).alias(name))
            else:
                columns.append((col if fmt == "%.1f" else col.cast(pl.Int64)).alias(name))
                config[name] = st.column_config.NumberColumn(name, format=fmt)
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            columns.append(
                col.cast(pl.String).replace({"None": None, "": None}).fill_null(MISSING).alias(name)
            )
        else:
            columns.append(col.alias(name))
    return frame.select(columns), config


def table(frame: pl.DataFrame, key: str, labels: dict[str, str] | None = None, **kwargs) -> None:
    """Show ``frame`` as :func:`readable` makes it (no index, the page's width)."""
    shown, config = readable(frame, labels)
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
