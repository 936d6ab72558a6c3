"""The provider's quarterly return of mandated-contact and local KPIs: validation against its declared rules.

Format (docs/formats/provider-return.md): one provider x one period per file, columns
``period, provider_code, metric_code, locality_code, imd_decile, numerator, denominator, comment``
(:data:`kpi.returns.schema.COLUMNS`). :func:`validate_return` checks a file's text rows against this schema, the
KPI catalogue and the council's localities and reports **every** problem at once. The checks are the rule tables of
:mod:`kpi.returns.rule_tables`, evaluated as vectorised polars expressions over the whole file by
:func:`kpi.ingest.rules.check_rules`; the cross-row checks below only build the frame their rules look at.

Errors stop the load; warnings stop it unless confirmed with a reason (docs/methods.md section 2, issue "Foundation").
"""

from __future__ import annotations

import polars as pl

from kpi.core import periods as periods
from kpi.ingest.report import Report
from kpi.ingest.rules import check_rules
from kpi.returns import rule_tables as rules
from kpi.returns.schema import (
    ALL_DECILES,
    BOROUGH,
    COLUMNS,
    DATASET,
    DECILES,
    INFORMATION_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    REVIEW_12M,
    REVIEW_15M,
    UNKNOWN_DECILE,
    CheckedReturn,
    ReturnContext,
)

__all__ = [
    "ALL_DECILES",
    "BOROUGH",
    "COLUMNS",
    "DATASET",
    "DECILES",
    "INFORMATION_COLUMNS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "UNKNOWN_DECILE",
    "CheckedReturn",
    "ReturnContext",
    "validate_return",
]

_CELL = ["locality_upper", "decile_text"]


def _codes_list(values: list[str], limit: int = 12) -> str:
    shown = ", ".join(values[:limit])
    return shown + (", …" if len(values) > limit else "")


def _check_header(frame: pl.DataFrame, report: Report) -> list[str]:
    """Missing and unknown columns; returns the missing ones.

    A header row that is not the return's (titles in words, another template, a shifted row) misses columns and
    has others: one message showing the header expected, not one per column.
    """
    columns = [c for c in frame.columns if c != "source_row"]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in COLUMNS]
    expected = ",".join(COLUMNS)
    if missing and len(missing) + len(unknown) > 1:
        parts = [f"missing: {', '.join(missing)}"]
        if unknown:
            parts.append(f"not part of the return: {', '.join(unknown)}")
        report.add(rules.WRONG_HEADER.one(expected=expected, found="; ".join(parts)))
    else:
        for name in missing:
            report.add(rules.MISSING_COLUMN.one(column=name, name=name, expected=expected))
        for name in unknown:
            report.add(rules.UNKNOWN_COLUMN.one(column=name, name=name))
    if frame.is_empty():
        report.add(rules.EMPTY.one())
    return missing


def validate_return(frame: pl.DataFrame, report: Report, context: ReturnContext) -> CheckedReturn:
    """Check a return's text rows (from :func:`kpi.ingest.files.read_text_table`) and type them.

    Every problem found is added to ``report``; typed rows are returned only when there are no errors.
    """
    report.rows_read = frame.height
    frame = frame.drop([c for c in INFORMATION_COLUMNS if c in frame.columns])
    missing = _check_header(frame, report)
    if missing or frame.is_empty():
        return CheckedReturn(report)
    if "comment" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("comment"))

    if context.kpis_for_period is not None:
        context.kpis = context.kpis_for_period(_file_period(frame) or periods.quarter_of(context.today))
    if context.index_for_period is not None:  # the deciles' index and its cells (docs/methods.md section 7.1)
        context.index_code = context.index_for_period(
            _file_period(frame) or periods.quarter_of(context.today)
        )
        if context.cells_for_index is not None:
            context.cells = context.cells_for_index(context.index_code)
    if "imd_index" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("imd_index"))
    frame = _prepare(frame, context)
    period = _check_period(frame, report, context)
    locality_codes = list(context.localities)
    params = {
        "provider": context.provider_code.upper(),
        "known_metrics": _codes_list(list(context.kpis)),
        "locality_codes": locality_codes,
        "localities": ", ".join(locality_codes),
        "expected_index": context.index_code,
    }
    check_rules(frame, rules.ROW_RULES, report, params)
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


#: ``imd_index`` as an index code: IoD2019 / IoD2025 (also written IMD2019, IMD 2025, any case); null otherwise.
_INDEX_TEXT = (
    pl.col("imd_index")
    .str.to_uppercase()
    .str.replace_all(r"[^A-Z0-9]", "")
    .replace_strict(
        {"IOD2019": "IoD2019", "IMD2019": "IoD2019", "IOD2025": "IoD2025", "IMD2025": "IoD2025"}, default=None
    )
)


