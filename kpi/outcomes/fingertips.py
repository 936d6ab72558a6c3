"""Fingertips "all data" CSV exports: a tolerant reader with declared key columns and every problem listed.

Format (docs/methods.md section 4): OHID's Fingertips exports one row per indicator x area x sex x age x category x time
period, with columns such as ``Indicator ID, Indicator Name, Parent Code, Parent Name, Area Code, Area Name, Area
Type, Sex, Age, Category Type, Category, Time period, Value, Lower CI 95.0 limit, Upper CI 95.0 limit, Lower CI 99.8
limit, Upper CI 99.8 limit, Count, Denominator, Value note, Recent Trend, Compared to England value or percentiles,
Compared to <parent> value or percentiles, Time period Sortable, New data, Compared to goal`` (newer exports add
``Time period range``). fingertipsR writes the same headers with the spaces stripped (``IndicatorID``,
``LowerCI95.0limit``). The reader is tolerant on purpose:

* headers are matched after dropping case, spaces and punctuation, so both styles read alike;
* the key columns are required (indicator, area, sex, age, category type, category, time period, value, the 95%
  limits, count, denominator); the 99.8% limits and the rest are optional;
* the "Compared to … value or percentiles" columns are matched by pattern (England, or the parent area, whatever
  its name);
* unknown columns are ignored (and named in a note);
* a blank value is accepted when it carries a value note (suppression, missing data), refused otherwise;
* deprivation categories in either style map to national deciles 1 (most deprived) to 10: ``Most deprived decile
  (IMD2019)``, ``Second most deprived decile``, ``Third more deprived decile`` … ``Fifth more``, ``Fifth less`` …
  ``Second least deprived decile``, ``Least deprived decile``; or ``1st decile`` … ``10th decile``.

Every problem in a malformed export is reported at once (row, column, value, what to do); the typed rows are
returned only when there is none. The checks are declared rules (:mod:`kpi.outcomes.rule_tables`), vectorised polars
expressions over the whole file.

Example:
    >>> decile_of_category("Third less deprived decile (IMD2019)"), decile_of_category("2nd decile")
    (8, 2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from kpi.ingest.report import Report
from kpi.ingest.rules import check_rules
from kpi.outcomes import rule_tables as rules

DATASET = "fingertips"

#: Squashed header (lower case, letters and digits only) -> our column name. Required columns first.
REQUIRED = {
    "indicatorid": "indicator_id",
    "areacode": "area_code",
    "sex": "sex",
    "age": "age",
    "categorytype": "category_type",
    "category": "category",
    "timeperiod": "time_period",
    "value": "value",
    "lowerci950limit": "lower_ci_95",
    "upperci950limit": "upper_ci_95",
    "count": "count",
    "denominator": "denominator",
}
OPTIONAL = {
    "indicatorname": "indicator_name",
    "areaname": "area_name",
    "areatype": "area_type",
    "parentcode": "parent_code",
    "parentname": "parent_name",
    "lowerci998limit": "lower_ci_998",
    "upperci998limit": "upper_ci_998",
    "valuenote": "value_note",
    "recenttrend": "recent_trend",
    "comparedtogoal": "compared_to_goal",
    "timeperiodsortable": "time_period_sortable",
    "timeperiodrange": "time_period_range",
}
#: Known columns that are read past without a note.
KNOWN_UNUSED = ("newdata",)
_COMPARED = re.compile(r"^comparedto(.+)valueorpercentiles$")

SPACED = rules.SPACED
NUMERIC = rules.FINGERTIPS_NUMBERS
TEXT_COLUMNS = (
    "indicator_name",
    "area_name",
    "area_type",
    "parent_code",
    "parent_name",
    "value_note",
    "recent_trend",
    "compared_to_england",
    "compared_to_parent",
    "compared_to_goal",
    "time_period_range",
)
#: The columns of the typed rows, in table order.
ROW_COLUMNS = (
    "indicator_id",
    "indicator_name",
    "area_code",
    "area_name",
    "area_type",
    "parent_code",
    "parent_name",
    "sex",
    "age",
    "category_type",
    "category",
    "imd_decile",
    "time_period",
    "time_period_sortable",
    "time_period_range",
    *NUMERIC,
    "value_note",
    "recent_trend",
    "compared_to_england",
    "compared_to_parent",
    "compared_to_goal",
    "source_row",
)
KEY = rules.FINGERTIPS_KEY

_ORDINAL_WORDS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5}
_WORD_DECILE = re.compile(r"^(second|third|fourth|fifth)\s+(most|more|least|less)\s+deprived\s+decile\b")
_NUMBER_DECILE = re.compile(r"^([0-9]{1,2})\s*(st|nd|rd|th)?\s+decile\b")


def squash(header: str) -> str:
    """A header with case, spaces and punctuation dropped: ``Lower CI 95.0 limit`` -> ``lowerci950limit``."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


