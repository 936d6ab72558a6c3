"""App-layer helpers of the provider portal pages (upload, review, returns): reports, histories and notices.

No SQL and no rules here: every figure comes from :mod:`kpi.returns.load`; these functions only lay it out.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from kpi.access import users as users
from kpi.access.principal import ROLES, auth_configured
from kpi.core.councils import providers
from kpi.core.tables import MISSING, plain
from kpi.core.value_maps import map_distinct
from kpi.ingest.report import Report
from kpi.returns import review as submissions
from pages._app import widgets

STATUS_WORDS = {
    "submitted": "Submitted: waiting for the commissioner",
    "accepted": "Accepted",
    "queried": "Queried: please correct and resubmit",
    "superseded": "Superseded by a newer return",
}


def sentence(text: str) -> str:
    """A library message as a sentence: capital first letter and a full stop."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def show_report(report: Report, key: str) -> None:
    """The validation report grouped by problem with its rows, and downloads of it (text and CSV)."""
    errors, warnings = report.errors.height, report.warnings.height
    st.caption(f"{plain(report.file_name)}: {report.rows_read} data rows read; SHA-256 {report.sha256}")
    if not errors and not warnings:
        st.success("No problems found.", icon=":material/check_circle:")
    else:
        st.markdown(
            f"**{errors} error(s) and {warnings} warning(s)**, grouped by problem (row 1 is the header):"
        )
        table = submissions.report_table(report)
        st.table(
            table.select(
                pl.col("severity").alias("Severity"),
                # st.table renders Markdown: a file's values in a message are shown as typed (kpi.core.tables.plain)
                *(
                    map_distinct(table[name].cast(pl.String), plain, pl.String)
                    .fill_null(MISSING)  # a problem of the whole file has no row or column
                    .alias(label)
                    for name, label in (("rows", "Rows"), ("column", "Column"), ("problem", "Problem"))
                ),
            ),
            hide_index=True,
            alt=f"Problems found in {plain(report.file_name)}, errors first, with the rows of the file they are on",
        )
    cols = st.columns(2)
    stem = report.file_name.rsplit(".", 1)[0] or "return"
    cols[0].download_button(
        "Download the report (text)",
        report.to_text(),
        file_name=f"{stem}_report.txt",
        mime="text/plain",
        key=f"{key}_txt",
        on_click="ignore",
    )
    with cols[1]:
        widgets.download_frame(
            report.problems, f"{stem}_problems", key=f"{key}_csv", label="Download the problems (CSV)"
        )


def history_table(listing: pl.DataFrame, key: str) -> None:
    """Submissions with status, who and when, the review and the file's SHA-256, and a CSV download."""
    shown = listing.select(
        pl.col("submission_id").alias("Submission"),
        pl.col("period").alias("Period"),
        pl.col("provider_code").alias("Provider"),
        pl.col("status").replace_strict(STATUS_WORDS, default=pl.col("status")).alias("Status"),
        pl.col("submitted_by").alias("Submitted by"),
        pl.col("received_at").dt.strftime("%d %b %Y %H:%M").alias("Received"),
        pl.col("reviewed_by").alias("Reviewed by"),
        pl.col("review_comment").alias("Commissioner's comment"),
        pl.col("file_name").alias("File"),
        pl.col("file_sha256").alias("SHA-256"),
    )
    widgets.table(shown, key=f"{key}_table")
    widgets.download_frame(listing, "submissions", key=f"{key}_csv")


def query_notices(listing: pl.DataFrame) -> None:
    """A notice for every queried return still waiting for a corrected file."""
    for row in listing.filter(pl.col("status") == "queried").iter_rows(named=True):
        st.warning(
            f"Submission {row['submission_id']} ({row['provider_code']} {row['period']}) was queried by "
            f"{plain(row['reviewed_by'])} on {row['reviewed_at']:%d %B %Y}: “{plain(row['review_comment'])}”. "
            "Correct the file and upload it again.",
            icon=":material/help:",
        )


def users_section(store, who, council: str) -> None:
    """The Admin page's Users section: add or change a user, the current users, removal, and the history."""
    st.header("Users")
    if not auth_configured():
        st.info(
            "Sign-in is not configured, so the dashboard runs for one local commissioner. The users below "
            "may sign in once [auth] is set in .streamlit/secrets.toml."
        )
    if flash := st.session_state.pop("admin_users_flash", None):
        st.success(plain(flash), icon=":material/check_circle:")
    with st.form(key="admin_users_add"):
        cols = st.columns([3, 2, 2])
        email = cols[0].text_input("E-mail address (as the person signs in)", key="admin_users_email")
        role = cols[1].selectbox("Role", ROLES, key="admin_users_role")
        codes = ["", *providers(store, council)["provider_code"].to_list()]
        provider = cols[2].selectbox("Provider (providers only)", codes, key="admin_users_provider")
        if st.form_submit_button("Add or change the user", key="admin_users_add_button"):
            try:
                added = users.add_user(store, who, email, role, provider_code=provider or None)
                st.session_state["admin_users_flash"] = f"{added.email} may sign in as {added.role}" + (
                    f" for provider {added.provider_code}." if added.provider_code else "."
                )
                st.rerun()
            except users.UserError as exc:
                st.error(plain(sentence(str(exc))))
    current = users.list_users(store, who)
    widgets.table(current, key="admin_users_table")
    if not current.is_empty():
        cols = st.columns([3, 1])
        gone = cols[0].selectbox("Remove a user", current["email"].to_list(), key="admin_users_remove_email")
        if cols[1].button("Remove", key="admin_users_remove"):
            users.remove_user(store, who, gone)
            st.session_state["admin_users_flash"] = f"{gone} can no longer sign in (the history is kept)."
            st.rerun()
    with st.expander("History of users and roles"):
        everyone = users.list_users(store, who, include_removed=True)
        widgets.table(everyone, key="admin_users_history")
        widgets.download_frame(everyone, "users_history", key="admin_users_history_csv")
