"""What every ``hcp`` command shares: opening the database, the council and principal acting, printing."""

from __future__ import annotations

import argparse
import json
import sys

from kpi.core.store import Store, default_council


def open_store(args: argparse.Namespace, *, read_only: bool = False) -> Store:
    """The database ``--db`` names (HCP_DB by default), read-write unless ``read_only``."""
    store = Store.open(args.db, read_only=read_only)
    # Opening for writing syncs the catalogue when config/catalogue.toml (HCP_CATALOGUE) changed: say what changed.
    for result in store.catalogue_changes:
        print(result.to_text(), file=sys.stderr)
    return store


def council_of(store: Store, args: argparse.Namespace) -> str:
    """The council ``--council`` names, else the database's own."""
    return (getattr(args, "council", None) or default_council(store)).upper()


def as_csv(frame) -> str:
    """CSV for the terminal or a redirect into a spreadsheet: formula-like cells escaped (kpi.core.charts.safe_csv)."""
    from kpi.core.charts import safe_csv

    return safe_csv(frame).decode("utf-8")


def print_report(report, args, message: str, **extra) -> None:
    """A load's report and outcome for people, or as one JSON object with ``--json``."""
    if args.json:
        print(json.dumps({**report.to_dict(), "message": message, **extra}, default=str))
        return
    print(report.to_text())
    if message:
        print(message)


def local(args: argparse.Namespace):
    """The command line's principal: the local commissioner and administrator at this computer (``--actor``)."""
    from kpi.access.principal import local_principal

    return local_principal(args.actor)
