"""Reading an NCMP file: CSV (UTF-8 or Windows-1252, optionally gzip-compressed) or XLSX, keeping only its columns.

**Data minimisation** (docs/methods.md section 3): every column outside the schema is dropped as the file is read,
before anything is checked or stored, and listed in the report as a note (never an error). A column-mapping file
(``source_column,target_column``, :func:`read_mapping`) renames an extract's headers first.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from kpi.ingest.files import ReadError, read_text_table
from kpi.ncmp.schema import IDENTIFIER_COLUMNS, MAX_NCMP_BYTES, SCHEMA_COLUMNS


class MappingError(ValueError):
    """A column-mapping file that cannot be used; the message says why."""


def normalise_header(name: str) -> str:
    """A header as the schema writes it: trimmed, lower case, spaces as underscores, without a BOM."""
    return name.strip().strip("\ufeff").strip().lower().replace(" ", "_")


def read_mapping(
    data: bytes,
    file_name: str = "mapping.csv",
    *,
    allowed: tuple[str, ...] = SCHEMA_COLUMNS + IDENTIFIER_COLUMNS,
    label: str = "the NCMP return",
) -> dict[str, str]:
    r"""Read a column-mapping file (CSV ``source_column,target_column``): extract header -> schema column.

    Targets may be the return's columns (:data:`SCHEMA_COLUMNS`) or the identifiers used to find duplicates
    (:data:`IDENTIFIER_COLUMNS`), or ``allowed`` for another extract (called ``label``). Headers on both sides are compared as :func:`normalise_header` writes them.

    Raises:
        MappingError: the file is unreadable, lacks the two columns, has blanks, an unknown target, or maps two
            columns to one target.

    Example:
        >>> read_mapping(b"source_column,target_column\nDOB,date_of_birth\nNHS No,nhs_number\n")
        {'dob': 'date_of_birth', 'nhs_no': 'nhs_number'}

    """
    try:
        frame = read_text_table(data, file_name, sheet="Mapping").frame
    except ReadError as exc:
        raise MappingError(f"the mapping file {file_name} could not be read: {exc}") from exc
    if not {"source_column", "target_column"} <= set(frame.columns):
        raise MappingError(
            f"the mapping file {file_name} must have the columns source_column,target_column "
            "(one row per extract column to rename)"
        )
    mapping: dict[str, str] = {}
    for row in frame.iter_rows(named=True):
        source, target = row["source_column"], row["target_column"]
        if not source or not target:
            raise MappingError(
                f"row {row['source_row']} of the mapping file has a blank source_column or target_column"
            )
        source, target = normalise_header(source), normalise_header(target)
        if target not in allowed:
            raise MappingError(
                f"'{target}' (row {row['source_row']} of the mapping file) is not a column of {label}: "
                f"map to one of {', '.join(allowed)}"
            )
        if target in mapping.values():
            raise MappingError(f"two extract columns are mapped to '{target}': map one column to each target")
        if source in mapping:
            raise MappingError(f"the extract column '{source}' is mapped twice: map it once")
        mapping[source] = target
    return mapping


@dataclass(frozen=True)
class NcmpTable:
    """A file's kept columns as text (headers normalised and mapped), with ``source_row``; what was dropped."""

    frame: pl.DataFrame
    dropped: list[str]
    encoding: str
    kind: str


