"""Upload a return: templates, check or submit a file, the validation report, the submission history; child-level records."""

import streamlit as st

from kpi.access import rules as access
from kpi.alerts import notify as notify
from kpi.contract import spc_controls as spc_controls
from kpi.core.councils import providers
from kpi.ingest.files import MAX_FILE_BYTES, sha256
from kpi.returns import review as submissions
from kpi.returns import template as return_template
from pages import _alerts_ui as _alerts
from pages import _hv_records_ui as _hv_records
from pages._app import portal as _portal
from pages._app import ui as _ui

_ui.start_page("Upload a return")
who, council, store = _ui.principal(), _ui.council_code(), _ui.store()
scope = access.provider_scope(who)
if scope:
    provider = scope
    st.caption(f"Returns for provider {provider}. Every upload is stamped with your provider's code.")
else:
    codes = providers(store, council)["provider_code"].to_list()
    provider = st.selectbox("Provider", codes, key="upload_provider")
    st.caption("A commissioner's upload is accepted at once; a provider's waits for review.")
if not provider:
    st.warning("No provider is recorded for this council yet.")
    st.stop()

listing = submissions.list_submissions(store, council, who).filter(provider_code=provider)
_portal.query_notices(listing)

st.subheader("1. Download a template")
period = st.selectbox("Quarter", return_template.open_periods(), key="upload_template_period")
stem = f"mandated_contacts_{period.replace(' ', '_')}_{provider}"
cols = st.columns(2)
cols[0].download_button(
    "Template (CSV)",
    lambda: return_template.template_csv(store, who, council, provider, period),
    file_name=f"{stem}.csv",
    mime="text/csv",
    key="upload_template_csv",
    on_click="ignore",
)
cols[1].download_button(
    "Template (Excel, with drop-down lists)",
    lambda: return_template.template_xlsx(store, who, council, provider, period),
    file_name=f"{stem}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="upload_template_xlsx",
    on_click="ignore",
)

st.subheader("2. Check and submit")
upload = st.file_uploader(
    f"Return file: CSV or Excel workbook (.xlsx, data on sheet Return), up to {MAX_FILE_BYTES // 1_048_576} MB",
    type=["csv", "xlsx", "xlsm", "xls", "txt"],
    key="upload_file",
    max_upload_size=MAX_FILE_BYTES // 1_048_576,
)
last = st.session_state.get("upload_last")
data = upload.getvalue() if upload is not None else None
confirmed, reason = False, ""
if data is not None and last and last["sha256"] == sha256(data) and last["report"].warnings.height:
    # the tick and the reason belong to this file's warnings, shown once it has been checked
    confirmed = st.checkbox("I have checked the warnings and the figures are right", key="upload_confirm")
    reason = st.text_input("Why the figures are right despite the warnings", key="upload_reason").strip()
cols = st.columns(2)
check = cols[0].button("Check only", key="upload_check", disabled=data is None)
submit = cols[1].button("Submit", key="upload_submit", type="primary", disabled=data is None)
if data is not None and submit and confirmed and not reason:
    st.error("Say why the figures are right despite the warnings, then submit again.")
elif data is not None and (check or submit):
    result = submissions.portal_load(
        store,
        who,
        data,
        upload.name,
        council_code=council,
        provider_code=provider,
        check_only=check,
        accept_warnings=confirmed and submit,
        reason=reason or None,
    )
    keep = ("outcome", "message", "would_write", "report", "submission_id")
    st.session_state["upload_last"] = {"sha256": result.report.sha256} | {k: getattr(result, k) for k in keep}
    if result.outcome == submissions.WRITTEN and result.submission_id is not None:
        st.session_state["upload_alerts"] = _alerts.sent_words(
            notify.after_load(store, council, result.submission_id, principal=who), store, council
        )
    st.rerun()

if data is not None and last and last["sha256"] == sha256(data):
    outcome, message = last["outcome"], _portal.sentence(last["message"])
    if outcome == submissions.WRITTEN or (outcome == submissions.CHECKED and last["would_write"]):
        st.success(_ui.plain(message), icon=":material/check_circle:")
    elif outcome in (submissions.REJECTED, submissions.FAILED) or not last["report"].ok:
        st.error(_ui.plain(message), icon=":material/error:")
    else:
        st.warning(_ui.plain(message), icon=":material/warning:")
    _portal.show_report(last["report"], key="upload_report")
if alerted := st.session_state.pop("upload_alerts", None):
    st.caption(alerted)

st.subheader("3. Your submissions")
if listing.is_empty():
    st.info("No returns yet.")
else:
    _portal.history_table(listing, key="upload_history")
    with st.form(key="upload_flag_form"):
        st.markdown(
            "**A return from a changed record system?** Flag it (a migration can change the figures): the "
            "commissioner is asked to consider rebasing the charts at its quarter."
        )
        cols = st.columns([1, 3])
        labels = {
            r["submission_id"]: f"{r['period']} (submission {r['submission_id']})"
            for r in listing.iter_rows(named=True)
        }
        chosen = cols[0].selectbox(
            "Return", list(labels), format_func=labels.get, key="upload_flag_submission"
        )
        note = cols[1].text_input("What changed in the record system", key="upload_flag_note")
        if st.form_submit_button("Flag a record-system change", key="upload_flag_save"):
            try:
                spc_controls.flag_record_system_change(store, council, chosen, note, principal=who)
                st.success(f"{labels[chosen]}: flagged as from a changed record system.")
            except spc_controls.SpcControlError as exc:
                st.error("Nothing was recorded:\n\n" + "\n".join(f"- {_ui.plain(p)}" for p in exc.problems))

st.subheader("4. Child-level health visiting records")
_hv_records.records_section(store, council, provider, who)
