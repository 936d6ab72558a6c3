"""Review returns: the commissioner accepts a submitted return or queries it with a comment for the provider."""

import polars as pl
import streamlit as st

from kpi.alerts import notify as notify
from kpi.returns import review as submissions
from pages import _alerts_ui as _alerts
from pages._app import portal as _portal
from pages._app import ui as _ui

_ui.start_page("Review returns")
who, council, store = _ui.principal(), _ui.council_code(), _ui.store()
if flash := st.session_state.pop("review_flash", None):
    st.success(_ui.plain(flash), icon=":material/check_circle:")

listing = submissions.list_submissions(store, council, who)
waiting = listing.filter(pl.col("status") == "submitted")
queried = listing.filter(pl.col("status") == "queried")
cols = st.columns(2)
cols[0].metric("Waiting for a decision", waiting.height)
cols[1].metric("Queried, waiting for the provider", queried.height)
if waiting.is_empty():
    st.info("No return is waiting for review.")
    if not queried.is_empty():
        st.subheader("Queried returns")
        _portal.history_table(queried, key="review_queried")
    st.stop()

labels = {
    row["submission_id"]: f"{row['submission_id']}: {row['provider_code']} {row['period']}, "
    f"received {row['received_at']:%d %b %Y %H:%M} from {row['submitted_by']}"
    for row in waiting.iter_rows(named=True)
}
chosen = st.selectbox("Submission", list(labels), format_func=labels.get, key="review_submission")
row = waiting.filter(pl.col("submission_id") == chosen).row(0, named=True)
current = listing.filter(
    pl.col("provider_code") == row["provider_code"],
    pl.col("period") == row["period"],
    pl.col("status") == "accepted",
)
if not current.is_empty():
    st.caption(
        f"Accepting it supersedes submission {current['submission_id'][0]}, accepted on "
        f"{current['accepted_at'][0]:%d %B %Y}, which stays in the history."
    )
st.caption(
    f"{row['row_count']} rows; {row['warning_count']} warning(s) confirmed: {row['warnings_reason'] or '-'}"
)
report = submissions.report_from_dict(submissions.submission_report(store, chosen, who))
_portal.show_report(report, key="review_report")
with st.expander("Rows of this return"):
    rows = submissions.submission_rows(store, chosen, who)
    _ui.table(rows, key="review_rows")
    _ui.download_frame(rows, f"return_{chosen}_rows", key="review_rows_csv")
name, data = submissions.submission_file(store, who, chosen)
if data is not None:
    st.download_button("The file as received", data, file_name=name, key="review_file", on_click="ignore")

comment = st.text_area("Comment (needed to query; the provider sees it)", key="review_comment")
cols = st.columns(2)
try:
    if cols[0].button("Accept", key="review_accept", type="primary"):
        done = _portal.sentence(submissions.accept_submission(store, who, chosen, comment))
        sent = notify.after_review(store, council, chosen, comment, principal=who)
        st.session_state["review_flash"] = f"{done} {_alerts.sent_words(sent, store, council)}"
        st.rerun()
    if cols[1].button("Query", key="review_query"):
        done = _portal.sentence(submissions.query_submission(store, who, chosen, comment))
        sent = notify.after_review(store, council, chosen, comment, principal=who)
        st.session_state["review_flash"] = f"{done} {_alerts.sent_words(sent, store, council)}"
        st.rerun()
except submissions.ReviewError as exc:
    st.error(_ui.plain(_portal.sentence(str(exc))), icon=":material/error:")
