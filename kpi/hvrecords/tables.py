"""A CSDS submission's separate tables, recognised and joined into the extract's rows (docs/methods.md section 10).

A provider may load the tables of its CSDS v1.6 submission as they come (CYP001 person, CYP101 referral, CYP201
care contact, CYP202 care activity, CYP610 breastfeeding status, CYP612 coded assessment, CYP901 staff) instead of
one joined extract. Each file is recognised by its name (``CYP201...``) or else by its header; the tables are
joined on their CSDS keys (CYP202 -> CYP201 on CareContactID -> CYP001 on LocalPatientID, or through CYP101 on
ServiceRequestID; CYP610 and CYP612 -> CYP202 on CareActivityID; CYP202 -> CYP901 on CareProfessionalID_Local)
into one row per care activity, each carrying the table row its fields came from, so that every later check names
the table file and its own row. Breastfeeding status is read from CYP202's coded finding or observation (SNOMED CT)
first, then from CYP610, as NHS England derives it; CYP612's ASQ-3 rows (one per domain, by SNOMED CT code) become
the questionnaire and the five domain scores. :func:`contact_grain` then keeps one row per care contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from kpi.hvrecords import schema as hv
from kpi.ingest.report import Report, problem, problems_where


@dataclass(frozen=True)
class Table:
    """One CSDS table: its code, name, columns (as normalised headers), keys and the columns that recognise it."""

    code: str
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    signature: frozenset[str]


CHILD = ("localpatientid", "dateofbirth", "gender", "ethniccategory", "lsoa2011", "lsoa2021", "dateofdeath")
REFERRAL = ("referralrequest_receiveddate", "discharge_date")
CONTACT = ("contact_date", "consmechanism", "activity_locationtype", "attendancestatus")
TABLES = {
    t.code: t
    for t in (
        Table("CYP001", "CYP001MPI", CHILD + REFERRAL, ("localpatientid", "dateofbirth"), frozenset()),
        Table(
            "CYP101",
            "CYP101Referral",
            ("servicerequestid", "localpatientid", *REFERRAL),
            ("servicerequestid", "localpatientid"),
            frozenset({"servicerequestid", "referralrequest_receiveddate"}),
        ),
        Table(
            "CYP201",
            "CYP201CareContact",
            ("carecontactid", "localpatientid", "servicerequestid", *CONTACT),
            ("carecontactid", "contact_date"),
            frozenset({"carecontactid", "contact_date"}),
        ),
        Table(
            "CYP202",
            "CYP202CareActivity",
            ("careactivityid", "carecontactid", "activity_type", "careprofessionalid_local")
            + ("codedfinding", "codedobservation"),
            ("careactivityid", "carecontactid"),
            frozenset({"careactivityid", "carecontactid"}),
        ),
        Table(
            "CYP610",
            "CYP610BreastfeedingStatus",
            ("careactivityid", "breastfeedingstatus"),
            ("careactivityid", "breastfeedingstatus"),
            frozenset({"careactivityid", "breastfeedingstatus"}),
        ),
        Table(
            "CYP612",
            "CYP612CodedAssessmentContact",
            ("careactivityid", "snomed_id", "score"),
            ("careactivityid", "snomed_id", "score"),
            frozenset({"careactivityid", "snomed_id"}),
        ),
        Table(
            "CYP901",
            "CYP901StaffDetails",
            ("careprofessionalid_local", "practitioner_role", "staffgroup"),
            ("careprofessionalid_local",),
            frozenset({"careprofessionalid_local"}),
        ),
    )
}
#: Every column a table file may hold (a mapping file may rename an extract's headers to any of them).
TABLE_COLUMNS = tuple(dict.fromkeys(c for t in TABLES.values() for c in t.columns))


def table_of(file_name: str, columns: list[str]) -> str | None:
    """The CSDS table a file holds: by its name (``CYP201_ZZ1.csv``), else by its header; None: the joined extract.

    Example:
        >>> table_of("contacts.csv", ["carecontactid", "contact_date", "localpatientid"])
        'CYP201'
        >>> table_of("CYP001_ZZ1.csv", ["localpatientid", "dateofbirth"])
        'CYP001'
        >>> table_of("extract.csv", ["localpatientid", "dateofbirth", "carecontactid", "contact_date"]) is None
        True
        >>> table_of("extract.csv", ["dateofbirth", "carecontactid", "contact_date"]) is None  # no id: still joined
        True

    """
    named = re.search(r"cyp(\d{3})", file_name.lower())
    if named and f"CYP{named.group(1)}" in TABLES:
        return f"CYP{named.group(1)}"
    have = set(columns)
    if "dateofbirth" in have:
        return None  # the joined extract (or a person table given alone, which reads the same)
    for code, table in TABLES.items():
        if table.signature and table.signature <= have:
            return code
    return None


def is_table_form(parts: list[tuple[str, list[str]]]) -> bool:
    """Whether the files are a submission's separate tables (any file other than a joined extract)."""
    return any(table_of(name, columns) is not None for name, columns in parts)


