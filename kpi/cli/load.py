"""``hcp load DATASET FILE...`` for every dataset of the registry (:mod:`kpi.cli.datasets`), and ``hcp fingertips fetch``."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from kpi.cli.common import council_of, local, open_store, print_report
from kpi.cli.datasets import DATASETS, dataset_spec

#: The providers' quarterly returns: several files are several returns, alerted as one load.
RETURNS = "mandated-contacts"


def cmd_load(args: argparse.Namespace) -> int:
    """Check and load a file into the dataset the registry names (:func:`kpi.ingest.pipeline.run_load`)."""
    paths = [Path(name) for name in args.file]
    for path in paths:
        if not path.is_file():
            print(f"there is no file at {path}", file=sys.stderr)
            return 2
    spec = dataset_spec(args.dataset)
    if len(paths) > 1 and "parts" not in spec.options and spec.name != RETURNS:
        print(f"{spec.name} loads one file at a time: give one FILE", file=sys.stderr)
        return 2
    if args.valid_from:
        try:
            date.fromisoformat(args.valid_from)
        except ValueError:
            print(f"--valid-from takes a date such as 2025-05-01, not '{args.valid_from}'", file=sys.stderr)
            return 2
    if spec.provider_option and not args.provider:
        print(
            f"--provider CODE is required for {spec.name} (the provider whose return this is)",
            file=sys.stderr,
        )
        return 2
    options = _options(spec, args)
    parts = [(path.name, path.read_bytes()) for path in paths]
    if spec.name == RETURNS:
        return _load_returns(spec, args, parts, options)
    if len(parts) > 1:
        options["parts"] = parts  # several monthly files loaded as one extract
    data, name = b"".join(part for _, part in parts), " + ".join(n for n, _ in parts)
    with open_store(args) as store:
        result = _run(store, spec, args, data, name, options, check_only=args.check)
        print_report(
            result.report, args, result.message, outcome=result.outcome, **{spec.id_name: result.load_id}
        )
        _publish_after(store, args, written=_written(result))
        return result.exit_code


def _written(result) -> bool:
    from kpi.ingest.pipeline import WRITTEN

    return result.outcome == WRITTEN


def _publish_after(store, args: argparse.Namespace, *, written: bool) -> None:
    """With ``--snapshots DIR`` (or ``HCP_SNAPSHOT_DIR``): a snapshot for the replicas once a load is written.

    A load run from a scheduler, with no dashboard holding the database, so reaches the replicas at once rather than
    at the next ``hcp snapshot --every``. Nothing is published when nothing was written.
    """
    if not written or not args.snapshots:
        return
    from kpi.core.snapshot import publish_snapshot

    manifest = publish_snapshot(store, Path(args.snapshots), principal=local(args), keep=args.keep)
    print(
        f"published {Path(manifest['folder']).name} in {args.snapshots} for the replicas",
        file=sys.stderr if args.json else sys.stdout,
    )


def _run(store, spec, args: argparse.Namespace, data: bytes, name: str, options: dict, *, check_only: bool):
    from kpi.ingest.pipeline import run_load

    return run_load(
        store,
        spec,
        data,
        name,
        council_code=council_of(store, args),
        principal=local(args),
        check_only=check_only,
        accept_warnings=args.accept_warnings,
        reason=args.reason,
        **options,
    )


def _load_returns(spec, args: argparse.Namespace, parts: list[tuple[str, bytes]], options: dict) -> int:
    """Providers' returns, one per file: all checked before any is written, then the after-load alerts.

    The e-mail alerts cover the whole command: one message per person, as the Upload page sends for one file.
    """
    from kpi.alerts import notify
    from kpi.ingest.pipeline import WRITTEN

    with open_store(args) as store:
        if len(parts) > 1 and not args.check:
            checks = [_run(store, spec, args, data, name, options, check_only=True) for name, data in parts]
            if not all(result.exit_code == 0 for result in checks):
                for result in checks:
                    print_report(result.report, args, result.message, outcome=result.outcome)
                print("nothing was loaded: every file must pass before any is", file=sys.stderr)
                return 1
        results = [
            _run(store, spec, args, data, name, options, check_only=args.check) for name, data in parts
        ]
        for result in results:
            print_report(
                result.report, args, result.message, outcome=result.outcome, submission=result.load_id
            )
        written = [r.submission_id for r in results if r.outcome == WRITTEN and r.submission_id is not None]
        if written:
            council = council_of(store, args)
            counts = notify.after_loads(store, council, written, principal=local(args))
            print(_alert_words(counts, store, council), file=sys.stderr if args.json else sys.stdout)
        _publish_after(store, args, written=bool(written))
        return max(result.exit_code for result in results)


def _alert_words(counts: dict[str, int], store, council: str) -> str:
    from kpi.alerts import mail

    problem = mail.relay(store, council).problem
    if problem:
        return problem
    if not counts["sent"] and not counts["failed"]:
        return "E-mail alerts: nobody chose an alert for this load."
    failed = f", {counts['failed']} failed (see the audit log)" if counts["failed"] else ""
    return f"E-mail alerts: {counts['sent']} sent{failed}."


def _options(spec, args: argparse.Namespace) -> dict:
    """The command-line options this dataset's load takes (the provider; NCMP's mapping and age convention)."""
    given = {
        "provider_code": lambda: args.provider,
        "age_method": lambda: args.age_method,
        "group_name": lambda: args.name,
        "valid_from": lambda: date.fromisoformat(args.valid_from) if args.valid_from else None,
    }
    if args.mapping:
        if spec.name == "hv-records":
            from kpi.hvrecords.load import read_hv_mapping as read_mapping
        else:
            from kpi.ncmp.checks import read_mapping

        given["mapping"] = lambda: read_mapping(Path(args.mapping).read_bytes(), args.mapping)
    return {name: value() for name, value in given.items() if name in spec.options}


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
    with open_store(args) as store:
        try:
            result = outcome_loads.fetch_fingertips(
                store,
                council_code=council_of(store, args),
                principal=local(args),
                indicator_ids=ids or None,
                area_type_id=args.area_type,
                parent_area_type_id=args.parent_area_type,
                all_areas=args.all_areas,
                check_only=args.check,
            )
        except outcome_loads.FetchUnavailable as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print_report(result.report, args, result.message, outcome=result.outcome, load=result.submission_id)
        return result.exit_code


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser("load", help="check and load a file")
    p.add_argument("dataset", choices=tuple(DATASETS))
    p.add_argument(
        "file",
        nargs="+",
        help="the file (mandated-contacts: one or more returns; hv-records: one or more files loaded as one extract)",
    )
    p.add_argument("--provider", help="provider code (mandated-contacts, hv-records)")
    p.add_argument("--council", help="council code (default: the database's council)")
    p.add_argument("--check", action="store_true", help="validate only: write nothing")
    p.add_argument("--accept-warnings", action="store_true", help="load despite warnings (needs --reason)")
    p.add_argument("--reason", help="why the warnings are accepted (recorded in the audit log)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--mapping", help="ncmp, hv-records: CSV source_column,target_column renaming the extract's headers"
    )
    p.add_argument(
        "--age-method", choices=("exact", "month"), default="exact", help="ncmp: UK90 age convention"
    )
    p.add_argument("--name", help='peers: the comparator group\'s name, e.g. "CIPFA nearest neighbours 2025"')
    p.add_argument(
        "--valid-from", help="peers: the date the group is in force from (ISO 8601; default today)"
    )
    p.add_argument(
        "--snapshots",
        metavar="DIR",
        default=os.environ.get("HCP_SNAPSHOT_DIR") or None,
        help="publish a snapshot for read-only replicas into DIR once the load is written (default HCP_SNAPSHOT_DIR)",
    )
    p.add_argument(
        "--keep",
        type=int,
        default=int(os.environ.get("HCP_SNAPSHOT_KEEP", "3")),
        help="with --snapshots: how many snapshots to keep (default HCP_SNAPSHOT_KEEP, else 3)",
    )
    p.set_defaults(func=cmd_load)

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
