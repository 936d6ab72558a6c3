"""The provider's quarterly return of mandated-contact and local KPIs: declared schema and validation.

Format (README "The provider return"): one provider x one period per file, columns
``period, provider_code, metric_code, locality_code, imd_decile, numerator, denominator, comment``.
:func:`validate_return` checks a file's text rows against this schema, the KPI catalogue and the council's
localities and reports **every** problem at once. Checks are vectorised polars expressions over the whole file.

Errors stop the load; warnings stop it unless confirmed with a reason (domain.md section 2, issue "Foundation").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from kpi import periods
from kpi.catalogue import Kpi
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
    columns = [c for c in frame.columns if c != "source_row"]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    for name in missing:
        report.add(
            problem(
                "error",
                "missing_column",
                f"the column '{name}' is missing: add it to the header row "
                f"(the header must be {','.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})",
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
