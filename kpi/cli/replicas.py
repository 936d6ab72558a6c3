"""``hcp snapshot``: publish snapshots of the database for read-only replicas (``hcp serve --replica DIR``)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kpi.cli.common import local
from kpi.core.store import DatabaseBusy, Store, db_path

BUSY = (
    "the dashboard is running and holds the database: let it publish the snapshots itself "
    "(hcp serve --snapshots DIR [--snapshot-every 10m]) instead"
)


def _publish_once(args: argparse.Namespace) -> dict:
    from kpi.core.snapshot import publish_snapshot

    with Store.open(args.db or db_path()) as store:
        return publish_snapshot(store, Path(args.out), principal=local(args), keep=args.keep)


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Publish one snapshot, or one every ``--every`` (the database is opened only while each is taken)."""
    from kpi.core.snapshot import parse_every

    every = parse_every(args.every) if args.every else None
    while True:
        try:
            manifest = _publish_once(args)
            print(
                f"published {Path(manifest['folder']).name} in {args.out}: data as at {manifest['snapshot_at']}, "
                f"{manifest['bytes'] / 1_048_576:.1f} MB (SHA-256 {manifest['sha256'][:12]}…); keeping the newest "
                f"{args.keep}",
                flush=True,
            )
        except DatabaseBusy:
            print(BUSY, file=sys.stderr, flush=True)
            if every is None:
                return 2
        if every is None:
            return 0
        time.sleep(every)


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser("snapshot", help="publish a snapshot of the database for read-only replicas")
    p.add_argument(
        "--out", required=True, help="the snapshot directory replicas serve (hcp serve --replica DIR)"
    )
    p.add_argument("--keep", type=int, default=3, help="how many snapshots to keep (default 3)")
    p.add_argument("--every", help="publish again every interval (90s, 10m, 2h) until stopped")
    p.set_defaults(func=cmd_snapshot)
