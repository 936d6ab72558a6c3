"""The NCMP child-level return and the eligible-pupils return: readers, declared schemas and validation.

Child-level return (docs/formats/ncmp.md): one row per child measured, CSV (UTF-8 or Windows-1252, optionally
gzip-compressed) or XLSX with the data on sheet ``Return``, columns :data:`SCHEMA_COLUMNS`. A column-mapping file
(``source_column,target_column``) renames an extract's headers first. **Data minimisation** (docs/methods.md section 3):
every column outside the schema is dropped as the file is read, before anything is checked or stored, and listed in
the report as a note (never an error). The identifier columns :data:`IDENTIFIER_COLUMNS` (NHS number, UPN, pupil
id), when present, are kept in memory only long enough to find duplicate children; the date of birth only long
enough to work out the age in days. What is stored per child is :data:`STORED_COLUMNS`.

Duplicates (in memory, before identifiers go): two rows are the same child when they share a non-blank NHS number,
UPN or pupil id, or when they agree on date of birth, sex, school URN, measurement date, height and weight (a record
entered twice; twins measured on the same day differ in height or weight). The first row counts; later rows are a
warning and, once confirmed, are stored flagged as duplicates and counted in neither participation nor prevalence.

Checks are vectorised polars expressions over the whole file, so a national file of 1.2 million children is
checked in seconds; the rules are those of :mod:`kpi.ncmp.rules`. Errors stop the load; warnings stop it unless confirmed
with a reason. Messages never repeat a date of birth (or any date) so the stored report holds no personal data.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from datetime import date

import polars as pl

from kpi.ingest.files import ReadError, read_text_table
from kpi.ingest.report import Report, problem, problems_where
from kpi.ncmp import rules as ncmp

DATASET = "ncmp"
ELIGIBLE_DATASET = "ncmp-eligible"
SCHEMA_COLUMNS = (
    "academic_year",
    "school_urn",
    "school_year",
    "sex",
    "date_of_birth",
    "date_of_measurement",
    "height_cm",
    "weight_kg",
    "lsoa_code",
    "ethnic_group",
)
OPTIONAL_COLUMNS = ("lsoa_code", "ethnic_group")
REQUIRED_COLUMNS = tuple(c for c in SCHEMA_COLUMNS if c not in OPTIONAL_COLUMNS)
#: Identifiers used only to find duplicate children in memory, then dropped (a mapping may name them).
IDENTIFIER_COLUMNS = ("nhs_number", "upn", "pupil_id")
ELIGIBLE_COLUMNS = (
    "academic_year",
    "school_urn",
    "school_name",
    "school_year",
    "eligible_pupils",
    "locality_code",
)
#: What is stored for each child (plus the load's id and council): never names, NHS numbers, postcodes, pupil ids
#: or dates of birth.
STORED_COLUMNS = (
    "academic_year",
    "school_urn",
    "school_year",
    "sex",
    "ethnic_group",
    "lsoa_code",
    "age_days",
    "measurement_month",
    "height_cm",
    "weight_kg",
    "bmi",
    "bmi_z",
    "bmi_category",
    "is_severely_obese",
    "is_warning_row",
    "is_duplicate",
    "is_excluded",
    "flags",
)
NOT_STATED = "Not stated"
#: An LSOA code: E01 (England) or W01 (Wales) and six digits. Anything else in lsoa_code is an error, never stored
#: and never repeated in full (a postcode there identifies a child's home): see :func:`_check_area_and_ethnicity`.
LSOA_PATTERN = r"^[EW]01[0-9]{6}$"
_POSTCODE = r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?[0-9][A-Z]{2}$"
#: The broad ethnic groups stored (the NCMP's published breakdown) and what ethnic_group may hold to mean each:
#: the NHS Data Dictionary ETHNIC CATEGORY code (A-H, J-N, P, R, S, Z; 99 not known), its name, or the group's
#: name, in any case. Anything else is an error (not repeated in the report: free text may say anything).
ETHNIC_GROUPS: dict[str, tuple[str, ...]] = {
    "White": ("A", "B", "C", "British", "Irish", "Any other White background", "White British"),
    "Mixed": (
        "D",
        "E",
        "F",
        "G",
        "White and Black Caribbean",
        "White and Black African",
        "White and Asian",
        "Any other mixed background",
        "Mixed or multiple ethnic groups",
    ),
    "Asian or Asian British": (
        "H",
        "J",
        "K",
        "L",
        "Indian",
        "Pakistani",
        "Bangladeshi",
        "Any other Asian background",
    ),
    "Black or Black British": ("M", "N", "P", "Caribbean", "African", "Any other Black background"),
    "Any other ethnic group": ("R", "S", "Chinese", "Other ethnic groups", "Chinese or other ethnic group"),
    NOT_STATED: ("Z", "99", "Not known", "Not recorded"),
}
_ETHNIC_LOOKUP = {
    spelling.lower(): group for group, spellings in ETHNIC_GROUPS.items() for spelling in (group, *spellings)
}
#: A national year (about 1.2 million children, ~200 MB) fits well within this.
MAX_NCMP_BYTES = 2 * 1024 * 1024 * 1024
_NUMBER = r"^[0-9]+(\.[0-9]+)?$"
_WHOLE = r"^[0-9]+(\.0+)?$"


class MappingError(ValueError):
    """A column-mapping file that cannot be used; the message says why."""


# ---- reading ------------------------------------------------------------------------------------------------


def normalise_header(name: str) -> str:
    """A header as the schema writes it: trimmed, lower case, spaces as underscores, without a BOM."""
    return name.strip().strip("\ufeff").strip().lower().replace(" ", "_")


def read_mapping(data: bytes, file_name: str = "mapping.csv") -> dict[str, str]:
    r"""Read a column-mapping file (CSV ``source_column,target_column``): extract header -> schema column.

    Targets may be the return's columns (:data:`SCHEMA_COLUMNS`) or the identifiers used to find duplicates
    (:data:`IDENTIFIER_COLUMNS`). Headers on both sides are compared as :func:`normalise_header` writes them.

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
    allowed = SCHEMA_COLUMNS + IDENTIFIER_COLUMNS
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
                f"'{target}' (row {row['source_row']} of the mapping file) is not a column of the NCMP return: "
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


