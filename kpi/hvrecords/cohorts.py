"""From an extract's checked rows to what is stored: one row per child and one per attended contact.

The national cohort rules (docs/methods.md section 10): a child is in a quarter's new birth visit cohort when it
turned 30 days in the quarter (OHID's published birth-date windows by default, setting ``hv_nbv_window_rule``), in
the 6-8 week cohort when it turned 8 weeks (56 days), in C4's when it turned 12 months, each alive and under the
provider's responsibility on that day; in C5's and C6's when it turned 15 months or 2½ years in the quarter and was
under the provider's responsibility on the quarter's last day (a child who died before then counts only if the
review was done). Reviews are the attended contacts coded 08-11 (COMMUNITY CARE ACTIVITY TYPE), by any
practitioner (FNP included); a contact dated before the birth is antenatal. The pseudonym is replaced by a keyed
hash (:mod:`kpi.hvrecords.keys`); dates of birth and LSOAs go no further than this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kpi.hvrecords import schema as hv

NBV_RULES = ("published", "plus29", "plus30")


@dataclass(frozen=True)
class CohortRules:
    """The settings the cohorts are found with (docs/methods.md section 10)."""

    nbv_window_rule: str = "published"


#: The checked rows' columns the cohorts and contacts are found from (:func:`child_rows`).
ROW_COLUMNS = (
    "localpatientid",
    "born",
    "start",
    "end",
    "died",
    "today",
    "gender",
    "ethnic",
    "lsoa",
    "contact",
    "attendancestatus",
    "activity_type",
    "consmechanism",
    "activity_locationtype",
    "practitioner_role",
    "breastfeedingstatus",
    "asq3_questionnaire",
    *(f"score_{d}" for d in hv.ASQ_DOMAINS),
)
#: What the attended contacts are found from (a contact needs none of the child's other fields).
CONTACT_READS = (
    "localpatientid",
    "born",
    "contact",
    "attendancestatus",
    "activity_type",
    "consmechanism",
    "activity_locationtype",
    "practitioner_role",
    "breastfeedingstatus",
    "asq3_questionnaire",
    *(f"score_{d}" for d in hv.ASQ_DOMAINS),
)
#: The stored deciles of a child's LSOA, one per deprivation index ('1'..'10', or 'U').
DECILE_COLUMNS = ("imd_decile_iod2019", "imd_decile_iod2025")
#: The first quarter on IoD2025 when no setting is given (``deprivation_iod2025_from_quarter``).
IOD2025_FROM = "2025-26 Q3"


def decile_on(period: str, iod2025_from: str = IOD2025_FROM) -> pl.Expr:
    """Polars: ``imd_decile``, the child's decile on the index of the quarter in column ``period``.

    IoD2025 from ``iod2025_from`` on, IoD2019 before (quarter codes such as ``2025-26 Q3`` sort in time order).

    Example:
        >>> frame = pl.DataFrame({"q": ["2025-26 Q2", "2025-26 Q3"], "imd_decile_iod2019": ["4", "4"],
        ...                       "imd_decile_iod2025": ["5", "5"]})
        >>> frame.select(decile_on("q"))["imd_decile"].to_list()
        ['4', '5']

    """
    iod2019, iod2025 = (pl.col(c) for c in DECILE_COLUMNS)
    return pl.when(pl.col(period) >= iod2025_from).then(iod2025).otherwise(iod2019).alias("imd_decile")


def quarter_code(day: pl.Expr) -> pl.Expr:
    """Polars expression: the financial-year quarter of a date, e.g. ``2025-26 Q1``."""
    fy = pl.when(day.dt.month() >= 4).then(day.dt.year()).otherwise(day.dt.year() - 1)
    number = ((day.dt.month() - 4) % 12) // 3 + 1
    return pl.format("{}-{} Q{}", fy, ((fy + 1) % 100).cast(pl.String).str.zfill(2), number)


def _quarter_end(day: pl.Expr) -> pl.Expr:
    return day.dt.truncate("1q").dt.offset_by("3mo") - pl.duration(days=1)


def _nbv_date(rule: str) -> pl.Expr:
    """The day whose quarter is the child's new birth visit cohort."""
    born = pl.col("born")
    if rule not in NBV_RULES:
        raise ValueError(
            f"the new birth visit window rule must be one of {', '.join(NBV_RULES)}, not '{rule}'"
        )
    if rule == "plus30":
        return born + pl.duration(days=30)
    plus29 = born + pl.duration(days=29)
    if rule == "plus29":
        return plus29
    # OHID's table matches +29 days except that a 2 March birth is in Q1 (as +30 would have it)
    second_of_march = (born.dt.month() == 3) & (born.dt.day() == 2)
    return pl.when(second_of_march).then(born + pl.duration(days=30)).otherwise(plus29)


def _responsible(day: pl.Expr) -> pl.Expr:
    """Under the provider's responsibility and alive on ``day``."""
    return (
        (pl.col("start").is_null() | (pl.col("start") <= day))
        & (pl.col("end").is_null() | (pl.col("end") >= day))
        & (pl.col("died").is_null() | (pl.col("died") >= day))
    )


