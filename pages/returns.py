"""Returns: every provider submission with its status and timeliness, and one submission's rows."""

import polars as pl
import streamlit as st

from kpi.returns import review as submissions
from pages._app import ui as _ui

_ui.start_page("Returns")
st.caption(
    "Every return received, newest period first. A resubmission supersedes the earlier return for the same "
    "provider and period, which stays here in the history."
)

listing = submissions.list_submissions(_ui.store(), _ui.council_code(), _ui.principal())
if listing.is_empty():
    st.warning(
        "No returns have been loaded yet. Load one with `hcp load mandated-contacts FILE --provider CODE`."
    )
    st.stop()

late = listing.filter(pl.col("timeliness") == "late")
cols = st.columns(3)
cols[0].metric("Returns received", listing.height)
cols[1].metric("Received late", late.height)
cols[2].metric("Superseded by a resubmission", listing.filter(pl.col("status") == "superseded").height)
for row in late.iter_rows(named=True):
    st.warning(
        f"Late return: {row['period']} from {row['provider_code']} was received on "
        f"{row['received_at']:%d %B %Y}, after its due date of {row['due_date']:%d %B %Y}.",
        icon=":material/schedule:",
    )

shown = listing.select(
    pl.col("submission_id").alias("Submission"),
    pl.col("period").alias("Period"),
    pl.col("provider_code").alias("Provider"),
    pl.col("status").str.to_titlecase().alias("Status"),
    pl.col("received_at").dt.strftime("%d %b %Y %H:%M").alias("Received"),
    pl.col("due_date").dt.strftime("%d %b %Y").alias("Due"),
    pl.col("timeliness").str.to_titlecase().alias("Timeliness"),
    pl.col("superseded_by").alias("Superseded by"),
    pl.col("row_count").alias("Rows"),
    pl.col("file_name").alias("File"),
    pl.col("file_sha256").str.slice(0, 12).alias("SHA-256 (start)"),
)
_ui.table(shown, key="returns_table")
_ui.download_frame(
    listing.drop("file_sha256").with_columns(listing["file_sha256"]), "returns", key="returns_csv"
)

st.subheader("Rows of one return")
ids = listing["submission_id"].to_list()
requested = st.query_params.get("submission")
default = ids.index(int(requested)) if requested and requested.isdigit() and int(requested) in ids else 0
labels = {
    row["submission_id"]: f"{row['submission_id']}: {row['period']} {row['provider_code']} ({row['status']})"
    for row in listing.iter_rows(named=True)
}
chosen = st.selectbox("Submission", ids, index=default, format_func=labels.get, key="returns_submission")
st.query_params["submission"] = str(chosen)
rows = submissions.submission_rows(_ui.store(), chosen, _ui.principal())
_ui.table(rows, key="returns_rows")
_ui.download_frame(rows, f"return_{chosen}_rows", key="returns_rows_csv")
