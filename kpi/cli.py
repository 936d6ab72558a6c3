"""The ``hcp`` command line (also ``python -m kpi``).

Every write command opens the database read-write; when the dashboard is running it holds the file, and the
command stops with "the dashboard is running and holds the database: stop it or use the Admin page".
Exit status: 0 done, 1 rejected or warnings unconfirmed, 2 wrong usage or an unusable database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kpi import periods
from kpi.store import (
    ROOT,
    Store,
    StoreError,
    db_path,
    default_council,
    ensure_not_held,
    replace_database,
)

LOAD_DATASETS = ("mandated-contacts", "localities")


def _open(args: argparse.Namespace, *, read_only: bool = False) -> Store:
    return Store.open(args.db, read_only=read_only)


def _council(store: Store, args: argparse.Namespace) -> str:
    return (getattr(args, "council", None) or default_council(store)).upper()


def cmd_sample(args: argparse.Namespace) -> int:
    """Build the marked sample database."""
    from kpi.sample import build_sample

    target = Path(args.db or db_path())
    summary = build_sample(target, force=args.force)
    print(summary)
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Create an empty database for a real council."""
    from kpi.councils import init_council

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
                actor=args.actor,
            )
        replace_database(building, target)
    finally:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
    print(f"created {target} for {args.council.upper()}: load its localities with 'hcp load localities FILE'")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Check and load a file."""
    path = Path(args.file)
    if not path.is_file():
        print(f"there is no file at {path}", file=sys.stderr)
        return 2
    if args.dataset == "mandated-contacts" and not args.provider:
        print(
            "--provider CODE is required for mandated-contacts (the provider whose return this is)",
            file=sys.stderr,
        )
        return 2
    data = path.read_bytes()
    with _open(args) as store:
        council = _council(store, args)
        if args.dataset == "localities":
            from kpi.councils import load_localities

            report = load_localities(store, council, data, path.name, actor=args.actor, check_only=args.check)
            _print_report(report, args, "localities loaded" if report.ok and not args.check else "")
            return 0 if report.ok else 1
        from kpi.submissions import load_return

        result = load_return(
            store,
            data,
            path.name,
            council_code=council,
            provider_code=args.provider,
            actor=args.actor,
            check_only=args.check,
            accept_warnings=args.accept_warnings,
            reason=args.reason,
        )
        _print_report(
            result.report, args, result.message, outcome=result.outcome, submission=result.submission_id
        )
        return result.exit_code


def _print_report(report, args, message: str, **extra) -> None:
    if args.json:
        print(json.dumps({**report.to_dict(), "message": message, **extra}, default=str))
        return
    print(report.to_text())
    if message:
        print(message)


def cmd_targets(args: argparse.Namespace) -> int:
    """List or set dated targets."""
    from kpi.targets import list_targets, set_target

    if args.action == "list":
        with _open(args, read_only=True) as store:
            frame = list_targets(store, _council(store, args))
            print(frame.write_csv() if args.json is False else frame.write_json())
        return 0
    target = None if args.no_target else args.target
    if target is None and not args.no_target:
        print("give --target PERCENT (or --no-target)", file=sys.stderr)
        return 2
    with _open(args) as store:
        start = set_target(
            store,
            _council(store, args),
            args.code,
            target_pct=target,
            amber_margin_pct=args.amber_margin,
            effective_from=args.from_period,
            actor=args.actor,
            reason=args.reason,
        )
        shown = (
            "no target"
            if target is None
            else f"target {target:g}% (amber margin {args.amber_margin:g} points)"
        )
        print(f"{args.code}: {shown} from {start.code}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    """List or set dated settings."""
    from kpi.catalogue import load_setting_defaults
    from kpi.store import setting
    from kpi.targets import set_setting

    if args.action == "list":
        with _open(args, read_only=True) as store:
            council = _council(store, args)
            for key, spec in load_setting_defaults().items():
                print(f"{key} = {setting(store, council, key)}    # {spec.help}")
        return 0
    with _open(args) as store:
        set_setting(store, _council(store, args), args.key, args.value, actor=args.actor, reason=args.reason)
        print(f"{args.key} set to {args.value}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the dashboard, refusing a non-loopback address without sign-in."""
    from kpi.auth import auth_configured, is_loopback

    address = args.address
    if not is_loopback(address) and not auth_configured():
        print(
            f"refusing to serve on {address}: without sign-in configured ([auth] in .streamlit/secrets.toml) the "
            "dashboard runs as one local commissioner and may only listen on this computer (127.0.0.1). "
            "Configure sign-in first, or serve on 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    target = Path(args.db or db_path())
    if not target.exists():
        print(
            f"there is no database at {target}: run 'hcp sample' (or 'hcp init --council CODE')",
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ, HCP_DB=str(target.resolve()), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.address",
        address,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    print(
        f"serving HCP Contract Monitor on http://{address}:{args.port} (database {target}); Ctrl+C stops it"
    )
    os.chdir(ROOT)
    os.execvpe(command[0], command, env)
    return 0  # pragma: no cover


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

    p = sub.add_parser("serve", help="serve the dashboard (127.0.0.1:8501 by default)")
    p.add_argument("--address", default=os.environ.get("ADDRESS", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("load", help="check and load a file")
    p.add_argument("dataset", choices=LOAD_DATASETS)
    p.add_argument("file")
    p.add_argument("--provider", help="provider code (mandated-contacts)")
    p.add_argument("--council", help="council code (default: the database's council)")
    p.add_argument("--check", action="store_true", help="validate only: write nothing")
    p.add_argument("--accept-warnings", action="store_true", help="load despite warnings (needs --reason)")
    p.add_argument("--reason", help="why the warnings are accepted (recorded in the audit log)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("targets", help="list or set dated contract targets")
    p.add_argument("action", choices=("list", "set"))
    p.add_argument("code", nargs="?", help="KPI code (set)")
    p.add_argument("--target", type=float, help="target in percent, e.g. 90")
    p.add_argument("--no-target", action="store_true", help="the KPI has no target from this period on")
    p.add_argument(
        "--amber-margin", type=float, default=5.0, help="amber margin in percentage points (default 5)"
    )
    p.add_argument("--from", dest="from_period", help="first period it applies to, e.g. '2026-27 Q1'")
    p.add_argument("--reason")
    p.add_argument("--council")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_targets)

    p = sub.add_parser("settings", help="list or set dated settings")
    p.add_argument("action", choices=("list", "set"))
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")
    p.add_argument("--reason")
    p.add_argument("--council")
    p.set_defaults(func=cmd_settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``hcp``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "targets" and args.action == "set" and (not args.code or not args.from_period):
        parser.error("targets set needs CODE and --from PERIOD")
    if args.command == "settings" and args.action == "set" and (not args.key or args.value is None):
        parser.error("settings set needs KEY and VALUE")
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
