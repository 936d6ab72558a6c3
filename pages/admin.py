"""Admin: what an operator does while the dashboard runs (it holds the database): users, and backups."""

import streamlit as st

from kpi import backup
from pages import _portal, _ui

_ui.start_page("Admin")
who, council, store = _ui.principal(), _ui.council_code(), _ui.store()

# ---- Users ----------------------------------------------------------------------------------------------------------
_portal.users_section(store, who, council)

# ---- Backups --------------------------------------------------------------------------------------------------------
st.header("Backups")
st.caption(
    "A snapshot is a consistent copy of the whole database (every table, every archived return file, the audit log) "
    "with a manifest of row counts and its SHA-256, taken inside the running dashboard: nothing needs stopping. "
    "Restoring replaces the database, so it is done with the dashboard stopped: `hcp restore FOLDER`."
)
backup_folder = backup.default_folder(store.path)
if "admin" not in who.roles:
    st.warning("Only an administrator can take or list backups.")
else:
    if flash := st.session_state.pop("admin_backup_flash", None):
        st.success(flash, icon=":material/check_circle:")
    st.write(f"Snapshots are kept in `{backup_folder}` (set `HCP_BACKUP_DIR` to keep them elsewhere).")
    if st.button("Take a snapshot now", key="admin_backup_now", icon=":material/backup:"):
        with st.status("Taking a snapshot…", expanded=False) as status:
            try:
                made = backup.backup(store, backup.new_backup_folder(backup_folder), actor=who.label)
            except backup.StoreError as exc:
                status.update(label="The snapshot failed", state="error")
                st.error(str(exc))
            else:
                status.update(label="Snapshot taken", state="complete")
                rows = sum(made["tables"].values())
                st.session_state["admin_backup_flash"] = (
                    f"Snapshot saved: {rows:,} rows in {len(made['tables'])} tables, "
                    f"{made['bytes'] / 1_048_576:.1f} MB, SHA-256 {made['sha256'][:12]}…"
                )
                st.rerun()
    listed = backup.list_backups(backup_folder)
    if not listed:
        st.info(
            "No backups yet: take the first snapshot above, or run `hcp backup FOLDER` with the app stopped."
        )
    else:
        st.dataframe(
            [
                {
                    "Taken": item.get("created_at", "?"),
                    "By": item.get("created_by", ""),
                    "Rows": sum(item["tables"].values()) if "tables" in item else None,
                    "MB": round(item["bytes"] / 1_048_576, 1) if "bytes" in item else None,
                    "SHA-256 (start)": item.get("sha256", "")[:12],
                    "Folder": item["folder"],
                    "Problem": item.get("error", ""),
                }
                for item in listed
            ],
            hide_index=True,
            key="admin_backups_table",
            width="stretch",
        )
        newest = next((item for item in listed if "error" not in item), None)
        if newest:
            st.write("To restore the newest snapshot, stop the dashboard and run:")
            st.code(f"hcp restore {newest['folder']}", language="bash")
