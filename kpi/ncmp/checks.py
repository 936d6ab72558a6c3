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
checked in seconds; the rules are those of :mod:`kpi.ncmp.rules`, declared as the tables of
:mod:`kpi.ncmp.rule_tables` and evaluated by :func:`kpi.ingest.rules.check_rules`. Reading is :mod:`kpi.ncmp.read`. Errors stop the load; warnings stop it unless confirmed
with a reason. Messages never repeat a date of birth (or any date) so the stored report holds no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from kpi.core import deprivation
from kpi.ingest.report import Report
from kpi.ingest.rules import check_rules
from kpi.ncmp import rule_tables as checks
from kpi.ncmp import rules as ncmp
from kpi.ncmp.read import MappingError, NcmpTable, normalise_header, read_mapping, read_ncmp_table
from kpi.ncmp.schema import (
    DATASET,
    ELIGIBLE_COLUMNS,
    ELIGIBLE_DATASET,
    ETHNIC_GROUPS,
    ETHNIC_LOOKUP,
    IDENTIFIER_COLUMNS,
    LSOA_PATTERN,
    MAX_NCMP_BYTES,
    NOT_STATED,
    NUMBER_PATTERN,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SCHEMA_COLUMNS,
    STORED_COLUMNS,
    WHOLE_PATTERN,
)

__all__ = [
    "DATASET",
    "ELIGIBLE_COLUMNS",
    "ELIGIBLE_DATASET",
    "ETHNIC_GROUPS",
    "IDENTIFIER_COLUMNS",
    "LSOA_PATTERN",
    "MAX_NCMP_BYTES",
    "NOT_STATED",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SCHEMA_COLUMNS",
    "STORED_COLUMNS",
    "CheckedEligible",
    "CheckedNcmp",
    "MappingError",
    "NcmpContext",
    "NcmpTable",
    "classify_file",
    "normalise_header",
    "read_mapping",
    "read_ncmp_table",
    "validate_children",
    "validate_eligible",
]


# ---- the child-level return ---------------------------------------------------------------------------------


@dataclass
class NcmpContext:
    """What a child-level return is checked against."""

    council_code: str
    today: date
    known_lsoas: pl.Series  # LSOA codes of either vintage (2011: IoD2019, 2021: IoD2025)
    age_method: str = "exact"
    #: index_code, lsoa_code, code_vintage, differing_deciles of the codes whose matching LSOAs on an index differ
    #: in decile (kpi.core.deprivation.lsoa_deciles), and the first academic year on IoD2025
    split_lsoas: pl.DataFrame | None = None
    iod2025_from_year: str = "2025/26"


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
        report.add(checks.MISSING_COLUMN.one(column=name, name=name, header=header))
    if frame.is_empty():
        report.add(checks.EMPTY.one())
    return missing


def _academic_year(frame: pl.DataFrame) -> tuple[str | None, list, dict]:
    """The file's academic year (normalised) when it holds exactly one, its rules, and their parameters."""
    counts = frame.get_column("year_value").drop_nulls().value_counts(sort=True)
    if counts.height == 0:
        return None, [*checks.YEAR_RULES], {}
    main = counts["year_value"][0]
    if counts.height == 1:
        return main, [*checks.YEAR_RULES], {}
    years = sorted(counts["year_value"].to_list())
    params = {"main": main, "count": len(years), "years": ", ".join(years)}
    return None, [*checks.YEAR_RULES, checks.SEVERAL_YEARS], params


def _date_params(context: NcmpContext, year: str | None) -> dict:
    today = context.today
    params: dict = {"today_date": today, "today": f"{today.day} {today:%B %Y}"}
    if year is not None:
        first, last = ncmp.academic_year_bounds(year)
        params.update(
            year=year,
            first_date=first,
            last_date=last,
            first=f"{first.day} {first:%B %Y}",
            last=f"{last.day} {last:%B %Y}",
        )
    return params


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


