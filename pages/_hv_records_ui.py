"""The Upload page's child-level health visiting records section: the joined extract or the CSDS tables."""

import streamlit as st

from kpi.hvrecords import load as hv_records
from kpi.ingest.pipeline import WRITTEN
from kpi.ncmp.read import MappingError
from pages._app import portal as _portal
from pages._app import ui as _ui

#: The largest extract file the page takes (MB): a council's year is about 25 MB as CSV, a few MB gzipped; the
#: server's ceiling (.streamlit/config.toml) and the reverse proxy's allow it.
UPLOAD_MB = 200


def records_section(store, council: str, provider: str, who) -> None:
    """Uploaders for the extract (one file, several monthly files or a submission's CSDS tables) and a mapping."""
    st.caption(
        "Your CSDS extract of the children you are responsible for and their care contacts, pseudonymised: one "
        "joined file (one row per contact), or your submission's tables as they come (CYP001, CYP101, CYP201, "
        "CYP202, CYP610, CYP612, CYP901; see the extract format in the documentation, formats/hv-records.md). The "
        "files are checked and never kept; person ids are replaced by keyed hashes, and dates of birth and LSOAs "
        "are not stored. A new extract replaces your previous one."
    )
    files = st.file_uploader(
        f"Extract or CSDS tables: CSV (optionally .gz) or Excel workbook, up to {UPLOAD_MB} MB a file (gzip a "
        "larger extract, or load it with hcp load hv-records)",
        type=["csv", "gz", "xlsx", "txt"],
        key="hv_file",
        accept_multiple_files=True,
        max_upload_size=UPLOAD_MB,
    )
    mapping_file = st.file_uploader(
        "Column mapping (optional): CSV source_column,target_column",
        type=["csv"],
        key="hv_mapping",
        max_upload_size=1,
    )
    cols = st.columns(2)
    hv_check = cols[0].button("Check only", key="hv_check", disabled=not files)
    hv_load = cols[1].button("Load", key="hv_load", type="primary", disabled=not files)
    if not files or not (hv_check or hv_load):
        return
    options = {}
    if mapping_file is not None:
        try:
            options["mapping"] = hv_records.read_hv_mapping(mapping_file.getvalue(), mapping_file.name)
        except MappingError as exc:
            st.error(_ui.plain(f"Nothing was checked: {exc}"), icon=":material/error:")
            return
    parts = [(f.name, f.getvalue()) for f in files]
    if len(parts) > 1:
        options["parts"] = parts
    loaded = hv_records.load_hv_records(
        store,
        b"".join(data for _, data in parts),
        " + ".join(name for name, _ in parts),
        council_code=council,
        principal=who,
        provider_code=provider,
        source="portal",
        check_only=hv_check,
        **options,
    )
    if loaded.outcome == WRITTEN or loaded.would_write:
        st.success(_ui.plain(_portal.sentence(loaded.message)), icon=":material/check_circle:")
    else:
        st.error(_ui.plain(_portal.sentence(loaded.message)), icon=":material/error:")
    _portal.show_report(loaded.report, key="hv_report")