# ---- the child-level return ---------------------------------------------------------------------------------


@dataclass
class NcmpContext:
    """What a child-level return is checked against."""

    council_code: str
    today: date
    known_lsoas: pl.Series  # LSOA codes of the national lookup (IoD2019)
    age_method: str = "exact"


@dataclass
class CheckedNcmp:
    """A checked return: its report, academic year, and the rows to store when there were no errors."""

    report: Report
    academic_year: str | None = None
    rows: pl.DataFrame | None = None  # STORED_COLUMNS + source_row

    @property
    def school_years(self) -> list[str]:
        """The year groups the file holds (R, 6)."""
        if self.rows is None:
            return []
        return sorted(self.rows["school_year"].unique().to_list(), key=ncmp.SCHOOL_YEARS.index)


def _check_columns(frame: pl.DataFrame, report: Report, required: tuple[str, ...], header: str) -> list[str]:
    missing = [c for c in required if c not in frame.columns]
    for name in missing:
        report.add(
            problem(
                "error",
                "missing_column",
                f"the column '{name}' is missing: add it, or map the extract's column to it with a mapping file "
                f"(--mapping); the return's columns are {header}",
                column=name,
            )
        )
    if frame.is_empty():
        report.add(
            problem("error", "empty", "the file has a header but no data rows: add the children's rows")
        )
    return missing


