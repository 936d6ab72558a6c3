"""HCP Contract Monitor: the router. Pages live in pages/; the library in kpi/."""

import streamlit as st

from pages import _ui

st.set_page_config(page_title="HCP Contract Monitor", page_icon=":material/child_care:", layout="wide")

if _ui.refuse_off_loopback():
    st.stop()

navigation = st.navigation(
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
        ],
        "Data": [
            st.Page("pages/returns.py", title="Returns", icon=":material/inbox:", url_path="returns"),
        ],
    }
)
navigation.run()
