"""Admin: what an operator does while the dashboard runs (it holds the database): users, and backups."""

import shlex

import polars as pl
import streamlit as st

from kpi.core import backup as backup
from pages._app import portal as _portal
from pages._app import ui as _ui

_ui.start_page("Admin")
who, council, store = _ui.principal(), _ui.council_code(), _ui.store()

# ---- Users ----------------------------------------------------------------------------------------------------------
_portal.users_section(store, who, council)

# ---- Backups --------------------------------------------------------------------------------------------------------
st.header("Backups")
st.caption(
    "A snapshot is a consistent copy of the whole database (every table, every archived return file, the audit log) "
    "with a manifest of row counts and its SHA-256, signed with this installation's backup key (kept beside the "
    "database, never in a backup folder), taken inside the running dashboard: nothing needs stopping. "
    "Restoring replaces the database, so it is done with the dashboard stopped: `hcp restore FOLDER`. A backup "
    "not signed with the key is refused unless accepted explicitly with a reason."
)
backup_folder = backup.default_folder(store.path)
if "admin" not in who.roles:
    st.warning("Only an administrator can take or list backups.")
else:
    if flash := st.session_state.pop("admin_backup_flash", None):
        st.success(_ui.plain(flash), icon=":material/check_circle:")
    st.write(f"Snapshots are kept in `{backup_folder}` (set `HCP_BACKUP_DIR` to keep them elsewhere).")
    if st.button("Take a snapshot now", key="admin_backup_now", icon=":material/backup:"):
        with st.status("Taking a snapshot…", expanded=False) as status:
            try:
                made = backup.backup(store, backup.new_backup_folder(backup_folder), principal=who)
            except backup.StoreError as exc:
                status.update(label="The snapshot failed", state="error")
                st.error(_ui.plain(str(exc)))
            else:
                status.update(label="Snapshot taken", state="complete")
                rows = sum(made["tables"].values())
                st.session_state["admin_backup_flash"] = (
                    f"Snapshot saved: {rows:,} rows in {len(made['tables'])} tables, "
                    f"{made['bytes'] / 1_048_576:.1f} MB, SHA-256 {made['sha256'][:12]}…"
                )
                st.rerun()
    listed = backup.list_backups(backup_folder)
    key = backup.installation_key(store.path)
    for item in listed:
        if "error" not in item:
            item["signature_status"] = backup.signature_status(item, key)
    if not listed:
        st.info(
            "No backups yet: take the first snapshot above, or run `hcp backup FOLDER` with the app stopped."
        )
    else:
        _ui.table(
            pl.DataFrame(
                [
                    {
                        "Taken": item.get("created_at", "?"),
                        "By": item.get("created_by", ""),
                        "Rows": sum(item["tables"].values()) if "tables" in item else None,
                        "MB": round(item["bytes"] / 1_048_576, 1) if "bytes" in item else None,
                        "SHA-256 (start)": item.get("sha256", "")[:12],
                        "Signed": {
                            "signed": "yes",
                            "unsigned": "no: unsigned",
                            "foreign": "no: not this key",
                        }.get(item.get("signature_status", ""), ""),
                        "Folder": item["folder"],
                        "Problem": item.get("error", ""),
                    }
                    for item in listed
                ]
            ),
            key="admin_backups_table",
        )
        usable = [item for item in listed if "error" not in item]
        if usable:
            chosen = st.selectbox(
                "Backup to restore",
                usable,
                format_func=lambda item: f"{item.get('created_at', '?')} ({item['folder']})",
                key="admin_restore_choice",
            )
            command = ["hcp", "restore", chosen["folder"]]
            if chosen["signature_status"] != "signed":
                st.warning(
                    "This backup is not signed with this installation's backup key (unsigned, changed since it was "
                    "made, or made by another installation): a restore refuses it unless you accept it explicitly. "
                    "Restore only a backup you trust.",
                    icon=":material/gpp_maybe:",
                )
                accept = st.checkbox(
                    "Accept this unsigned backup (recorded in the audit log)",
                    key="admin_restore_accept_unsigned",
                )
                reason = st.text_input("Why it is restored anyway", key="admin_restore_reason").strip()
                if accept and reason:
                    command += ["--accept-unsigned", "--reason", reason]
                elif accept:
                    st.info("Give the reason, which the audit log keeps.")
            st.write("To restore it, stop the dashboard and run:")
            st.code(shlex.join(command), language="bash")
