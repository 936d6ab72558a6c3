"""The provider's quarterly return of mandated-contact and local KPIs: declared schema and validation.

Format (docs/formats/provider-return.md): one provider x one period per file, columns
``period, provider_code, metric_code, locality_code, imd_decile, numerator, denominator, comment``.
:func:`validate_return` checks a file's text rows against this schema, the KPI catalogue and the council's
localities and reports **every** problem at once. Checks are vectorised polars expressions over the whole file.

Errors stop the load; warnings stop it unless confirmed with a reason (docs/methods.md section 2, issue "Foundation").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from kpi.core import periods as periods
from kpi.core.catalogue import Kpi
from kpi.ingest.report import Report, problem, problems_where

DATASET = "mandated-contacts"
REQUIRED_COLUMNS = (
    "period",
    "provider_code",
    "metric_code",
    "locality_code",
    "imd_decile",
    "numerator",
    "denominator",
)
OPTIONAL_COLUMNS = ("comment",)
#: Columns the template adds for people (the KPI's name, what to count); a return may keep them: they are ignored.
INFORMATION_COLUMNS = ("kpi_name", "what_to_count")
BOROUGH = "ALL"
ALL_DECILES = "ALL"
UNKNOWN_DECILE = "U"
DECILES = tuple(str(d) for d in range(1, 11))

_WHOLE = r"^[0-9]+(\.0+)?$"
_DECIMAL = r"^[0-9]+(\.[0-9]+)?$"
_NUMBERLIKE = r"^-?[0-9]+(\.[0-9]+)?$"


@dataclass
class ReturnContext:
    """What a return is checked against."""

    council_code: str
    provider_code: str
    kpis: dict[str, Kpi]
    localities: dict[str, str]  # code -> name
    cells: set[tuple[str, int]]  # (locality_code, decile) cells that hold at least one LSOA
    today: date
    unknown_decile_warn_pct: float = 10.0
    movement_warn_points: float = 15.0
    #: Given a period, the values of the previous period's current return: kpi_code, locality_code, value_pct.
    previous_values: Callable[[periods.Period], pl.DataFrame] | None = None
    #: Given the file's period, the catalogue in force for it (the database's); ``kpis`` when not given.
    kpis_for_period: Callable[[periods.Period], dict[str, Kpi]] | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class CheckedReturn:
    """A return that has been checked: its report, and its typed rows when there were no errors."""

    report: Report
    period: periods.Period | None = None
    rows: pl.DataFrame | None = (
        None  # kpi_code, locality_code, imd_decile, numerator, denominator, comment, ...
    )


def _codes_list(values: list[str], limit: int = 12) -> str:
    shown = ", ".join(values[:limit])
    return shown + (", …" if len(values) > limit else "")


def validate_return(frame: pl.DataFrame, report: Report, context: ReturnContext) -> CheckedReturn:
    """Check a return's text rows (from :func:`kpi.ingest.files.read_text_table`) and type them.

    Every problem found is added to ``report``; typed rows are returned only when there are no errors.
    """
    report.rows_read = frame.height
    frame = frame.drop([c for c in INFORMATION_COLUMNS if c in frame.columns])
    columns = [c for c in frame.columns if c != "source_row"]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    expected = ",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    # a header row that is not the return's (titles in words, another template, a shifted row) misses columns and
    # has others: one message showing the header expected, not one per column
    wrong_header = bool(missing) and len(missing) + len(unknown) > 1
    if wrong_header:
        parts = [f"missing: {', '.join(missing)}"]
        if unknown:
            parts.append(f"not part of the return: {', '.join(unknown)}")
        report.add(
            problem(
                "error",
                "wrong_header",
                f"the header row is not the return's: it must be {expected} ({'; '.join(parts)}); "
                "copy the header row from the template",
            )
        )
    else:
        for name in missing:
            report.add(
                problem(
                    "error",
                    "missing_column",
                    f"the column '{name}' is missing: add it to the header row (the header must be {expected})",
                    column=name,
                )
            )
        for name in unknown:
            report.add(
                problem(
                    "error",
                    "unknown_column",
                    f"the column '{name}' is not part of the return: remove it or check its spelling",
                    column=name,
                )
            )
    if frame.is_empty():
        report.add(problem("error", "empty", "the file has a header but no data rows: add the return's rows"))
    if missing or frame.is_empty():
        return CheckedReturn(report)
    if "comment" not in columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("comment"))

    if context.kpis_for_period is not None:
        context.kpis = context.kpis_for_period(_file_period(frame) or periods.quarter_of(context.today))
    kpis = context.kpis
    kpi_by_upper = {code.upper(): code for code in kpis}
    frame = frame.with_columns(
        pl.col("metric_code").str.to_uppercase().replace_strict(kpi_by_upper, default=None).alias("kpi_code"),
        pl.col("locality_code").str.to_uppercase().alias("locality_upper"),
        pl.col("imd_decile").str.to_uppercase().str.strip_chars_start("0").alias("decile_text"),
        pl.col("provider_code").str.to_uppercase().alias("provider_upper"),
    )
    kind = pl.col("kpi_code").replace_strict({c: k.value_kind for c, k in kpis.items()}, default=None)
    breakdown = pl.col("kpi_code").replace_strict({c: k.breakdown for c, k in kpis.items()}, default=None)
    frame = frame.with_columns(kind.alias("value_kind"), breakdown.alias("breakdown"))

    period = _check_period(frame, report, context)
    _check_codes(frame, report, context)
    frame = _check_numbers(frame, report)
    _check_duplicates(frame, report)
    _check_sums(frame, report)
    _check_related(frame, report)
    if not report.ok:
        return CheckedReturn(report, period)

    rows = frame.select(
        "kpi_code",
        pl.when(pl.col("breakdown") == "borough")
        .then(pl.lit(BOROUGH))
        .otherwise(pl.col("locality_upper"))
        .alias("locality_code"),
        pl.col("decile_text").fill_null(ALL_DECILES).alias("imd_decile"),
        "numerator_value",
        "denominator_value",
        "comment",
        "source_row",
    ).rename({"numerator_value": "numerator", "denominator_value": "denominator"})
    _warn(rows, report, context, period)
    return CheckedReturn(report, period, rows)


def _file_period(frame: pl.DataFrame) -> periods.Period | None:
    """The file's period when its period cells name exactly one (else the period checks report the problem)."""
    found = set()
    for raw in frame["period"].drop_nulls().unique().to_list():
        try:
            found.add(periods.parse_period(raw))
        except periods.PeriodError:
            continue
    return found.pop() if len(found) == 1 else None


