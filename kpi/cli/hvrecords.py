"""``hcp hv-records purge --before DATE``: child rows of old health visiting records loads deleted, figures kept."""

from __future__ import annotations

import argparse
import sys

from kpi.cli.common import council_of, local, open_store


def cmd_hv_records(args: argparse.Namespace) -> int:
    """``hcp hv-records purge --before DATE`` (:func:`kpi.hvrecords.purge.purge_hv_records`)."""
    if not args.before:
        print("give the first day to keep: hcp hv-records purge --before 2025-04-01", file=sys.stderr)
        return 2
    from kpi.hvrecords.purge import purge_hv_records

    with open_store(args) as store:
        try:
            result = purge_hv_records(store, council_of(store, args), args.before, principal=local(args))
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    print(result.message)
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser("hv-records", help="health visiting records: purge old child-level rows")
    p.add_argument("action", choices=("purge",))
    p.add_argument("--before", help="purge: child rows of loads made before this day, e.g. 2025-04-01")
    p.add_argument("--council")
    p.set_defaults(func=cmd_hv_records)
