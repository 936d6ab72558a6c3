"""``hcp ncmp classify IN OUT`` (an analyst's file, nothing stored) and ``hcp ncmp purge --before YEAR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpi.cli.common import council_of, local, open_store


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
    from kpi.ncmp.purge import purge_ncmp

    with open_store(args) as store:
        result = purge_ncmp(
            store,
            council_of(store, args),
            args.before,
            principal=local(args),
            force=args.force,
            reason=args.reason,
        )
    print(result.message)
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
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