def _review() -> pl.Expr:
    """A contact's review: antenatal when dated before the birth, else from its activity type (08-11), else other."""
    return (
        pl.when(pl.col("contact") < pl.col("born"))
        .then(pl.lit("antenatal", dtype=pl.Categorical))
        .otherwise(
            pl.col("activity_type").replace_strict(hv.REVIEWS, default="other", return_dtype=pl.Categorical)
        )
    )


def attended_contacts(rows: pl.LazyFrame) -> pl.LazyFrame:
    """The attended contacts of the checked rows, with their review and age in days (a query: nothing is copied)."""
    attended = pl.col("attendancestatus").is_null() | pl.col("attendancestatus").is_in(hv.ATTENDED)
    return rows.filter(pl.col("contact").is_not_null() & attended).with_columns(
        _review().alias("review"), (pl.col("contact") - pl.col("born")).dt.total_days().alias("age_days")
    )


def _asq_flags(contacts: pl.LazyFrame) -> pl.LazyFrame:
    """Per child, ASQ-3 at its first 2-2½ year review by 2½ years: used, and each domain at or above threshold."""
    asq = contacts.filter(
        (pl.col("review") == "2-2.5y") & (pl.col("contact") <= pl.col("born").dt.offset_by("30mo"))
    ).sort("contact")
    months = (pl.col("age_days") / 30.4375).floor()
    questionnaire = pl.coalesce(
        "asq3_questionnaire",
        pl.when(months < 27).then(pl.lit("24")).when(months < 30).then(pl.lit("27")).otherwise(pl.lit("30")),
    )
    scored = pl.any_horizontal(pl.col(f"score_{d}").is_not_null() for d in hv.ASQ_DOMAINS)
    flags = [
        (
            pl.col(f"score_{d}")
            >= questionnaire.replace_strict(
                {q: c[i] for q, c in hv.ASQ_CUTOFFS.items()}, return_dtype=pl.Float64
            )
        ).alias(f"asq_{d}")
        for i, d in enumerate(hv.ASQ_DOMAINS)
    ]
    return (
        asq.filter(scored)
        .group_by("child_key")
        .agg(pl.lit(True).alias("asq_used"), *(f.first() for f in flags))
    )


def _review_facts(contacts: pl.LazyFrame) -> pl.LazyFrame:
    """Per child: new birth visit and 6-8 week review days, first 12-month and 2-2½ year review dates, breastfeeding.

    Breastfeeding is the status at the child's first 6-8 week review that records one (by contact date, rows of
    one day in the extract's order); only those reviews are sorted. The review dates are compared with the child's
    birthday per child (:func:`child_rows`), not per contact.
    """
    review = pl.col("review")
    face_to_face = pl.col("consmechanism") == hv.FACE_TO_FACE
    facts = contacts.group_by("child_key").agg(
        pl.col("age_days").filter((review == "nbv") & face_to_face).min().alias("nbv_day"),
        pl.col("age_days").filter(review == "6-8w").min().alias("r68_day"),
        pl.col("contact").filter(review == "12m").min().alias("first_12m"),
        pl.col("contact").filter(review == "2-2.5y").min().alias("first_2y"),
    )
    feeding = (
        contacts.filter((review == "6-8w") & pl.col("breastfeedingstatus").is_not_null())
        .select("child_key", "contact", "breastfeedingstatus")
        .sort("contact", maintain_order=True)
        .group_by("child_key")
        .agg(
            pl.col("breastfeedingstatus")
            .first()
            .replace_strict(hv.BREASTFEEDING, default=None)
            .alias("breastfeeding")
        )
    )
    return facts.join(feeding, on="child_key", how="left")


def _cohort(day: pl.Expr, today: pl.Expr) -> pl.Expr:
    """The day the child joins the cohort, when it is in it (its quarter is the cohort's: :func:`quarter_codes`)."""
    return pl.when(_responsible(day) & (day <= today)).then(day)


def _quarter_end_cohort(day: pl.Expr, today: pl.Expr, reviewed: str) -> pl.Expr:
    """As :func:`_cohort`, for a cohort counted at the quarter's end (a child who died counts if reviewed)."""
    end = _quarter_end(day)
    in_cohort = _responsible(end) | (
        pl.col("died").is_not_null()
        & (pl.col("died") < end)
        & _responsible(pl.col("died"))
        & pl.col(reviewed)
    )
    return pl.when(in_cohort & (day <= today)).then(day)


