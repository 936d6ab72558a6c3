"""The documentation keeps up with the code.

- docs/cli.md names every ``hcp`` command, every action of a command that takes one (``hcp users add``), every
  dataset of ``hcp load`` and every option string of the real parser (:func:`kpi.cli.build_parser`).
- Every relative link between the files under docs/ (and from README.md into docs/) points at a file that exists,
  and every ``#section-...`` anchor it names is defined in the target file.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from kpi.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CLI_DOC = DOCS / "cli.md"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _sections(doc: str) -> dict[str, str]:
    """docs/cli.md split at its ``## `` headings: heading line -> that heading and its text."""
    parts = re.split(r"^(## .+)$", doc, flags=re.M)
    return {parts[i]: parts[i] + parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _section_for(doc: str, command: str | None) -> str:
    """The text of the section(s) documenting ``hcp COMMAND`` (``None``: the global options)."""
    sections = _sections(doc)
    if command is None:
        chosen = [text for heading, text in sections.items() if "Global options" in heading]
    else:
        chosen = [
            text
            for heading, text in sections.items()
            if re.search(rf"`hcp {re.escape(command)}[` ]", heading)
        ]
    return "\n".join(chosen)


def _cli_items() -> list[tuple[str | None, str]]:
    """(command or None for global, text that its section of docs/cli.md must contain) for every command, action,
    choice and option string of the parser. ``-h``/``--help`` of each command is documented once, globally."""
    parser = build_parser()
    items: list[tuple[str | None, str]] = []
    for action in parser._actions:
        items.extend((None, option) for option in action.option_strings)
    for name, sub in _subparsers(parser).items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            items.extend((name, option) for option in action.option_strings)
            if (
                action.choices
            ):  # actions (add, list ...), datasets (mandated-contacts ...), option values (pdf ...)
                items.extend((name, str(choice)) for choice in action.choices)
    return items


def test_cli_doc_has_a_heading_per_command() -> None:
    doc = CLI_DOC.read_text(encoding="utf-8")
    for name in _subparsers(build_parser()):
        assert _section_for(doc, name).strip(), f"docs/cli.md has no section headed `hcp {name}`"


@pytest.mark.parametrize(("command", "text"), _cli_items(), ids=lambda v: str(v))
def test_cli_doc_names_every_command_and_option(command: str | None, text: str) -> None:
    section = _section_for(CLI_DOC.read_text(encoding="utf-8"), command)
    where = f"hcp {command}" if command else "the global options"
    # as a whole word or option, not inside another ("set" inside "reset", "--from" inside "--from-x")
    assert re.search(rf"(?<![\w-]){re.escape(text)}(?![\w-])", section), (
        f"docs/cli.md does not document {text} in its section on {where}"
    )


def _links(path: Path) -> list[tuple[str, str]]:
    text = path.read_text(encoding="utf-8")
    # drop fenced code blocks, where brackets are not links
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.findall(r"\]\(([^)\s#]*)(?:#([^)\s]+))?\)", text)


def _anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def _doc_files() -> list[Path]:
    return sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]


@pytest.mark.parametrize("path", _doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    for target, anchor in _links(path):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        if not target:  # a link within the same file
            resolved = path
        else:
            resolved = (path.parent / target).resolve()
            if DOCS not in resolved.parents and resolved.parent != DOCS:
                continue  # links outside docs/ (source files) are not checked here
            assert resolved.is_file(), f"{path.relative_to(ROOT)} links to a missing file: {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), (
                f"{path.relative_to(ROOT)} links to #{anchor}, which {resolved.relative_to(ROOT)} does not define"
            )


def test_methods_sections_are_numbered_as_the_code_cites_them() -> None:
    """Code comments cite "docs/methods.md section N": methods.md has the sections 1 to 8."""
    doc = (DOCS / "methods.md").read_text(encoding="utf-8")
    for number in range(1, 9):
        assert re.search(rf"^## {number}\. ", doc, flags=re.M), f"methods.md has no section {number}"
        assert f'<a id="section-{number}"></a>' in doc


def test_nothing_cites_a_document_outside_the_repository() -> None:
    """Citations point at the project's own docs: no file names the workplace's domain notes."""
    import subprocess

    listed = subprocess.run(
        ["git", "grep", "-lF", "domain" + ".md", "--", ":!tests/data/bad_inputs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert listed.stdout == "", f"files citing a document the repository does not contain: {listed.stdout}"