def decile_of_category(category: str | None) -> int | None:
    """The national deprivation decile (1 = most deprived) a Fingertips category names, or None.

    Method: both labelling styles of docs/methods.md section 4. Word style: ``Most deprived decile`` = 1, ``Second most``
    = 2, ``Third/Fourth/Fifth more`` = 3/4/5, ``Fifth/Fourth/Third less`` = 6/7/8, ``Second least`` = 9,
    ``Least deprived decile`` = 10 (any "(IMD2019)"-style suffix ignored). Number style: ``1st decile`` = 1 …
    ``10th decile`` = 10.
    """
    if category is None:
        return None
    text = re.sub(r"\s+", " ", category.strip().lower())
    if text.startswith("most deprived decile"):
        return 1
    if text.startswith("least deprived decile"):
        return 10
    match = _WORD_DECILE.match(text)
    if match:
        n = _ORDINAL_WORDS[match[1]]
        return n if match[2] in ("most", "more") else 11 - n
    match = _NUMBER_DECILE.match(text)
    if match and 1 <= int(match[1]) <= 10:
        return int(match[1])
    return None


_FY = re.compile(r"^\s*([0-9]{4})\s*[-/]\s*([0-9]{2})(?:\s*([QqMm])\s*([0-9]{1,2}))?")
_YEAR = re.compile(r"^\s*([0-9]{4})(?:\s*[Qq]\s*([1-4]))?(?![0-9])")
_MONTHS = {m: i for i, m in enumerate(("jan feb mar apr may jun jul aug sep oct nov dec").split(), start=1)}
_MONTH_YEAR = re.compile(r"^\s*([A-Za-z]{3})[A-Za-z]*\s+([0-9]{4})")


def period_sort_key(text: str | None) -> int | None:
    """A sortable integer for a Fingertips or local period: year x 10000 + quarter x 100 + month.

    Method: Fingertips' ``Time period Sortable`` convention (``2022/23`` -> 20220000, ``2022/23 Q2`` ->
    20220200); financial years may be written ``2022-23`` or ``2022/23``, months of a financial year ``2022-23 M05``
    (-> 20220005), calendar years ``2022`` (and ranges such as ``2020 - 22`` by their first year), months ``Jun
    2023``. Returns None when the text is not a period.

    Example:
        >>> period_sort_key("2022/23 Q2"), period_sort_key("2019 - 21"), period_sort_key("soon")
        (20220200, 20190000, None)
    """
    if text is None:
        return None
    match = _FY.match(text)
    if match:
        year, second = int(match[1]), int(match[2])
        if (year + 1) % 100 != second:
            # '2020 - 22' is a calendar-year range, not a financial year
            return year * 10000 if re.match(r"^\s*[0-9]{4}\s*-\s*[0-9]{2}\s*$", text) else None
        if match[3] is None:
            return year * 10000
        number = int(match[4])
        if match[3].upper() == "Q":
            return year * 10000 + number * 100 if 1 <= number <= 4 else None
        return year * 10000 + number if 1 <= number <= 12 else None
    match = _YEAR.match(text)
    if match:
        return int(match[1]) * 10000 + (int(match[2]) * 100 if match[2] else 0)
    match = _MONTH_YEAR.match(text)
    if match and match[1].lower() in _MONTHS:
        return int(match[2]) * 10000 + _MONTHS[match[1].lower()]
    return None


