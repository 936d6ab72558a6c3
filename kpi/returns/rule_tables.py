"""The provider return's checks, declared: one :class:`kpi.ingest.rules.Rule` per check and message.

Row checks (:data:`ROW_RULES`) run over the file's rows with the columns :func:`kpi.returns.checks.validate_return`
adds (``kpi_code``, ``locality_upper``, ``decile_text``, ``value_kind``, ``breakdown``, the numbers' values).
Cross-row checks are rules too, each over the frame its short function in :mod:`kpi.returns.checks` builds: the
decile sums (:data:`SUM_RULES`), related KPIs (:data:`RELATED_RULES`, :data:`C5_RULES`) and the warnings after
typing (:data:`WARNING_RULES`). File-level problems (:data:`FILE_RULES`) are raised once each. Parameters in the
messages come from the council's context. The list in docs/formats/provider-return.md is :func:`all_rules`
(docs/methods.md section 2).
"""

from __future__ import annotations

import polars as pl

from kpi.ingest.rules import Rule
from kpi.returns.schema import (
    ASQ_DOMAINS,
    BOROUGH,
    BREASTFEEDING,
    DECILES,
    MAX_DIGITS,
    NBV_AFTER_14,
    NBV_WITHIN_14,
    REVIEW_2Y,
    REVIEW_2Y_ASQ,
    REVIEW_6_8W,
    REVIEW_12M,
    REVIEW_15M,
    UNKNOWN_DECILE,
)

WHOLE = r"^[0-9]+(\.0+)?$"
DECIMAL = r"^[0-9]+(\.[0-9]+)?$"
NUMBERLIKE = r"^-?[0-9]+(\.[0-9]+)?$"


def digits(text: pl.Expr) -> pl.Expr:
    """How many digits a number written as text has before its decimal point."""
    return text.str.extract(r"^-?([0-9]+)").str.len_chars()


def too_long(text: pl.Expr) -> pl.Expr:
    """A number with more than :data:`MAX_DIGITS` digits before the point."""
    return text.str.contains(NUMBERLIKE) & (digits(text) > MAX_DIGITS)


def number_text(value: pl.Expr) -> pl.Expr:
    """A sum as people write it: ``195`` rather than ``195.0``; decimals (WTE) to four places."""
    return value.round(4).cast(pl.String).str.replace(r"\.0$", "")


def where_label() -> pl.Expr:
    """``NORTH decile 2``, ``NORTH decile U`` or ``NORTH all deciles`` for a row's locality and decile."""
    return pl.format(
        "{} {}",
        pl.col("locality_upper"),
        pl.when(pl.col("decile_text").is_null())
        .then(pl.lit("all deciles"))
        .otherwise(pl.lit("decile ") + pl.col("decile_text")),
    )


FILE_RULES = (
    Rule(
        "wrong_header",
        "error",
        None,
        None,
        "the header row is not the return's: it must be {expected} ({found}); copy the header row from the template",
    ),
    Rule(
        "missing_column",
        "error",
        None,
        None,
        "the column '{name}' is missing: add it to the header row (the header must be {expected})",
    ),
    Rule(
        "unknown_column",
        "error",
        None,
        None,
        "the column '{name}' is not part of the return: remove it or check its spelling",
    ),
    Rule("empty", "error", None, None, "the file has a header but no data rows: add the return's rows"),
    Rule(
        "not_a_quarter",
        "error",
        "period",
        None,
        "{period} is a month: the return is quarterly, write the quarter like '{quarter}'",
    ),
    Rule(
        "period_not_ended",
        "error",
        "period",
        None,
        "{period} has not ended yet (it ends on {ends}): a return can be loaded once its period is over",
    ),
)
WRONG_HEADER, MISSING_COLUMN, UNKNOWN_COLUMN, EMPTY, NOT_A_QUARTER, PERIOD_NOT_ENDED = FILE_RULES

#: The period checks: ``period_error`` is the reading's own message for a period that cannot be read.
PERIOD_RULES = (
    Rule("bad_period", "error", "period", pl.col("period_error").is_not_null(), "{period_error}"),
    Rule(
        "bad_period",
        "error",
        "period",
        pl.col("period").is_null(),
        "the period is blank: write it like '2026-27 Q2'",
    ),
)
#: Over the rows with a readable period (``_period_code``), when the file holds several.
SEVERAL_PERIODS = Rule(
    "several_periods",
    "error",
    "period",
    lambda p: pl.col("_period_code") != p["main"],
    "the file holds {count} periods ({codes}): send one file per period (most rows are for {main})",
)

_HAS_KPI = pl.col("kpi_code").is_not_null()


def _known_locality(p: dict) -> pl.Expr:
    return pl.col("locality_upper").is_in([*p["locality_codes"], BOROUGH])


