"""The Overview's Exceptions section: the provider's explanations in force for a period, shown as typed."""

from __future__ import annotations

import streamlit as st

from pages import _ui


def exception_narratives(period: str) -> None:
    """The exception narratives in force for a period (the overview's Exceptions section), as text."""
    from kpi.contract import narratives as exceptions

    frame = exceptions.overview_narratives(_ui.store(), _ui.principal(), _ui.council_code(), period)
    if frame.is_empty():
        st.caption("No explanation has been recorded for this period yet (see the Exceptions page).")
        return
    names = _ui.locality_names()
    providers = _ui.provider_names()
    for row in frame.iter_rows(named=True):
        where = names.get(row["locality_code"], "Borough")
        provider = _ui.plain(providers.get(row["provider_code"], row["provider_code"]))
        st.markdown(
            f"**{row['kpi_name']}, {where}** ({provider}, {row['rag'] or 'exception'}; "
            f"{row['agreement']}): {_ui.plain(row['explanation'])}  \n"
            f"Remedial action: {_ui.plain(row['remedial_action'])} Owner: {_ui.plain(row['owner'])}, "
            f"by {row['due_date']:%d %B %Y}."
        )
