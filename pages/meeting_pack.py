"""Meeting pack: build the six-weekly pack or the scrutiny briefing for a period and as-at time, preview, download,
and (a commissioner) circulate it. Building, previewing and downloading record nothing; circulating records the file
sent, to whom, its data version and SHA-256, once."""

from datetime import datetime, time

import streamlit as st

from kpi.access import rules as access
from kpi.contract import values as overview
from kpi.core import periods as periods
from pages import _pack_ui
from pages._app import ui as _ui

_ui.start_page("Meeting pack")
st.caption(
    "The pack the commissioner circulates before the contract review meeting, and the public briefing for the "
    "scrutiny committee (small numbers hidden, others rounded). Both read the data as it stood at the chosen time, "
    "so building again for the same time gives the same figures. Building and downloading are drafts and record "
    "nothing; the pack becomes the previous pack of the next one only when a commissioner circulates it."
)
values = _ui.kpi_values()
if values.is_empty():
    st.warning("No accepted returns yet: there is nothing to put in a pack.")
    st.stop()

period_list = overview.available_periods(values)
default = overview.latest_complete_period(values) or period_list[0]
requested = st.query_params.get("period")
now = periods.now().replace(second=0, microsecond=0)
cols = st.columns([2, 2, 2, 1.4])
label = cols[0].radio("Document", list(_pack_ui.KINDS), key="mp_kind")
period = cols[1].selectbox(
    "Period",
    period_list,
    index=period_list.index(requested if requested in period_list else default),
    key="mp_period",
)
day = cols[2].date_input("Data as at: date", value=now.date(), key="mp_as_at_date", format="YYYY-MM-DD")
moment = cols[3].time_input("Time", value=time(now.hour, now.minute), key="mp_as_at_time", step=300)
st.query_params["period"] = period
kind = _pack_ui.KINDS[label]
meeting_date = None
if kind == "pack":
    meeting_date = st.date_input(
        "Meeting date (on the cover)",
        value=_pack_ui.next_meeting(),
        key="mp_meeting_date",
        format="YYYY-MM-DD",
        help="The contract review meeting the pack is for. Default: the next meeting recorded on the Meetings "
        "page, else the next date of the six-weekly cycle from the last one (left empty: the same; no meeting "
        "recorded: 'not set').",
    )
draft = kind == "pack" and st.checkbox(
    "Draft for the provider's review (marked DRAFT, not counted as a circulated pack)", key="mp_draft"
)
as_at = datetime.combine(day, moment)
key = _pack_ui.build_key(kind, period, as_at, draft, meeting_date)

if st.button("Build preview", key="mp_build", type="primary"):
    st.session_state["mp_built"] = key
if st.session_state.get("mp_built") != key:
    st.info("Choose the document, period and time, then build the preview.", icon=":material/description:")
    st.stop()


def _circulate_section() -> None:
    """The commissioner's explicit act: record the file sent and to whom (once)."""
    st.subheader("Circulate")
    if built.is_draft:
        st.caption("A draft for the provider's review is not circulated: untick the draft box to circulate.")
        return
    if not access.allowed(_ui.principal(), "circulate_pack"):
        st.caption(
            f"Only a commissioner circulates a {built.kind}; what you build here is a draft and is not recorded."
        )
        return
    ready = [fmt for fmt in ("pdf", "docx") if st.session_state.get(f"mp_file_{fmt}") == key]
    if not ready:
        st.caption("Build the PDF or DOCX you will send, then circulate it here.")
        return
    offered = []
    for fmt in ready:
        record = _pack_ui.circulated(built, _pack_ui.rendered(key, fmt))
        if not record:
            offered.append(fmt)
        else:
            st.success(
                f"{fmt.upper()} circulated as {built.kind} {record['pack_id']} on "
                f"{record['built_at']:%d %B %Y %H:%M} by {record['built_by']} to {record['sent_to']} "
                f"(SHA-256 {record['sha256'][:12]}…).",
                icon=":material/send:",
            )
    if not offered:
        return
    with st.form("mp_circulate_form"):
        fmt = st.radio(
            "File sent", offered, format_func=str.upper, key="mp_circulate_format", horizontal=True
        )
        sent_to = st.text_input("Sent to (people or group)", key="mp_sent_to")
        if st.form_submit_button(f"Circulate this {built.kind}", key="mp_circulate", type="primary"):
            try:
                pack_id = _pack_ui.circulate(key, fmt, sent_to)
            except (ValueError, PermissionError) as exc:
                st.error(_ui.plain(str(exc)))
            else:
                st.session_state["mp_circulated"] = pack_id
                st.rerun()


with st.status(f"Building the {label.lower()} for {period}", expanded=False) as status:
    try:
        built = _pack_ui.build(key)
    except ValueError as exc:
        status.update(label="The document could not be built", state="error")
        st.error(_ui.plain(str(exc)))
        st.stop()
    status.update(label=f"{label} for {period}: data version {built.data_version}", state="complete")

st.success(
    f"{label} for {built.period}, data as at {built.as_at:%d %B %Y %H:%M}, data version {built.data_version}.",
    icon=":material/check_circle:",
)
downloads = st.columns(2)
for column, fmt in zip(downloads, ("pdf", "docx"), strict=True):
    with column:
        if st.button(f"Build {fmt.upper()}", key=f"mp_build_{fmt}"):
            st.session_state[f"mp_file_{fmt}"] = key
        if st.session_state.get(f"mp_file_{fmt}") == key:
            content = _pack_ui.render_with_progress(key, fmt)
            st.download_button(
                f"Download {fmt.upper()} ({len(content) / 1024:,.0f} KB)",
                content,
                file_name=_pack_ui.file_name(built, fmt),
                mime=_pack_ui.reports.MEDIA_TYPES[fmt],
                key=f"mp_download_{fmt}",
                on_click="ignore",
            )
            if not _pack_ui.circulated(built, content):
                st.caption("A draft: not recorded until it is circulated.")

_circulate_section()

st.subheader("Preview")
st.iframe(_pack_ui.preview_html(built), height=900)