def _check_period(frame: pl.DataFrame, report: Report, context: ReturnContext) -> periods.Period | None:
    valid: dict[str, periods.Period] = {}
    for raw in frame["period"].drop_nulls().unique(maintain_order=True).to_list():
        try:
            valid[raw] = periods.parse_period(raw)
        except periods.PeriodError as exc:
            report.add(
                problems_where(
                    frame,
                    pl.col("period") == raw,
                    severity="error",
                    check="bad_period",
                    column="period",
                    message=str(exc),
                )
            )
    report.add(
        problems_where(
            frame,
            pl.col("period").is_null(),
            severity="error",
            check="bad_period",
            column="period",
            message="the period is blank: write it like '2026-27 Q2'",
        )
    )
    distinct = sorted({p for p in valid.values()})
    if len(distinct) > 1:
        # Name the rows of every period but the file's main one (the most common), so they can be found.
        counts = frame.filter(pl.col("period").is_in(list(valid))).with_columns(
            pl.col("period").replace_strict({raw: p.code for raw, p in valid.items()}).alias("_period_code")
        )
        main = counts["_period_code"].value_counts(sort=True)["_period_code"][0]
        message = (
            f"the file holds {len(distinct)} periods ({', '.join(p.code for p in distinct)}): send one file "
            f"per period (most rows are for {main})"
        )
        report.add(
            problems_where(
                counts,
                pl.col("_period_code") != main,
                severity="error",
                check="several_periods",
                column="period",
                message=message,
            )
        )
        return None
    if not distinct:
        return None
    period = distinct[0]
    if period.kind != "Q":
        report.add(
            problem(
                "error",
                "not_a_quarter",
                f"{period.code} is a month: the return is quarterly, write the "
                f"quarter like '{period.quarter.code}'",
                column="period",
                value=period.code,
            )
        )
        return None
    if period.end >= context.today:
        report.add(
            problem(
                "error",
                "period_not_ended",
                f"{period.code} has not ended yet (it ends on {period.end:%d %B %Y}): a return can be loaded once "
                "its period is over",
                column="period",
                value=period.code,
            )
        )
    return period


