"""Read an uploaded CSV or XLSX file into a frame of text columns, refusing what is unsafe or unreadable.

Every column is read as text and cast strictly later (docs/operations.md, how data is stored: fastexcel silently turns "n/a" in
a numeric column into null otherwise). Harmless variants are accepted: UTF-8 with or without BOM, Windows-1252,
CRLF line ends, headers in another order or case. Refused with a message: empty files, files that are neither CSV
nor XLSX, macro-enabled workbooks, archive bombs and workbooks without the expected sheet.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PureWindowsPath

import polars as pl

#: Largest upload accepted (bytes): a quarter's return is a few hundred kilobytes.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Largest total uncompressed size of an XLSX's parts, and the largest compression ratio, before it is refused.
#: Both are counted on the bytes actually inflated, never on the sizes the archive declares (which a crafted file
#: can understate). A quarter's return workbook inflates to well under 5 MB.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ZIP_RATIO = 200
#: How much of a part is inflated at a time while counting.
_INFLATE_CHUNK = 1024 * 1024
_BOMB = (
    "the workbook expands to far more data than a return holds and was refused as unsafe (nothing was stored): "
    "save the return again from Excel as a plain .xlsx workbook with only the return's sheets, or send it as CSV"
)
#: Longest text accepted in one cell: a spreadsheet cell's own limit (Excel: 32,767 characters).
MAX_CELL_CHARS = 32_767
#: How readers rename a repeated header: polars ``x_duplicated_0``, fastexcel ``x_1``.
_RENAMED = re.compile(r"^(?P<base>.+?)_(duplicated_)?\d+$")


class ReadError(ValueError):
    """A file that cannot be read; the message says why and what to do (``check``: the report's check name)."""

    def __init__(self, message: str, check: str = "unreadable") -> None:
        super().__init__(message)
        self.check = check


@dataclass(frozen=True)
class TextTable:
    """A file's rows as text, with the spreadsheet row number of each (header = row 1)."""

    frame: pl.DataFrame  # all columns pl.String, plus source_row
    encoding: str
    kind: str  # csv or xlsx


def base_name(file_name: str) -> str:
    r"""The file's own name without any folder, whichever system's separators it has.

    A browser or another computer may report ``C:\Users\me\return.csv`` or ``../../etc/passwd.csv``; only
    ``return.csv`` and ``passwd.csv`` are kept (the name is shown and stored, never used as a path).

    Example:
        >>> base_name(r"C:\x\y.csv"), base_name("../../etc/passwd.csv")
        ('y.csv', 'passwd.csv')
    """
    name = PureWindowsPath(str(file_name).replace("\x00", "")).name
    return name.strip() or "unnamed file"


def sha256(data: bytes) -> str:
    """Hex SHA-256 of the file's bytes (how the same file twice is recognised)."""
    return hashlib.sha256(data).hexdigest()


def _normalise_header(name: str) -> str:
    return name.strip().strip("\ufeff").strip().lower().replace(" ", "_")


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM"
        except UnicodeDecodeError as exc:
            raise ReadError(
                "the file starts as UTF-8 but has characters that are not: save it again as CSV UTF-8 (Excel: "
                "File > Save As > 'CSV UTF-8 (Comma delimited)')"
            ) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    unmarked = _utf16_without_bom(data)
    if unmarked:
        return data.decode(unmarked), "UTF-16 (no byte-order mark)"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise ReadError(
            "the file's characters could not be read: save it as CSV UTF-8 (Excel: File > Save As > "
            "'CSV UTF-8 (Comma delimited)')"
        ) from exc


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the start is plainly UTF-16 text without its byte-order mark, else None.

    Plain: every other byte of the first 512 is NUL and none of the others is (ASCII text written two bytes a
    character), and the whole decodes.
    """
    head = data[:512]
    if len(head) < 8 or len(data) % 2:
        return None
    for encoding, zeros, chars in (
        ("utf-16-le", head[1::2], head[0::2]),
        ("utf-16-be", head[0::2], head[1::2]),
    ):
        if not zeros.strip(b"\x00") and b"\x00" not in chars:
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return encoding
    return None


def _check_header(names: list[str]) -> None:
    """Refuse a header that names a column twice (also after case and spaces are ignored)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ReadError(f"the column '{name}' appears twice in the header row: keep one of them")
        seen.add(name)
    for name in names:
        match = _RENAMED.match(name)
        if match and match["base"] in seen:
            raise ReadError(f"the column '{match['base']}' appears twice in the header row: keep one of them")


def _check_separator(frame: pl.DataFrame) -> None:
    """A whole line read as one column because the file is separated by something other than commas."""
    if frame.width != 1:
        return
    header = frame.columns[0]
    for mark, word in ((";", "semicolons (;)"), ("\t", "tabs"), ("|", "vertical bars (|)")):
        if mark in header:
            raise ReadError(
                f"the file is separated by {word}, not commas: save it as 'CSV UTF-8 (Comma delimited)' (Excel: "
                "File > Save As), or send the .xlsx workbook"
            )


def _check_cell_lengths(frame: pl.DataFrame, first_data_row: int) -> None:
    for name in frame.columns:
        lengths = frame.get_column(name).str.len_chars()
        longest = lengths.max()
        if longest is not None and longest > MAX_CELL_CHARS:
            row = int(lengths.arg_max()) + first_data_row
            raise ReadError(
                f"row {row}, column {name} holds {longest:,} characters, more than a spreadsheet cell can "
                f"({MAX_CELL_CHARS:,}): check this is the right file"
            )


def _check_xlsx_container(data: bytes, file_name: str) -> None:
    lowered = file_name.lower()
    if lowered.endswith((".xlsm", ".xltm", ".xlsb")):
        raise ReadError(
            "macro-enabled workbooks are refused: save the return as a plain .xlsx workbook or as CSV"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ReadError(
            "the workbook is damaged or incomplete and cannot be opened: save it again from Excel, or send CSV"
        ) from exc
    if any(member.filename.lower().endswith("vbaproject.bin") for member in members):
        raise ReadError(
            "macro-enabled workbooks are refused: save the return as a plain .xlsx workbook or as CSV"
        )
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise ReadError("the file is not an Excel workbook: send the return as .xlsx or CSV")
    _check_inflated_size(archive, members, len(data))


def _check_inflated_size(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], packed: int) -> None:
    """Inflate every part in chunks, counting the bytes that come out; refuse the workbook past the cap.

    The cap is ``MAX_UNZIPPED_BYTES``, or ``MAX_ZIP_RATIO`` times the file's size if less.

    The declared sizes are ignored (each part is read as if it declared more than the cap), so a part that lies
    about its size is still counted; nothing is kept, so memory stays at one chunk whatever the file holds.
    """
    cap = min(MAX_UNZIPPED_BYTES, MAX_ZIP_RATIO * max(packed, 1))
    total = 0
    for member in members:
        if member.is_dir():
            continue
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ReadError("the file is not an Excel workbook: send the return as .xlsx or CSV")
        counted = copy.copy(member)
        # Never trust the declared size: read until the part really ends. (zipfile stops at, and checks the CRC
        # at, the declared size; past the cap plus one chunk it is never reached, as the cap trips first.)
        counted.file_size = cap + 2 * _INFLATE_CHUNK
        try:
            with archive.open(counted) as part:
                while chunk := part.read(_INFLATE_CHUNK):
                    total += len(chunk)
                    if total > cap:
                        raise ReadError(_BOMB)
        except ReadError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
            raise ReadError(
                "the workbook is damaged or incomplete and cannot be opened: save it again from Excel, or send CSV"
            ) from exc


def read_text_table(data: bytes, file_name: str, *, sheet: str = "Return") -> TextTable:
    """Read CSV or XLSX bytes into text columns with lower-case headers and ``source_row``.

    Raises:
        ReadError: the file is empty, too large, unsafe or unreadable.
    """
    if not data or not data.strip():
        raise ReadError("the file is empty: export the return again with its header row and data")
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(
            f"the file is {len(data) / 1_048_576:.1f} MB, over the {MAX_FILE_BYTES // 1_048_576} MB limit: "
            "a return is normally well under 1 MB; check you chose the right file"
        )
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE2 file (.xls), whatever its name says
        raise ReadError("old .xls workbooks are not read: save the return as .xlsx or CSV")
    if data[:4] == b"PK\x03\x04" or file_name.lower().endswith((".xlsx", ".xlsm", ".xltm", ".xlsb", ".xls")):
        _check_xlsx_container(data, file_name)
        frame = _read_xlsx(data, sheet)
        encoding, kind, first_data_row = "xlsx", "xlsx", 2
    else:
        text, encoding = _decode(data)
        if "\x00" in text:
            raise ReadError("the file is not a text CSV file: send the return as CSV or .xlsx")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        try:
            frame = pl.read_csv(
                io.StringIO(text), infer_schema_length=0, truncate_ragged_lines=False, raise_if_empty=False
            )
        except pl.exceptions.PolarsError as exc:
            raise ReadError(
                f"the CSV file could not be read ({str(exc).splitlines()[0][:120]}): check every row has the same "
                "number of commas as the header and that text with commas is in double quotes"
            ) from exc
        kind, first_data_row = "csv", 2
        _check_separator(frame)
    if frame.width == 0:
        raise ReadError("the file has no header row: the first row must name the columns")
    names = [_normalise_header(name) for name in frame.columns]
    _check_header(names)
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    frame = frame.with_columns(pl.all().cast(pl.String).str.strip_chars())
    _check_cell_lengths(frame, first_data_row)
    frame = frame.with_columns(
        [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in frame.columns]
    )
    frame = frame.with_row_index("source_row", offset=first_data_row).with_columns(
        pl.col("source_row").cast(pl.Int64)
    )
    data_columns = [c for c in frame.columns if c != "source_row"]
    frame = frame.filter(~pl.all_horizontal(pl.col(data_columns).is_null()))
    return TextTable(frame=frame, encoding=encoding, kind=kind)


def _read_xlsx(data: bytes, sheet: str) -> pl.DataFrame:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
    except Exception as exc:  # fastexcel raises its own error types for damaged workbooks
        raise ReadError(
            "the workbook is damaged or incomplete and cannot be opened: save it again from Excel, or send CSV"
        ) from exc
    names = reader.sheet_names
    chosen = next((name for name in names if name.strip().lower() == sheet.lower()), None)
    if chosen is None:
        raise ReadError(
            f"the workbook has no sheet named '{sheet}' (it has: {', '.join(names)}): put the data on a sheet "
            f"called '{sheet}'"
        )
    try:
        loaded = reader.load_sheet_by_name(chosen, dtypes="string")
        frame = pl.from_arrow(loaded.to_arrow())
    except Exception as exc:
        raise ReadError(
            f"the sheet '{chosen}' could not be read: save the workbook again, or send CSV"
        ) from exc
    if not isinstance(frame, pl.DataFrame):
        raise ReadError(f"the sheet '{chosen}' could not be read: save the workbook again, or send CSV")
    return frame.with_columns(pl.all().cast(pl.String))
