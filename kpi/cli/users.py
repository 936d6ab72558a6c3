"""``hcp users add|list|remove``: who may sign in (the command line acts as the local administrator)."""

from __future__ import annotations

import argparse
import sys

from kpi.cli.common import as_csv, open_store


def cmd_users(args: argparse.Namespace) -> int:
    """Add, list or remove the users who may sign in (the command line acts as the local administrator)."""
    from kpi.access.principal import local_principal
    from kpi.access.users import UserError, add_user, list_users, remove_user

    who = local_principal(args.actor)
    try:
        if args.action == "list":
            with open_store(args, read_only=True) as store:
                frame = list_users(store, who, include_removed=args.all)
                print(frame.write_json() if args.json else as_csv(frame), end="")
            return 0
        with open_store(args) as store:
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


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
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
