"""HCP Contract Monitor: the router. Pages live in pages/ (listed once in pages/_app/page_table.py); the library in
kpi/.

Every page script runs the same guard itself (``pages._app.signin.start_page``), so a page reached directly, however
the server was started, signs the visitor in first; the router runs it too, before the navigation.
"""

import streamlit as st

from pages._app.page_table import PAGE_TABLE
from pages._app.session import refuse_off_loopback, render
from pages._app.signin import account_sidebar, navigation, sign_in

st.set_page_config(page_title="HCP Contract Monitor", page_icon=":material/child_care:", layout="wide")

# On a replica the whole render reads one snapshot (a newer one serves the renders that start after it).
with render():
    if refuse_off_loopback() or not sign_in():
        st.stop()
    account_sidebar()

    sections: dict[str, list] = {}
    for entry in PAGE_TABLE:
        pages = sections.setdefault(entry.section, [])
        if entry.default:
            # Streamlit serves the default page at "/" only; a hidden twin answers its own URL, so a deep link to
            # /overview opens the Overview instead of "Page not found".
            pages.append(
                st.Page(
                    entry.script,
                    title=entry.title,
                    icon=entry.icon,
                    url_path=f"{entry.url_path}-home",
                    default=True,
                )
            )
            pages.append(
                st.Page(
                    entry.script,
                    title=entry.title,
                    icon=entry.icon,
                    url_path=entry.url_path,
                    visibility="hidden",
                )
            )
        else:
            pages.append(st.Page(entry.script, title=entry.title, icon=entry.icon, url_path=entry.url_path))
    navigation(sections).run()