CODE_RULES = (
    Rule(
        "wrong_provider",
        "error",
        "provider_code",
        lambda p: pl.col("provider_upper").is_null() | (pl.col("provider_upper") != p["provider"]),
        "the provider code '{provider_code}' is not {provider}: a file may only hold {provider}'s return",
    ),
    Rule(
        "unknown_metric",
        "error",
        "metric_code",
        pl.col("kpi_code").is_null(),
        "'{metric_code}' is not a metric code in the KPI catalogue: use one of {known_metrics}",
    ),
    Rule(
        "unknown_locality",
        "error",
        "locality_code",
        lambda p: pl.col("locality_upper").is_null() | ~_known_locality(p),
        "'{locality_code}' is not one of the council's localities: use {localities} (or ALL for borough-level KPIs)",
    ),
    Rule(
        "breakdown_not_available",
        "error",
        "locality_code",
        lambda p: (
            _HAS_KPI
            & (pl.col("breakdown") == "borough")
            & _known_locality(p)
            & (pl.col("locality_upper") != BOROUGH)
        ),
        "{kpi_code} is reported for the borough only: write ALL as the locality",
    ),
    Rule(
        "breakdown_not_available",
        "error",
        "locality_code",
        _HAS_KPI & (pl.col("breakdown") != "borough") & (pl.col("locality_upper") == BOROUGH),
        "{kpi_code} is reported per locality ({localities}): the borough total is added up from the localities",
    ),
    Rule(
        "breakdown_not_available",
        "error",
        "imd_decile",
        _HAS_KPI & (pl.col("breakdown") != "locality_decile") & pl.col("decile_text").is_not_null(),
        "{kpi_code} has no deprivation breakdown: leave imd_decile blank",
    ),
    Rule(
        "bad_decile",
        "error",
        "imd_decile",
        pl.col("decile_text").is_not_null() & ~pl.col("decile_text").is_in([*DECILES, UNKNOWN_DECILE]),
        "'{imd_decile}' is not a deprivation decile: use 1 (most deprived) to 10, U for unknown LSOA, or leave "
        "blank for all deciles",
    ),
    Rule(
        "bad_index",
        "error",
        "imd_index",
        pl.col("imd_index").is_not_null() & pl.col("index_code").is_null(),
        "'{imd_index}' is not a deprivation index: write IoD2019 or IoD2025 (the index the deciles were assigned "
        "on), or leave it blank for the period's ({expected_index})",
    ),
    Rule(
        "wrong_index",
        "warning",
        "imd_index",
        lambda p: pl.col("index_code").is_not_null() & (pl.col("index_code") != p["expected_index"]),
        "the deciles are on {index_code} but {period} uses {expected_index} (docs/methods.md section 7.1): "
        "assign the deciles on {expected_index}, or confirm",
    ),
    Rule(
        "decile_without_lsoa",
        "error",
        "imd_decile",
        lambda p: (
            pl.col("decile_text").is_in(list(DECILES))
            & pl.col("locality_upper").is_in(p["locality_codes"])
            & pl.col("_has_lsoa").is_null()
        ),
        "locality {locality_upper} has no LSOA in decile {decile_text}: children there cannot be in that decile; "
        "check the decile or locality",
    ),
)


def _number_rules(column: str) -> tuple[Rule, ...]:
    text = pl.col(column)
    return (
        Rule(
            "not_a_number",
            "error",
            column,
            text.is_not_null() & ~text.str.contains(NUMBERLIKE),
            f"'{{{column}}}' is not a number: write the {column} as digits only (no text, spaces, % or thousands "
            "separators)",
        ),
        Rule(
            "too_large",
            "error",
            column,
            too_long(text),
            f"the {column} has {{digits}} digits, far more than any count: check the cell",
            args={"digits": digits(text)},
            value=text.str.slice(0, 20) + pl.lit("…"),
        ),
        Rule(
            "negative",
            "error",
            column,
            text.str.contains(r"^-[0-9]") & text.str.contains(NUMBERLIKE),
            f"{{{column}}} is negative: counts cannot be below zero",
        ),
        Rule(
            "fraction",
            "error",
            column,
            (pl.col("value_kind") != "ratio")
            & text.str.contains(DECIMAL)
            & ~text.str.contains(WHOLE)
            & _HAS_KPI,
            f"{{{column}}} is not a whole number: {{kpi_code}} counts children, so write a whole number",
        ),
    )


