"""App-layer words for e-mail alerts: what a load or review sent (kpi.alerts)."""

from __future__ import annotations

from kpi.alerts import mail


def sent_words(
    counts: dict[str, int],
    store,
    council: str,
    nothing: str = "E-mail alerts: nobody chose an alert for this.",
) -> str:
    """What was sent, in words ("E-mail alerts: 2 sent."), or why nothing was (``nothing``: none was due)."""
    problem = mail.relay(store, council).problem
    if problem:
        return problem
    if not counts["sent"] and not counts["failed"]:
        return nothing
    failed = f", {counts['failed']} failed (see the audit log)" if counts["failed"] else ""
    return f"E-mail alerts: {counts['sent']} sent{failed}."
