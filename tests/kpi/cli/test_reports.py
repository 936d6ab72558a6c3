"""`hcp pack` and `hcp briefing`: write the file, say what was built, record it only with --circulate; plain refusals."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest

from kpi.access.principal import LOCAL_USER
from kpi.cli import main
from kpi.contract import meetings as meetings


def _packs(db):
    from kpi.core.store import Store

    with Store.open(db) as store:
        return meetings.packs(store, "E08000009", principal=LOCAL_USER)


def test_hcp_pack_writes_a_draft_pdf_and_records_nothing(sample_db_copy, hcp_today, tmp_path, capsys):
    out = tmp_path / "packs" / "pack.pdf"
    before = _packs(sample_db_copy).height
    code = main(
        ["--db", str(sample_db_copy), "--actor", "commissioner", "pack", "--period", "2026/27 Q2",
         "--as-at", "2026-11-20T09:00", "--format", "pdf", "--out", str(out)]
    )  # fmt: skip
    said = capsys.readouterr().out
    assert code == 0, said
    assert out.read_bytes()[:5] == b"%PDF-"
    assert "meeting pack for 2026-27 Q2, data as at 20 November 2026 09:00, data version" in said
    assert "a draft: not recorded" in said
    assert _packs(sample_db_copy).height == before


def test_hcp_pack_circulate_records_it_once(sample_db_copy, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(
        "HCP_TODAY", "2026-11-23T10:15"
    )  # the clock fixed to the minute: the rebuild is the same file
    out = tmp_path / "pack.pdf"
    args = ["--db", str(sample_db_copy), "--actor", "commissioner", "pack", "--period", "2026/27 Q2",
            "--as-at", "2026-11-20T09:00", "--format", "pdf", "--out", str(out)]  # fmt: skip
    assert main([*args, "--circulate"]) == 2
    assert "--circulate needs --to" in capsys.readouterr().err
    assert main([*args, "--circulate", "--to", "Contract board"]) == 0
    said = capsys.readouterr().out
    row = _packs(sample_db_copy).row(0, named=True)
    assert (row["document"], row["format"], row["built_by"], row["period"], row["sent_to"]) == (
        "pack",
        "pdf",
        "commissioner",
        "2026-27 Q2",
        "Contract board",
    )
    assert row["data_version"] in said and f"recorded as pack {row['pack_id']}" in said
    assert row["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert main([*args, "--circulate", "--to", "Contract board"]) == 2
    assert "already circulated" in capsys.readouterr().err


def test_hcp_briefing_writes_a_docx(sample_db_copy, hcp_today, tmp_path, capsys):
    out = tmp_path / "briefing.docx"
    code = main(
        [
            "--db",
            str(sample_db_copy),
            "briefing",
            "--period",
            "2026-27 Q2",
            "--format",
            "docx",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr()
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as archive:
        assert "word/document.xml" in archive.namelist()
    assert "scrutiny briefing for 2026-27 Q2" in capsys.readouterr().out


def test_bad_period_and_as_at_are_refused(sample_db_copy, hcp_today, tmp_path, capsys):
    out = tmp_path / "x.pdf"
    assert main(["--db", str(sample_db_copy), "pack", "--period", "2030-31 Q2", "--out", str(out)]) == 2
    assert "there is no accepted return for 2030-31 Q2" in capsys.readouterr().err
    assert main(["--db", str(sample_db_copy), "pack", "--period", "Q2 2026", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip()
    code = main(
        [
            "--db",
            str(sample_db_copy),
            "briefing",
            "--period",
            "2026-27 Q2",
            "--as-at",
            "soon",
            "--out",
            str(out),
        ]
    )
    assert code == 2
    assert (
        "--as-at 'soon' is not an ISO 8601 date and time: write it as 2026-11-20T09:00"
        in capsys.readouterr().err
    )
    assert not out.exists()


def test_hcp_pack_meeting_date_goes_on_the_cover(sample_db_copy, hcp_today, tmp_path, capsys):
    out = tmp_path / "pack.html"
    args = ["--db", str(sample_db_copy), "--actor", "commissioner", "pack", "--period", "2026-27 Q2",
            "--as-at", "2026-11-20T09:00", "--format", "html", "--out", str(out)]  # fmt: skip
    assert main([*args, "--meeting-date", "2027-01-14"]) == 0
    said = capsys.readouterr().out
    assert ", for the meeting of 14 January 2027, " in said
    html = out.read_text(encoding="utf-8")
    assert "Contract review meeting pack: 2026-27 Q2, for the meeting of 14 January 2027" in html
    assert re.search(r"Meeting date</t[hd]>\s*<td[^>]*>14 January 2027</td>", html)
    assert main([*args, "--meeting-date", "14/01/2027"]) == 2
    assert "--meeting-date '14/01/2027' is not a date: write it as 2027-01-14" in capsys.readouterr().err
    briefing = ["--db", str(sample_db_copy), "briefing", "--period", "2026-27 Q2", "--out", str(out)]
    with pytest.raises(SystemExit) as refused:  # the briefing is for the committee: it has no meeting date
        main([*briefing, "--meeting-date", "2027-01-14"])
    assert refused.value.code == 2
    assert "unrecognized arguments: --meeting-date" in capsys.readouterr().err


def test_hcp_publish_writes_the_static_briefing_site(sample_db_copy, hcp_today, tmp_path, capsys):
    out = tmp_path / "public" / "briefing"
    args = ["--db", str(sample_db_copy), "publish", "--period", "2026-27 Q2", "--as-at", "2026-11-20T09:00"]
    assert main([*args, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert re.search(r"published .*briefing: scrutiny briefing for 2026-27 Q2, .* \d+ tables as CSV", said), (
        said
    )
    assert (out / "index.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (out / "briefing.pdf").read_bytes()[:5] == b"%PDF-"
    assert _packs(sample_db_copy).filter(_packs(sample_db_copy)["format"] == "html").height == 1