def _check_codes(frame: pl.DataFrame, report: Report, context: ReturnContext) -> None:
    expected = context.provider_code.upper()
    report.add(
        problems_where(
            frame,
            pl.col("provider_upper").is_null() | (pl.col("provider_upper") != expected),
            severity="error",
            check="wrong_provider",
            column="provider_code",
            message=pl.format(
                "the provider code '{}' is not {}: a file may only hold {}'s return",
                pl.col("provider_code").fill_null(""),
                pl.lit(expected),
                pl.lit(expected),
            ),
        )
    )
    known = _codes_list(list(context.kpis))
    report.add(
        problems_where(
            frame,
            pl.col("kpi_code").is_null(),
            severity="error",
            check="unknown_metric",
            column="metric_code",
            message=pl.format(
                "'{}' is not a metric code in the KPI catalogue: use one of {}",
                pl.col("metric_code").fill_null(""),
                pl.lit(known),
            ),
        )
    )
    locality_codes = list(context.localities)
    known_locality = pl.col("locality_upper").is_in(locality_codes + [BOROUGH])
    report.add(
        problems_where(
            frame,
            pl.col("locality_upper").is_null() | ~known_locality,
            severity="error",
            check="unknown_locality",
            column="locality_code",
            message=pl.format(
                "'{}' is not one of the council's localities: use {} (or ALL for borough-level KPIs)",
                pl.col("locality_code").fill_null(""),
                pl.lit(", ".join(locality_codes)),
            ),
        )
    )
    has_kpi = pl.col("kpi_code").is_not_null()
    report.add(
        problems_where(
            frame,
            has_kpi
            & (pl.col("breakdown") == "borough")
            & known_locality
            & (pl.col("locality_upper") != BOROUGH),
            severity="error",
            check="breakdown_not_available",
            column="locality_code",
            message=pl.format(
                "{} is reported for the borough only: write ALL as the locality", pl.col("kpi_code")
            ),
        )
    )
    report.add(
        problems_where(
            frame,
            has_kpi & (pl.col("breakdown") != "borough") & (pl.col("locality_upper") == BOROUGH),
            severity="error",
            check="breakdown_not_available",
            column="locality_code",
            message=pl.format(
                "{} is reported per locality ({}): the borough total is added up from the localities",
                pl.col("kpi_code"),
                pl.lit(", ".join(locality_codes)),
            ),
        )
    )
    report.add(
        problems_where(
            frame,
            has_kpi & (pl.col("breakdown") != "locality_decile") & pl.col("decile_text").is_not_null(),
            severity="error",
            check="breakdown_not_available",
            column="imd_decile",
            message=pl.format("{} has no deprivation breakdown: leave imd_decile blank", pl.col("kpi_code")),
        )
    )
    bad_decile = pl.col("decile_text").is_not_null() & ~pl.col("decile_text").is_in(
        list(DECILES) + [UNKNOWN_DECILE]
    )
    report.add(
        problems_where(
            frame,
            bad_decile,
            severity="error",
            check="bad_decile",
            column="imd_decile",
            message=pl.format(
                "'{}' is not a deprivation decile: use 1 (most deprived) to 10, U for unknown LSOA, or "
                "leave blank for all deciles",
                pl.col("imd_decile"),
            ),
        )
    )
    if context.cells:
        cells = pl.DataFrame(
            {
                "locality_upper": [c[0] for c in context.cells],
                "decile_text": [str(c[1]) for c in context.cells],
            }
        ).with_columns(pl.lit(True).alias("_has_lsoa"))
        joined = frame.join(cells, on=["locality_upper", "decile_text"], how="left")
        empty_cell = (
            pl.col("decile_text").is_in(list(DECILES))
            & pl.col("locality_upper").is_in(locality_codes)
            & pl.col("_has_lsoa").is_null()
        )
        report.add(
            problems_where(
                joined,
                empty_cell,
                severity="error",
                check="decile_without_lsoa",
                column="imd_decile",
                message=pl.format(
                    "locality {} has no LSOA in decile {}: children there cannot be in that decile; check "
                    "the decile or locality",
                    pl.col("locality_upper"),
                    pl.col("decile_text"),
                ),
            )
        )


#: More digits than this before the decimal point is no count of children (nor a WTE): refused, never summed.
MAX_DIGITS = 12


def _digits(text: pl.Expr) -> pl.Expr:
    return text.str.extract(r"^-?([0-9]+)").str.len_chars()


def _too_long(text: pl.Expr) -> pl.Expr:
    return text.str.contains(_NUMBERLIKE) & (_digits(text) > MAX_DIGITS)