def _by_value(frame: pl.DataFrame | _Distinct, column: str, expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``expr`` (written over ``column``) worked out once per distinct value and mapped back to every row.

    A national file has 1.2 million rows but a few hundred distinct dates and a handful of sexes, year groups and
    academic years: parsing the distinct values only keeps the checks fast. A null stays null. Given a
    :class:`_Distinct`, a column's distinct values are found once, however many expressions read them.
    """
    values = (
        frame.values(column)
        if isinstance(frame, _Distinct)
        else frame.get_column(column).drop_nulls().unique()
    )
    results = pl.DataFrame({column: values}).select(expr.cast(dtype)).to_series()
    return pl.col(column).replace_strict(values, results, default=None, return_dtype=dtype)


class _Distinct:
    """The distinct non-null values of each column of one frame, found once per column however often asked."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._values: dict[str, pl.Series] = {}

    def get_column(self, column: str) -> pl.Series:
        """The column itself (as a frame's ``get_column``)."""
        return self.frame.get_column(column)

    def values(self, column: str) -> pl.Series:
        if column not in self._values:
            self._values[column] = self.frame.get_column(column).drop_nulls().unique()
        return self._values[column]


def _blank_is_null(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    return pl.when(text == "").then(pl.lit(None, dtype=pl.String)).otherwise(text)


def _number(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    return pl.when(text.str.contains(NUMBER_PATTERN)).then(text.cast(pl.Float64, strict=False))


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
            report.add(checks.OPTIONAL_COLUMN_MISSING.one(column=name, name=name, effect=effect))
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    identifiers = [c for c in IDENTIFIER_COLUMNS if c in frame.columns]

    frame = _typed(frame)

    year, year_rules, params = _academic_year(frame)
    params |= _date_params(context, year) | {"known_lsoas": context.known_lsoas}
    check_rules(frame, [*year_rules, *checks.CHILD_RULES], report, params)
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


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    """The text columns parsed, each distinct value once (nulls where a value is bad).

    Adds the academic year, URN, school year, sex, dates, height, weight, LSOA, ethnic group, measurement month
    and the age in days and years.
    """
    distinct = _Distinct(frame)
    frame = frame.with_columns(
        _by_value(distinct, "academic_year", ncmp.academic_year_expr("academic_year"), pl.String).alias(
            "year_value"
        ),
        _by_value(distinct, "school_urn", ncmp.urn_expr("school_urn"), pl.String).alias("urn"),
        _by_value(distinct, "school_year", ncmp.school_year_expr("school_year"), pl.String).alias("group"),
        _by_value(distinct, "sex", ncmp.sex_expr("sex"), pl.String).alias("sex_code"),
        *[
            expr
            for column, name in (("date_of_birth", "born"), ("date_of_measurement", "measured"))
            for expr in (
                _by_value(distinct, column, ncmp.date_expr(column), pl.Date).alias(name),
                pl.when(pl.col(column).is_null())
                .then(pl.lit("missing"))
                .otherwise(_by_value(distinct, column, ncmp.date_problem_expr(column), pl.String))
                .alias(f"{column}_problem"),
            )
        ],
        *[
            _by_value(distinct, c, _number(c), pl.Float64).alias(f"{c}_value")
            for c in ("height_cm", "weight_kg")
        ],
        *[_by_value(distinct, c, _blank_is_null(c), pl.String).alias(c) for c in ("height_cm", "weight_kg")],
        _by_value(distinct, "lsoa_code", _blank_is_null("lsoa_code").str.to_uppercase(), pl.String).alias(
            "lsoa"
        ),
        _blank_is_null("ethnic_group").is_not_null().alias("_ethnic_given"),
        _by_value(
            distinct,
            "ethnic_group",
            _blank_is_null("ethnic_group")
            .str.to_lowercase()
            .replace_strict(ETHNIC_LOOKUP, default=None, return_dtype=pl.String),
            pl.String,
        ).alias("ethnicity"),
        _by_value(
            distinct,
            "date_of_measurement",
            ncmp.date_expr("date_of_measurement").dt.strftime("%Y-%m"),
            pl.String,
        ).alias("month"),
    ).with_columns((pl.col("measured") - pl.col("born")).dt.total_days().alias("age_days"))
    frame = frame.with_columns((pl.col("age_days") / ncmp.DAYS_PER_YEAR).alias("age_years"))
    return frame


def _flag(frame: pl.DataFrame, report: Report, context: NcmpContext, year: str) -> pl.DataFrame:
    """Warnings (|z| > 4, |z| > 7, duplicates, LSOAs split across deciles) and the stored flags."""
    z = pl.col("bmi_z").abs()
    improbable = (z > ncmp.Z_WARN) & (z <= ncmp.Z_EXCLUDE)
    implausible = (z > ncmp.Z_EXCLUDE) | pl.col("bmi_z").is_null()
    duplicate = pl.col("duplicate_of").is_not_null()
    frame = _split_deciles(frame, context, year)
    frame = frame.with_columns(
        improbable.alias("_improbable"),
        implausible.alias("_implausible"),
        duplicate.alias("is_duplicate"),
    )
    check_rules(frame, checks.FLAG_RULES, report)
    warning_rows = report.warnings.get_column("row").drop_nulls().implode()
    flags = pl.concat_str(
        [
            pl.when(pl.col("_improbable")).then(pl.lit("z beyond 4")),
            pl.when(pl.col("_implausible")).then(pl.lit("z beyond 7")),
            pl.when(pl.col("is_duplicate")).then(pl.lit("duplicate")),
            pl.when(pl.col("_split_deciles").is_not_null()).then(pl.lit("LSOA split across deciles")),
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


def _split_deciles(frame: pl.DataFrame, context: NcmpContext, year: str) -> pl.DataFrame:
    """Add the year's index and the deciles a code of the other vintage matches when they differ (section 7.1)."""
    index = deprivation.index_of_year(year, context.iod2025_from_year) if year else deprivation.IOD2019
    return deprivation.with_split_deciles(frame, context.split_lsoas, index)


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
        pl.when(pupils.str.contains(WHOLE_PATTERN))
        .then(pupils.cast(pl.Float64, strict=False))
        .alias("pupils"),
    )
    year, year_rules, params = _academic_year(frame)
    params |= {"locality_codes": localities, "localities": ", ".join(localities)}
    check_rules(frame, [*year_rules, *checks.SCHOOL_RULES, *checks.ELIGIBLE_RULES], report, params)
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
