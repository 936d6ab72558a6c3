"""``hcp targets``, ``hcp settings`` and ``hcp catalogue``: what a commissioner may change, dated and audited."""

from __future__ import annotations

import argparse
import sys

from kpi.cli.common import as_csv, council_of, local, open_store
from kpi.core.store import Store


def cmd_targets(args: argparse.Namespace) -> int:
    """List or set dated targets."""
    from kpi.contract.targets import current_amber_margin, list_targets, set_target

    if args.action == "list":
        with open_store(args, read_only=True) as store:
            frame = list_targets(store, council_of(store, args), local(args))
            print(as_csv(frame) if args.json is False else frame.write_json())
        return 0
    target = None if args.no_target else args.target
    if target is None and not args.no_target:
        print("give --target PERCENT (or --no-target)", file=sys.stderr)
        return 2
    with open_store(args) as store:
        start = set_target(
            store,
            council_of(store, args),
            args.code,
            target_pct=target,
            amber_margin_pct=args.amber_margin,
            effective_from=args.from_period,
            reason=args.reason,
            principal=local(args),
        )
        if target is None:
            shown = "no target"
        else:  # the margin given, or the one kept
            margin = current_amber_margin(store, council_of(store, args), args.code, start)
            shown = f"target {target:g}% (amber margin {margin:g} points)"
        print(f"{args.code}: {shown} from {start.code}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    """List or set dated settings."""
    from kpi.contract.targets import set_setting
    from kpi.core.catalogue import load_setting_defaults
    from kpi.core.store import setting

    if args.action == "list":
        with open_store(args, read_only=True) as store:
            council = council_of(store, args)
            for key, spec in load_setting_defaults().items():
                print(f"{key} = {setting(store, council, key)}    # {spec.help}")
        return 0
    with open_store(args) as store:
        set_setting(
            store, council_of(store, args), args.key, args.value, reason=args.reason, principal=local(args)
        )
        print(f"{args.key} set to {args.value}")
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    """``hcp catalogue sync``: bring the database's KPI catalogue in step with the catalogue file, from a period."""
    from kpi.core.catalogue_sync import sync_catalogue

    with Store.open(args.db, sync_catalogue=False) as store:
        results = sync_catalogue(
            store,
            effective_from=args.from_period,
            principal=local(args),
            council_code=args.council,
        )
    if not results:
        print(
            "the database has no council yet: run 'hcp init --council CODE' or 'hcp sample'", file=sys.stderr
        )
        return 2
    for result in results:
        print(result.to_text())
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser("targets", help="list or set dated contract targets")
    p.add_argument("action", choices=("list", "set"))
    p.add_argument("code", nargs="?", help="KPI code (set)")
    p.add_argument("--target", type=float, help="target in percent, e.g. 90")
    p.add_argument("--no-target", action="store_true", help="the KPI has no target from this period on")
    p.add_argument(
        "--amber-margin",
        type=float,
        help="amber margin in percentage points (default: keep the KPI's margin in force for --from)",
    )
    p.add_argument("--from", dest="from_period", help="first period it applies to, e.g. '2026-27 Q1'")
    p.add_argument("--reason")
    p.add_argument("--council")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_targets)

    p = sub.add_parser(
        "catalogue",
        help="sync the database's KPI catalogue with config/catalogue.toml (or HCP_CATALOGUE) from a period",
    )
    p.add_argument("action", choices=("sync",))
    p.add_argument(
        "--from",
        dest="from_period",
        help="first period the changes apply to, e.g. '2026-27 Q3' (default: the current open quarter)",
    )
    p.add_argument("--council", help="council code (default: every council in the database)")
    p.set_defaults(func=cmd_catalogue)

    p = sub.add_parser("settings", help="list or set dated settings")
    p.add_argument("action", choices=("list", "set"))
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")
    p.add_argument("--reason")
    p.add_argument("--council")
    p.set_defaults(func=cmd_settings)
