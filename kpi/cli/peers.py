"""``hcp peers list`` and ``hcp peers reference``: the comparator groups (docs/methods.md section 9).

``list`` prints the groups in force and which the council is compared with; ``reference`` copies the groups shipped
in ``reference/`` into a database made before they shipped.
"""

from __future__ import annotations

import argparse

from kpi.cli.common import council_of, local, open_store


def cmd_peers(args: argparse.Namespace) -> int:
    """List the comparator groups, or copy the reference groups (docs/methods.md section 9)."""
    from kpi.outcomes import peers

    if args.action == "reference":
        with open_store(args) as store:
            council = council_of(store, args)
            written = peers.ensure_reference_groups(store, council, principal=local(args))
        print(
            f"comparator groups loaded: {', '.join(written)}"
            if written
            else "the reference groups are already loaded"
        )
        return 0
    with open_store(args, read_only=True) as store:
        council = council_of(store, args)
        groups = peers.comparator_groups(store, council, principal=local(args))
        chosen = peers.chosen_group_codes(store, council)
    if groups.is_empty():
        print(
            "no comparator groups: run 'hcp peers reference', or load a list with 'hcp load peers FILE --name NAME'"
        )
        return 0
    for code in groups["group_code"].unique(maintain_order=True).to_list():
        rows = groups.filter(groups["group_code"] == code)
        mark = "compared with" if code in chosen else "not chosen"
        print(
            f"{code}: {rows['group_name'][0]} ({rows.height} councils, from {rows['valid_from'][0]}; {mark})"
        )
        print("  " + ", ".join(rows["member_name"].to_list()))
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser("peers", help="comparator groups: list them, or copy the shipped reference groups")
    p.add_argument("action", choices=("list", "reference"))
    p.add_argument("--council")
    p.set_defaults(func=cmd_peers)