def _check_numbers(frame: pl.DataFrame, report: Report) -> pl.DataFrame:
    whole = pl.col("value_kind") != "ratio"
    for column in ("numerator", "denominator"):
        text = pl.col(column)
        not_number = text.is_not_null() & ~text.str.contains(_NUMBERLIKE)
        report.add(
            problems_where(
                frame,
                not_number,
                severity="error",
                check="not_a_number",
                column=column,
                message=pl.format(
                    "'{}' is not a number: write the {} as digits only (no text, spaces, % or thousands "
                    "separators)",
                    text,
                    pl.lit(column),
                ),
            )
        )
        report.add(
            problems_where(
                frame,
                _too_long(text),
                severity="error",
                check="too_large",
                column=column,
                value=text.str.slice(0, 20) + pl.lit("…"),
                message=pl.format(
                    "the {} has {} digits, far more than any count: check the cell",
                    pl.lit(column),
                    _digits(text),
                ),
            )
        )
        negative = text.str.contains(r"^-[0-9]") & text.str.contains(_NUMBERLIKE)
        report.add(
            problems_where(
                frame,
                negative,
                severity="error",
                check="negative",
                column=column,
                message=pl.format("{} is negative: counts cannot be below zero", text),
            )
        )
        fraction = (
            whole
            & text.str.contains(_DECIMAL)
            & ~text.str.contains(_WHOLE)
            & pl.col("kpi_code").is_not_null()
        )
        report.add(
            problems_where(
                frame,
                fraction,
                severity="error",
                check="fraction",
                column=column,
                message=pl.format(
                    "{} is not a whole number: {} counts children, so write a whole number",
                    text,
                    pl.col("kpi_code"),
                ),
            )
        )
    report.add(
        problems_where(
            frame,
            pl.col("numerator").is_null() & pl.col("kpi_code").is_not_null(),
            severity="error",
            check="missing_numerator",
            column="numerator",
            message=pl.format(
                "the numerator of {} is blank: write 0 when there were none", pl.col("kpi_code")
            ),
        )
    )
    report.add(
        problems_where(
            frame,
            pl.col("denominator").is_null() & pl.col("value_kind").is_in(["proportion", "ratio"]),
            severity="error",
            check="missing_denominator",
            column="denominator",
            message=pl.format(
                "the denominator of {} is blank: {} needs one (write 0 when the cohort was empty)",
                pl.col("kpi_code"),
                pl.col("kpi_code"),
            ),
        )
    )
    report.add(
        problems_where(
            frame,
            pl.col("denominator").is_not_null() & (pl.col("value_kind") == "count"),
            severity="error",
            check="denominator_not_allowed",
            column="denominator",
            message=pl.format(
                "{} is a count with no denominator: leave the denominator blank", pl.col("kpi_code")
            ),
        )
    )
    frame = frame.with_columns(
        pl.when(_too_long(pl.col(c)))
        .then(None)
        .otherwise(pl.col(c).cast(pl.Float64, strict=False))
        .alias(f"{c}_value")
        for c in ("numerator", "denominator")
    )
    over = pl.col("numerator_value") > pl.col("denominator_value")
    report.add(
        problems_where(
            frame,
            over & pl.col("numerator_value").ge(0) & pl.col("denominator_value").ge(0),
            severity="error",
            check="numerator_over_denominator",
            column="numerator",
            message=pl.format(
                "the numerator {} is more than the denominator {}: the numerator counts children within "
                "the denominator, so check both",
                pl.col("numerator"),
                pl.col("denominator"),
            ),
        )
    )
    return frame


def _check_duplicates(frame: pl.DataFrame, report: Report) -> None:
    key = ["kpi_code", "locality_upper", "decile_text"]
    dupes = frame.filter(pl.col("kpi_code").is_not_null() & pl.struct(key).is_duplicated())
    report.add(
        problems_where(
            dupes,
            pl.lit(True),
            severity="error",
            check="duplicate_row",
            column="metric_code",
            value=pl.format("{} {} {}", "kpi_code", "locality_upper", pl.col("decile_text").fill_null("all")),
            message=pl.format(
                "{} for locality {} decile {} appears more than once: keep one row per metric, locality "
                "and decile",
                pl.col("kpi_code"),
                pl.col("locality_upper"),
                pl.col("decile_text").fill_null("(all)"),
            ),
        )
    )


def _number_text(value: pl.Expr) -> pl.Expr:
    """A sum as people write it: ``195`` rather than ``195.0``; decimals (WTE) to four places."""
    return value.round(4).cast(pl.String).str.replace(r"\.0$", "")


