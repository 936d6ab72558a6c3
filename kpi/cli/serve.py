"""``hcp serve``: the dashboard, refused on a non-loopback address without sign-in.

``--replica DIR`` serves the newest snapshot read-only; ``--snapshots DIR`` makes the writer publish them
(docs/operations.md, scaling).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kpi.core.store import ROOT, StoreError, db_path


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the dashboard, refusing a non-loopback address without sign-in."""
    from kpi.access.principal import allowed_hosts, auth_configured, is_loopback

    address = args.address
    hosts = allowed_hosts()
    if not hosts:
        print(
            "refusing to serve: sign-in is configured but [auth] has no usable redirect_uri, so the web address "
            "people use is unknown and requests for any other host name cannot be refused. Set redirect_uri "
            '(e.g. "https://hcp.example.gov.uk/oauth2callback") in .streamlit/secrets.toml.',
            file=sys.stderr,
        )
        return 2
    if not is_loopback(address) and not auth_configured():
        print(
            f"refusing to serve on {address}: without sign-in configured ([auth] in .streamlit/secrets.toml) the "
            "dashboard runs as one local commissioner and may only listen on this computer (127.0.0.1). "
            "Configure sign-in first, or serve on 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    env = _mode_env(args)
    if env is None:
        return 2
    target = env.get("HCP_REPLICA") or env["HCP_DB"]
    command = [
        sys.executable,
        str(ROOT / "serve.py"),
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
        # Only these Host names get a session (DNS rebinding: another site's name resolving to this machine).
        *[part for host in hosts for part in ("--server.allowedHosts", host)],
    ]
    print(
        f"serving HCP Contract Monitor on http://{address}:{args.port} "
        f"({'read-only replica of the snapshots in' if args.replica else 'database'} {target}); Ctrl+C stops it"
    )
    os.chdir(ROOT)
    os.execvpe(command[0], command, env)
    return 0  # pragma: no cover


def _mode_env(args: argparse.Namespace) -> dict | None:
    """The app's environment: the database (a writer, perhaps publishing snapshots) or a replica's snapshots."""
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    env.pop("HCP_REPLICA", None)
    if args.replica:
        from kpi.core.replica import manifest_of

        try:
            manifest = manifest_of(args.replica)
        except StoreError as exc:
            print(str(exc), file=sys.stderr)
            return None
        print(f"replica: serving the newest snapshot ({manifest['folder']}) and each newer one as it appears")
        env["HCP_REPLICA"] = str(Path(args.replica).resolve())
        env.pop("HCP_SNAPSHOT_DIR", None)
        return env
    target = Path(args.db or db_path())
    if not target.exists():
        print(
            f"there is no database at {target}: run 'hcp sample' (or 'hcp init --council CODE')",
            file=sys.stderr,
        )
        return None
    env["HCP_DB"] = str(target.resolve())
    if args.snapshots:
        from kpi.core.snapshot import parse_every

        parse_every(args.snapshot_every)  # a wrong interval stops here, not in the app
        env.update(
            HCP_SNAPSHOT_DIR=str(Path(args.snapshots).resolve()),
            HCP_SNAPSHOT_EVERY=args.snapshot_every,
            HCP_SNAPSHOT_KEEP=str(args.keep),
        )
    return env


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser("serve", help="serve the dashboard (127.0.0.1:8501 by default)")
    p.add_argument("--address", default=os.environ.get("ADDRESS", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    p.add_argument(
        "--replica", metavar="SNAPSHOT_DIR", help="serve the newest snapshot in SNAPSHOT_DIR read-only"
    )
    p.add_argument(
        "--snapshots",
        metavar="DIR",
        default=os.environ.get("HCP_SNAPSHOT_DIR") or None,
        help="the writer publishes snapshots for replicas into DIR (after every change, and --snapshot-every)",
    )
    p.add_argument("--snapshot-every", default=os.environ.get("HCP_SNAPSHOT_EVERY", "10m"))
    p.add_argument("--keep", type=int, default=int(os.environ.get("HCP_SNAPSHOT_KEEP", "3")))
    p.set_defaults(func=cmd_serve)
