"""The one page table: every page of the app, its title, URL path, icon and section.

``app.py`` builds its navigation from it, each page's guard finds its own URL path (and so the roles it is
offered, ``kpi.access.rules.PAGE_ROLES``) in it by title, and the tests walk it, so a page added here is routed, guarded
and tested without a second list to keep in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageEntry:
    """One page: its script (relative to the project root), title, URL path, Material icon and section."""

    script: str
    title: str
    url_path: str
    icon: str
    section: str
    default: bool = False


PAGE_TABLE: tuple[PageEntry, ...] = (
    PageEntry(
        "pages/overview.py", "Overview", "overview", ":material/dashboard:", "Contract monitoring", True
    ),
    PageEntry(
        "pages/mandated_contacts.py",
        "Mandated contacts",
        "mandated-contacts",
        ":material/monitoring:",
        "Contract monitoring",
    ),
    PageEntry("pages/outcomes.py", "Outcomes", "outcomes", ":material/insights:", "Contract monitoring"),
    PageEntry(
        "pages/inequalities.py",
        "Inequalities",
        "inequalities",
        ":material/stacked_bar_chart:",
        "Contract monitoring",
    ),
    PageEntry(
        "pages/ncmp.py", "Child measurement (NCMP)", "ncmp", ":material/straighten:", "Contract monitoring"
    ),
    PageEntry(
        "pages/meeting_pack.py",
        "Meeting pack",
        "meeting-pack",
        ":material/picture_as_pdf:",
        "Contract meetings",
    ),
    PageEntry("pages/meetings.py", "Meetings", "meetings", ":material/groups:", "Contract meetings"),
    PageEntry("pages/returns.py", "Returns", "returns", ":material/inbox:", "Data"),
    PageEntry("pages/upload.py", "Upload a return", "upload", ":material/upload_file:", "Data"),
    PageEntry("pages/review.py", "Review returns", "review", ":material/fact_check:", "Data"),
    PageEntry("pages/exceptions.py", "Exceptions", "exceptions", ":material/report:", "Data"),
    PageEntry("pages/alerts.py", "Alerts", "alerts", ":material/notifications:", "Data"),
    PageEntry("pages/data_quality.py", "Data quality", "data-quality", ":material/rule:", "Data"),
    PageEntry(
        "pages/targets_settings.py",
        "Targets and settings",
        "targets-settings",
        ":material/tune:",
        "Administration",
    ),
    PageEntry("pages/audit_log.py", "Audit log", "audit-log", ":material/history:", "Administration"),
    PageEntry("pages/admin.py", "Admin", "admin", ":material/admin_panel_settings:", "Administration"),
)


def entry_titled(title: str) -> PageEntry:
    """The page with this title (every page's guard looks itself up here).

    Raises:
        LookupError: no page has that title (a page script whose title is not in the table is a bug).
    """
    for entry in PAGE_TABLE:
        if entry.title == title:
            return entry
    raise LookupError(f"no page is titled {title!r}: add it to pages/_app/page_table.py")
