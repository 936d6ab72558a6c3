"""``hcp pack`` and ``hcp briefing``: the meeting pack and the scrutiny briefing, written to a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from kpi.cli.common import council_of, local, open_store
from kpi.core import periods as periods


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


def _meeting_date(text: str | None):
    """A ``--meeting-date`` YYYY-MM-DD as a date (None when not given: the pack takes the next meeting recorded)."""
    from datetime import date

    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"--meeting-date '{text}' is not a date: write it as 2027-01-14") from exc


def cmd_report(args: argparse.Namespace) -> int:
    """Build the meeting pack (``hcp pack``) or the scrutiny briefing (``hcp briefing``) and write it to a file."""
    from kpi import reports
    from kpi.reports.words import as_at_text, day_text

    as_at = _as_at(args.as_at)
    meeting_date = _meeting_date(getattr(args, "meeting_date", None))
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
    with open_store(args) as store:
        built = reports.build(
            store,
            args.command,
            args.period,
            as_at,
            principal=local(args),
            council_code=council_of(store, args),
            provider_code=args.provider,
            draft=getattr(args, "draft", False),
            meeting_date=meeting_date,
        )
        if circulating:
            content, pack_id = reports.circulate(
                store, built, args.format, sent_to=args.to, principal=local(args)
            )
            recorded = f"circulated to {args.to.strip()}, recorded as {args.command} {pack_id}"
        else:
            content = reports.render(built.document, args.format)
            recorded = 'a draft: not recorded; add --circulate --to "..." when you send it'
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    what = "meeting pack" if args.command == "pack" else "scrutiny briefing"
    meeting = getattr(built.data.cover, "meeting_date", None)
    print(
        f"wrote {out}: {what} for {built.period}, data as at {as_at_text(built.as_at)}, data version "
        f"{built.data_version}"
        + (f", for the meeting of {day_text(meeting)}" if meeting else "")
        + f", {len(content):,} bytes ({recorded})"
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Write the scrutiny briefing as a static web site (``hcp publish``) and record it as published."""
    from kpi import reports
    from kpi.reports.site import publish
    from kpi.reports.words import as_at_text

    as_at = _as_at(args.as_at)
    out = Path(args.out)
    with open_store(args) as store:
        built = reports.build(
            store,
            "briefing",
            args.period,
            as_at,
            principal=local(args),
            council_code=council_of(store, args),
            provider_code=args.provider,
        )
        files = publish(store, built, out, principal=local(args))
    tables = sum(1 for name in files if name.startswith("tables/"))
    print(
        f"published {out}: scrutiny briefing for {built.period}, data as at {as_at_text(built.as_at)}, data "
        f"version {built.data_version}: index.html, briefing.pdf, {tables} tables as CSV, manifest.json"
    )
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the ``hcp`` parser's subcommands."""
    p = sub.add_parser("publish", help="write the scrutiny briefing as a static web site (HTML, CSV, PDF)")
    p.add_argument("--period", required=True, help="quarter, e.g. '2026-27 Q2'")
    p.add_argument("--as-at", help="ISO 8601 time the data is taken as at (default: now)")
    p.add_argument("--out", required=True, help="folder to write the site into (replaced if it holds one)")
    p.add_argument("--provider", help="provider code (default: the council's provider)")
    p.add_argument("--council")
    p.set_defaults(func=cmd_publish)
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
            p.add_argument(
                "--meeting-date",
                help="YYYY-MM-DD of the meeting the pack is for, on its cover (default: the next meeting recorded)",
            )
        p.set_defaults(func=cmd_report)
