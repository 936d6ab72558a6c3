"""The ``hcp`` command line (also ``python -m kpi``).

Every write command opens the database read-write; when the dashboard is running it holds the file, and the
command stops with "the dashboard is running and holds the database: stop it or use the Admin page".
Exit status: 0 done, 1 rejected or warnings unconfirmed, 2 wrong usage or an unusable database.
"""

from __future__ import annotations

import argparse
import os
import sys

from kpi.cli import alerts, database, hvrecords, load, ncmp, peers, replicas, reports, serve, settings, users
from kpi.core import periods as periods
from kpi.core.store import StoreError


def build_parser() -> argparse.ArgumentParser:
    """The ``hcp`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="hcp",
        description="HCP Contract Monitor: 0-19 Healthy Child Programme "
        "contract monitoring. The database is HCP_DB (default data/hcp.duckdb).",
    )
    parser.add_argument("--db", help="database file (default: HCP_DB or data/hcp.duckdb)")
    parser.add_argument(
        "--actor",
        default=os.environ.get("HCP_USER") or os.environ.get("USER") or "cli",
        help="who is acting, for the audit log (default: HCP_USER or your login)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (database, serve, replicas, load, ncmp, hvrecords, peers, settings, users, reports, alerts):
        group.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``hcp``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "targets" and args.action == "set" and (not args.code or not args.from_period):
        parser.error("targets set needs CODE and --from PERIOD")
    if args.command == "trajectory" and args.action == "set" and (not args.code or not args.points):
        parser.error("trajectory set needs CODE and --points 'QUARTER=PERCENT, ...'")
    if args.command == "trajectory" and args.action == "withdraw" and not args.code:
        parser.error("trajectory withdraw needs CODE (and --locality, --deciles as it was set) and --reason")
    if args.command == "settings" and args.action == "set" and (not args.key or args.value is None):
        parser.error("settings set needs KEY and VALUE")
    if args.command == "users" and args.action != "list" and not args.email:
        parser.error(f"users {args.action} needs EMAIL")
    if args.command == "users" and args.action == "add" and not args.role:
        parser.error("users add needs --role commissioner|provider|viewer|admin")
    try:
        return args.func(args)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (ValueError, periods.PeriodError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
