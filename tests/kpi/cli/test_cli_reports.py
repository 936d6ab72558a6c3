"""`hcp pack` and `hcp briefing`: write the file, record it, say what was built; plain refusals with exit 2."""

from __future__ import annotations

import io
import zipfile

from kpi.access.principal import LOCAL_USER
from kpi.cli import main
from kpi.contract import meetings as meetings


def test_hcp_pack_writes_a_pdf_and_records_it(sample_db_copy, hcp_today, tmp_path, capsys):
    out = tmp_path / "packs" / "pack.pdf"
    code = main(
        ["--db", str(sample_db_copy), "--actor", "commissioner", "pack", "--period", "2026/27 Q2",
         "--as-at", "2026-11-20T09:00", "--format", "pdf", "--out", str(out)]
    )  # fmt: skip
    said = capsys.readouterr().out
    assert code == 0, said
    assert out.read_bytes()[:5] == b"%PDF-"
    assert "meeting pack for 2026-27 Q2, data as at 20 November 2026 09:00, data version" in said
    from kpi.core.store import Store

    with Store.open(sample_db_copy) as store:
        row = meetings.packs(store, "E08000009", principal=LOCAL_USER).row(0, named=True)
    assert (row["document"], row["format"], row["built_by"], row["period"]) == (
        "pack",
        "pdf",
        "commissioner",
        "2026-27 Q2",
    )
    assert row["data_version"] in said


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
