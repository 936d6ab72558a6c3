"""Start Streamlit on app.py with the page list that app.py declares (st.navigation) from the first request.

Streamlit treats a ``pages/`` folder beside the entry script as a legacy multipage app until the entry script has
called ``st.navigation`` once; the first session after start would then run a page file directly, skipping
app.py's guard and navigation. Telling Streamlit up front that this app does not use the legacy folder closes that
gap. ``hcp serve`` runs this file; it takes the same arguments as ``streamlit``. A writer that publishes snapshots
for replicas (``hcp serve --snapshots DIR``) starts publishing here, with the server, not at the first visit.

This process is the one that holds the database for writing, so it also starts the thread that sends the
time-based e-mail alerts (late returns, actions falling due) every ``alerts_check_minutes``
(:mod:`kpi.alerts.schedule`); the app hands it its store when it opens it.
"""

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from kpi.alerts import schedule

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    schedule.start()
    from kpi.core.snapshot import start_publisher_from_env

    start_publisher_from_env()
    sys.exit(cli.main(prog_name="streamlit"))  # click command: parses sys.argv
