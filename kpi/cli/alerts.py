"""``hcp alerts send-due``: send the time-based e-mail alerts not yet sent (for cron or a systemd timer)."""

from __future__ import annotations

import argparse
import sys

from kpi.cli.common import council_of, local, open_store


def cmd_alerts(args: argparse.Namespace) -> int:
    """Send the late-return and action reminders not yet sent; exit 1 when a message failed."""
    from kpi.alerts import mail
    from kpi.alerts.reminders import due_reminders

    if args.within_days < 0:
        print(f"--within-days takes a number of days, 0 or more, not {args.within_days}", file=sys.stderr)
        return 2
    with open_store(args) as store:
        council = council_of(store, args)
        relay = mail.relay(store, council)
        if relay.problem:
            print(f"{relay.problem} Nothing was sent.")
            return 0
        counts = due_reminders(store, council, principal=local(args), within_days=args.within_days)
    if not counts["sent"] and not counts["failed"]:
        print("no new late returns or actions falling due: nothing to send")
        return 0
    print(
        f"late-return and action reminders: {counts['sent']} sent, {counts['failed']} failed "
        "(each is in the audit log)"
    )
    return 1 if counts["failed"] else 0


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser(
        "alerts", help="send the late-return and action reminders not yet sent (cron, systemd timer)"
    )
    p.add_argument("action", choices=("send-due",))
    p.add_argument("--council", help="council code (default: the database's council)")
    p.add_argument(
        "--within-days", type=int, default=7, help="remind of actions due within this many days (default 7)"
    )
    p.set_defaults(func=cmd_alerts)
