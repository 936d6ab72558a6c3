"""HCP Contract Monitor: the router. Pages live in pages/; the library in kpi/."""

import streamlit as st

from pages import _ui

st.set_page_config(page_title="HCP Contract Monitor", page_icon=":material/child_care:", layout="wide")

if _ui.refuse_off_loopback() or not _ui.sign_in():
    st.stop()
_ui.account_sidebar()

navigation = _ui.navigation(
    {
        "Contract monitoring": [
            st.Page(
                "pages/overview.py",
                title="Overview",
                icon=":material/dashboard:",
                url_path="overview",
                default=True,
            ),
            st.Page(
                "pages/mandated_contacts.py",
                title="Mandated contacts",
                icon=":material/monitoring:",
                url_path="mandated-contacts",
            ),
            st.Page("pages/outcomes.py", title="Outcomes", icon=":material/insights:", url_path="outcomes"),
            st.Page(
                "pages/inequalities.py",
                title="Inequalities",
                icon=":material/stacked_bar_chart:",
                url_path="inequalities",
            ),
            st.Page(
                "pages/ncmp.py",
                title="Child measurement (NCMP)",
                icon=":material/straighten:",
                url_path="ncmp",
            ),
        ],
        "Contract meetings": [
            st.Page(
                "pages/meeting_pack.py",
                title="Meeting pack",
                icon=":material/picture_as_pdf:",
                url_path="meeting-pack",
            ),
            st.Page("pages/meetings.py", title="Meetings", icon=":material/groups:", url_path="meetings"),
        ],
        "Data": [
            st.Page("pages/returns.py", title="Returns", icon=":material/inbox:", url_path="returns"),
            st.Page(
                "pages/upload.py", title="Upload a return", icon=":material/upload_file:", url_path="upload"
            ),
            st.Page(
                "pages/review.py", title="Review returns", icon=":material/fact_check:", url_path="review"
            ),
            st.Page(
                "pages/exceptions.py", title="Exceptions", icon=":material/report:", url_path="exceptions"
            ),
            st.Page(
                "pages/data_quality.py", title="Data quality", icon=":material/rule:", url_path="data-quality"
            ),
        ],
        "Administration": [
            st.Page(
                "pages/targets_settings.py",
                title="Targets and settings",
                icon=":material/tune:",
                url_path="targets-settings",
            ),
            st.Page("pages/audit_log.py", title="Audit log", icon=":material/history:", url_path="audit-log"),
            st.Page(
                "pages/admin.py", title="Admin", icon=":material/admin_panel_settings:", url_path="admin"
            ),
        ],
    }
)
navigation.run()