def _problem(
    report: Report, frame: pl.DataFrame, mask: pl.Expr, check: str, column: str, file: str, text: str
):
    report.add(
        problems_where(
            frame,
            mask,
            severity="error",
            check=check,
            column=f"{column} in {file}",
            message=text,
            value=pl.lit(None, dtype=pl.String),
        )
    )


def _trim(frame: pl.DataFrame, columns) -> pl.DataFrame:
    present = [c for c in columns if c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    text = [pl.col(c).cast(pl.String).str.strip_chars() for c in present]
    return frame.with_columns(
        *(pl.when(t == "").then(None).otherwise(t).alias(c) for t, c in zip(text, present, strict=True)),
        *(pl.lit(None, dtype=pl.String).alias(c) for c in missing),
    )


@dataclass
class Tables:
    """The files recognised as tables: CSDS code -> (file name, its rows, trimmed, with ``source_row``)."""

    frames: dict[str, tuple[str, pl.DataFrame]]

    def file(self, code: str) -> str:
        """The file a table was read from."""
        return self.frames[code][0]

    def frame(self, code: str) -> pl.DataFrame | None:
        """A table's rows (None: not given)."""
        return self.frames[code][1] if code in self.frames else None


def gather(named_frames: list[tuple[str, pl.DataFrame]], report: Report) -> Tables | None:
    """Recognise each file's table and check its columns: the tables, or None (problems in ``report``)."""
    frames: dict[str, tuple[str, pl.DataFrame]] = {}
    for name, frame in named_frames:
        columns = [c for c in frame.columns if c != "source_row"]
        code = table_of(name, columns) or "CYP001"
        table = TABLES[code]
        if code in frames:
            report.add(
                problem(
                    "error",
                    "table_twice",
                    f"{name} and {frames[code][0]} are both {table.name} tables: give each CSDS table once "
                    "(join monthly files of one table into one file)",
                )
            )
            continue
        for column in table.required:
            if column not in frame.columns:
                report.add(
                    problem(
                        "error",
                        "missing_column",
                        f"the column '{column}' is missing from {name} ({table.name}): add it, or map the "
                        f"file's column to it with a mapping file (--mapping); the table's columns are "
                        + ", ".join(table.columns),
                    )
                )
        frames[code] = (name, _trim(frame, table.columns))
    if "CYP001" not in frames:
        report.add(
            problem(
                "error",
                "missing_table",
                "no CYP001MPI (person) table was given: add the file with LocalPatientID and DateOfBirth",
            )
        )
    if "CYP201" not in frames and any(c in frames for c in ("CYP202", "CYP610", "CYP612")):
        report.add(
            problem("error", "missing_table", "care activities were given without the CYP201 care contacts")
        )
    return Tables(frames) if report.ok else None


def _keys(tables: Tables, report: Report) -> None:
    """Blank and duplicated keys, each row named (the key's value is not repeated: it may identify a child)."""
    keys = {
        "CYP001": ("localpatientid",),
        "CYP101": ("servicerequestid",),
        "CYP201": ("carecontactid",),
        "CYP202": ("careactivityid",),
        "CYP610": ("careactivityid",),
        "CYP612": ("careactivityid", "snomed_id"),
        "CYP901": ("careprofessionalid_local",),
    }
    for code, (name, frame) in tables.frames.items():
        key = keys[code]
        label = TABLES[code].name
        _problem(
            report,
            frame,
            pl.any_horizontal(pl.col(c).is_null() for c in key),
            "blank_key",
            key[0],
            name,
            f"the {label} key ({', '.join(key)}) is blank: every row needs it",
        )
        _problem(
            report,
            frame,
            pl.all_horizontal(pl.col(c).is_not_null() for c in key) & pl.struct(key).is_duplicated(),
            "duplicate_key",
            key[0],
            name,
            f"another row of {label} has the same {', '.join(key)}: give each row its own key "
            "(the value is not repeated here)",
        )


def _orphans(tables: Tables, report: Report) -> None:
    """Rows whose parent row is missing: a contact with no person, an activity with no contact..."""
    links = [
        ("CYP101", "localpatientid", "CYP001", "localpatientid", "a referral of a person not in"),
        ("CYP202", "carecontactid", "CYP201", "carecontactid", "an activity of a care contact not in"),
        (
            "CYP610",
            "careactivityid",
            "CYP202",
            "careactivityid",
            "a breastfeeding status of an activity not in",
        ),
        ("CYP612", "careactivityid", "CYP202", "careactivityid", "an assessment of an activity not in"),
    ]
    contacts = tables.frame("CYP201")
    if contacts is not None:
        by_person = contacts["localpatientid"].is_not_null().any() or "CYP101" not in tables.frames
        if by_person:
            links.insert(
                1, ("CYP201", "localpatientid", "CYP001", "localpatientid", "a contact of a person not in")
            )
        else:
            links.insert(1, ("CYP201", "servicerequestid", "CYP101", "servicerequestid", "a contact not in"))
    for child, column, parent, key, what in links:
        rows, known = tables.frame(child), tables.frame(parent)
        if rows is None or known is None:
            continue
        known_keys = known[key].drop_nulls().unique()
        _problem(
            report,
            rows,
            pl.col(column).is_not_null() & ~pl.col(column).is_in(known_keys.implode()),
            "orphan_row",
            column,
            tables.file(child),
            f"{what} {TABLES[parent].name} ({tables.file(parent)}): give the missing row or remove this one",
        )


def _referrals(tables: Tables) -> pl.DataFrame | None:
    """Per person: the earliest referral received and the latest discharge (blank while any referral is open)."""
    referrals = tables.frame("CYP101")
    if referrals is None:
        return None
    return referrals.group_by("localpatientid").agg(
        pl.col("referralrequest_receiveddate").sort_by("source_row").first().alias("_start"),
        pl.when(pl.col("discharge_date").is_null().any())
        .then(None)
        .otherwise(pl.col("discharge_date").sort_by("source_row").last())
        .first()
        .alias("_end"),
        pl.col("source_row").min().alias("_r_CYP101"),
    )


def _activities(tables: Tables, report: Report) -> pl.DataFrame | None:
    """CYP202 rows with their breastfeeding status, ASQ-3 scores and practitioner category (and source rows)."""
    activities = tables.frame("CYP202")
    if activities is None:
        return None
    coded = pl.coalesce(
        *(
            pl.col(c).replace_strict(hv.BREASTFEEDING_SNOMED, default=None, return_dtype=pl.String)
            for c in ("codedfinding", "codedobservation")
        )
    )
    out = activities.select(
        "careactivityid",
        "carecontactid",
        "activity_type",
        "careprofessionalid_local",
        coded.alias("_coded_bf"),
        pl.col("source_row").alias("_r_CYP202"),
    )
    statuses = tables.frame("CYP610")
    if statuses is not None:
        statuses = statuses.unique("careactivityid", keep="first").select(
            "careactivityid", "breastfeedingstatus", pl.col("source_row").alias("_r_CYP610")
        )
        out = out.join(statuses, on="careactivityid", how="left")
    else:
        out = out.with_columns(
            pl.lit(None, dtype=pl.String).alias("breastfeedingstatus"),
            pl.lit(None, dtype=pl.Int64).alias("_r_CYP610"),
        )
    out = out.with_columns(
        pl.coalesce("_coded_bf", "breastfeedingstatus").alias("breastfeedingstatus"),
        pl.when(pl.col("_coded_bf").is_null()).then(pl.col("_r_CYP610")).alias("_r_CYP610"),
    ).drop("_coded_bf")
    out = out.join(_asq(tables, report), on="careactivityid", how="left")
    return out.join(_staff(tables), on="careprofessionalid_local", how="left")


def _asq(tables: Tables, report: Report) -> pl.DataFrame:
    """CYP612's ASQ-3 rows as one row per activity: the questionnaire and each domain's score and source row."""
    columns = ["asq3_questionnaire", *(f"asq3_{d}" for d in hv.ASQ_DOMAINS)]
    rows = tables.frame("CYP612")
    empty = pl.DataFrame(schema={"careactivityid": pl.String, **dict.fromkeys(columns, pl.String)})
    empty = empty.with_columns(pl.lit(None, dtype=pl.Int64).alias(f"_r_asq3_{d}") for d in hv.ASQ_DOMAINS)
    if rows is None:
        return empty
    codes = pl.col("snomed_id")
    asq = rows.filter(codes.is_in(list(hv.ASQ_SNOMED))).with_columns(
        codes.replace_strict({k: v[0] for k, v in hv.ASQ_SNOMED.items()}).alias("months"),
        codes.replace_strict({k: v[1] for k, v in hv.ASQ_SNOMED.items()}).alias("domain"),
    )
    if asq.is_empty():
        return empty
    _problem(
        report,
        asq,
        pl.col("months").n_unique().over("careactivityid") > 1,
        "asq_questionnaires_differ",
        "snomed_id",
        tables.file("CYP612"),
        "this activity's ASQ-3 domains come from different questionnaires (24, 27, 30 months): give one",
    )
    pivot = asq.group_by("careactivityid").agg(
        pl.col("months").sort_by("source_row").first().alias("asq3_questionnaire"),
        *(
            pl.col(name).filter(pl.col("domain") == d).first().alias(alias)
            for d in hv.ASQ_DOMAINS
            for name, alias in (("score", f"asq3_{d}"), ("source_row", f"_r_asq3_{d}"))
        ),
    )
    return pivot.select(empty.columns).cast(empty.schema)


def _staff(tables: Tables) -> pl.DataFrame:
    staff = tables.frame("CYP901")
    if staff is None:
        return pl.DataFrame(
            schema={
                "careprofessionalid_local": pl.String,
                "practitioner_role": pl.String,
                "_r_CYP901": pl.Int64,
            }
        )
    return staff.unique("careprofessionalid_local", keep="first").select(
        "careprofessionalid_local", "practitioner_role", pl.col("source_row").alias("_r_CYP901")
    )


def joined_rows(tables: Tables, report: Report) -> pl.DataFrame:
    """The tables joined into the extract's rows, one per care activity, each with its fields' table rows.

    A contact without activities and a person without contacts have one row each; ``_r_<table>`` holds the table
    row each field came from. Key and link problems are added to ``report``; the rows are joined all the same,
    so that the values are checked too (every problem at once).
    """
    _keys(tables, report)
    _orphans(tables, report)
    activities = _activities(tables, report)  # rows whose parent is missing drop out of the joins below
    people = tables.frame("CYP001").select(*CHILD, *REFERRAL, pl.col("source_row").alias("_r_CYP001"))
    referrals = _referrals(tables)
    if referrals is not None:
        people = (
            people.join(referrals, on="localpatientid", how="left")
            .with_columns(
                pl.coalesce("_start", "referralrequest_receiveddate").alias("referralrequest_receiveddate"),
                pl.when(pl.col("_r_CYP101").is_not_null())
                .then(pl.col("_end"))
                .otherwise(pl.col("discharge_date"))
                .alias("discharge_date"),
            )
            .drop("_start", "_end")
        )
    contacts = tables.frame("CYP201")
    if contacts is None:
        rows = people
    else:
        contacts = contacts.select(
            "carecontactid",
            "localpatientid",
            "servicerequestid",
            *CONTACT,
            pl.col("source_row").alias("_r_CYP201"),
        )
        if contacts["localpatientid"].is_null().all() and tables.frame("CYP101") is not None:
            link = tables.frame("CYP101").select(
                "servicerequestid", pl.col("localpatientid").alias("_person")
            )
            contacts = (
                contacts.join(link, on="servicerequestid", how="left")
                .with_columns(pl.coalesce("localpatientid", "_person").alias("localpatientid"))
                .drop("_person")
            )
        contacts = contacts.drop("servicerequestid")
        if activities is not None:
            contacts = contacts.join(activities, on="carecontactid", how="left")
        rows = people.join(contacts, on="localpatientid", how="left")
    rows = rows.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in hv.SCHEMA_COLUMNS if c not in rows.columns
    )
    origin = [c for c in rows.columns if c.startswith("_r_")]
    return (
        rows.select(*hv.SCHEMA_COLUMNS, *origin)
        .with_row_index("source_row", offset=1)
        .with_columns(pl.col("source_row").cast(pl.Int64))
    )
