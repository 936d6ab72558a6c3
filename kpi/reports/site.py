"""The scrutiny briefing as a static public web site: any web server or CDN serves it, with no database behind it.

``hcp publish --period P --out DIR`` writes, for a built (not draft) briefing:

* ``index.html``: the briefing as one accessible page, the same page as the preview (``lang``, real headings, tables
  with captions, header rows and row headers, charts as inline SVG with a title and a text alternative), with a link
  to the PDF at the top and under every table to its CSV; no script, no external resource (styles and charts are inside the page);
* ``tables/NN-KEY.csv``: every table as shown, one CSV each (UTF-8 with a byte-order mark, so a spreadsheet reads
  "≥" and "½"; cells a spreadsheet would run as a formula prefixed with ``'``);
* ``briefing.pdf``: the same briefing as PDF (:mod:`kpi.reports.pdf`);
* ``manifest.json``: the period, data as at, data version and the SHA-256 of every file.

Only the briefing is public, and only what it shows is published: the same disclosure-controlled document
(docs/methods.md section 6) that the briefing's PDF carries; the CSVs hold the cells as printed (rounded, small
numbers suppressed), never the counts behind them. The site is written to a new folder beside ``DIR`` and then put
in its place, so a reader never sees half a site, and publishing is recorded like circulating (the page's SHA-256,
"published at DIR").
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

from kpi.access.principal import Principal
from kpi.core.charts import escape_cell
from kpi.core.store import Store
from kpi.reports.document import Table
from kpi.reports.html import render_html
from kpi.reports.pdf import render_pdf
from kpi.reports.words import as_at_text

__all__ = ["publish", "site_files", "table_csv"]


def _table_file(number: int, table: Table) -> str:
    stem = table.key or "table"
    return f"tables/{number:02d}-{stem}.csv"


def table_csv(table: Table) -> bytes:
    """One table as printed, as CSV: its header row, then every row's cell texts (formula-like cells escaped)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_cell(name) for name in table.columns])
    for row in range(len(table.rows)):
        writer.writerow([escape_cell(table.cell(row, column).text) for column in range(len(table.columns))])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def site_files(built) -> dict[str, bytes]:
    """The site's files by path relative to its folder (see the module docstring). ``built``: a built briefing."""
    if built.kind != "briefing":
        raise ValueError(
            "only the scrutiny briefing is published: the meeting pack is for the contract meeting"
        )
    if built.is_draft:
        raise ValueError(
            "a draft is for the provider's review and is not published: build it without 'draft'"
        )
    document = built.document
    tables = document.tables()
    names = [_table_file(number, table) for number, table in enumerate(tables, start=1)]
    page = render_html(document, table_files=dict(zip(map(id, tables), names, strict=True)))
    pdf_link = '<p class="note"><a href="briefing.pdf" download>This briefing as PDF</a></p>'
    page = page.replace("<main>", "<main>" + pdf_link, 1)
    files = {"index.html": page.encode("utf-8"), "briefing.pdf": render_pdf(document)}
    files.update({name: table_csv(table) for name, table in zip(names, tables, strict=True)})
    manifest = {
        "document": "scrutiny briefing",
        "title": document.title,
        "period": built.period,
        "data_as_at": as_at_text(built.as_at),
        "data_version": built.data_version,
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files


def publish(store: Store, built, out: Path, *, principal: Principal) -> dict[str, bytes]:
    """Write the briefing's site into ``out`` (replacing what was there) and record it as published.

    Recorded through :func:`kpi.reports.circulate` (commissioners only; checked before anything is written), with
    the page as the file and "published at OUT" as to whom it went; the same page published again (to another
    folder, or to put back a lost site) is written without a second record.
    """
    from kpi import reports
    from kpi.access.rules import require

    require(principal, "circulate_pack", built.provider_code)
    files = site_files(built)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file: give a folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise ValueError(f"{out} holds files that are not a published site: give an empty or new folder")
    from kpi.contract.meetings import packs

    recorded = packs(store, built.council_code, principal=principal)
    if hashlib.sha256(files["index.html"]).hexdigest() not in set(recorded["sha256"].to_list()):
        reports.circulate(
            store,
            built,
            "html",
            sent_to=f"published at {out}",
            principal=principal,
            content=files["index.html"],
        )
    staging = out.with_name(f".{out.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    for name, content in files.items():
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    previous = out.with_name(f".{out.name}.old")
    shutil.rmtree(previous, ignore_errors=True)
    if out.exists():
        os.replace(out, previous)
    os.replace(staging, out)
    shutil.rmtree(previous, ignore_errors=True)
    return files
