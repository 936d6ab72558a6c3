"""The health visiting records' checks, declared: one :class:`kpi.ingest.rules.Rule` per check and message.

Row checks run over the extract's rows with the typed columns :mod:`kpi.hvrecords.checks` adds (``born``,
``start``, ``end``, ``died``, ``contact``, ``lsoa``, ``ethnic``, the codes, and ``lsoa_ok`` and
``activity_locationtype_ok``: whether the code fits its pattern, read once per distinct cell). No message repeats a person id, a date
or an LSOA (the report is shown, downloaded and stored); the list in docs/formats/hv-records.md is
:data:`ALL_RULES` (docs/methods.md section 10).
"""

from __future__ import annotations

import polars as pl

from kpi.hvrecords import schema as hv
from kpi.ingest.rules import Rule

_NO_VALUE = pl.lit(None, dtype=pl.String)


def blank(column: str) -> pl.Expr:
    """A cell that is empty (the checks trim every cell first)."""
    return pl.col(column).is_null()


FILE_RULES = (
    Rule(
        "missing_column",
        "error",
        None,
        None,
        "the column '{name}' is missing: add it, or map the extract's column to it with a mapping file "
        "(--mapping); the extract's columns are {header}",
    ),
    Rule("empty", "error", None, None, "the file has a header but no data rows: add the children's rows"),
)
MISSING_COLUMN, EMPTY = FILE_RULES


def _date_rule(column: str, what: str, required: bool = False) -> Rule:
    problem = pl.col(f"{column}_problem")
    when = problem.is_not_null() if required else problem.is_not_null() & (problem != "missing")
    return Rule(
        "bad_date",
        "error",
        column,
        when,
        f"the {what} is {{why}}: write dates as YYYY-MM-DD (the date is not repeated here)",
        args={
            "why": problem.replace_strict(
                {
                    "missing": "blank",
                    "us_style": "month/day order (US style)",
                    "two_digit_year": "written with a two-digit year",
                    "bad_format": "not a date",
                    "impossible": "not a real day",
                },
                default="not a date",
                return_dtype=pl.String,
            )
        },
        value=_NO_VALUE,
    )


DATE_RULES = (
    _date_rule("dateofbirth", "date of birth", required=True),
    _date_rule("referralrequest_receiveddate", "responsibility start (referral received date)"),
    _date_rule("discharge_date", "responsibility end (discharge date)"),
    _date_rule("dateofdeath", "date of death"),
    _date_rule("contact_date", "contact date"),
)

_CONTACT_FIELDS = [c for c in hv.CONTACT_COLUMNS if c not in ("contact_date", "carecontactid")]