class _Checks:
    """Problem checks over one frame, evaluated together.

    Every mask is reduced to "any row?" in one parallel pass (one scan of a national file instead of one per
    check), and only the checks that hit build problem rows.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._pending: list[tuple[pl.Expr, dict]] = []

    def where(self, mask: pl.Expr, **options) -> None:
        """Queue :func:`kpi.ingest.report.problems_where` for ``mask`` (same options)."""
        self._pending.append((mask, options))

    def add_to(self, report: Report) -> None:
        """Evaluate the queued checks and add the problems found to ``report``."""
        if not self._pending:
            return
        masks = [mask.fill_null(False).any().alias(f"_{i}") for i, (mask, _) in enumerate(self._pending)]
        hits = self.frame.select(masks).row(0)
        for hit, (mask, options) in zip(hits, self._pending, strict=True):
            if hit:
                report.add(problems_where(self.frame, mask, **options))
        self._pending.clear()


def _check_academic_year(checks: _Checks) -> str | None:
    """One academic year per file; returns it (normalised) when the file holds exactly one."""
    frame = checks.frame
    checks.where(
        pl.col("academic_year").is_null(),
        severity="error",
        check="bad_academic_year",
        column="academic_year",
        message="the academic year is blank: write it like 2025/26",
    )
    checks.where(
        pl.col("academic_year").is_not_null() & pl.col("year_value").is_null(),
        severity="error",
        check="bad_academic_year",
        column="academic_year",
        message=pl.format(
            "'{}' is not an academic year: write it like 2025/26 (the second year follows the first)",
            pl.col("academic_year"),
        ),
    )
    counts = frame.get_column("year_value").drop_nulls().value_counts(sort=True)
    if counts.height == 0:
        return None
    main = counts["year_value"][0]
    if counts.height > 1:
        years = sorted(counts["year_value"].to_list())
        checks.where(
            pl.col("year_value").is_not_null() & (pl.col("year_value") != main),
            severity="error",
            check="several_academic_years",
            column="academic_year",
            message=f"the file holds {len(years)} academic years ({', '.join(years)}): load one academic year "
            f"per file (most rows are for {main})",
        )
        return None
    return main


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def _blank_or(column: str, blank: str, other: str) -> pl.Expr:
    """Message ``blank`` for a blank value, else ``other`` with the value in place of ``{}``."""
    return pl.when(_blank(column)).then(pl.lit(blank)).otherwise(pl.format(other, pl.col(column)))


def _urn_message() -> pl.Expr:
    return (
        pl.when(_blank("school_urn"))
        .then(pl.lit("the school URN is blank: give the school's 6-digit Unique Reference Number"))
        .otherwise(
            pl.format(
                "'{}' is not a school URN: a URN is the school's 6-digit Unique Reference Number",
                pl.col("school_urn"),
            )
        )
    )


def _check_school(checks: _Checks) -> None:
    """School URN and year group: the same rules for child rows and eligible-pupil rows."""
    checks.where(
        pl.col("urn").is_null(),
        severity="error",
        check="bad_urn",
        column="school_urn",
        message=_urn_message(),
    )
    checks.where(
        pl.col("group").is_null(),
        severity="error",
        check="bad_school_year",
        column="school_year",
        message=_blank_or(
            "school_year",
            "the year group is blank: write R (Reception) or 6 (Year 6)",
            "'{}' is not an NCMP year group: write R (Reception) or 6 (Year 6)",
        ),
    )


def _check_codes(checks: _Checks) -> None:
    _check_school(checks)
    checks.where(
        pl.col("sex_code").is_null(),
        severity="error",
        check="bad_sex",
        column="sex",
        message=_blank_or(
            "sex",
            "the sex is blank: write M or F (male/female and 1/2 are also read)",
            "'{}' is not a sex the NCMP return records: write M or F (male/female and 1/2 are also read)",
        ),
    )


def _check_area_and_ethnicity(checks: _Checks) -> None:
    """lsoa_code must be an LSOA code and ethnic_group an NHS ethnic category.

    Neither value is ever repeated in full (the report is shown, downloaded and stored): a postcode shows its
    outward half only.
    """
    lsoa = pl.col("lsoa")
    bad = lsoa.is_not_null() & ~lsoa.str.contains(LSOA_PATTERN)
    postcode = lsoa.str.contains(_POSTCODE)
    masked = pl.format("{} ***", lsoa.str.extract(_POSTCODE, 1))
    checks.where(
        bad & postcode,
        severity="error",
        check="lsoa_is_postcode",
        column="lsoa_code",
        value=masked,
        message=pl.format(
            "lsoa_code looks like a postcode ({}): give the child's LSOA code (E01 and six digits, such as "
            "E01006074), never a postcode; postcodes are not stored",
            masked,
        ),
    )
    checks.where(
        bad & ~postcode,
        severity="error",
        check="bad_lsoa",
        column="lsoa_code",
        value=pl.lit(None, dtype=pl.String),
        message="lsoa_code is not an LSOA code (E01, or W01 for Wales, and six digits, such as E01006074): give "
        "the child's LSOA code, or leave it blank if it is not known",
    )
    checks.where(
        pl.col("_ethnic_given") & pl.col("ethnicity").is_null(),
        severity="error",
        check="bad_ethnic_group",
        column="ethnic_group",
        value=pl.lit(None, dtype=pl.String),
        message="ethnic_group is not an NHS ethnic category: write the code (A to H, J to N, P, R, S, Z, or 99 "
        "for not known) or the group (White, Mixed, Asian or Asian British, Black or Black British, Any other "
        "ethnic group, Not stated), or leave it blank",
    )


_DATE_MESSAGES = {
    "missing": "the {label} is blank: every child needs one",
    "us_style": "the {label} looks like month/day/year (US style: its second number is above 12): write dates as "
    "DD/MM/YYYY or YYYY-MM-DD",
    "two_digit_year": "the {label} has a two-digit year, which is ambiguous: write DD/MM/YYYY or YYYY-MM-DD",
    "bad_format": "the {label} is not written as DD/MM/YYYY or YYYY-MM-DD: write it in one of those forms",
    "impossible": "the {label} is not a real date (such as 31/02/2019): check it",
}


def _check_dates(checks: _Checks, context: NcmpContext, year: str | None) -> None:
    # Date values are never put in a message or the report's value column: the report is stored.
    for column, label in (("date_of_birth", "date of birth"), ("date_of_measurement", "date of measurement")):
        for code, text in _DATE_MESSAGES.items():
            checks.where(
                pl.col(f"{column}_problem") == code,
                severity="error",
                check=f"date_{code}",
                column=column,
                value=pl.lit(None, dtype=pl.String),
                message=text.format(label=label),
            )
    both = pl.col("born").is_not_null() & pl.col("measured").is_not_null()
    checks.where(
        both & (pl.col("measured") < pl.col("born")),
        severity="error",
        check="measured_before_birth",
        column="date_of_measurement",
        value=pl.lit(None, dtype=pl.String),
        message="the date of measurement is before the date of birth: check both dates",
    )
    checks.where(
        pl.col("measured") > pl.lit(context.today),
        severity="error",
        check="measured_in_future",
        column="date_of_measurement",
        value=pl.lit(None, dtype=pl.String),
        message=f"the date of measurement is after today ({context.today.day} {context.today:%B %Y}): check it",
    )
    if year is not None:
        first, last = ncmp.academic_year_bounds(year)
        checks.where(
            (pl.col("measured") < pl.lit(first)) | (pl.col("measured") > pl.lit(last)),
            severity="error",
            check="measured_outside_year",
            column="date_of_measurement",
            value=pl.lit(None, dtype=pl.String),
            message=f"the date of measurement is outside academic year {year} ({first.day} {first:%B %Y} to "
            f"{last.day} {last:%B %Y}): check the date or the academic year",
        )
    for group, (low, high) in ncmp.AGE_LIMITS_YEARS.items():
        name = ncmp.SCHOOL_YEAR_NAMES[group]
        checks.where(
            (pl.col("group") == group)
            & (pl.col("measured") >= pl.col("born"))
            & ((pl.col("age_years") < low) | (pl.col("age_years") > high)),
            severity="error",
            check="age_out_of_range",
            column="date_of_birth",
            value=pl.col("age_years").round(1),
            message=pl.format(
                "the child was {} years old when measured: {} children must be {} to {} years old; check "
                "the dates and the year group",
                pl.col("age_years").round(1),
                pl.lit(name),
                pl.lit(f"{low:.1f}"),
                pl.lit(f"{high:.1f}"),
            ),
        )


def _check_measures(checks: _Checks) -> None:
    for column, (low, high), unit, what in (
        ("height_cm", ncmp.HEIGHT_LIMITS_CM, "cm", "height in centimetres"),
        ("weight_kg", ncmp.WEIGHT_LIMITS_KG, "kg", "weight in kilograms"),
    ):
        text = pl.col(column)
        value = pl.col(f"{column}_value")
        checks.where(
            text.is_null(),
            severity="error",
            check="missing_measure",
            column=column,
            message=f"the {what.split(' in ')[0]} is blank: every child measured has a {what}",
        )
        checks.where(
            text.is_not_null() & value.is_null(),
            severity="error",
            check="not_a_number",
            column=column,
            message=pl.format(
                "'{}' is not a number: write the {} as digits, with a decimal point if needed",
                text,
                pl.lit(what),
            ),
        )
        checks.where(
            (value < low) | (value > high),
            severity="error",
            check="measure_out_of_range",
            column=column,
            message=pl.format(
                "{} {} is outside {}-{} {}: check the {}",
                text,
                pl.lit(unit),
                pl.lit(f"{low:g}"),
                pl.lit(f"{high:g}"),
                pl.lit(unit),
                pl.lit(what),
            ),
        )


def _identifier_key(frame: pl.DataFrame, name: str) -> pl.Expr:
    """An identifier compared with spaces and case ignored.

    It is normalised only when the column needs it: a national file's identifiers are usually written one way, and
    normalising 1.2 million strings costs a large share of the load.
    """
    key = pl.col(name)
    column = frame.get_column(name)
    if column.str.contains(" ", literal=True).any():
        key = key.str.replace_all(" ", "", literal=True)
    if name != "nhs_number" and column.str.contains("[a-z]").any():
        key = key.str.to_uppercase()
    return pl.when(key == "").then(None).otherwise(key)


def _duplicates(frame: pl.DataFrame, identifiers: list[str]) -> pl.DataFrame:
    """Add ``duplicate_of`` (the first row of the same child) and ``duplicate_by`` (how it was recognised).

    Keys, in order of preference: each identifier (spaces and case ignored, blanks never match), then the record
    (date of birth, sex, URN, measurement date, height, weight). A 64-bit hash of each key marks the candidate rows
    in one parallel pass over the file; the first row is then found on the key's real values among the candidates
    only, so a hash collision cannot make a duplicate.
    """
    labels = {"nhs_number": "NHS number", "upn": "UPN", "pupil_id": "pupil id"}
    keys: list[tuple[list[pl.Expr], str]] = [
        ([_identifier_key(frame, name)], f"same {labels[name]} as row ") for name in identifiers
    ]
    record = ["born", "sex_code", "urn", "measured", "height_cm_value", "weight_kg_value"]
    keys.append(
        (
            [pl.col(c) for c in record],
            "same date of birth, sex, school, measurement date, height and weight as row ",
        )
    )

    def hashed(exprs: list[pl.Expr]) -> pl.Expr:
        combined = exprs[0].hash(seed=1)
        for position, expr in enumerate(exprs[1:], start=2):
            combined = combined ^ expr.hash(seed=position)
        complete = pl.all_horizontal([e.is_not_null() for e in exprs])
        return complete & combined.is_duplicated()

    masks = frame.select([hashed(exprs).alias(f"_dup{i}") for i, (exprs, _) in enumerate(keys)])
    found = []
    for priority, (exprs, label) in enumerate(keys):
        hits = masks.get_column(f"_dup{priority}")
        if not hits.any():
            continue
        names = [f"_key{i}" for i in range(len(exprs))]
        candidates = frame.filter(hits).select(
            "source_row", *[e.alias(n) for e, n in zip(exprs, names, strict=True)]
        )
        found.append(
            candidates.with_columns(pl.col("source_row").min().over(names).alias("duplicate_of"))
            .filter(pl.col("duplicate_of") < pl.col("source_row"))
            .select(
                "source_row",
                "duplicate_of",
                pl.lit(label).alias("duplicate_by"),
                pl.lit(priority).alias("_p"),
            )
        )
    if not found:
        return frame.with_columns(
            pl.lit(None, dtype=pl.Int64).alias("duplicate_of"),
            pl.lit(None, dtype=pl.String).alias("duplicate_by"),
        )
    chosen = pl.concat(found).sort("_p").unique("source_row", keep="first").drop("_p")
    return frame.join(chosen, on="source_row", how="left", maintain_order="left")


def _by_value(frame: pl.DataFrame, column: str, expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``expr`` (written over ``column``) worked out once per distinct value and mapped back to every row.

    A national file has 1.2 million rows but a few hundred distinct dates and a handful of sexes, year groups and
    academic years: parsing the distinct values only keeps the checks fast. A null stays null.
    """
    values = frame.get_column(column).drop_nulls().unique()
    results = pl.DataFrame({column: values}).select(expr.cast(dtype)).to_series()
    return pl.col(column).replace_strict(values, results, default=None, return_dtype=dtype)