def quarter_codes(days: pl.Series) -> pl.Series:
    """:func:`quarter_code` of many dates, each quarter formatted once (categorical: a contact table has millions).

    Example:
        >>> from datetime import date
        >>> quarter_codes(pl.Series([date(2025, 3, 31), date(2025, 4, 1), None])).to_list()
        ['2024-25 Q4', '2025-26 Q1', None]

    """
    key = days.dt.year().cast(pl.Int32) * 12 + days.dt.month().cast(pl.Int32) - 1
    key = key - key % 3  # the first month of the calendar (and so financial) quarter
    distinct = key.drop_nulls().unique()
    first_days = pl.select(pl.date(distinct // 12, distinct % 12 + 1, 1)).to_series()
    codes = pl.select(quarter_code(pl.lit(first_days))).to_series()
    return key.replace_strict(distinct, codes, default=None, return_dtype=pl.Categorical).alias(days.name)


def child_rows(
    rows: pl.DataFrame, areas: pl.DataFrame, rules: CohortRules
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per child and its attended contacts, from the checked rows, joined by an integer ``child_key``.

    ``child_key`` is the child's position in ``children`` (0, 1, ...), whose ``localpatientid`` is the pseudonym
    (for the keyed hash; nothing else here reads it): the contacts and every per-child step join on a number, not
    on text. The contacts' codes are categorical (a national quarter has millions of contacts). ``areas``: LSOA
    code -> ``imd_decile_iod2019``, ``imd_decile_iod2025`` and ``locality_code``
    (:func:`kpi.hvrecords.areas.lsoa_areas`); a decile the lookups lack, or split across deciles, is ``U``.
    """
    pseudonyms = rows["localpatientid"]
    distinct = pseudonyms.unique()
    keyed = (
        rows.select(c for c in ROW_COLUMNS if c != "localpatientid")
        .with_columns(pseudonyms.cast(pl.Enum(distinct)).to_physical().alias("child_key"))
        .lazy()
    )
    contacts = attended_contacts(keyed.select("child_key", *CONTACT_READS[1:]))
    children = (
        keyed.select("child_key", "born", "start", "end", "died", "today", "gender", "ethnic", "lsoa")
        .unique("child_key", keep="first")
        .join(_review_facts(contacts), on="child_key", how="left")
        .join(_asq_flags(contacts), on="child_key", how="left")
        .join(areas.lazy(), left_on=pl.col("lsoa").cast(pl.String), right_on="lsoa_code", how="left")
        .sort("child_key")
    )
    born, today = pl.col("born"), pl.col("today")
    by = {
        "r12_by_12m": pl.col("first_12m") <= born.dt.offset_by("12mo"),
        "r12_by_15m": pl.col("first_12m") <= born.dt.offset_by("15mo"),
        "r2y_by_30m": pl.col("first_2y") <= born.dt.offset_by("30mo"),
    }
    children = children.with_columns(
        *(condition.fill_null(False).alias(name) for name, condition in by.items()),
        pl.col("asq_used").fill_null(False),
    ).with_columns(
        pl.col("gender").fill_null("X").alias("sex"),
        pl.col("ethnic").fill_null(hv.NOT_STATED).alias("ethnic_group"),
        *(pl.col(c).fill_null("U") for c in DECILE_COLUMNS),
        pl.col("locality_code").fill_null(hv.UNKNOWN_LOCALITY),
        born.alias("birth_quarter"),
        _cohort(_nbv_date(rules.nbv_window_rule), today).alias("q_30d"),
        _cohort(born + pl.duration(days=56), today).alias("q_8w"),
        _cohort(born.dt.offset_by("12mo"), today).alias("q_12m"),
        _quarter_end_cohort(born.dt.offset_by("15mo"), today, "r12_by_15m").alias("q_15m"),
        _quarter_end_cohort(born.dt.offset_by("30mo"), today, "r2y_by_30m").alias("q_30m"),
    )
    contact_rows = contacts.select(
        "child_key",
        "review",
        "contact",
        pl.col("age_days").cast(pl.Int32),
        pl.col("consmechanism").fill_null("NR").cast(pl.Categorical).alias("medium"),
        pl.when(pl.col("activity_locationtype").is_null())
        .then(pl.lit("not recorded", dtype=pl.Categorical))
        .otherwise(
            pl.col("activity_locationtype").replace_strict(
                hv.PLACES, default="other", return_dtype=pl.Categorical
            )
        )
        .alias("place"),
        pl.col("practitioner_role").fill_null(hv.UNKNOWN_ROLE).cast(pl.Categorical).alias("role"),
    ).collect()
    contact_rows = contact_rows.with_columns(
        quarter_codes(contact_rows.drop_in_place("contact")).alias("contact_quarter")
    ).select("child_key", "review", "contact_quarter", "age_days", "medium", "place", "role")
    children = children.select(*CHILD_COLUMNS).collect()
    quarters = ("birth_quarter", "q_30d", "q_8w", "q_12m", "q_15m", "q_30m")
    children = children.with_columns(quarter_codes(children[c]) for c in quarters)
    return children.with_columns(distinct.alias("localpatientid")), contact_rows


#: What is stored per child (hv_children, besides the load, council and provider).
CHILD_COLUMNS = (
    "child_key",
    "sex",
    "ethnic_group",
    *DECILE_COLUMNS,
    "locality_code",
    "birth_quarter",
    "q_30d",
    "q_8w",
    "q_12m",
    "q_15m",
    "q_30m",
    "nbv_day",
    "r68_day",
    "r12_by_12m",
    "r12_by_15m",
    "r2y_by_30m",
    "breastfeeding",
    "asq_used",
    *(f"asq_{d}" for d in hv.ASQ_DOMAINS),
)