def _check_sums(frame: pl.DataFrame, report: Report) -> None:
    # Every metric x locality whose rows have no other error is checked, so a file with other errors still has
    # its sums reported at once; a metric x locality with a bad row is checked once that row is put right. A row
    # whose locality is unknown may belong to any locality of its metric, and one whose metric is unknown to any
    # metric of its locality, so it spoils them all.
    errors = report.errors.filter(pl.col("row").is_not_null())
    unknown_locality_rows = errors.filter(pl.col("check") == "unknown_locality")["row"].implode()
    bad = frame.filter(pl.col("source_row").is_in(errors["row"].implode())).with_columns(
        pl.col("source_row").is_in(unknown_locality_rows).alias("_unknown_locality")
    )
    if bad.filter(pl.col("_unknown_locality") & pl.col("kpi_code").is_null()).height:
        return
    spoilt_kpis = bad.filter(pl.col("_unknown_locality"))["kpi_code"].unique().implode()
    spoilt_localities = bad.filter(pl.col("kpi_code").is_null())["locality_upper"].unique().implode()
    spoilt_cells = bad.filter(pl.col("kpi_code").is_not_null()).select("kpi_code", "locality_upper").unique()
    frame = frame.filter(
        pl.col("kpi_code").is_not_null(),
        ~pl.col("kpi_code").is_in(spoilt_kpis),
        ~pl.col("locality_upper").is_in(spoilt_localities),
    ).join(spoilt_cells, on=["kpi_code", "locality_upper"], how="anti", nulls_equal=True)
    deciles = (
        frame.filter(pl.col("decile_text").is_not_null())
        .group_by(["kpi_code", "locality_upper"])
        .agg(
            pl.col("numerator_value").sum().alias("num_sum"),
            pl.col("denominator_value").sum().alias("den_sum"),
            pl.col("denominator_value").is_null().all().alias("no_den"),
        )
    )
    totals = frame.filter(pl.col("decile_text").is_null() & (pl.col("breakdown") == "locality_decile"))
    joined = totals.join(deciles, on=["kpi_code", "locality_upper"], how="inner")
    tolerance = 1e-9
    num_off = (pl.col("num_sum") - pl.col("numerator_value")).abs() > tolerance
    den_off = ~pl.col("no_den") & ((pl.col("den_sum") - pl.col("denominator_value")).abs() > tolerance)
    report.add(
        problems_where(
            joined,
            num_off,
            severity="error",
            check="deciles_do_not_add_up",
            column="numerator",
            message=pl.format(
                "{} {}: the decile rows (including U) add up to a numerator of {} but the all-deciles row "
                "says {}: correct the rows so they agree",
                pl.col("kpi_code"),
                pl.col("locality_upper"),
                _number_text(pl.col("num_sum")),
                pl.col("numerator"),
            ),
        )
    )
    report.add(
        problems_where(
            joined,
            den_off,
            severity="error",
            check="deciles_do_not_add_up",
            column="denominator",
            message=pl.format(
                "{} {}: the decile rows (including U) add up to a denominator of {} but the all-deciles "
                "row says {}: correct the rows so they agree",
                pl.col("kpi_code"),
                pl.col("locality_upper"),
                _number_text(pl.col("den_sum")),
                pl.col("denominator"),
            ),
        )
    )


#: The mandated-contact codes whose figures describe the same children (docs/methods.md section 2). A council whose
#: catalogue lacks one of them simply skips the checks that need it.
NBV_WITHIN_14, NBV_AFTER_14 = "C2", "C3"
REVIEW_12M, REVIEW_15M = "C4", "C5"
REVIEW_2Y, REVIEW_2Y_ASQ = "C6i", "C6ii"
ASQ_DOMAINS = ("C6iii", "C6iv", "C6v", "C6vi", "C6vii", "C6viii")
REVIEW_6_8W, BREASTFEEDING = "C8i", "C8ii"

_CELL = ["locality_upper", "decile_text"]


def _where_label() -> pl.Expr:
    """``NORTH decile 2``, ``NORTH decile U`` or ``NORTH all deciles`` for a row's locality and decile."""
    return pl.format(
        "{} {}",
        pl.col("locality_upper"),
        pl.when(pl.col("decile_text").is_null())
        .then(pl.lit("all deciles"))
        .otherwise(pl.lit("decile ") + pl.col("decile_text")),
    )


