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

from kpi.core import periods as periods
from kpi.core.store import (
    ROOT,
    Store,
    StoreError,
    db_path,
    default_council,
    ensure_not_held,
    replace_database,
)

LOAD_DATASETS = ("mandated-contacts", "localities", "fingertips", "outcome-measures", "ncmp", "ncmp-eligible")


def _open(args: argparse.Namespace, *, read_only: bool = False) -> Store:
    store = Store.open(args.db, read_only=read_only)
    # Opening for writing syncs the catalogue when config/catalogue.toml (HCP_CATALOGUE) changed: say what changed.
    for result in store.catalogue_changes:
        print(result.to_text(), file=sys.stderr)
    return store


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
    from kpi.core.councils import init_council

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
                principal=_local(args),
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
        if args.dataset in ("ncmp", "ncmp-eligible"):
            return _load_ncmp(store, council, data, path, args)
        if args.dataset == "localities":
            from kpi.core.councils import load_localities

            report = load_localities(
                store, council, data, path.name, principal=_local(args), check_only=args.check
            )
            _print_report(report, args, "localities loaded" if report.ok and not args.check else "")
            return 0 if report.ok else 1
        if args.dataset in ("fingertips", "outcome-measures"):
            from kpi.outcomes import load as outcome_loads

            loader = (
                outcome_loads.load_fingertips
                if args.dataset == "fingertips"
                else outcome_loads.load_outcome_measures
            )
            result = loader(
                store, data, path.name, council_code=council, principal=_local(args), check_only=args.check
            )
            _print_report(
                result.report, args, result.message, outcome=result.outcome, load=result.submission_id
            )
            return result.exit_code
        from kpi.returns.load import load_return

        result = load_return(
            store,
            data,
            path.name,
            council_code=council,
            provider_code=args.provider,
            principal=_local(args),
            check_only=args.check,
            accept_warnings=args.accept_warnings,
            reason=args.reason,
        )
        _print_report(
            result.report, args, result.message, outcome=result.outcome, submission=result.submission_id
        )
        return result.exit_code


def _csv(frame) -> str:
    """CSV for the terminal or a redirect into a spreadsheet: formula-like cells escaped (kpi.core.charts.safe_csv)."""
    from kpi.core.charts import safe_csv

    return safe_csv(frame).decode("utf-8")


def _print_report(report, args, message: str, **extra) -> None:
    if args.json:
        print(json.dumps({**report.to_dict(), "message": message, **extra}, default=str))
        return
    print(report.to_text())
    if message:
        print(message)


def _local(args: argparse.Namespace):
    """The command line's principal: the local commissioner and administrator at this computer (``--actor``)."""
    from kpi.access.principal import local_principal

    return local_principal(args.actor)


