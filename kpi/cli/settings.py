"""``hcp targets``, ``trajectory``, ``settings`` and ``catalogue``: what a commissioner may change, dated, audited."""

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


def cmd_trajectory(args: argparse.Namespace) -> int:
    """List (in force, or every version with ``--history``), set or withdraw a recovery trajectory."""
    from kpi.contract.trajectories import (
        TrajectoryError,
        set_trajectory,
        trajectory_history,
        trajectory_points,
    )

    if args.action == "withdraw":
        return _withdraw_trajectory(args)

    if args.action == "list":
        with open_store(args, read_only=True) as store:
            council, who = council_of(store, args), local(args)
            if args.history:
                frame = trajectory_history(store, council, principal=who)
            else:
                frame = trajectory_points(store, council, principal=who).select(
                    "kpi_code",
                    "locality_code",
                    "decile_group",
                    "version",
                    "period",
                    "planned_pct",
                    "reason",
                    "meeting_id",
                    "recorded_at",
                    "recorded_by",
                )
            print(frame.write_json() if args.json else as_csv(frame))
        return 0
    with open_store(args) as store:
        try:
            _, version = set_trajectory(
                store,
                council_of(store, args),
                args.code,
                args.points or "",
                reason=args.reason or "",
                locality_code=args.locality,
                decile_group=args.deciles,
                meeting_id=args.meeting,
                principal=local(args),
            )
        except TrajectoryError as exc:
            print("the trajectory was not recorded:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
    where = (args.locality or "borough").upper() if args.locality else "borough"
    group = f", deciles {args.deciles}" if args.deciles else ""
    print(f"{args.code.upper()} ({where}{group}): trajectory version {version} recorded")
    return 0


def _withdraw_trajectory(args: argparse.Namespace) -> int:
    """Withdraw the trajectory of a KPI, place and decile group (its history is kept)."""
    from kpi.contract.trajectories import TrajectoryError, trajectory_id_of, withdraw_trajectory

    where = (args.locality or "borough").upper() + (f", deciles {args.deciles}" if args.deciles else "")
    with open_store(args) as store:
        council, who = council_of(store, args), local(args)
        try:
            tid = trajectory_id_of(
                store,
                council,
                args.code,
                locality_code=args.locality,
                decile_group=args.deciles,
                principal=who,
            )
            if tid is None:
                raise TrajectoryError(
                    [f"{args.code.upper()} ({where}) has no trajectory: see hcp trajectory list"]
                )
            version = withdraw_trajectory(
                store, council, tid, reason=args.reason or "", meeting_id=args.meeting, principal=who
            )
        except TrajectoryError as exc:
            print("the trajectory was not withdrawn:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
    print(f"{args.code.upper()} ({where}): trajectory withdrawn (version {version}); its history is kept")
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
        "trajectory", help="list, set or withdraw a recovery trajectory (planned values per quarter)"
    )
    p.add_argument("action", choices=("list", "set", "withdraw"))
    p.add_argument("code", nargs="?", help="KPI code (set, withdraw)")
    p.add_argument("--points", help="planned per cent per quarter, e.g. '2026-27 Q3=85, 2026-27 Q4=88'")
    p.add_argument("--locality", help="a locality code (default: the borough)")
    p.add_argument("--deciles", help="a group of national IMD deciles, e.g. 1-2 (default: all)")
    p.add_argument("--reason", help="the agreed reason (required for set), or why it is withdrawn (withdraw)")
    p.add_argument("--meeting", type=int, help="the id of the recorded meeting that agreed it")
    p.add_argument("--history", action="store_true", help="list every version, newest first")
    p.add_argument("--council")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_trajectory)

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