def _metric_rows(frame: pl.DataFrame, code: str, suffix: str = "") -> pl.DataFrame:
    """One metric's rows: locality, decile, numbers (as written and as values) and row number, columns suffixed."""
    return frame.filter(pl.col("kpi_code") == code).select(
        *_CELL,
        pl.col("numerator").alias(f"numerator{suffix}"),
        pl.col("denominator").alias(f"denominator{suffix}"),
        pl.col("numerator_value").alias(f"num{suffix}"),
        pl.col("denominator_value").alias(f"den{suffix}"),
        pl.col("source_row").alias(f"row{suffix}"),
    )


def _pair(frame: pl.DataFrame, code: str, other: str) -> pl.DataFrame:
    """``code``'s rows beside ``other``'s for the same locality and decile (``other``'s columns end ``_o``)."""
    return (
        _metric_rows(frame, code)
        .with_columns(pl.col("row").alias("source_row"), pl.lit(code).alias("kpi_code"))
        .join(_metric_rows(frame, other, "_o"), on=_CELL, how="inner", nulls_equal=True)
    )


def _check_related(frame: pl.DataFrame, report: Report) -> None:
    """Related mandated-contact KPIs count the same children: their figures must agree (issue #12 section 6).

    Compared per locality x decile row (the all-deciles and U rows too), on rows with no other error (a row that is
    already wrong, or repeated, is put right first). Errors, because each is true by the metric's definition:

    - C2 and C3 share one denominator (infants who turned 30 days in the period), and C2 + C3 is at most that
      denominator (a first visit is within 14 days or after, never both); the sum is checked only where the two
      denominators agree, so one mistake gives one message;
    - C6ii's denominator (2-2½ year reviews done) is C6i's numerator;
    - each ASQ-3 domain's denominator (C6iii-C6viii: reviews with a score in the domain) is at most C6ii's
      numerator (reviews that used ASQ-3).

    Warnings (confirm with a reason), because the figures can differ for honest reasons:

    - C5 (reviewed by 15 months) below C4 (reviewed by 12 months), compared on the **rate** per locality (the
      all-deciles row, or the sum of the decile rows when it is absent), not per decile and not on numerators: the
      two count different birth cohorts of different sizes, so only the rates are comparable, and decile cells are
      too small to compare without false alarms;
    - C8ii's denominator (infants due a 6-8 week review) not equal to C8i's denominator (the same infants). The
      return has no "breastfeeding status known" figure: a smaller C8ii denominator is read as the infants whose
      status is known, and the message reports that share; a larger one cannot be right. C8ii's numerator above its
      denominator is the general ``numerator_over_denominator`` error.
    """
    bad_rows = report.errors["row"].drop_nulls().implode()
    clean = frame.filter(pl.col("kpi_code").is_not_null(), ~pl.col("source_row").is_in(bad_rows))

    nbv = _pair(clean, NBV_AFTER_14, NBV_WITHIN_14)
    report.add(
        problems_where(
            nbv,
            pl.col("den") != pl.col("den_o"),
            severity="error",
            check="related_denominators_differ",
            column="denominator",
            message=pl.format(
                "{} {}: the denominator {} differs from {}'s denominator {} (row {}): C2 and C3 count the same "
                "infants (those who turned 30 days in the period), so give both the same denominator",
                pl.col("kpi_code"),
                _where_label(),
                pl.col("denominator"),
                pl.lit(NBV_WITHIN_14),
                pl.col("denominator_o"),
                pl.col("row_o"),
            ),
        )
    )
    report.add(
        problems_where(
            nbv,
            (pl.col("den") == pl.col("den_o")) & (pl.col("num") + pl.col("num_o") > pl.col("den")),
            severity="error",
            check="visits_over_cohort",
            column="numerator",
            message=pl.format(
                "{} {}: {} new birth visits within 14 days (C2, row {}) plus {} after 14 days (C3) make {}, more "
                "than the {} infants in the cohort: an infant's visit is within or after 14 days, never both, so "
                "check both numerators",
                pl.col("kpi_code"),
                _where_label(),
                pl.col("numerator_o"),
                pl.col("row_o"),
                pl.col("numerator"),
                _number_text(pl.col("num") + pl.col("num_o")),
                pl.col("denominator"),
            ),
        )
    )

    asq = _pair(clean, REVIEW_2Y_ASQ, REVIEW_2Y)
    report.add(
        problems_where(
            asq,
            pl.col("den") != pl.col("num_o"),
            severity="error",
            check="related_denominators_differ",
            column="denominator",
            message=pl.format(
                "{} {}: the denominator {} (2-2½ year reviews done) differs from {}'s numerator {} (row {}), "
                "which counts the same reviews: make them the same",
                pl.col("kpi_code"),
                _where_label(),
                pl.col("denominator"),
                pl.lit(REVIEW_2Y),
                pl.col("numerator_o"),
                pl.col("row_o"),
            ),
        )
    )
    for domain in ASQ_DOMAINS:
        scored = _pair(clean, domain, REVIEW_2Y_ASQ)
        report.add(
            problems_where(
                scored,
                pl.col("den") > pl.col("num_o"),
                severity="error",
                check="asq_domain_over_asq_reviews",
                column="denominator",
                message=pl.format(
                    "{} {}: the denominator {} (reviews with a score in this ASQ-3 domain) is more than {}'s "
                    "numerator {} (row {}), the reviews that used ASQ-3: a domain is only scored in such a "
                    "review, so check both",
                    pl.col("kpi_code"),
                    _where_label(),
                    pl.col("denominator"),
                    pl.lit(REVIEW_2Y_ASQ),
                    pl.col("numerator_o"),
                    pl.col("row_o"),
                ),
            )
        )

    feeding = _pair(clean, BREASTFEEDING, REVIEW_6_8W)
    known_pct = (pl.col("den") / pl.col("den_o") * 100).round(1)
    report.add(
        problems_where(
            feeding,
            pl.col("den") < pl.col("den_o"),
            severity="warning",
            check="breastfeeding_status_known",
            column="denominator",
            value=known_pct,
            message=pl.format(
                "{} {}: the denominator {} is below the {} infants due a 6-8 week review ({}'s denominator, row "
                "{}): breastfeeding status is known for {}% of them. C8ii's denominator is every infant due the "
                "review, status known or not: correct it, or confirm with a reason",
                pl.col("kpi_code"),
                _where_label(),
                pl.col("denominator"),
                pl.col("denominator_o"),
                pl.lit(REVIEW_6_8W),
                pl.col("row_o"),
                known_pct,
            ),
        )
    )
    report.add(
        problems_where(
            feeding,
            pl.col("den") > pl.col("den_o"),
            severity="warning",
            check="breastfeeding_status_known",
            column="denominator",
            message=pl.format(
                "{} {}: the denominator {} is more than the {} infants due a 6-8 week review ({}'s denominator, "
                "row {}): both count the same infants, so check both, or confirm with a reason",
                pl.col("kpi_code"),
                _where_label(),
                pl.col("denominator"),
                pl.col("denominator_o"),
                pl.lit(REVIEW_6_8W),
                pl.col("row_o"),
            ),
        )
    )

    _check_c5_not_below_c4(frame, clean, report)


