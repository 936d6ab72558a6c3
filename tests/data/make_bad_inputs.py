"""Write the bad-input corpus ``tests/data/bad_inputs/`` and its ``manifest.csv`` (deterministic).

Run from the repository root: ``uv run python tests/data/make_bad_inputs.py``. Every file is built from code here
(seeded where random), so a rerun writes byte-identical files; ``tests/data/bad_inputs/README.md`` describes the
provenance. The 100 MB CSV is not committed: :func:`big_csv` writes it at test time into a temporary folder.

Each case names the loader it is given to (the ``hcp load`` dataset), the file name the user's computer reports
(``upload_name``: path-like names are the point of some cases), the outcome (``rejected`` or ``written``) and a
substring of the message the user sees (the report's text or the load's message).
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "bad_inputs"
SAMPLE = ROOT / "sample_data"
SEED = 9
BIG_CSV_BYTES = 100 * 1024 * 1024

#: The name the manifest uses for the file generated at test time.
GENERATED_BIG = "generated_100mb.csv"


@dataclass(frozen=True)
class Case:
    """One corpus file and what the user must be told."""

    file: str
    loader: str
    outcome: str  # rejected | written
    expected: str  # a substring of what the user sees
    what: str
    upload_name: str = ""


# ---- valid starting points (from sample_data/, all synthetic) ------------------------------------------------


def _return_text() -> str:
    return (SAMPLE / "provider_returns" / "mandated_contacts_2026-27_Q2.csv").read_text(encoding="utf-8")


def _return_rows() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(_return_text())))
    return rows[0], rows[1:]


def _csv(header: list[str], rows: list[list[str]], *, delimiter: str = ",", line_end: str = "\n") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def _with_comment(comment: str, *, row: int = 0) -> bytes:
    header, rows = _return_rows()
    rows[row][header.index("comment")] = comment
    return _csv(header, rows)


def _xlsx(
    header: list[str], rows: list[list[object]], sheet: str = "Return", *, extra: dict | None = None
) -> bytes:
    """A workbook written with xlsxwriter (numbers as numbers, text as text, never formulas)."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    book.set_properties({"created": __import__("datetime").datetime(2026, 1, 1)})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet_ = book.add_worksheet(sheet)
    sheet_.write_row(0, 0, header)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if hasattr(value, "isoformat") and not isinstance(value, str):
                sheet_.write_datetime(number, column, value, date_format)
            elif isinstance(value, int | float):
                sheet_.write_number(number, column, value)
            else:
                sheet_.write_string(number, column, str(value))
    book.close()
    data = buffer.getvalue()
    if extra:
        data = _add_members(data, extra)
    return data