def _decompress(data: bytes) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(MAX_NCMP_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise ReadError(
            "the gzip file is damaged or incomplete: compress the CSV again, or send it plain"
        ) from exc
    if len(out) > MAX_NCMP_BYTES:
        raise ReadError(f"the file expands to more than {MAX_NCMP_BYTES // 1024**3} GB and was refused")
    return out


def _csv_bytes(data: bytes) -> tuple[bytes, str]:
    """UTF-8 CSV bytes without BOM, with newline line ends, and the encoding found."""
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "UTF-8 with BOM"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data, encoding = data.decode("utf-16").encode("utf-8"), "UTF-16"
    else:
        encoding = "UTF-8"
    head = data[:65536]
    if b"\x00" in head:
        raise ReadError("the file is not a text CSV file: send the return as CSV or .xlsx")
    if b"\r" in head and b"\n" not in head:  # old Mac line ends
        data = data.replace(b"\r", b"\n")
    return data, encoding


def _select_columns(
    headers: list[str], mapping: dict[str, str] | None, keep: tuple[str, ...] | None
) -> tuple[dict[str, str], list[str]]:
    """Original header -> kept name, and the normalised names of the columns dropped (``keep=None``: keep all)."""
    mapping = mapping or {}
    if keep is None:
        keep = tuple(mapping.get(normalise_header(h), normalise_header(h)) for h in headers)
    normalised = {original: normalise_header(original) for original in headers}
    present = set(normalised.values())
    missing_sources = [source for source in mapping if source not in present]
    if missing_sources:
        raise ReadError(
            f"the mapping names column(s) {', '.join(missing_sources)}, which the file does not have: check the "
            "mapping file against the extract's header"
        )
    renamed = {original: mapping.get(name, name) for original, name in normalised.items()}
    seen: dict[str, str] = {}
    for original, name in renamed.items():
        if name in keep and name in seen:
            raise ReadError(
                f"the column '{name}' appears twice (as '{seen[name]}' and '{original}'): keep one, or fix the "
                "mapping"
            )
        seen[name] = original
    kept = {original: name for original, name in renamed.items() if name in keep}
    dropped = [normalised[original] for original, name in renamed.items() if name not in keep]
    return kept, dropped


def read_ncmp_table(
    data: bytes,
    file_name: str,
    *,
    keep: tuple[str, ...] | None = SCHEMA_COLUMNS + IDENTIFIER_COLUMNS,
    mapping: dict[str, str] | None = None,
    sheet: str = "Return",
) -> NcmpTable:
    """Read an NCMP file (CSV, gzip CSV or XLSX) keeping only the columns ``keep`` (after ``mapping``).

    Every other column is dropped while the file is read (a CSV's other columns are never even turned into
    values); their names are returned in ``dropped``. Values are text; the checks trim them (CSV blanks are null).

    Raises:
        ReadError: the file is empty, too large, unsafe or unreadable, or the mapping does not fit it.
    """
    if not data or (not data[:65536].strip() and not data.strip()):  # (a whole copy only for blank starts)
        raise ReadError("the file is empty: export the return again with its header row and data")
    if len(data) > MAX_NCMP_BYTES:
        raise ReadError(f"the file is over {MAX_NCMP_BYTES // 1024**3} GB: check you chose the right file")
    if data[:4] == b"PK\x03\x04" or file_name.lower().endswith((".xlsx", ".xlsm", ".xltm", ".xlsb", ".xls")):
        table = read_text_table(data, file_name, sheet=sheet)
        headers = [c for c in table.frame.columns if c != "source_row"]
        kept, dropped = _select_columns(headers, mapping, keep)
        frame = table.frame.select([pl.col(o).alias(n) for o, n in kept.items()] + ["source_row"])
        return NcmpTable(frame, dropped, table.encoding, table.kind)

    data, encoding = _csv_bytes(_decompress(data))
    (frame, dropped), encoding = _read_csv(data, mapping, keep, encoding)
    return NcmpTable(frame, dropped, encoding, "csv")


def csv_batches(
    data: bytes,
    file_name: str,
    *,
    keep: tuple[str, ...] | None,
    mapping: dict[str, str] | None = None,
    rows: int = 1_000_000,
) -> tuple[list[str], list[str], Iterator[pl.DataFrame]] | None:
    """A plain UTF-8 CSV's kept rows in batches of about ``rows``, each as :func:`read_ncmp_table` gives its rows.

    The kept names, the dropped names and the batches (text columns and ``source_row``, numbered across the file;
    blank rows left out), so a large file need never be held as text at once. None when the file is anything else
    (a workbook, gzip, a byte order mark, UTF-16, old Mac line ends, no header or no kept column): read it whole.
    A batch that cannot be read raises :class:`polars.exceptions.PolarsError` (reading it whole says why).

    Raises:
        ReadError: the mapping does not fit the header (as :func:`read_ncmp_table`).
    """
    if (
        not data[:65536].strip()
        or len(data) > MAX_NCMP_BYTES
        or data[:2] == b"\x1f\x8b"
        or data[:4] == b"PK\x03\x04"
    ):
        return None
    if file_name.lower().endswith((".xlsx", ".xlsm", ".xltm", ".xlsb", ".xls")):
        return None
    head = data[:65536]
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return None
    if b"\r" in head and b"\n" not in head:
        return None
    try:
        headers = pl.read_csv(data, n_rows=0, infer_schema_length=0, raise_if_empty=False).columns
    except pl.exceptions.PolarsError:
        return None
    if not headers:
        return None
    kept, dropped = _select_columns(headers, mapping, keep)
    if not kept:
        return None
    names = list(kept.values())

    def batches() -> Iterator[pl.DataFrame]:
        scan = pl.scan_csv(
            data, infer_schema=False, truncate_ragged_lines=False, raise_if_empty=False, encoding="utf8"
        )
        offset = 2
        for batch in scan.select(list(kept)).collect_batches(chunk_size=rows):
            frame = batch.rename(kept).with_row_index("source_row", offset=offset)
            offset += batch.height
            frame = frame.with_columns(pl.col("source_row").cast(pl.Int64))
            yield frame.filter(~pl.all_horizontal(pl.col(names).is_null()))

    return names, dropped, batches()


def _read_csv(
    data: bytes, mapping: dict[str, str] | None, keep: tuple[str, ...] | None, encoding: str
) -> tuple[tuple[pl.DataFrame, list[str]], str]:
    try:
        return _parse_csv(data, mapping, keep), encoding
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc).lower() and "utf8" not in str(exc).lower():
            raise _csv_error(exc) from exc
    try:
        transcoded = data.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReadError(
            "the file's characters could not be read: save it as CSV UTF-8 (Excel: File > Save As > "
            "'CSV UTF-8 (Comma delimited)')"
        ) from exc
    try:
        return _parse_csv(transcoded, mapping, keep), "Windows-1252"
    except pl.exceptions.PolarsError as exc:
        raise _csv_error(exc) from exc