def _locality_rates(frame: pl.DataFrame, clean: pl.DataFrame, code: str) -> pl.DataFrame:
    """A metric's rate per locality: its all-deciles row, or the sum of its decile rows when that row is absent.

    A locality with any erroneous row of the metric is left out (its figures are not yet known).
    """
    spoilt = (
        frame.filter(pl.col("kpi_code") == code, ~pl.col("source_row").is_in(clean["source_row"].implode()))
        .select("locality_upper")
        .unique()
    )
    rows = clean.filter(pl.col("kpi_code") == code).join(spoilt, on="locality_upper", how="anti")
    return (
        rows.group_by("locality_upper")
        .agg(
            pl.when(pl.col("decile_text").is_null().any())
            .then(pl.col("numerator_value").filter(pl.col("decile_text").is_null()).first())
            .otherwise(pl.col("numerator_value").sum())
            .alias("num"),
            pl.when(pl.col("decile_text").is_null().any())
            .then(pl.col("denominator_value").filter(pl.col("decile_text").is_null()).first())
            .otherwise(pl.col("denominator_value").sum())
            .alias("den"),
            pl.col("source_row").filter(pl.col("decile_text").is_null()).first().alias("source_row"),
        )
        .filter(pl.col("den") > 0)
        .with_columns((pl.col("num") / pl.col("den") * 100).alias("pct"))
    )