def _prepare(frame: pl.DataFrame, context: ReturnContext) -> pl.DataFrame:
    """The columns the rules read: codes as matched, the KPI's kind and breakdown, numbers' values, LSOA cells."""
    kpis = context.kpis
    kpi_by_upper = {code.upper(): code for code in kpis}
    frame = frame.with_columns(
        pl.col("metric_code").str.to_uppercase().replace_strict(kpi_by_upper, default=None).alias("kpi_code"),
        pl.col("locality_code").str.to_uppercase().alias("locality_upper"),
        pl.col("imd_decile").str.to_uppercase().str.strip_chars_start("0").alias("decile_text"),
        pl.col("provider_code").str.to_uppercase().alias("provider_upper"),
        _INDEX_TEXT.alias("index_code"),
    )
    kind = pl.col("kpi_code").replace_strict({c: k.value_kind for c, k in kpis.items()}, default=None)
    breakdown = pl.col("kpi_code").replace_strict({c: k.breakdown for c, k in kpis.items()}, default=None)
    frame = frame.with_columns(
        kind.alias("value_kind"),
        breakdown.alias("breakdown"),
        *(
            pl.when(rules.too_long(pl.col(c)))
            .then(None)
            .otherwise(pl.col(c).cast(pl.Float64, strict=False))
            .alias(f"{c}_value")
            for c in ("numerator", "denominator")
        ),
    )
    if not context.cells:
        return frame.with_columns(pl.lit(True).alias("_has_lsoa"))
    cells = pl.DataFrame(
        {
            "locality_upper": [c[0] for c in context.cells],
            "decile_text": [str(c[1]) for c in context.cells],
        }
    ).with_columns(pl.lit(True).alias("_has_lsoa"))
    return frame.join(cells, on=_CELL, how="left", maintain_order="left")


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
    errors: dict[str, str] = {}
    for raw in frame["period"].drop_nulls().unique(maintain_order=True).to_list():
        try:
            valid[raw] = periods.parse_period(raw)
        except periods.PeriodError as exc:
            errors[raw] = str(exc)
    read = frame.with_columns(
        pl.col("period").replace_strict(errors, default=None, return_dtype=pl.String).alias("period_error")
    )
    check_rules(read, rules.PERIOD_RULES, report)
    distinct = sorted(set(valid.values()))
    if len(distinct) > 1:
        # Name the rows of every period but the file's main one (the most common), so they can be found.
        counts = frame.filter(pl.col("period").is_in(list(valid))).with_columns(
            pl.col("period").replace_strict({raw: p.code for raw, p in valid.items()}).alias("_period_code")
        )
        main = counts["_period_code"].value_counts(sort=True)["_period_code"][0]
        codes = ", ".join(p.code for p in distinct)
        check_rules(
            counts, [rules.SEVERAL_PERIODS], report, {"main": main, "count": len(distinct), "codes": codes}
        )
        return None
    if not distinct:
        return None
    period = distinct[0]
    if period.kind != "Q":
        report.add(
            rules.NOT_A_QUARTER.one(value=period.code, period=period.code, quarter=period.quarter.code)
        )
        return None
    if period.end >= context.today:
        ends = f"{period.end:%d %B %Y}"
        report.add(rules.PERIOD_NOT_ENDED.one(value=period.code, period=period.code, ends=ends))
    return period


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
    check_rules(totals.join(deciles, on=["kpi_code", "locality_upper"], how="inner"), rules.SUM_RULES, report)


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
    for code, other, pair_rules in rules.RELATED_RULES:
        check_rules(_pair(clean, code, other), pair_rules, report)
    later = _locality_rates(frame, clean, REVIEW_15M)
    earlier = _locality_rates(frame, clean, REVIEW_12M).select(
        "locality_upper", pl.col("pct").alias("pct_o"), pl.col("source_row").alias("row_o")
    )
    check_rules(later.join(earlier, on="locality_upper", how="inner"), rules.C5_RULES, report)


def _all_or_sum(value: str) -> pl.Expr:
    """Within a locality's rows: the all-deciles row's ``value``, or the sum of the decile rows without one."""
    is_all = pl.col("decile_text").is_null()
    return pl.when(is_all.any()).then(pl.col(value).filter(is_all).first()).otherwise(pl.col(value).sum())


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
            _all_or_sum("numerator_value").alias("num"),
            _all_or_sum("denominator_value").alias("den"),
            pl.col("source_row").filter(pl.col("decile_text").is_null()).first().alias("source_row"),
        )
        .filter(pl.col("den") > 0)
        .with_columns((pl.col("num") / pl.col("den") * 100).alias("pct"))
    )


def _warn(rows: pl.DataFrame, report: Report, context: ReturnContext, period: periods.Period | None) -> None:
    """Warnings over the typed rows: rows not returned, decile U's share, movement since the previous period."""
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
    absent = expected.join(returned, on=["kpi_code", "locality_code"], how="anti", maintain_order="left")
    absent = absent.with_columns(pl.lit(None, dtype=pl.Int64).alias("source_row"))
    check_rules(absent, [rules.ROWS_NOT_RETURNED], report)

    is_all = pl.col("imd_decile") == ALL_DECILES
    totals = (
        rows.filter(pl.col("imd_decile") != UNKNOWN_DECILE)
        .group_by(["kpi_code", "locality_code"])
        .agg(
            pl.when(is_all.any())
            .then(pl.col("denominator").filter(is_all).first())
            .otherwise(pl.col("denominator").sum())
            .alias("all_den"),
            pl.when(is_all.any())
            .then(pl.col("numerator").filter(is_all).first())
            .otherwise(pl.col("numerator").sum())
            .alias("all_num"),
        )
    )
    share = (
        pl.when(pl.col("denominator").is_not_null())
        .then(pl.col("denominator") / pl.col("all_den"))
        .otherwise(pl.col("numerator") / pl.col("all_num"))
        * 100
    )
    unknown = rows.filter(pl.col("imd_decile") == UNKNOWN_DECILE).join(
        totals, on=["kpi_code", "locality_code"]
    )
    threshold = {"threshold": context.unknown_decile_warn_pct}
    check_rules(
        unknown.with_columns(share.alias("share_pct")), [rules.UNKNOWN_DECILE_SHARE], report, threshold
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
    params = {"limit": context.movement_warn_points, "previous_period": period.previous().code}
    check_rules(moved, [rules.LARGE_MOVEMENT], report, params)