@dataclass
class CheckedExport:
    """A checked export: its report, and its typed rows when there were no errors."""

    report: Report
    rows: pl.DataFrame | None = None


def _map_columns(columns: list[str], report: Report) -> dict[str, str]:
    """File column -> our name; notes the columns that are ignored."""
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for column in columns:
        key = squash(column)
        name = REQUIRED.get(key) or OPTIONAL.get(key)
        if name is None:
            match = _COMPARED.match(key)
            if match:
                name = "compared_to_england" if match[1] == "england" else "compared_to_parent"
        if name is None or name in taken:
            if key not in KNOWN_UNUSED:
                ignored.append(column)
            continue
        mapping[column] = name
        taken.add(name)
    if ignored:
        report.notes.append(f"columns ignored: {', '.join(ignored)}")
    return mapping


def validate_export(frame: pl.DataFrame, report: Report) -> CheckedExport:
    """Check an export's text rows (from :func:`kpi.ingest.files.read_text_table`) and type them.

    Every problem is added to ``report`` (the rules of :mod:`kpi.outcomes.rule_tables`,
    :data:`~kpi.outcomes.rule_tables.FINGERTIPS_RULES`, over the whole file at once); typed rows
    (:data:`ROW_COLUMNS`) are returned only without errors.
    """
    report.rows_read = frame.height
    columns = [c for c in frame.columns if c != "source_row"]
    mapping = _map_columns(columns, report)
    missing = [name for name in REQUIRED.values() if name not in mapping.values()]
    header = ", ".join(SPACED[n] for n in REQUIRED.values())
    for name in missing:
        report.add(rules.FINGERTIPS_MISSING_COLUMN.one(column=SPACED[name], name=SPACED[name], header=header))
    if frame.is_empty():
        report.add(rules.FINGERTIPS_EMPTY.one())
    if missing or frame.is_empty():
        return CheckedExport(report)

    frame = frame.select("source_row", *[pl.col(c).alias(n) for c, n in mapping.items()])
    for name in (*OPTIONAL.values(), "compared_to_england", "compared_to_parent"):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    if mapping and "lower_ci_998" not in mapping.values():
        report.notes.append("the export has no 99.8% limits: comparisons use the 95% limits only")
    frame = _worked_out(
        frame.with_columns([pl.col(c).fill_null("") for c in ("sex", "age", "category_type", "category")])
    )
    check_rules(frame, rules.FINGERTIPS_RULES, report)
    if not report.ok:
        return CheckedExport(report)
    rows = (
        frame.drop(*NUMERIC, "time_period_sortable")
        .rename({**{f"_{n}": n for n in NUMERIC}, "_sortable": "time_period_sortable"})
        .with_columns(pl.col("indicator_id").cast(pl.Int64))
        .select(ROW_COLUMNS)
    )
    indicators = rows["indicator_id"].n_unique()
    areas = rows["area_code"].n_unique()
    report.notes.append(f"{indicators} indicator(s), {areas} area(s)")
    return CheckedExport(report, rows)


def _worked_out(frame: pl.DataFrame) -> pl.DataFrame:
    """The values the rules look at beside the text: numbers (``_value`` ...), the period order, the decile."""
    keys = {text: period_sort_key(text) for text in frame["time_period"].drop_nulls().unique().to_list()}
    derived = pl.col("time_period").replace_strict(keys, default=None, return_dtype=pl.Int64)
    deciles = {text: decile_of_category(text) for text in frame["category"].unique().to_list()}
    return frame.with_columns(
        *[pl.col(n).cast(pl.Float64, strict=False).alias(f"_{n}") for n in NUMERIC],
        pl.coalesce(pl.col("time_period_sortable").cast(pl.Int64, strict=False), derived).alias("_sortable"),
        pl.col("category").replace_strict(deciles, default=None, return_dtype=pl.Int64).alias("imd_decile"),
    )
