"""``hcp serve``: the dashboard, refused on a non-loopback address without sign-in."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kpi.core.store import ROOT, db_path


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
        f"serving HCP Contract Monitor on http://{address}:{args.port} (database {target}); Ctrl+C stops it"
    )
    os.chdir(ROOT)
    os.execvpe(command[0], command, env)
    return 0  # pragma: no cover


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser("serve", help="serve the dashboard (127.0.0.1:8501 by default)")
    p.add_argument("--address", default=os.environ.get("ADDRESS", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    p.set_defaults(func=cmd_serve)
