"""The scrutiny briefing as a static site (kpi.reports.site): the page, a CSV per table, the PDF, a manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest

from kpi import reports
from kpi.access.principal import LOCAL_USER, Principal
from kpi.access.rules import AccessDenied
from kpi.contract import meetings
from kpi.reports.site import publish, site_files
from tests.kpi.reports.documents import AS_AT, COUNCIL, PERIOD, pdf_text


@pytest.fixture(scope="module")
def briefing(reports_store):
    return reports.build(reports_store, "briefing", PERIOD, AS_AT, principal=LOCAL_USER)


def test_site_holds_the_page_every_table_as_csv_the_pdf_and_a_manifest(briefing):
    files = site_files(briefing)
    tables = briefing.document.tables()
    csvs = sorted(name for name in files if name.startswith("tables/"))
    assert len(csvs) == len(tables) >= 5
    page = files["index.html"].decode("utf-8")
    assert page.count("Download this table (CSV)") == len(tables) and 'href="briefing.pdf"' in page
    for name in csvs:
        assert f'href="{name}"' in page
    # nothing outside the page: no script, no stylesheet or image from elsewhere (SVG namespaces are not fetched)
    assert "<script" not in page.lower()
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page)
    assert "Slope index of inequality" in pdf_text(files["briefing.pdf"])
    manifest = json.loads(files["manifest.json"])
    assert manifest["period"] == PERIOD and manifest["data_version"] == briefing.data_version
    assert manifest["files"] == {
        name: hashlib.sha256(content).hexdigest()
        for name, content in files.items()
        if name != "manifest.json"
    }


def test_each_csv_is_its_table_as_printed(briefing):
    files = site_files(briefing)
    for number, table in enumerate(briefing.document.tables(), start=1):
        name = next(n for n in files if n.startswith(f"tables/{number:02d}-"))
        text = files[name].decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0] == table.columns
        assert rows[1:] == [
            [table.cell(row, column).text for column in range(len(table.columns))]
            for row in range(len(table.rows))
        ], table.caption
    # small numbers stay suppressed: the CSVs carry the briefing's own "too few" cells, never a count behind them
    assert any("too few" in files[name].decode("utf-8") for name in files if name.endswith(".csv"))


def test_publish_writes_the_folder_records_once_and_refuses_others(reports_store, briefing, tmp_path):
    out = tmp_path / "site"
    before = meetings.packs(reports_store, COUNCIL, principal=LOCAL_USER).height
    files = publish(reports_store, briefing, out, principal=LOCAL_USER)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == sorted(files)
    assert (out / "index.html").read_bytes() == files["index.html"]
    recorded = meetings.packs(reports_store, COUNCIL, principal=LOCAL_USER)
    assert recorded.height == before + 1
    # published again (the same page): the site is rewritten, not recorded twice; no staging folder is left
    (out / "index.html").write_text("damaged")
    publish(reports_store, briefing, out, principal=LOCAL_USER)
    assert (out / "index.html").read_bytes() == files["index.html"]
    assert meetings.packs(reports_store, COUNCIL, principal=LOCAL_USER).height == before + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    # a folder of other files is never replaced; a provider cannot publish
    other = tmp_path / "documents"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a published site"):
        publish(reports_store, briefing, other, principal=LOCAL_USER)
    assert (other / "keep.txt").read_text() == "mine"
    with pytest.raises(AccessDenied):
        publish(
            reports_store,
            briefing,
            tmp_path / "x",
            principal=Principal("lead@trust.nhs.uk", "provider", "ZZ1"),
        )
    assert not (tmp_path / "x").exists()


def test_only_the_briefing_is_published(reports_store):
    pack = reports.build(reports_store, "pack", PERIOD, AS_AT, principal=LOCAL_USER)
    with pytest.raises(ValueError, match="only the scrutiny briefing"):
        site_files(pack)