def _csv_error(exc: Exception) -> ReadError:
    return ReadError(
        f"the CSV file could not be read ({str(exc).splitlines()[0][:120]}): check every row has the same number "
        "of commas as the header and that text with commas is in double quotes"
    )


def _parse_csv(
    data: bytes, mapping: dict[str, str] | None, keep: tuple[str, ...] | None
) -> tuple[pl.DataFrame, list[str]]:
    try:
        headers = pl.read_csv(data, n_rows=0, infer_schema_length=0, raise_if_empty=False).columns
    except pl.exceptions.ComputeError:
        raise
    except pl.exceptions.PolarsError as exc:
        raise _csv_error(exc) from exc
    if not headers:
        raise ReadError("the file has no header row: the first row must name the columns")
    kept, dropped = _select_columns(headers, mapping, keep)
    if not kept:
        return pl.DataFrame({"source_row": pl.Series([], dtype=pl.Int64)}), dropped
    try:
        frame = pl.read_csv(
            data,
            columns=list(kept),
            infer_schema_length=0,
            truncate_ragged_lines=False,
            raise_if_empty=False,
            encoding="utf8",
        )
    except pl.exceptions.ComputeError:
        raise
    except pl.exceptions.PolarsError as exc:
        raise _csv_error(exc) from exc
    # Values are not trimmed here (that would cost seconds on a national file): the checks trim each distinct value.
    frame = frame.rename(kept)
    names = list(kept.values())
    frame = frame.with_row_index("source_row", offset=2).with_columns(pl.col("source_row").cast(pl.Int64))
    return frame.filter(~pl.all_horizontal(pl.col(names).is_null())), dropped