ROW_RULES = (
    Rule(
        "missing_person_id",
        "error",
        "localpatientid",
        blank("localpatientid"),
        "the pseudonymised person id (LocalPatientId) is blank: every row must name its child",
        value=_NO_VALUE,
    ),
    Rule(
        "born_in_future",
        "error",
        "dateofbirth",
        pl.col("born") > pl.col("today"),
        "the date of birth is after today: check the date",
        value=_NO_VALUE,
    ),
    Rule(
        "death_before_birth",
        "error",
        "dateofdeath",
        pl.col("died") < pl.col("born"),
        "the date of death is before the date of birth: check both dates",
        value=_NO_VALUE,
    ),
    Rule(
        "end_before_start",
        "error",
        "discharge_date",
        pl.col("end") < pl.col("start"),
        "the discharge date is before the referral received date: check both dates",
        value=_NO_VALUE,
    ),
    Rule(
        "contact_out_of_range",
        "error",
        "contact_date",
        (pl.col("contact") < pl.col("born") - pl.duration(days=300)) | (pl.col("contact") > pl.col("today")),
        "the contact date is more than 300 days before the child's birth or after today: check the date",
        value=_NO_VALUE,
    ),
    Rule(
        "contact_after_death",
        "error",
        "contact_date",
        pl.col("contact") > pl.col("died"),
        "the contact is dated after the child's date of death: check both dates",
        value=_NO_VALUE,
    ),
    Rule(
        "contact_without_date",
        "error",
        "contact_date",
        pl.col("contact_date").is_null() & pl.any_horizontal(pl.col(_CONTACT_FIELDS).is_not_null()),
        "the row has contact fields but no contact date: give the date, or blank the contact fields",
        value=_NO_VALUE,
    ),
    Rule(
        "bad_gender",
        "error",
        "gender",
        pl.col("gender").is_not_null() & ~pl.col("gender").is_in(hv.GENDERS),
        "'{gender}' is not a PERSON STATED GENDER CODE: write 1, 2, 9 or X",
    ),
    Rule(
        "bad_ethnic_category",
        "error",
        "ethniccategory",
        pl.col("ethniccategory").is_not_null() & pl.col("ethnic").is_null(),
        "the ethnic category is not an NHS ETHNIC CATEGORY code (A-H, J-N, P, R, S, Z or 99): check the code "
        "(the value is not repeated here)",
        value=_NO_VALUE,
    ),
    Rule(
        "bad_lsoa",
        "error",
        "lsoa",
        pl.col("lsoa").is_not_null() & ~pl.col("lsoa_ok"),
        "the LSOA is not an LSOA code (E01 and six digits): give the LSOA of residence, never a postcode "
        "(the value is not repeated here)",
        value=_NO_VALUE,
    ),
    Rule(
        "bad_medium",
        "error",
        "consmechanism",
        pl.col("consmechanism").is_not_null() & ~pl.col("consmechanism").is_in(hv.MEDIUMS),
        "'{consmechanism}' is not a CONSULTATION MECHANISM code: write 01 (face to face), 02, 04, 05, 09-13 or 98",
    ),
    Rule(
        "bad_location",
        "error",
        "activity_locationtype",
        pl.col("activity_locationtype").is_not_null() & ~pl.col("activity_locationtype_ok"),
        "'{activity_locationtype}' is not an ACTIVITY LOCATION TYPE CODE: write a letter and two digits, "
        "e.g. A01 (patient's home)",
    ),
    Rule(
        "bad_attendance",
        "error",
        "attendancestatus",
        pl.col("attendancestatus").is_not_null() & ~pl.col("attendancestatus").is_in(hv.ATTENDANCE),
        "'{attendancestatus}' is not an ATTENDANCE STATUS code: write 5 (attended), 6, 7, 2, 3, 4 or 0",
    ),
    Rule(
        "bad_activity_type",
        "error",
        "activity_type",
        pl.col("activity_type").is_not_null() & ~pl.col("activity_type").is_in(hv.ACTIVITY_TYPES),
        "'{activity_type}' is not a COMMUNITY CARE ACTIVITY TYPE code: write 01-12 or 97 (08-11 are the reviews)",
    ),
    Rule(
        "bad_role",
        "error",
        "practitioner_role",
        pl.col("practitioner_role").is_not_null() & ~pl.col("practitioner_role").is_in(list(hv.ROLES)),
        "'{practitioner_role}' is not a practitioner category: map the staff group to one of "
        + ", ".join(hv.ROLES),
    ),
    Rule(
        "bad_breastfeeding",
        "error",
        "breastfeedingstatus",
        pl.col("breastfeedingstatus").is_not_null()
        & ~pl.col("breastfeedingstatus").is_in(list(hv.BREASTFEEDING)),
        "'{breastfeedingstatus}' is not a BREASTFEEDING STATUS code: write 01, 02 or 03",
    ),
    Rule(
        "bad_questionnaire",
        "error",
        "asq3_questionnaire",
        pl.col("asq3_questionnaire").is_not_null()
        & ~pl.col("asq3_questionnaire").is_in(list(hv.ASQ_CUTOFFS)),
        "'{asq3_questionnaire}' is not an ASQ-3 questionnaire of the 2-2½ year review: write 24, 27 or 30",
    ),
    *(
        Rule(
            "bad_asq_score",
            "error",
            f"asq3_{domain}",
            pl.col(f"asq3_{domain}").is_not_null() & pl.col(f"score_{domain}").is_null(),
            f"'{{asq3_{domain}}}' is not an ASQ-3 score: write a number from 0 to 60",
        )
        for domain in hv.ASQ_DOMAINS
    ),
)

#: The child's fields must agree on every row of the child (parameter: none; column ``differs`` names the field).
CHILD_RULE = Rule(
    "child_fields_differ",
    "error",
    None,
    pl.col("differs").is_not_null(),
    "this child's {differs} differs from another row of the same child: give each child one value "
    "(the values are not repeated here)",
    value=_NO_VALUE,
)

ALL_RULES = (*FILE_RULES, *DATE_RULES, *ROW_RULES, CHILD_RULE)
