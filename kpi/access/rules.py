"""What each role may do, checked in the data layer (docs/operations.md, sign-in and roles).

Every portal query and write function takes the :class:`~kpi.access.principal.Principal` and calls :func:`require` first, so
a denial does not depend on a hidden button. The rules:

* **commissioner**: everything about the contract: reads all providers' data, uploads on a provider's behalf,
  accepts or queries submissions, changes targets and settings, agrees exception narratives, reads the audit log,
  loads the council's other data (NCMP, Fingertips, outcome measures, localities, benchmarks) and sets up the council;
* **provider**: its own provider's submissions, returns, narratives and draft packs only; an upload is stamped
  with the principal's provider;
* **viewer**: reads accepted data only (e.g. scrutiny officers);
* **admin**: users, settings, backups and the audit log, and setting up a council (its providers and catalogue);
* the **local user** (no sign-in configured, or the command line) is commissioner and admin;
* on a **read-only replica** (:mod:`kpi.core.replica`) nobody may do any of the :data:`WRITE_ACTIONS`: :func:`require`
  refuses them with :class:`ReplicaRefused` whatever the role, :func:`allowed` says no (so pages hide their forms)
  and only the :data:`REPLICA_PAGES` are offered.

Example:
    >>> from kpi.access.principal import ROLES, Principal
    >>> require(Principal("v@council.gov.uk", "viewer"), "review")
    Traceback (most recent call last):
    ...
    kpi.access.rules.AccessDenied: Only a commissioner can accept or query a submission. You are signed in as v@council.gov.uk (viewer).
"""

from __future__ import annotations

from kpi.access.principal import ROLES, Principal
from kpi.core.store import Store, open_replica, replica_message

#: Who may do what: action -> roles, with the plain words a refusal uses.
PERMISSIONS: dict[str, tuple[frozenset[str], str]] = {
    "read_data": (frozenset({"commissioner", "provider", "viewer"}), "see the contract's KPI values"),
    "read_submissions": (frozenset({"commissioner", "provider", "viewer"}), "see returns"),
    "read_unaccepted": (
        frozenset({"commissioner", "provider"}),
        "see returns that have not been accepted",
    ),
    "upload": (frozenset({"commissioner", "provider"}), "upload or check a return"),
    "review": (frozenset({"commissioner"}), "accept or query a submission"),
    "set_target": (frozenset({"commissioner"}), "change contract targets"),
    "control_spc": (
        frozenset({"commissioner"}),
        "set an SPC baseline, rebase a chart or annotate the charts",
    ),
    "set_setting": (frozenset({"commissioner", "admin"}), "change settings"),
    "read_settings": (frozenset({"commissioner", "admin", "viewer"}), "see targets and settings"),
    "read_narratives": (frozenset({"commissioner", "provider", "viewer"}), "see exception narratives"),
    "write_narrative": (frozenset({"commissioner", "provider"}), "write an exception narrative"),
    "agree_narrative": (frozenset({"commissioner"}), "agree an exception narrative"),
    "read_data_quality": (frozenset({"commissioner"}), "see the data quality of returns"),
    "read_audit": (frozenset({"commissioner", "admin"}), "see the audit log"),
    "manage_users": (frozenset({"admin"}), "add, change or remove users"),
    "backup": (frozenset({"admin"}), "back up or restore the database"),
    "manage_meetings": (
        frozenset({"commissioner"}),
        "record meetings, raise actions and keep the risks log",
    ),
    "update_action": (frozenset({"commissioner", "provider"}), "update an action"),
    "read_meetings": (frozenset({"commissioner", "provider"}), "see meetings, actions, risks and packs"),
    "build_pack": (frozenset({"commissioner", "provider"}), "build a meeting pack"),
    "circulate_pack": (frozenset({"commissioner"}), "circulate a meeting pack or briefing"),
    "build_briefing": (frozenset({"commissioner", "viewer"}), "build the scrutiny briefing"),
    "read_council_data": (
        frozenset({"commissioner", "viewer"}),
        "see the council-wide figures (inequalities, NCMP and outcomes)",
    ),
    "load_data": (
        frozenset({"commissioner"}),
        "load, fetch or purge the council's data (NCMP, Fingertips, outcome measures, localities, benchmarks)",
    ),
    "set_up": (
        frozenset({"commissioner", "admin"}),
        "set up a council, its providers and its KPI catalogue",
    ),
}

#: The actions that change the database (or publish from it): refused on a read-only replica.
WRITE_ACTIONS = frozenset(
    {
        "upload",
        "review",
        "set_target",
        "control_spc",
        "set_setting",
        "write_narrative",
        "agree_narrative",
        "manage_users",
        "backup",
        "manage_meetings",
        "update_action",
        "circulate_pack",
        "load_data",
        "set_up",
    }
)
#: The reading pages a replica offers (by URL path); the others (upload, review, meetings, packs, alerts, admin)
#: are the writer's.
REPLICA_PAGES = frozenset(
    {
        "overview",
        "mandated-contacts",
        "outcomes",
        "inequalities",
        "ncmp",
        "returns",
        "exceptions",
        "data-quality",
        "targets-settings",
        "audit-log",
    }
)

