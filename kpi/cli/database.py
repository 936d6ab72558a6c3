"""``hcp sample``, ``hcp init``, ``hcp backup`` and ``hcp restore``: making, saving and replacing the database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpi.cli.common import local
from kpi.core.store import Store, StoreError, db_path, ensure_not_held, replace_database


def cmd_sample(args: argparse.Namespace) -> int:
    """Build the marked sample database."""
    from kpi.sample import build_sample

    target = Path(args.db or db_path())
    summary = build_sample(target, force=args.force)
    print(summary)
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Create an empty database for a real council."""
    from kpi.core.councils import init_council
    from kpi.outcomes.peers import ensure_reference_groups

    target = Path(args.db or db_path())
    if target.exists() and not args.force:
        raise StoreError(
            f"a database already exists at {target}: choose another HCP_DB or pass --force to replace it"
        )
    ensure_not_held(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target and moved into place when complete: a failed init (an unknown council code) leaves
    # no half-made database behind, and --force keeps the old file until the new one is ready.
    building = target.with_name(target.name + ".building")
    leftovers = (building, Path(str(building) + ".wal"))
    try:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        with Store.open(building) as store:
            init_council(
                store,
                args.council,
                council_name=args.name,
                region_code=args.region_code,
                region_name=args.region_name,
                principal=local(args),
            )
            ensure_reference_groups(store, args.council.upper(), principal=local(args))
        replace_database(building, target)
    finally:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
    print(f"created {target} for {args.council.upper()}: load its localities with 'hcp load localities FILE'")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a consistent snapshot of the database and its manifest into a new folder."""
    from kpi.core.backup import backup

    manifest = backup(Path(args.db or db_path()), Path(args.directory), principal=local(args))
    rows = sum(manifest["tables"].values())
    print(
        f"backed up {manifest['source']} to {args.directory}: {len(manifest['tables'])} tables, {rows:,} rows, "
        f"{manifest['bytes'] / 1_048_576:.1f} MB (SHA-256 {manifest['sha256'][:12]}…)"
    )
    if "signature" not in manifest:
        print(
            "the manifest is not signed: the backup key could not be made beside the database (read-only folder?), "
            "so restoring it will need --accept-unsigned --reason",
            file=sys.stderr,
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database with a backup (the dashboard must be stopped)."""
    from kpi.core.backup import restore

    target = Path(args.db or db_path())
    if args.accept_unsigned and not (args.reason or "").strip():
        print('--accept-unsigned needs a reason: add --reason "..."', file=sys.stderr)
        return 2
    manifest = restore(
        Path(args.directory),
        target,
        principal=local(args),
        key=Path(args.key) if args.key else None,
        accept_unsigned=args.accept_unsigned,
        reason=args.reason,
    )
    print(f"restored {target} from the backup of {manifest.get('created_at', '?')} in {args.directory}")
    if manifest["signature_status"] != "signed":
        print(
            f"the backup was not signed with the backup key ({manifest['signature_status']}): accepted as asked"
        )
    if manifest["kept"]:
        print(f"the database it replaced is kept as {manifest['kept']}")
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser("sample", help="build the marked sample database (synthetic figures for Trafford)")
    p.add_argument("--force", action="store_true", help="replace an existing database")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("init", help="create an empty database for a real council")
    p.add_argument("--council", required=True, help="ONS local authority code, e.g. E08000009")
    p.add_argument("--name", help="council name (needed for county councils)")
    p.add_argument("--region-code")
    p.add_argument("--region-name")
    p.add_argument("--force", action="store_true", help="replace an existing database")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("backup", help="snapshot the database and a manifest into a new folder")
    p.add_argument("directory", help="a new (or empty) folder for the backup")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the database with a backup (stop the dashboard first)")
    p.add_argument("directory", help="a folder made by 'hcp backup' or the Admin page")
    p.add_argument(
        "--key",
        help="the backup key file of the installation that made the backup (default: the database's own, "
        "<database>.backup-key)",
    )
    p.add_argument(
        "--accept-unsigned",
        action="store_true",
        help="restore a backup that is not signed with the key (unsigned, changed or another installation's); "
        "needs --reason, recorded in the audit log",
    )
    p.add_argument("--reason", help="why an unsigned backup is restored (with --accept-unsigned)")
    p.set_defaults(func=cmd_restore)