def _blank_is_null(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    return pl.when(text == "").then(pl.lit(None, dtype=pl.String)).otherwise(text)


def _number(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    return pl.when(text.str.contains(_NUMBER)).then(text.cast(pl.Float64, strict=False))


def validate_children(frame: pl.DataFrame, report: Report, context: NcmpContext) -> CheckedNcmp:
    """Check an NCMP child-level return (text rows from :func:`read_ncmp_table`) and type it.

    Every problem is added to ``report``. The identifier columns and the date of birth are used here and are not
    in the rows returned, which are ready to store (:data:`STORED_COLUMNS` and ``source_row``) when there are no
    errors.
    """
    report.rows_read = frame.height
    missing = _check_columns(frame, report, REQUIRED_COLUMNS, ",".join(SCHEMA_COLUMNS))
    if missing or frame.is_empty():
        return CheckedNcmp(report)
    for name, effect in (
        ("lsoa_code", "deprivation decile and home locality will be unknown"),
        ("ethnic_group", "ethnic group will be 'Not stated'"),
    ):
        if name not in frame.columns:
            report.add(
                problem(
                    "warning",
                    "optional_column_missing",
                    f"the file has no {name} column: every child's {effect}; add it, or confirm",
                    column=name,
                )
            )
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    identifiers = [c for c in IDENTIFIER_COLUMNS if c in frame.columns]

    frame = frame.with_columns(
        _by_value(frame, "academic_year", ncmp.academic_year_expr("academic_year"), pl.String).alias(
            "year_value"
        ),
        _by_value(frame, "school_urn", ncmp.urn_expr("school_urn"), pl.String).alias("urn"),
        _by_value(frame, "school_year", ncmp.school_year_expr("school_year"), pl.String).alias("group"),
        _by_value(frame, "sex", ncmp.sex_expr("sex"), pl.String).alias("sex_code"),
        *[
            expr
            for column, name in (("date_of_birth", "born"), ("date_of_measurement", "measured"))
            for expr in (
                _by_value(frame, column, ncmp.date_expr(column), pl.Date).alias(name),
                pl.when(pl.col(column).is_null())
                .then(pl.lit("missing"))
                .otherwise(_by_value(frame, column, ncmp.date_problem_expr(column), pl.String))
                .alias(f"{column}_problem"),
            )
        ],
        *[
            _by_value(frame, c, _number(c), pl.Float64).alias(f"{c}_value")
            for c in ("height_cm", "weight_kg")
        ],
        *[_by_value(frame, c, _blank_is_null(c), pl.String).alias(c) for c in ("height_cm", "weight_kg")],
        _by_value(frame, "lsoa_code", _blank_is_null("lsoa_code").str.to_uppercase(), pl.String).alias(
            "lsoa"
        ),
        _blank_is_null("ethnic_group").is_not_null().alias("_ethnic_given"),
        _by_value(
            frame,
            "ethnic_group",
            _blank_is_null("ethnic_group")
            .str.to_lowercase()
            .replace_strict(_ETHNIC_LOOKUP, default=None, return_dtype=pl.String),
            pl.String,
        ).alias("ethnicity"),
        _by_value(
            frame,
            "date_of_measurement",
            ncmp.date_expr("date_of_measurement").dt.strftime("%Y-%m"),
            pl.String,
        ).alias("month"),
    ).with_columns((pl.col("measured") - pl.col("born")).dt.total_days().alias("age_days"))
    frame = frame.with_columns((pl.col("age_days") / ncmp.DAYS_PER_YEAR).alias("age_years"))

    checks = _Checks(frame)
    year = _check_academic_year(checks)
    _check_codes(checks)
    _check_area_and_ethnicity(checks)
    _check_dates(checks, context, year)
    _check_measures(checks)
    checks.add_to(report)
    if not report.ok:
        return CheckedNcmp(report, year)

    frame = _duplicates(frame, identifiers)
    # Identifiers and the date of birth go here: nothing after this point can see them.
    frame = frame.select(
        "source_row",
        pl.col("urn").alias("school_urn"),
        pl.col("group").alias("school_year"),
        pl.col("sex_code").alias("sex"),
        pl.col("ethnicity").fill_null(NOT_STATED).alias("ethnic_group"),
        pl.col("lsoa").alias("lsoa_code"),
        pl.col("age_days").cast(pl.Int32),
        pl.col("month").alias("measurement_month"),
        pl.col("height_cm_value").alias("height_cm"),
        pl.col("weight_kg_value").alias("weight_kg"),
        "duplicate_of",
        "duplicate_by",
    )
    frame = ncmp.classify(frame, age_method=context.age_method)
    return CheckedNcmp(report, year, _flag(frame, report, context, year))


def _flag(frame: pl.DataFrame, report: Report, context: NcmpContext, year: str) -> pl.DataFrame:
    """Warnings (|z| > 4, |z| > 7, duplicates, unknown LSOAs) and the stored flags."""
    z = pl.col("bmi_z").abs()
    improbable = (z > ncmp.Z_WARN) & (z <= ncmp.Z_EXCLUDE)
    implausible = (z > ncmp.Z_EXCLUDE) | pl.col("bmi_z").is_null()
    unknown_lsoa = pl.col("lsoa_code").is_not_null() & ~pl.col("lsoa_code").is_in(
        context.known_lsoas.implode()
    )
    duplicate = pl.col("duplicate_of").is_not_null()
    frame = frame.with_columns(
        improbable.alias("_improbable"),
        implausible.alias("_implausible"),
        unknown_lsoa.alias("_unknown_lsoa"),
        duplicate.alias("is_duplicate"),
    )
    checks = _Checks(frame)
    z_text = pl.col("bmi_z").round(1).cast(pl.String)
    checks.where(
        pl.col("_improbable"),
        severity="warning",
        check="z_improbable",
        column="weight_kg",
        value=z_text,
        message=pl.format(
            "BMI z-score {} is beyond ±4 (improbable): check the height and weight, or confirm them",
            z_text,
        ),
    )
    checks.where(
        pl.col("_implausible"),
        severity="warning",
        check="z_implausible",
        column="weight_kg",
        value=z_text,
        message=pl.format(
            "BMI z-score {} is beyond ±7 (implausible): if confirmed, the child is excluded from prevalence "
            "and counted in data quality; check the height and weight",
            z_text.fill_null("(none)"),
        ),
    )
    checks.where(
        pl.col("is_duplicate"),
        severity="warning",
        check="duplicate_child",
        column=None,
        value=pl.col("duplicate_of").cast(pl.String),
        message=pl.format(
            "this child appears more than once ({}{}): only the first row is counted; remove the repeat, or "
            "confirm",
            pl.col("duplicate_by"),
            pl.col("duplicate_of"),
        ),
    )
    checks.where(
        pl.col("_unknown_lsoa"),
        severity="warning",
        check="unknown_lsoa",
        column="lsoa_code",
        message=pl.format(
            "'{}' is not an LSOA (2011) code of the IoD2019 lookup (2021 codes are not supported yet): the "
            "child's deprivation decile and home locality will be unknown; check it, or confirm",
            pl.col("lsoa_code"),
        ),
    )
    checks.add_to(report)
    warning_rows = report.warnings.get_column("row").drop_nulls().implode()
    flags = pl.concat_str(
        [
            pl.when(pl.col("_improbable")).then(pl.lit("z beyond 4")),
            pl.when(pl.col("_implausible")).then(pl.lit("z beyond 7")),
            pl.when(pl.col("is_duplicate")).then(pl.lit("duplicate")),
            pl.when(pl.col("_unknown_lsoa")).then(pl.lit("unknown LSOA")),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    return frame.with_columns(
        pl.lit(year).alias("academic_year"),
        pl.col("source_row").is_in(warning_rows).alias("is_warning_row"),
        (pl.col("_implausible") | pl.col("is_duplicate")).alias("is_excluded"),
        pl.when(flags == "").then(None).otherwise(flags).alias("flags"),
        pl.col("severe_obesity").alias("is_severely_obese"),
    ).select(*STORED_COLUMNS, "source_row")


# ---- eligible pupils ------------------------------------------------------------------------------------------


@dataclass
class CheckedEligible:
    """A checked eligible-pupils return."""

    report: Report
    academic_year: str | None = None
    rows: pl.DataFrame | None = (
        None  # academic_year, school_urn, school_name, school_year, eligible_pupils, ...
    )


def validate_eligible(frame: pl.DataFrame, report: Report, localities: list[str]) -> CheckedEligible:
    """Check an eligible-pupils return: one row per school x year group, one academic year per file."""
    report.rows_read = frame.height
    missing = _check_columns(frame, report, ELIGIBLE_COLUMNS, ",".join(ELIGIBLE_COLUMNS))
    if missing or frame.is_empty():
        return CheckedEligible(report)
    pupils = pl.col("eligible_pupils")
    frame = frame.with_columns(
        ncmp.academic_year_expr("academic_year").alias("year_value"),
        ncmp.urn_expr("school_urn").alias("urn"),
        ncmp.school_year_expr("school_year").alias("group"),
        pl.col("locality_code").str.to_uppercase().alias("locality"),
        pl.when(pupils.str.contains(_WHOLE)).then(pupils.cast(pl.Float64, strict=False)).alias("pupils"),
    )
    checks = _Checks(frame)
    year = _check_academic_year(checks)
    _check_school(checks)
    checks.where(
        pl.col("school_name").is_null(),
        severity="error",
        check="missing_school_name",
        column="school_name",
        message="the school name is blank: give the school's name",
    )
    checks.where(
        pl.col("pupils").is_null(),
        severity="error",
        check="bad_eligible_pupils",
        column="eligible_pupils",
        message=pl.format(
            "'{}' is not a number of pupils: write a whole number (0 or more)",
            pupils.fill_null(""),
        ),
    )
    checks.where(
        pl.col("locality").is_null() | ~pl.col("locality").is_in(localities),
        severity="error",
        check="unknown_locality",
        column="locality_code",
        message=pl.format(
            "'{}' is not one of the council's localities: use {}",
            pl.col("locality_code").fill_null(""),
            pl.lit(", ".join(localities)),
        ),
    )
    key = ["urn", "group"]
    checks.where(
        pl.col("urn").is_not_null() & pl.col("group").is_not_null() & pl.struct(key).is_duplicated(),
        severity="error",
        check="duplicate_school",
        column="school_urn",
        message=pl.format(
            "school {} year group {} appears more than once: give one row per school and year group",
            pl.col("urn"),
            pl.col("group"),
        ),
    )
    checks.add_to(report)
    if not report.ok:
        return CheckedEligible(report, year)
    rows = frame.select(
        pl.lit(year).alias("academic_year"),
        pl.col("urn").alias("school_urn"),
        "school_name",
        pl.col("group").alias("school_year"),
        pl.col("pupils").cast(pl.Int32).alias("eligible_pupils"),
        pl.col("locality").alias("locality_code"),
        "source_row",
    )
    return CheckedEligible(report, year, rows)


# ---- classification of an analyst's file (hcp ncmp classify) ------------------------------------------------------


def classify_file(data: bytes, file_name: str, *, age_method: str = "exact") -> tuple[bytes, str]:
    """Classify an analyst's file of children: CSV bytes out, and a one-line summary. Nothing is stored.

    The output is the file's own columns plus ``age_years, bmi, bmi_z, bmi_category, severe_obesity, problem``.

    Method: as the loader (:mod:`kpi.ncmp.rules`): sex M/F (male/female, 1/2 read), dates ISO or DD/MM/YYYY; age from
    ``age_days``, else ``age_years``, else ``date_of_birth`` and ``date_of_measurement``; UK90 LMS z-score and
    population-monitoring category (:func:`kpi.ncmp.rules.classify`). A row that cannot be classified keeps blank results
    and says why in ``problem``. Cells that a spreadsheet would run as formulas are escaped.

    Raises:
        ReadError: the file cannot be read. ValueError: a needed column is missing (all are named).
    """
    from kpi.core.charts import safe_csv

    frame = read_ncmp_table(data, file_name, keep=None).frame
    missing = [c for c in ("sex", "height_cm", "weight_kg") if c not in frame.columns]
    has_dates = {"date_of_birth", "date_of_measurement"} <= set(frame.columns)
    if not ({"age_days", "age_years"} & set(frame.columns)) and not has_dates:
        missing.append("age_days, age_years, or date_of_birth and date_of_measurement")
    if missing:
        raise ValueError(f"{file_name} cannot be classified: it needs the column(s) {'; '.join(missing)}")
    work = frame.with_columns(
        _by_value(frame, "sex", ncmp.sex_expr("sex"), pl.String).alias("_sex"),
        *[_by_value(frame, c, _number(c), pl.Float64).alias(f"_{c}") for c in ("height_cm", "weight_kg")],
    )
    if "age_days" in frame.columns:
        work = work.with_columns(
            (_by_value(frame, "age_days", _number("age_days"), pl.Float64) / 365.25).alias("_age")
        )
        age_problem = pl.lit("age_days is not a number of days")
    elif "age_years" in frame.columns:
        work = work.with_columns(
            _by_value(frame, "age_years", _number("age_years"), pl.Float64).alias("_age")
        )
        age_problem = pl.lit("age_years is not a number")
    else:
        born = _by_value(frame, "date_of_birth", ncmp.date_expr("date_of_birth"), pl.Date)
        measured = _by_value(frame, "date_of_measurement", ncmp.date_expr("date_of_measurement"), pl.Date)
        work = work.with_columns(((measured - born).dt.total_days() / ncmp.DAYS_PER_YEAR).alias("_age"))
        age_problem = pl.lit("a date is missing or not written as DD/MM/YYYY or YYYY-MM-DD")
    heights, weights = pl.col("_height_cm"), pl.col("_weight_kg")
    ok = pl.col("_sex").is_not_null() & pl.col("_age").is_not_null() & (heights > 0) & (weights > 0)
    work = work.with_columns(ok.fill_null(False).alias("_ok"))
    z = ncmp.bmi_zscore(
        work["_sex"].fill_null("M"),
        work["_age"],
        work["_weight_kg"] / (work["_height_cm"] / 100) ** 2,
        age_method=age_method,
    )
    work = work.with_columns(pl.when(pl.col("_ok")).then(z).alias("bmi_z"))
    problem = (
        pl.when(pl.col("_sex").is_null())
        .then(pl.lit("sex is not M or F"))
        .when(pl.col("_age").is_null())
        .then(age_problem)
        .when(~(heights > 0).fill_null(False) | ~(weights > 0).fill_null(False))
        .then(pl.lit("height_cm and weight_kg must be positive numbers"))
        .when(pl.col("bmi_z").is_null())
        .then(pl.lit("age outside the UK90 table (4 to 20 years)"))
    )
    out = work.with_columns(
        pl.col("_age").round(4).alias("age_years"),
        pl.when(pl.col("_ok")).then(weights / (heights / 100) ** 2).alias("bmi"),
        ncmp.bmi_category(work["bmi_z"]).alias("bmi_category"),
        ncmp.is_severely_obese(work["bmi_z"]).alias("severe_obesity"),
        problem.alias("problem"),
    )
    added = ["age_years", "bmi", "bmi_z", "bmi_category", "severe_obesity", "problem"]
    out = out.select([c for c in frame.columns if c != "source_row" and c not in added] + added)
    trouble = int(out["problem"].is_not_null().sum())
    summary = (
        f"classified {out.height - trouble} of {out.height} children ({trouble} could not be classified)"
    )
    return safe_csv(out), summary