_ARTICLE = {
    "commissioner": "a commissioner",
    "provider": "a provider",
    "viewer": "a viewer",
    "admin": "an admin",
}

#: The pages (by URL path) each role is offered. A page not listed here is offered to commissioners only.
PAGE_ROLES: dict[str, frozenset[str]] = {
    "overview": frozenset({"commissioner", "provider", "viewer"}),
    "mandated-contacts": frozenset({"commissioner", "provider", "viewer"}),
    "inequalities": frozenset({"commissioner", "viewer"}),
    "ncmp": frozenset({"commissioner", "viewer"}),
    "outcomes": frozenset({"commissioner", "viewer"}),
    "returns": frozenset({"commissioner", "provider", "viewer"}),
    "upload": frozenset({"commissioner", "provider"}),
    "review": frozenset({"commissioner"}),
    "exceptions": frozenset({"commissioner", "provider", "viewer"}),
    "data-quality": frozenset({"commissioner"}),  # not admin (docs/operations.md, roles)
    "targets-settings": frozenset({"commissioner", "admin", "viewer"}),
    "audit-log": frozenset({"commissioner", "admin"}),
    "admin": frozenset({"admin"}),
    "meetings": frozenset({"commissioner", "provider"}),  # a provider: its own actions, status and notes only
    "meeting-pack": frozenset({"commissioner", "provider"}),  # a provider sees its own draft only
    "alerts": frozenset({"commissioner", "provider"}),  # each chooses their own e-mail alerts
}


class AccessDenied(PermissionError):
    """The principal may not do this; the message says so in plain words."""


class ReplicaRefused(AccessDenied):
    """A write asked of a read-only replica: nobody may change anything there (nothing was changed)."""


def require_writable(store: Store | None = None) -> None:
    """Raise :class:`ReplicaRefused` when this process is a read-only replica (or ``store`` is one)."""
    replica = store if store is not None and store.replica is not None else open_replica()
    if replica is not None:
        raise ReplicaRefused(replica_message(replica.replica.get("snapshot_at")))


def allowed(principal: Principal, action: str) -> bool:
    """Whether the principal's role may do ``action`` at all (provider scope aside)."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action '{action}': known actions are {', '.join(sorted(PERMISSIONS))}")
    if action in WRITE_ACTIONS and open_replica() is not None:
        return False
    return bool(PERMISSIONS[action][0] & principal.roles)


def require(principal: Principal, action: str, provider_code: str | None = None) -> None:
    """Raise :class:`AccessDenied` unless the principal may do ``action`` (for ``provider_code``'s data).

    A provider may act only on its own provider's data: asking about another provider is refused. On a read-only
    replica every write action is refused (:class:`ReplicaRefused`), whoever asks.
    """
    if principal is None or not isinstance(principal, Principal):
        raise AccessDenied("You are not signed in: sign in to use HCP Contract Monitor.")
    if action in WRITE_ACTIONS:
        require_writable()
    roles, words = PERMISSIONS.get(action, (frozenset(), action))
    if not roles & principal.roles:
        who = " or ".join(_ARTICLE[role] for role in ROLES if role in roles) or "nobody"
        raise AccessDenied(f"Only {who} can {words}. You are signed in as {principal.label}.")
    if principal.role == "provider" and not principal.is_local:
        own = (principal.provider_code or "").upper()
        if not own:
            raise AccessDenied(
                f"Your account ({principal.email}) is a provider account without a provider: ask an "
                "administrator to add you again with your provider's code."
            )
        if provider_code is not None and provider_code.strip().upper() != own:
            raise AccessDenied(
                f"You can only {words} for your own provider ({own}), not for {provider_code.strip().upper()}."
            )


def provider_scope(principal: Principal) -> str | None:
    """The provider a principal is confined to (``None``: the whole council)."""
    if principal.role == "provider" and not principal.is_local:
        return (principal.provider_code or "").upper() or "\x00no provider"
    return None


def accepted_only(principal: Principal) -> bool:
    """Whether the principal may read accepted data only (viewers)."""
    return not allowed(principal, "read_unaccepted")


def page_allowed(principal: Principal, url_path: str) -> bool:
    """Whether the navigation offers the page at ``url_path`` to the principal (a replica: reading pages only)."""
    if open_replica() is not None and url_path not in REPLICA_PAGES:
        return False
    return bool(PAGE_ROLES.get(url_path, frozenset({"commissioner"})) & principal.roles)