def cmd_targets(args: argparse.Namespace) -> int:
    """List or set dated targets."""
    from kpi.contract.targets import current_amber_margin, list_targets, set_target

    if args.action == "list":
        with _open(args, read_only=True) as store:
            frame = list_targets(store, _council(store, args), _local(args))
            print(_csv(frame) if args.json is False else frame.write_json())
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
            reason=args.reason,
            principal=_local(args),
        )
        if target is None:
            shown = "no target"
        else:  # the margin given, or the one kept
            margin = current_amber_margin(store, _council(store, args), args.code, start)
            shown = f"target {target:g}% (amber margin {margin:g} points)"
        print(f"{args.code}: {shown} from {start.code}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    """List or set dated settings."""
    from kpi.contract.targets import set_setting
    from kpi.core.catalogue import load_setting_defaults
    from kpi.core.store import setting

    if args.action == "list":
        with _open(args, read_only=True) as store:
            council = _council(store, args)
            for key, spec in load_setting_defaults().items():
                print(f"{key} = {setting(store, council, key)}    # {spec.help}")
        return 0
    with _open(args) as store:
        set_setting(
            store, _council(store, args), args.key, args.value, reason=args.reason, principal=_local(args)
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
            principal=_local(args),
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


def cmd_fingertips(args: argparse.Namespace) -> int:
    """Fetch an export from the Fingertips API (optional fingertips_py) and load it."""
    from kpi.outcomes import load as outcome_loads

    try:
        ids = [int(part) for part in (args.indicators or "").replace(" ", "").split(",") if part]
    except ValueError:
        print(
            "--indicators takes Fingertips indicator IDs separated by commas, e.g. 93085,20401",
            file=sys.stderr,
        )
        return 2
    with _open(args) as store:
        try:
            result = outcome_loads.fetch_fingertips(
                store,
                council_code=_council(store, args),
                principal=_local(args),
                indicator_ids=ids or None,
                area_type_id=args.area_type,
                parent_area_type_id=args.parent_area_type,
                all_areas=args.all_areas,
                check_only=args.check,
            )
        except outcome_loads.FetchUnavailable as exc:
            print(str(exc), file=sys.stderr)
            return 1
        _print_report(result.report, args, result.message, outcome=result.outcome, load=result.submission_id)
        return result.exit_code


def cmd_users(args: argparse.Namespace) -> int:
    """Add, list or remove the users who may sign in (the command line acts as the local administrator)."""
    from kpi.access.principal import local_principal
    from kpi.access.users import UserError, add_user, list_users, remove_user

    who = local_principal(args.actor)
    try:
        if args.action == "list":
            with _open(args, read_only=True) as store:
                frame = list_users(store, who, include_removed=args.all)
                print(frame.write_json() if args.json else _csv(frame), end="")
            return 0
        with _open(args) as store:
            if args.action == "add":
                added = add_user(store, who, args.email, args.role, provider_code=args.provider)
                scope = f" for provider {added.provider_code}" if added.provider_code else ""
                print(f"{added.email} may sign in as {added.role}{scope}")
            else:
                remove_user(store, who, args.email)
                print(
                    f"{args.email.strip().lower()} removed: they can no longer sign in (the history is kept)"
                )
    except UserError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a consistent snapshot of the database and its manifest into a new folder."""
    from kpi.core.backup import backup

    manifest = backup(Path(args.db or db_path()), Path(args.directory), principal=_local(args))
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
        principal=_local(args),
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


def _as_at(text: str | None):
    """An ``--as-at`` ISO 8601 time as a naive local datetime (default: now)."""
    from datetime import datetime

    if not text:
        return periods.now()
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(
            f"--as-at '{text}' is not an ISO 8601 date and time: write it as 2026-11-20T09:00"
        ) from exc
    return value.astimezone().replace(tzinfo=None) if value.tzinfo else value


def cmd_report(args: argparse.Namespace) -> int:
    """Build the meeting pack (``hcp pack``) or the scrutiny briefing (``hcp briefing``) and write it to a file."""
    from kpi import reports
    from kpi.reports.words import as_at_text

    as_at = _as_at(args.as_at)
    out = Path(args.out)
    circulating = bool(getattr(args, "circulate", False))
    if circulating and not (args.to or "").strip():
        raise ValueError('--circulate needs --to: say to whom the file is sent, e.g. --to "Contract board"')
    if circulating and getattr(args, "draft", False):
        raise ValueError(
            "a draft is for the provider's review and is not circulated: drop --draft or --circulate"
        )
    if not circulating and getattr(args, "to", None):
        raise ValueError("--to is recorded only when the file is circulated: add --circulate")
    with _open(args) as store:
        built = reports.build(
            store,
            args.command,
            args.period,
            as_at,
            principal=_local(args),
            council_code=_council(store, args),
            provider_code=args.provider,
            draft=getattr(args, "draft", False),
        )
        if circulating:
            content, pack_id = reports.circulate(
                store, built, args.format, sent_to=args.to, principal=_local(args)
            )
            recorded = f"circulated to {args.to.strip()}, recorded as {args.command} {pack_id}"
        else:
            content = reports.render(built.document, args.format)
            recorded = 'a draft: not recorded; add --circulate --to "..." when you send it'
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    what = "meeting pack" if args.command == "pack" else "scrutiny briefing"
    print(
        f"wrote {out}: {what} for {built.period}, data as at {as_at_text(built.as_at)}, data version "
        f"{built.data_version}, {len(content):,} bytes ({recorded})"
    )
    return 0


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


def _load_ncmp(store: Store, council: str, data: bytes, path: Path, args: argparse.Namespace) -> int:
    """``hcp load ncmp`` / ``ncmp-eligible``: the NCMP loaders (kpi.ncmp.load)."""
    from kpi.ncmp import load as ncmp_loads
    from kpi.ncmp.checks import read_mapping

    options = {"check_only": args.check, "accept_warnings": args.accept_warnings, "reason": args.reason}
    if args.dataset == "ncmp":
        mapping = read_mapping(Path(args.mapping).read_bytes(), args.mapping) if args.mapping else None
        result = ncmp_loads.load_ncmp(
            store,
            data,
            path.name,
            council_code=council,
            principal=_local(args),
            mapping=mapping,
            age_method=args.age_method,
            **options,
        )
    else:
        result = ncmp_loads.load_ncmp_eligible(
            store, data, path.name, council_code=council, principal=_local(args), **options
        )
    _print_report(result.report, args, result.message, outcome=result.outcome, load=result.submission_id)
    return result.exit_code


def cmd_ncmp(args: argparse.Namespace) -> int:
    """``hcp ncmp classify IN OUT`` (an analyst's file, nothing stored) and ``hcp ncmp purge --before YEAR``."""
    if args.action == "classify":
        from kpi.ncmp.checks import classify_file

        if not args.input or not args.output:
            print(
                "give the file to classify and the file to write: hcp ncmp classify IN OUT", file=sys.stderr
            )
            return 2
        source = Path(args.input)
        if not source.is_file():
            print(f"there is no file at {source}", file=sys.stderr)
            return 2
        output, summary = classify_file(source.read_bytes(), source.name, age_method=args.age_method)
        Path(args.output).write_bytes(output)
        print(f"{summary}; written to {args.output}")
        return 0
    if not args.before:
        print("give the first academic year to keep: hcp ncmp purge --before 2021/22", file=sys.stderr)
        return 2
    from kpi.ncmp.load import purge_ncmp

    with _open(args) as store:
        result = purge_ncmp(
            store,
            _council(store, args),
            args.before,
            principal=_local(args),
            force=args.force,
            reason=args.reason,
        )
    print(result.message)
    return 0


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

    p = sub.add_parser("load", help="check and load a file")
    p.add_argument("dataset", choices=LOAD_DATASETS)
    p.add_argument("file")
    p.add_argument("--provider", help="provider code (mandated-contacts)")
    p.add_argument("--council", help="council code (default: the database's council)")
    p.add_argument("--check", action="store_true", help="validate only: write nothing")
    p.add_argument("--accept-warnings", action="store_true", help="load despite warnings (needs --reason)")
    p.add_argument("--reason", help="why the warnings are accepted (recorded in the audit log)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--mapping", help="ncmp: CSV source_column,target_column renaming the extract's headers")
    p.add_argument(
        "--age-method", choices=("exact", "month"), default="exact", help="ncmp: UK90 age convention"
    )
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("ncmp", help="NCMP: classify an analyst's file, or purge old child-level rows")
    p.add_argument("action", choices=("classify", "purge"))
    p.add_argument(
        "input", nargs="?", help="classify: CSV/XLSX with sex, height_cm, weight_kg and age or dates"
    )
    p.add_argument("output", nargs="?", help="classify: the CSV to write (adds bmi, bmi_z, bmi_category)")
    p.add_argument(
        "--age-method", choices=("exact", "month"), default="exact", help="classify: UK90 age convention"
    )
    p.add_argument("--before", help="purge: child-level rows of academic years before this one, e.g. 2021/22")
    p.add_argument(
        "--force", action="store_true", help="purge: even inside the retention period (needs --reason)"
    )
    p.add_argument("--reason", help="purge: why (recorded in the audit log)")
    p.add_argument("--council")
    p.set_defaults(func=cmd_ncmp)

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

    p = sub.add_parser(
        "users", help="add, list or remove the users who may sign in (with sign-in configured)"
    )
    p.add_argument("action", choices=("add", "list", "remove"))
    p.add_argument("email", nargs="?", help="the e-mail address the person signs in with (add, remove)")
    p.add_argument(
        "--role", choices=("commissioner", "provider", "viewer", "admin"), help="the user's role (add)"
    )
    p.add_argument("--provider", help="the provider a provider user works for (add --role provider)")
    p.add_argument("--all", action="store_true", help="list removed users and past roles too")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("settings", help="list or set dated settings")
    p.add_argument("action", choices=("list", "set"))
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")
    p.add_argument("--reason")
    p.add_argument("--council")
    p.set_defaults(func=cmd_settings)

    p = sub.add_parser(
        "fingertips", help="fetch indicators from the Fingertips API (needs the fingertips extra)"
    )
    p.add_argument("action", choices=("fetch",))
    p.add_argument("--indicators", help="indicator IDs, e.g. 93085,20401 (default: those the frameworks use)")
    p.add_argument("--area-type", type=int, default=502, help="Fingertips area type ID (default 502)")
    p.add_argument("--parent-area-type", type=int, default=6, help="parent area type ID (default 6: regions)")
    p.add_argument(
        "--all-areas", action="store_true", help="keep every area, not only yours, its region, England"
    )
    p.add_argument("--council")
    p.add_argument("--check", action="store_true", help="fetch and validate only: write nothing")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_fingertips)

    for name, what in (
        ("pack", "the six-weekly contract meeting pack"),
        ("briefing", "the scrutiny briefing"),
    ):
        p = sub.add_parser(name, help=f"build {what} for a period (PDF or DOCX)")
        p.add_argument("--period", required=True, help="quarter, e.g. '2026-27 Q2'")
        p.add_argument(
            "--as-at", help="ISO 8601 time the data is taken as at, e.g. 2026-11-20T09:00 (default: now)"
        )
        p.add_argument("--format", choices=("pdf", "docx", "html"), default="pdf")
        p.add_argument("--out", required=True, help="file to write")
        p.add_argument("--provider", help="provider code (default: the council's provider)")
        p.add_argument("--council")
        p.add_argument(
            "--circulate",
            action="store_true",
            help="record that this file is circulated (commissioner; without it the file is a draft, not recorded)",
        )
        p.add_argument("--to", help="with --circulate: to whom the file is sent, e.g. 'Contract board'")
        if name == "pack":
            p.add_argument(
                "--draft", action="store_true", help="mark it as a draft for the provider's review"
            )
        p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``hcp``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "targets" and args.action == "set" and (not args.code or not args.from_period):
        parser.error("targets set needs CODE and --from PERIOD")
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