def _check_c5_not_below_c4(frame: pl.DataFrame, clean: pl.DataFrame, report: Report) -> None:
    later = _locality_rates(frame, clean, REVIEW_15M)
    earlier = _locality_rates(frame, clean, REVIEW_12M).select(
        "locality_upper", pl.col("pct").alias("pct_o"), pl.col("source_row").alias("row_o")
    )
    both = later.join(earlier, on="locality_upper", how="inner")
    report.add(
        problems_where(
            both,
            pl.col("pct") < pl.col("pct_o"),
            severity="warning",
            check="c5_below_c4",
            column="numerator",
            value=pl.col("pct").round(1),
            message=pl.format(
                "{} {}: {}% of children were reviewed by 15 months, below the {}% reviewed by 12 months ({}{}): "
                "the 15-month rate also counts reviews done after 12 months, so it is normally the higher; "
                "check both, or confirm with a reason",
                pl.lit(REVIEW_15M),
                pl.col("locality_upper"),
                pl.col("pct").round(1),
                pl.col("pct_o").round(1),
                pl.lit(REVIEW_12M),
                pl.when(pl.col("row_o").is_null())
                .then(pl.lit(", its decile rows added up"))
                .otherwise(pl.lit(", row ") + pl.col("row_o").cast(pl.String)),
            ),
        )
    )


def _warn(rows: pl.DataFrame, report: Report, context: ReturnContext, period: periods.Period | None) -> None:
    expected = pl.DataFrame(
        [
            (code, loc)
            for code, kpi in context.kpis.items()
            for loc in ([BOROUGH] if kpi.breakdown == "borough" else list(context.localities))
        ],
        schema={"kpi_code": pl.String, "locality_code": pl.String},
        orient="row",
    )
    returned = rows.select("kpi_code", "locality_code").unique()
    absent = expected.join(returned, on=["kpi_code", "locality_code"], how="anti")
    for kpi_code, locality in absent.iter_rows():
        where = "the borough" if locality == BOROUGH else f"locality {locality}"
        report.add(
            problem(
                "warning",
                "rows_not_returned",
                f"{kpi_code} has no rows for {where}: add them, or confirm the return without them",
                column="metric_code",
                value=f"{kpi_code} {locality}",
            )
        )

    totals = (
        rows.filter(pl.col("imd_decile") != UNKNOWN_DECILE)
        .group_by(["kpi_code", "locality_code"])
        .agg(
            pl.when((pl.col("imd_decile") == ALL_DECILES).any())
            .then(pl.col("denominator").filter(pl.col("imd_decile") == ALL_DECILES).first())
            .otherwise(pl.col("denominator").sum())
            .alias("all_den"),
            pl.when((pl.col("imd_decile") == ALL_DECILES).any())
            .then(pl.col("numerator").filter(pl.col("imd_decile") == ALL_DECILES).first())
            .otherwise(pl.col("numerator").sum())
            .alias("all_num"),
        )
    )
    unknown = rows.filter(pl.col("imd_decile") == UNKNOWN_DECILE).join(
        totals, on=["kpi_code", "locality_code"]
    )
    base = (
        pl.when(pl.col("denominator").is_not_null())
        .then(pl.col("denominator") / pl.col("all_den"))
        .otherwise(pl.col("numerator") / pl.col("all_num"))
        * 100
    )
    unknown = unknown.with_columns(base.alias("share_pct"))
    threshold = context.unknown_decile_warn_pct
    report.add(
        problems_where(
            unknown,
            pl.col("share_pct") > threshold,
            severity="warning",
            check="unknown_decile_share",
            column="imd_decile",
            value=pl.col("share_pct").round(1),
            message=pl.format(
                "{} {}: {}% of children are in decile U (LSOA unknown), above the {}% threshold: check "
                "postcodes are recorded",
                pl.col("kpi_code"),
                pl.col("locality_code"),
                pl.col("share_pct").round(1),
                pl.lit(threshold),
            ),
        )
    )

    if period is None or context.previous_values is None:
        return
    previous = context.previous_values(period)
    if previous.is_empty():
        return
    current = rows.filter(pl.col("imd_decile") == ALL_DECILES, pl.col("denominator") > 0).with_columns(
        (pl.col("numerator") / pl.col("denominator") * 100).alias("value_pct")
    )
    moved = current.join(previous.rename({"value_pct": "previous_pct"}), on=["kpi_code", "locality_code"])
    limit = context.movement_warn_points
    report.add(
        problems_where(
            moved,
            (pl.col("value_pct") - pl.col("previous_pct")).abs() > limit,
            severity="warning",
            check="large_movement",
            column="numerator",
            value=pl.col("value_pct").round(1),
            message=pl.format(
                "{} {}: {}% this period against {}% in {}, a move of more than {} points: check the "
                "figures, or confirm them with a reason",
                pl.col("kpi_code"),
                pl.col("locality_code"),
                pl.col("value_pct").round(1),
                pl.col("previous_pct").round(1),
                pl.lit(period.previous().code),
                pl.lit(limit),
            ),
        )
    )