NUMBER_RULES = (
    *_number_rules("numerator"),
    *_number_rules("denominator"),
    Rule(
        "missing_numerator",
        "error",
        "numerator",
        pl.col("numerator").is_null() & _HAS_KPI,
        "the numerator of {kpi_code} is blank: write 0 when there were none",
    ),
    Rule(
        "missing_denominator",
        "error",
        "denominator",
        pl.col("denominator").is_null() & pl.col("value_kind").is_in(["proportion", "ratio"]),
        "the denominator of {kpi_code} is blank: {kpi_code} needs one (write 0 when the cohort was empty)",
    ),
    Rule(
        "denominator_not_allowed",
        "error",
        "denominator",
        pl.col("denominator").is_not_null() & (pl.col("value_kind") == "count"),
        "{kpi_code} is a count with no denominator: leave the denominator blank",
    ),
    Rule(
        "numerator_over_denominator",
        "error",
        "numerator",
        (pl.col("numerator_value") > pl.col("denominator_value"))
        & pl.col("numerator_value").ge(0)
        & pl.col("denominator_value").ge(0),
        "the numerator {numerator} is more than the denominator {denominator}: the numerator counts children "
        "within the denominator, so check both",
    ),
    Rule(
        "duplicate_row",
        "error",
        "metric_code",
        _HAS_KPI & pl.struct(["kpi_code", "locality_upper", "decile_text"]).is_duplicated(),
        "{kpi_code} for locality {locality_upper} decile {decile} appears more than once: keep one row per "
        "metric, locality and decile",
        args={"decile": pl.col("decile_text").fill_null("(all)")},
        value=pl.format("{} {} {}", "kpi_code", "locality_upper", pl.col("decile_text").fill_null("all")),
    ),
)
#: Every row check, in the order the report lists them.
ROW_RULES = (*CODE_RULES, *NUMBER_RULES)

_TOLERANCE = 1e-9
#: Over each metric x locality's all-deciles row beside the sums of its decile rows (``num_sum``, ``den_sum``).
SUM_RULES = (
    Rule(
        "deciles_do_not_add_up",
        "error",
        "numerator",
        (pl.col("num_sum") - pl.col("numerator_value")).abs() > _TOLERANCE,
        "{kpi_code} {locality_upper}: the decile rows (including U) add up to a numerator of {sum} but the "
        "all-deciles row says {numerator}: correct the rows so they agree",
        args={"sum": number_text(pl.col("num_sum"))},
    ),
    Rule(
        "deciles_do_not_add_up",
        "error",
        "denominator",
        ~pl.col("no_den") & ((pl.col("den_sum") - pl.col("denominator_value")).abs() > _TOLERANCE),
        "{kpi_code} {locality_upper}: the decile rows (including U) add up to a denominator of {sum} but the "
        "all-deciles row says {denominator}: correct the rows so they agree",
        args={"sum": number_text(pl.col("den_sum"))},
    ),
)

_WHERE = {"where": where_label()}
_KNOWN_PCT = (pl.col("den") / pl.col("den_o") * 100).round(1)
#: Related KPIs: (metric, the metric it is compared with, the rules over the pair). The pair's frame holds the
#: metric's row beside the other's for the same locality and decile; the other's columns end ``_o``.
RELATED_RULES: tuple[tuple[str, str, tuple[Rule, ...]], ...] = (
    (
        NBV_AFTER_14,
        NBV_WITHIN_14,
        (
            Rule(
                "related_denominators_differ",
                "error",
                "denominator",
                pl.col("den") != pl.col("den_o"),
                f"{{kpi_code}} {{where}}: the denominator {{denominator}} differs from {NBV_WITHIN_14}'s denominator "
                "{denominator_o} (row {row_o}): C2 and C3 count the same infants (those who turned 30 days in the "
                "period), so give both the same denominator",
                args=_WHERE,
            ),
            Rule(
                "visits_over_cohort",
                "error",
                "numerator",
                (pl.col("den") == pl.col("den_o")) & (pl.col("num") + pl.col("num_o") > pl.col("den")),
                "{kpi_code} {where}: {numerator_o} new birth visits within 14 days (C2, row {row_o}) plus "
                "{numerator} after 14 days (C3) make {total}, more than the {denominator} infants in the cohort: "
                "an infant's visit is within or after 14 days, never both, so check both numerators",
                args={**_WHERE, "total": number_text(pl.col("num") + pl.col("num_o"))},
            ),
        ),
    ),
    (
        REVIEW_2Y_ASQ,
        REVIEW_2Y,
        (
            Rule(
                "related_denominators_differ",
                "error",
                "denominator",
                pl.col("den") != pl.col("num_o"),
                f"{{kpi_code}} {{where}}: the denominator {{denominator}} (2-2½ year reviews done) differs from "
                f"{REVIEW_2Y}'s numerator {{numerator_o}} (row {{row_o}}), which counts the same reviews: make them "
                "the same",
                args=_WHERE,
            ),
        ),
    ),
    *(
        (
            domain,
            REVIEW_2Y_ASQ,
            (
                Rule(
                    "asq_domain_over_asq_reviews",
                    "error",
                    "denominator",
                    pl.col("den") > pl.col("num_o"),
                    f"{{kpi_code}} {{where}}: the denominator {{denominator}} (reviews with a score in this ASQ-3 "
                    f"domain) is more than {REVIEW_2Y_ASQ}'s numerator {{numerator_o}} (row {{row_o}}), the "
                    "reviews that used ASQ-3: a domain is only scored in such a review, so check both",
                    args=_WHERE,
                ),
            ),
        )
        for domain in ASQ_DOMAINS
    ),
    (
        BREASTFEEDING,
        REVIEW_6_8W,
        (
            Rule(
                "breastfeeding_status_known",
                "warning",
                "denominator",
                pl.col("den") < pl.col("den_o"),
                "{kpi_code} {where}: the denominator {denominator} is below the {denominator_o} infants due a "
                f"6-8 week review ({REVIEW_6_8W}'s denominator, row {{row_o}}): breastfeeding status is known for "
                "{known_pct}% of them. C8ii's denominator is every infant due the review, status known or not: "
                "correct it, or confirm with a reason",
                args={**_WHERE, "known_pct": _KNOWN_PCT},
                value=_KNOWN_PCT,
            ),
            Rule(
                "breastfeeding_status_known",
                "warning",
                "denominator",
                pl.col("den") > pl.col("den_o"),
                "{kpi_code} {where}: the denominator {denominator} is more than the {denominator_o} infants due a "
                f"6-8 week review ({REVIEW_6_8W}'s denominator, row {{row_o}}): both count the same infants, so "
                "check both, or confirm with a reason",
                args=_WHERE,
            ),
        ),
    ),
)

