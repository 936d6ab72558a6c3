"""Issue #13 finding 5: an XLSX is inflated with a running byte cap, whatever sizes it declares.

The crafted workbook holds a sheet of highly compressible XML (about 80 MB inflated, well under 1 MB packed) whose
local and central headers declare it as 1 kB, so a check of the declared sizes passes it. Loading it must give the
clear refusal, write nothing, and stay within a small memory budget (measured in a fresh process).
"""

import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kpi import cli
from kpi.core.store import Store

ROW = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>'
INFLATED = 80 * 1024 * 1024
DECLARED = 1024


def _lying_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook><sheets><sheet name="Return" sheetId="1"/></sheets></workbook>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=False) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            block = ROW * (1024 * 1024 // len(ROW))
            for _ in range(INFLATED // len(block)):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
        offset = archive.getinfo("xl/worksheets/sheet1.xml").header_offset
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, offset + 22, DECLARED)  # local header: uncompressed size
    central = data.rindex(b"xl/worksheets/sheet1.xml") - 46  # the name ends the central entry's fixed part
    assert data[central : central + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, central + 24, DECLARED)  # central directory: uncompressed size
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "return.xlsx"
    _lying_workbook(path)
    declared = sum(member.file_size for member in zipfile.ZipFile(path).infolist())
    assert declared < 2 * 1024 and path.stat().st_size < 1024 * 1024  # the lie is in place
    return path


MEASURE = """
import json, resource, sys
from kpi.ingest import files
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    files.read_text_table(data, "return.xlsx")
    message = None
except files.ReadError as exc:
    message = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"message": message, "peak_kb": after - before}))
"""


def test_a_bomb_that_understates_its_size_is_refused_within_a_small_memory_budget(bomb):
    import fastexcel  # noqa: F401  (the reader must be importable in the child, as in the app)

    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(bomb)], capture_output=True, text=True, timeout=300, check=True
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["message"] and "expands to far more data than a return holds" in measured["message"]
    assert "send it as CSV" in measured["message"]
    assert measured["peak_kb"] < 40 * 1024, measured  # far below the 80 MB it would inflate to


def test_loading_the_bomb_writes_nothing(bomb, sample_db_copy, hcp_today, table_counts, capsys):
    with Store.open(sample_db_copy, read_only=True) as store:
        before = table_counts(store)
    code = cli.main(
        [
            "--db",
            str(sample_db_copy),
            "--actor",
            "t",
            "load",
            "mandated-contacts",
            str(bomb),
            "--provider",
            "ZZ1",
        ]
    )
    out = capsys.readouterr().out
    assert code != 0 and "expands to far more data than a return holds" in out
    with Store.open(sample_db_copy, read_only=True) as store:
        after = table_counts(store)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed <= {"audit_log"}, changed  # only the refusal is audited