def _add_members(workbook: bytes, members: dict[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(_fixed(item.filename), source.read(item.filename))
        for name, data in members.items():
            target.writestr(_fixed(name), data)
    return buffer.getvalue()


def _fixed(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _return_xlsx(comment: str | None = None) -> bytes:
    header, rows = _return_rows()
    typed: list[list[object]] = []
    for row in rows:
        typed.append([int(v) if v.isdigit() else v for v in row])
    if comment is not None:
        typed[0][header.index("comment")] = comment
    return _xlsx(header, typed)


def _ncmp_rows(count: int = 24) -> tuple[list[str], list[list[str]]]:
    with gzip.open(SAMPLE / "ncmp" / "ncmp_2024-25.csv.gz", "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1 : count + 1]


def _ncmp_dates(formatter) -> bytes:
    """The NCMP slice with both dates rewritten by ``formatter(iso_text) -> text``."""
    header, rows = _ncmp_rows()
    for row in rows:
        for name in ("date_of_birth", "date_of_measurement"):
            position = header.index(name)
            row[position] = formatter(row[position])
    return _csv(header, rows)


def _parts(iso: str) -> tuple[int, int, int]:
    year, month, day = (int(x) for x in iso.split("-"))
    return year, month, day


def _us(iso: str) -> str:
    year, month, day = _parts(iso)
    return f"{month:02d}/{max(day, 13):02d}/{year}"  # a day above 12 makes the order unmistakable


def _serial(iso: str) -> str:
    import datetime as dt

    return str((dt.date(*_parts(iso)) - dt.date(1899, 12, 30)).days)


def _ncmp_xlsx(dates: str) -> bytes:
    """The NCMP slice as a workbook with real date cells (``dates='cells'``) or bare serial numbers."""
    import datetime as dt

    header, rows = _ncmp_rows()
    typed: list[list[object]] = []
    for row in rows:
        out: list[object] = []
        for name, value in zip(header, row, strict=True):
            if name in ("date_of_birth", "date_of_measurement"):
                day = dt.datetime(*_parts(value))
                out.append(day if dates == "cells" else (day.date() - dt.date(1899, 12, 30)).days)
            else:
                out.append(value)
        typed.append(out)
    return _xlsx(header, typed)


def _eligible_text() -> str:
    return (SAMPLE / "ncmp" / "ncmp_eligible_2024-25.csv").read_text(encoding="utf-8")


def _fingertips_text() -> str:
    return (SAMPLE / "fingertips" / "fingertips_trafford_synthetic.csv").read_text(encoding="utf-8")


def _outcomes_text() -> str:
    return (SAMPLE / "outcome_measures" / "local_outcome_measures.csv").read_text(encoding="utf-8")


def _localities_text() -> str:
    return (SAMPLE / "reference" / "trafford_localities.csv").read_text(encoding="utf-8")


def _peers_text() -> str:
    return "area_code,area_name,rank\nE08000007,Stockport,1\nE10000015,Hertfordshire,2\nE06000060,Buckinghamshire,3\n"


def _zip_bomb() -> bytes:
    """A small .xlsx-looking archive whose one sheet expands 1,000-fold (64 MB of zeros in about 64 KB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_fixed("[Content_Types].xml"), b'<?xml version="1.0"?><Types/>')
        archive.writestr(_fixed("xl/workbook.xml"), b'<?xml version="1.0"?><workbook/>')
        archive.writestr(_fixed("xl/worksheets/sheet1.xml"), b"\0" * (64 * 1024 * 1024))
    return buffer.getvalue()


def _garbage(size: int) -> bytes:
    chooser = random.Random(SEED)
    return bytes(chooser.randrange(256) for _ in range(size))


def _semicolons(text: str) -> bytes:
    rows = list(csv.reader(io.StringIO(text)))
    return _csv(rows[0], rows[1:], delimiter=";")


def _ragged(text: str) -> bytes:
    lines = text.splitlines()
    lines[3] = lines[3] + ",surplus,cells"
    return ("\n".join(lines) + "\n").encode("utf-8")


def _duplicate_header(text: str, column: str) -> bytes:
    rows = list(csv.reader(io.StringIO(text)))
    position = rows[0].index(column)
    return _csv(rows[0] + [column], [row + [row[position]] for row in rows[1:]])


def _header_only(text: str) -> bytes:
    return (text.splitlines()[0] + "\n").encode("utf-8")


def _nul(text: str) -> bytes:
    data = text.encode("utf-8")
    middle = len(data) // 2
    return data[:middle] + b"\x00\x00\x00" + data[middle:]


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


# ---- the cases ------------------------------------------------------------------------------------------------

MC, LOC, NCMP, ELIG, FT, OM, PEERS, HV = (
    "mandated-contacts",
    "localities",
    "ncmp",
    "ncmp-eligible",
    "fingertips",
    "outcome-measures",
    "peers",
    "hv-records",
)
EMPTY = "the file is empty"
NOT_TEXT = "is not a text CSV file"
DAMAGED = "the workbook is damaged or incomplete"
MACRO = "macro-enabled workbooks are refused"
RAGGED = "check every row has the same number of commas"
REJECTED = "nothing was written"


def cases() -> list[tuple[Case, bytes]]:
    """Every corpus file with its bytes."""
    text = _return_text()
    header, rows = _return_rows()
    long_rows = [list(r) for r in rows]
    long_rows[0][header.index("comment")] = "x" * 40_000
    long_number = [list(r) for r in rows]
    long_number[1][header.index("numerator")] = "9" * 5000
    latin1 = text.replace("LSOA not recorded", "LSOA non enregistré – café").encode("cp1252")
    mojibake = text.replace("LSOA not recorded", "LSOA not recordedâ€™Ã©").encode("utf-8")
    utf16 = text.encode("utf-16-le")
    return [
        # -- the shared reader, through the provider return ------------------------------------------------------
        (Case("mc_empty.csv", MC, "rejected", EMPTY, "0 bytes"), b""),
        (Case("mc_whitespace_only.csv", MC, "rejected", EMPTY, "blank lines and spaces"), b" \r\n\n \t\n"),
        (
            Case(
                "mc_bom_only.csv",
                MC,
                "rejected",
                "the file has no header row",
                "a UTF-8 byte-order mark, nothing else",
            ),
            b"\xef\xbb\xbf",
        ),
        (
            Case(
                "mc_header_only.csv",
                MC,
                "rejected",
                "the file has a header but no data rows",
                "header, no rows",
            ),
            _header_only(text),
        ),
        (
            Case(
                "mc_semicolons.csv",
                MC,
                "rejected",
                "separated by semicolons",
                "semicolon-delimited (a European Excel)",
            ),
            _semicolons(text),
        ),
        (
            Case("mc_tabs.tsv", MC, "rejected", "separated by tabs", "tab-delimited"),
            _csv(header, rows, delimiter="\t"),
        ),
        (Case("mc_ragged.csv", MC, "rejected", RAGGED, "one row with two surplus cells"), _ragged(text)),
        (
            Case(
                "mc_wrong_header.csv",
                MC,
                "rejected",
                "the header row is not the return's: it must be period,provider_code,metric_code",
                "a header row of titles in words (Period, Provider, Metric, ...)",
            ),
            _csv(["Period", "Provider", "Metric", "Locality", "Decile", "Count", "Out of", "Notes"], rows),
        ),
        (
            Case("mc_duplicate_header.csv", MC, "rejected", "appears twice", "the numerator column twice"),
            _duplicate_header(text, "numerator"),
        ),
        (
            Case(
                "mc_long_cell.csv",
                MC,
                "rejected",
                "more than a spreadsheet cell can",
                "a 40,000-character comment",
            ),
            _csv(header, long_rows),
        ),
        (
            Case("mc_long_number.csv", MC, "rejected", "far more than any count", "a 5,000-digit numerator"),
            _csv(header, long_number),
        ),
        (Case("mc_nul_bytes.csv", MC, "rejected", NOT_TEXT, "NUL bytes in the middle"), _nul(text)),
        (
            Case("mc_binary_garbage.csv", MC, "rejected", "could not be read", "64 KB of random bytes"),
            _garbage(65536),
        ),
        (
            Case(
                "mc_utf16_no_bom.csv",
                MC,
                "written",
                "read as UTF-16 (no byte-order mark)",
                "UTF-16 little-endian without a byte-order mark: recognised and read",
            ),
            utf16 + "\n".encode("utf-16-le"),
        ),
        (
            Case(
                "mc_utf16_bom.csv",
                MC,
                "written",
                "read as UTF-16",
                "UTF-16 with its byte-order mark (Excel's 'Unicode text'): read",
            ),
            b"\xff\xfe" + utf16,
        ),
        (
            Case(
                "mc_latin1.csv", MC, "written", "read as Windows-1252", "Latin-1/Windows-1252 accents: read"
            ),
            latin1,
        ),
        (
            Case(
                "mc_mojibake.csv",
                MC,
                "written",
                "loaded as submission",
                "UTF-8 mojibake (â€™Ã©): stored as sent",
            ),
            mojibake,
        ),
        (
            Case(
                "mc_old_mac_line_ends.csv", MC, "written", "loaded as submission", "CR-only line ends: read"
            ),
            text.replace("\n", "\r").encode("utf-8"),
        ),
        (
            Case(
                "mc_formula_injection.csv",
                MC,
                "written",
                "loaded as submission",
                "=HYPERLINK(...) and other formulas in comments: stored, escaped in exports",
            ),
            _formula_rows(header, rows),
        ),
        (
            Case(
                "mc_sql_in_comment.csv",
                MC,
                "written",
                "loaded as submission",
                "SQL in a comment: stored literally, nothing dropped",
            ),
            _with_comment("'; drop table submissions; --"),
        ),
        (
            Case(
                "mc_sql_in_code.csv",
                MC,
                "rejected",
                "drop table",
                "SQL in a locality code: reported as an unknown locality, nothing run",
            ),
            _sql_code(header, rows),
        ),
        (
            Case(
                "mc_path_unix.csv",
                MC,
                "written",
                "loaded as submission",
                "uploaded as ../../etc/passwd.csv: stored as passwd.csv",
                upload_name="../../etc/passwd.csv",
            ),
            text.encode("utf-8") + b"\n",
        ),
        (
            Case(
                "mc_path_windows.csv",
                MC,
                "written",
                "loaded as submission",
                "uploaded as C:\\x\\y.csv: stored as y.csv",
                upload_name="C:\\x\\y.csv",
            ),
            text.encode("utf-8") + b"\n\n",
        ),
        (
            Case(GENERATED_BIG, MC, "rejected", "over the 20 MB limit", "100 MB CSV, generated at test time"),
            b"",
        ),
        # -- workbooks -------------------------------------------------------------------------------------------
        (
            Case("mc_truncated.xlsx", MC, "rejected", DAMAGED, "a valid workbook cut in half"),
            _truncated(_return_xlsx()),
        ),
        (
            Case(
                "mc_zip_bomb.xlsx",
                MC,
                "rejected",
                "expands to far more data",
                "64 MB of zeros in a 64 KB archive",
            ),
            _zip_bomb(),
        ),
        (Case("mc_macro.xlsm", MC, "rejected", MACRO, "a macro-enabled workbook (.xlsm)"), _return_xlsx()),
        (
            Case("mc_vba_inside.xlsx", MC, "rejected", MACRO, "an .xlsx holding xl/vbaProject.bin"),
            _add_members(_return_xlsx(), {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 60}),
        ),
        (
            Case(
                "mc_old_xls.xls", MC, "rejected", "old .xls workbooks are not read", "an OLE2 (.xls) header"
            ),
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        ),
        (
            Case(
                "mc_xls_named_csv.csv",
                MC,
                "rejected",
                "old .xls workbooks are not read",
                "an .xls renamed .csv",
            ),
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        ),
        (
            Case("mc_no_return_sheet.xlsx", MC, "rejected", "has no sheet named 'Return'", "data on Sheet1"),
            _xlsx(header, [list(r) for r in rows], sheet="Sheet1"),
        ),
        (
            Case(
                "mc_plain_zip.xlsx",
                MC,
                "rejected",
                "is not an Excel workbook",
                "a zip of text files named .xlsx",
            ),
            _plain_zip(),
        ),
        (
            Case("mc_csv_named_xlsx.xlsx", MC, "rejected", DAMAGED, "CSV text named .xlsx"),
            text.encode("utf-8") + b"\n\n\n",
        ),
        (
            Case(
                "mc_formula_injection.xlsx",
                MC,
                "written",
                "loaded as submission",
                "=HYPERLINK(...) as text in a workbook comment: stored, escaped in exports",
            ),
            _return_xlsx('=HYPERLINK("http://example.invalid/x","Click for details")'),
        ),
        # -- related KPIs that must agree (issue #12 section 6) ---------------------------------------------------
        (
            Case(
                "mc_c3_denominator_differs.csv",
                MC,
                "rejected",
                "C2 and C3 count the same infants",
                "C3's denominator not C2's (NORTH decile 2 and all deciles)",
            ),
            _related(
                header,
                rows,
                {("C3", "NORTH", "2"): {"denominator": "34"}, ("C3", "NORTH", ""): {"denominator": "191"}},
            ),
        ),
        (
            Case(
                "mc_nbv_over_cohort.csv",
                MC,
                "rejected",
                "an infant's visit is within or after 14 days, never both",
                "C2 + C3 new birth visits above their cohort (NORTH decile 2)",
            ),
            _related(
                header,
                rows,
                {("C3", "NORTH", "2"): {"numerator": "9"}, ("C3", "NORTH", ""): {"numerator": "35"}},
            ),
        ),
        (
            Case(
                "mc_c6ii_denominator_differs.csv",
                MC,
                "rejected",
                "which counts the same reviews: make them the same",
                "C6ii's denominator not C6i's numerator (NORTH decile 2 and all deciles)",
            ),
            _related(
                header,
                rows,
                {("C6i", "NORTH", "2"): {"numerator": "16"}, ("C6i", "NORTH", ""): {"numerator": "135"}},
            ),
        ),
        (
            Case(
                "mc_asq_domain_over_reviews.csv",
                MC,
                "rejected",
                "is more than C6ii's numerator",
                "an ASQ-3 domain (C6iii) scored in more reviews than used ASQ-3 (NORTH decile 2)",
            ),
            _related(
                header,
                rows,
                {
                    ("C6iii", "NORTH", "2"): {"denominator": "15"},
                    ("C6iii", "NORTH", ""): {"denominator": "125"},
                },
            ),
        ),
        # -- localities ------------------------------------------------------------------------------------------
        (Case("loc_empty.csv", LOC, "rejected", EMPTY, "0 bytes"), b""),
        (
            Case(
                "loc_wrong_columns.csv",
                LOC,
                "rejected",
                "the column 'lsoa_code' is missing",
                "a provider return given as localities",
            ),
            text.encode("utf-8"),
        ),
        (Case("loc_nul_bytes.csv", LOC, "rejected", NOT_TEXT, "NUL bytes"), _nul(_localities_text())),
        (
            Case("loc_semicolons.csv", LOC, "rejected", "separated by semicolons", "semicolon-delimited"),
            _semicolons(_localities_text()),
        ),
        (Case("loc_macro.xlsm", LOC, "rejected", MACRO, "a macro-enabled workbook"), _return_xlsx()),
        (
            Case(
                "loc_sql_in_name.csv",
                LOC,
                "written",
                "No problems found",
                "SQL in a locality name: stored literally",
            ),
            _localities_sql(),
        ),
        # -- a council's own comparator group -------------------------------------------------------------------
        (Case("peers_empty.csv", PEERS, "rejected", EMPTY, "0 bytes"), b""),
        (
            Case(
                "peers_wrong_columns.csv",
                PEERS,
                "rejected",
                "the column 'area_code' is missing",
                "a provider return given as a comparator group",
            ),
            text.encode("utf-8"),
        ),
        (Case("peers_nul_bytes.csv", PEERS, "rejected", NOT_TEXT, "NUL bytes"), _nul(_peers_text())),
        (
            Case("peers_semicolons.csv", PEERS, "rejected", "separated by semicolons", "semicolon-delimited"),
            _semicolons(_peers_text()),
        ),
        # -- NCMP child-level: dates in five formats, Excel serials ----------------------------------------------
        (
            Case("ncmp_dates_iso.csv", NCMP, "written", "loaded as NCMP load", "YYYY-MM-DD dates: read"),
            _ncmp_dates(lambda iso: iso),
        ),
        (
            Case("ncmp_dates_uk.csv", NCMP, "written", "loaded as NCMP load", "DD/MM/YYYY dates: read"),
            _ncmp_dates(lambda iso: "{2:02d}/{1:02d}/{0}".format(*_parts(iso))),
        ),
        (
            Case(
                "ncmp_dates_us.csv",
                NCMP,
                "rejected",
                "looks like month/day/year (US style",
                "MM/DD/YYYY dates",
            ),
            _ncmp_dates(_us),
        ),
        (
            Case("ncmp_dates_two_digit_year.csv", NCMP, "rejected", "has a two-digit year", "DD/MM/YY dates"),
            _ncmp_dates(lambda iso: "{2:02d}/{1:02d}/{0}".format(*_parts(iso))[:-4] + iso[2:4]),
        ),
        (
            Case(
                "ncmp_dates_words.csv",
                NCMP,
                "rejected",
                "is not written as DD/MM/YYYY or YYYY-MM-DD",
                "'3 June 2025' dates",
            ),
            _ncmp_dates(_words),
        ),
        (
            Case(
                "ncmp_dates_excel_serial.csv",
                NCMP,
                "rejected",
                "is not written as DD/MM/YYYY or YYYY-MM-DD",
                "Excel serial numbers (45811) in a CSV",
            ),
            _ncmp_dates(_serial),
        ),
        (
            Case("ncmp_dates_impossible.csv", NCMP, "rejected", "is not a real date", "31/02 and 30/02"),
            _ncmp_dates(lambda iso: "31/02/" + iso[:4]),
        ),
        (
            Case(
                "ncmp_dates_cells.xlsx",
                NCMP,
                "written",
                "loaded as NCMP load",
                "a workbook with real date cells",
            ),
            _ncmp_xlsx("cells"),
        ),
        (
            Case(
                "ncmp_dates_serial.xlsx",
                NCMP,
                "rejected",
                "is not written as DD/MM/YYYY or YYYY-MM-DD",
                "a workbook with dates as bare serial numbers",
            ),
            _ncmp_xlsx("serial"),
        ),
        (
            Case(
                "ncmp_truncated.csv.gz",
                NCMP,
                "rejected",
                "the gzip file is damaged or incomplete",
                "a gzip file cut short",
            ),
            _truncated(gzip.compress(_ncmp_dates(lambda iso: iso), mtime=0)),
        ),
        (
            Case("ncmp_header_only.csv", NCMP, "rejected", REJECTED, "header, no rows"),
            _header_only(_ncmp_dates(lambda iso: iso).decode()),
        ),
        (
            Case("ncmp_nul_bytes.csv", NCMP, "rejected", NOT_TEXT, "NUL bytes"),
            _nul(_ncmp_dates(lambda iso: iso).decode()),
        ),
        # -- eligible pupils, Fingertips, local outcome measures -------------------------------------------------
        (
            Case("eligible_semicolons.csv", ELIG, "rejected", REJECTED, "semicolon-delimited"),
            _semicolons(_eligible_text()),
        ),
        (Case("eligible_ragged.csv", ELIG, "rejected", RAGGED, "surplus cells"), _ragged(_eligible_text())),
        (
            Case(
                "fingertips_as_xlsx.xlsx",
                FT,
                "rejected",
                "Fingertips exports are CSV files",
                "an export saved as a workbook",
            ),
            _xlsx(["Indicator ID"], [[93085]]),
        ),
        (
            Case("fingertips_header_only.csv", FT, "rejected", REJECTED, "header, no rows"),
            _header_only(_fingertips_text()),
        ),
        (Case("fingertips_garbage.csv", FT, "rejected", "could not be read", "random bytes"), _garbage(4096)),
        (Case("outcomes_nul_bytes.csv", OM, "rejected", NOT_TEXT, "NUL bytes"), _nul(_outcomes_text())),
        (
            Case("outcomes_duplicate_header.csv", OM, "rejected", "appears twice", "the value column twice"),
            _duplicate_header(_outcomes_text(), "value"),
        ),
        # -- child-level health visiting records: no identifier, date or LSOA is repeated in a message ------------
        (
            Case("hv_header_only.csv", HV, "rejected", "header but no data rows", "header, no rows"),
            _hv_csv(0),
        ),
        (
            Case(
                "hv_no_person_id.csv",
                HV,
                "rejected",
                "the column 'localpatientid' is missing",
                "no id column",
            ),
            _hv_csv(20, drop="LocalPatientId"),
        ),
        (
            Case("hv_postcode_as_lsoa.csv", HV, "rejected", "never a postcode", "a postcode in LSOA2021"),
            _hv_csv(20, change=("LSOA2021", "M32 0JG")),
        ),
        (
            Case("hv_impossible_birth_date.csv", HV, "rejected", "is not a real day", "31 February"),
            _hv_csv(20, change=("DateOfBirth", "2026-02-31")),
        ),
        (
            Case("hv_unknown_review_code.csv", HV, "rejected", "COMMUNITY CARE ACTIVITY TYPE", "code 55"),
            _hv_csv(20, change=("Activity_Type", "55")),
        ),
    ]


def _hv_csv(count: int, *, drop: str | None = None, change: tuple[str, str] | None = None) -> bytes:
    """The sample's health visiting records extract cut to its first ``count`` rows, a column dropped or changed."""
    with gzip.open(SAMPLE / "hv_records" / "hv_records_ZZ1.csv.gz", "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[: count + 1]
    header, body = rows[0], [list(r) for r in rows[1:]]
    if change:
        for row in body:
            row[header.index(change[0])] = change[1]
    if drop:
        position = header.index(drop)
        header = header[:position] + header[position + 1 :]
        body = [r[:position] + r[position + 1 :] for r in body]
    return _csv(header, body)


def _words(iso: str) -> str:
    import calendar

    year, month, day = _parts(iso)
    return f"{day} {calendar.month_name[month]} {year}"


def _formula_rows(header: list[str], rows: list[list[str]]) -> bytes:
    rows = [list(r) for r in rows]
    position = header.index("comment")
    for number, formula in enumerate(
        [
            '=HYPERLINK("http://example.invalid/x","Click for details")',
            "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1",
        ]
    ):
        rows[number][position] = formula
    return _csv(header, rows)


def _sql_code(header: list[str], rows: list[list[str]]) -> bytes:
    rows = [list(r) for r in rows]
    rows[0][header.index("locality_code")] = "NORTH'; drop table submissions; --"
    return _csv(header, rows)


def _related(
    header: list[str], rows: list[list[str]], changes: dict[tuple[str, str, str], dict[str, str]]
) -> bytes:
    """The return with cells changed, keyed by (metric, locality, decile); "" is the all-deciles row."""
    rows = [list(r) for r in rows]
    key = [header.index(c) for c in ("metric_code", "locality_code", "imd_decile")]
    for row in rows:
        for column, value in changes.get(tuple(row[i] for i in key), {}).items():
            row[header.index(column)] = value
    return _csv(header, rows)


def _localities_sql() -> bytes:
    rows = list(csv.reader(io.StringIO(_localities_text())))
    for row in rows[1:]:
        if row[1] == "NORTH":
            row[2] = "North'); drop table localities; --"
    return _csv(rows[0], rows[1:])


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_fixed("return.csv"), _return_text().encode("utf-8"))
    return buffer.getvalue()


def big_csv(folder: Path) -> Path:
    """A valid-looking provider return padded with rows to 100 MB (written at test time, never committed)."""
    path = folder / GENERATED_BIG
    block = _return_text().split("\n", 1)[1].encode("utf-8")
    with open(path, "wb") as handle:
        handle.write(_return_text().split("\n", 1)[0].encode("utf-8") + b"\n")
        written = 0
        while written < BIG_CSV_BYTES:
            handle.write(block)
            written += len(block)
    return path


def write(folder: Path = OUT) -> list[Case]:
    """Write every file and the manifest; returns the cases."""
    folder.mkdir(parents=True, exist_ok=True)
    made = cases()
    names = [case.file for case, _ in made]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise SystemExit(f"duplicate corpus file names: {duplicates}")
    for old in folder.iterdir():
        if old.name not in names and old.name not in ("manifest.csv", "README.md"):
            old.unlink()
    for case, data in made:
        if case.file != GENERATED_BIG:
            (folder / case.file).write_bytes(data)
    with open(folder / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["file", "loader", "expected_message_substring", "expected_outcome", "upload_name", "what"]
        )
        for case, _ in made:
            writer.writerow(
                [case.file, case.loader, case.expected, case.outcome, case.upload_name, case.what]
            )
    return [case for case, _ in made]


if __name__ == "__main__":
    written = write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"wrote {len(written)} cases to {OUT.relative_to(ROOT)} (the 100 MB CSV is generated at test time)")
