"""The served app sends the time-based alerts on its own (docs/operations.md, e-mail alerts).

``hcp serve`` starts one :class:`DueAlertsTimer` thread in the app's process, the process that holds the database
for writing. The app hands it its read-write store when it opens it (:func:`offer_store`); from then on the thread
runs :func:`kpi.alerts.reminders.due_reminders` as :data:`~kpi.access.principal.SCHEDULER` at most every
``alerts_check_minutes`` minutes (setting, default 60; 0 stops it), and each run that sends or fails anything is an
audit entry ("scheduled alerts run") beside the messages' own. The thread never stops the app: a run that fails is
an audit entry too, and the next one is tried at the next check. Times come from :func:`kpi.core.periods.now`.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from kpi.access.principal import SCHEDULER
from kpi.core import periods as periods
from kpi.core.store import Store, default_council, setting

#: How often the thread wakes to see whether a run is due (seconds); the setting says how often one is.
WAKE_SECONDS = 60.0

_offered = threading.Event()
_store: list[Store] = []


def offer_store(store: Store) -> None:
    """The app's read-write store, for the timer (if ``hcp serve`` started one); the first one offered is kept."""
    if not store.read_only and not _offered.is_set():
        _store.append(store)
        _offered.set()


def interval_minutes(store: Store, council: str) -> int:
    """Minutes between runs, from the ``alerts_check_minutes`` setting (0: the app does not send them)."""
    return max(int(setting(store, council, "alerts_check_minutes")), 0)


def run_due(store: Store, council: str) -> dict[str, int]:
    """One run of the reminders as the scheduler; audited when it sent or failed anything, or went wrong."""
    from kpi.alerts.reminders import due_reminders

    try:
        counts = due_reminders(store, council, principal=SCHEDULER)
    except Exception as exc:  # noqa: BLE001 (a background run must never stop the app; the error is audited)
        store.audit(
            "scheduled alerts run",
            actor=SCHEDULER.email,
            council_code=council,
            subject="time-based alerts",
            detail={"error": f"{type(exc).__name__}: {exc}"},
        )
        return {"sent": 0, "failed": 0, "skipped": 0, "error": 1}
    if counts["sent"] or counts["failed"]:
        store.audit(
            "scheduled alerts run",
            actor=SCHEDULER.email,
            council_code=council,
            subject="time-based alerts",
            detail=counts,
        )
    return counts


class DueAlertsTimer(threading.Thread):
    """A daemon thread that runs :func:`run_due` at most every ``alerts_check_minutes`` minutes."""

    def __init__(self, wake_seconds: float = WAKE_SECONDS) -> None:
        super().__init__(name="hcp-due-alerts", daemon=True)
        self.wake_seconds = wake_seconds
        self.stopping = threading.Event()
        self.last_run: datetime | None = None
        self.runs = 0

    def stop(self) -> None:
        """Ask the thread to finish (it does at its next wake)."""
        self.stopping.set()

    def tick(self, store: Store) -> bool:
        """Run the reminders if one is due now; whether it ran."""
        council = default_council(store)
        minutes = interval_minutes(store, council)
        at = periods.now()
        if minutes == 0 or (self.last_run is not None and at - self.last_run < timedelta(minutes=minutes)):
            return False
        self.last_run = at
        run_due(store, council)
        self.runs += 1
        return True

    def run(self) -> None:
        """Wait for the app's store, then check every ``wake_seconds`` until stopped."""
        while not self.stopping.is_set():
            if _offered.wait(self.wake_seconds) and not self.stopping.is_set():
                try:
                    self.tick(_store[0])
                except Exception:  # noqa: BLE001, S112 (e.g. the database has no council yet: try at the next wake)
                    pass
                self.stopping.wait(self.wake_seconds)


def start() -> DueAlertsTimer:
    """Start the timer thread (``hcp serve`` calls this once before the app starts)."""
    timer = DueAlertsTimer()
    timer.start()
    return timer