#: Over C5's locality rates (``pct``) beside C4's (``pct_o``, from row ``row_o``, or its decile rows added up).
C5_RULES = (
    Rule(
        "c5_below_c4",
        "warning",
        "numerator",
        pl.col("pct") < pl.col("pct_o"),
        f"{REVIEW_15M} {{locality_upper}}: {{pct}}% of children were reviewed by 15 months, below the {{pct_o}}% "
        f"reviewed by 12 months ({REVIEW_12M}{{source}}): the 15-month rate also counts reviews done after 12 "
        "months, so it is normally the higher; check both, or confirm with a reason",
        args={
            "pct": pl.col("pct").round(1),
            "pct_o": pl.col("pct_o").round(1),
            "source": pl.when(pl.col("row_o").is_null())
            .then(pl.lit(", its decile rows added up"))
            .otherwise(pl.lit(", row ") + pl.col("row_o").cast(pl.String)),
        },
        value=pl.col("pct").round(1),
    ),
)

#: Warnings over the typed rows: rows not returned (over the metric x locality pairs absent), decile U's share
#: (``share_pct``) and movement since the previous period (``value_pct`` beside ``previous_pct``).
ROWS_NOT_RETURNED = Rule(
    "rows_not_returned",
    "warning",
    "metric_code",
    pl.lit(True),
    "{kpi_code} has no rows for {where}: add them, or confirm the return without them",
    args={
        "where": pl.when(pl.col("locality_code") == BOROUGH)
        .then(pl.lit("the borough"))
        .otherwise(pl.lit("locality ") + pl.col("locality_code"))
    },
    value=pl.format("{} {}", "kpi_code", "locality_code"),
)
UNKNOWN_DECILE_SHARE = Rule(
    "unknown_decile_share",
    "warning",
    "imd_decile",
    lambda p: pl.col("share_pct") > p["threshold"],
    "{kpi_code} {locality_code}: {share}% of children are in decile U (LSOA unknown), above the {threshold}% "
    "threshold: check postcodes are recorded",
    args={"share": pl.col("share_pct").round(1)},
    value=pl.col("share_pct").round(1),
)
LARGE_MOVEMENT = Rule(
    "large_movement",
    "warning",
    "numerator",
    lambda p: (pl.col("value_pct") - pl.col("previous_pct")).abs() > p["limit"],
    "{kpi_code} {locality_code}: {value}% this period against {previous}% in {previous_period}, a move of more "
    "than {limit} points: check the figures, or confirm them with a reason",
    args={"value": pl.col("value_pct").round(1), "previous": pl.col("previous_pct").round(1)},
    value=pl.col("value_pct").round(1),
)
WARNING_RULES = (ROWS_NOT_RETURNED, UNKNOWN_DECILE_SHARE, LARGE_MOVEMENT)


def all_rules() -> tuple[Rule, ...]:
    """Every check of the provider return, in the order of docs/formats/provider-return.md."""
    related = tuple(rule for _, _, rules in RELATED_RULES for rule in rules)
    return (
        *FILE_RULES,
        *PERIOD_RULES,
        SEVERAL_PERIODS,
        *ROW_RULES,
        *SUM_RULES,
        *related,
        *C5_RULES,
        *WARNING_RULES,
    )
