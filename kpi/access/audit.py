"""The audit log, read: every sign-in, upload, check, submission, review, target, setting and user change.

The log is append-only (``audit_log``; :meth:`kpi.core.store.Store.audit` only ever inserts). Commissioners and admins
read it (:mod:`kpi.access.rules`).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core.store import Store

#: The most entries one read returns (the page offers a download of what it shows).
DEFAULT_LIMIT = 2000


def audit_entries(
    store: Store,
    principal: Principal,
    *,
    council_code: str | None = None,
    since: datetime | None = None,
    action: str | None = None,
    actor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> pl.DataFrame:
    """Audit entries, newest first, optionally for one council, since a time, of one action or by one actor.

    Entries without a council (sign-ins, user changes) are included whatever the council.
    """
    require(principal, "read_audit")
    return store.query(
        "select audit_id, event_at, actor, action, council_code, subject, detail_json from audit_log "
        "where ($council is null or council_code is null or council_code = $council) "
        "and ($since is null or event_at >= $since) and ($action is null or action = $action) "
        "and ($actor is null or actor = $actor) order by audit_id desc limit $limit",
        {"council": council_code, "since": since, "action": action, "actor": actor, "limit": int(limit)},
    )


def audit_actions(store: Store, principal: Principal) -> list[str]:
    """Every kind of action the log holds, alphabetically (for a filter)."""
    require(principal, "read_audit")
    return store.query("select distinct action from audit_log order by 1")["action"].to_list()
