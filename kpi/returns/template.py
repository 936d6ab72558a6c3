"""Return templates for the portal: the rows a provider's quarterly return needs, as CSV and as an XLSX workbook.

The template is made from the database, so it always matches what the checks expect: one row per KPI of the
catalogue and, by its breakdown, per locality and per IMD decile that has LSOAs in the locality (plus ``U`` and the
all-deciles row), with the period and provider filled in and the numbers left blank. Beside the codes, two columns
for people (``kpi_name``, ``what_to_count``) say which KPI a row is and what it counts; the checks ignore them.
The workbook's sheet ``Return`` has drop-down lists (Excel data validation) for the period (the quarters open for
submission), the metric, locality and decile codes, and each all-deciles row's numbers as formulas (the sum of the
decile rows above it, shaded); sheet ``Lists`` holds the lists and ``Guidance`` says how to fill the return, what
each column means and what each KPI counts.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import deprivation
from kpi.core import periods as periods
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.councils import localities, locality_cells
from kpi.core.store import Store
from kpi.returns.schema import COLUMNS as RETURN_COLUMNS
from kpi.returns.schema import DATASET, INFORMATION_COLUMNS

#: How many quarters, back from the latest that has ended, a return (or a resubmission) may be for.
OPEN_QUARTERS = 4
COLUMNS = list(RETURN_COLUMNS)
DECILES = [str(d) for d in range(1, 11)] + ["U"]
#: The template's columns: the return's, then the ones for people.
TEMPLATE_COLUMNS = [*COLUMNS, *INFORMATION_COLUMNS]
#: What an all-deciles row says in ``what_to_count``.
ALL_DECILES_NOTE = "All deciles of the locality: the sum of the decile rows above, U included."
GUIDANCE = [
    ("period", "The financial-year quarter, e.g. 2026-27 Q2: one quarter per file, and it must have ended."),
    ("provider_code", "Your provider code. A file naming another provider is rejected."),
    ("metric_code", "A KPI code of the contract's catalogue (drop-down list)."),
    ("locality_code", "A locality code, or ALL for KPIs reported for the whole borough."),
    (
        "imd_decile",
        "1 (most deprived) to 10, U for an unknown LSOA, or blank for all deciles of the locality.",
    ),
    ("numerator", "A whole number (decimals only for ratio KPIs such as WTE)."),
    ("denominator", "A whole number; leave blank for counts (e.g. C1)."),
    ("comment", "Optional: your explanation. It pre-fills the exception narrative of a red or amber KPI."),
    (
        "imd_index",
        "The deprivation index of the deciles: IoD2019 (LSOAs 2011) or IoD2025 (LSOAs 2021), as filled in for the "
        "quarter. Assign the deciles on that index; blank means the quarter's.",
    ),
    ("kpi_name", "For you: the KPI's name. Not read by the checks; you may leave it or delete it."),
    ("what_to_count", "For you: what the numerator and denominator count. Not read by the checks."),
]
HOW_TO = [
    "How to fill in this return",
    "1. Fill in numerator and, for percentages, denominator on every row: whole numbers, digits only.",
    "2. Each locality has a row per IMD decile (1 = most deprived, on the index in column imd_index: IoD2019 or "
    "IoD2025 as the quarter uses), a U row for children whose LSOA is unknown, and "
    "an all-deciles row (imd_decile blank). In this workbook the all-deciles row adds up the rows above it by "
    "formula (shaded): do not type over it. In the CSV template, enter the sum yourself.",
    "3. KPIs reported for the borough only have one row with locality ALL.",
    "4. Leave denominator blank for counts (e.g. C1). Add a comment to explain a figure that is off target.",
    "5. Keep the header row as it is (row 1 of sheet Return) and upload the workbook or save it as CSV.",
]


def _definition(kpi) -> str:
    """What a KPI's numerator and denominator count, in a sentence."""
    if kpi.value_kind == "count" or not kpi.denominator:
        return f"Count: {kpi.numerator}." if kpi.numerator else "Count."
    return f"Numerator: {kpi.numerator}. Denominator: {kpi.denominator}."


def open_periods(today: date | None = None, count: int = OPEN_QUARTERS) -> list[str]:
    """The quarters open for submission, newest first: the latest ended quarter and the ones before it."""
    last = periods.latest_ended_quarter(today)
    return [periods.from_index(last.index - step).code for step in range(count)]


def template_rows(
    store: Store, principal: Principal, council_code: str, provider_code: str, period: str
) -> pl.DataFrame:
    """The rows of a blank return for a provider and quarter (every column text, numbers blank).

    Columns :data:`TEMPLATE_COLUMNS`: the return's, then the KPI's name and what it counts.
    """
    require(principal, "upload", provider_code)
    code = periods.normalise_period(period)
    provider = provider_code.strip().upper()
    locs = localities(store, council_code)["locality_code"].to_list()
    index = deprivation.index_for_period(store, council_code, code)  # docs/methods.md section 7.1
    cells = locality_cells(store, council_code, index_code=index)
    deciles_of = {
        loc: sorted({int(d) for d in cells.filter(pl.col("locality_code") == loc)["imd_decile"].to_list()})
        for loc in locs
    }
    rows = []
    returned = catalogue_in_force(store, council_code, code, source="return")
    for kpi in sorted(returned.values(), key=lambda k: k.sort_order):
        if kpi.breakdown == "borough":
            keys = [("ALL", "")]
        elif kpi.breakdown == "locality":
            keys = [(loc, "") for loc in locs]
        else:
            keys = [(loc, decile) for loc in locs for decile in [str(d) for d in deciles_of[loc]] + ["U", ""]]
        rows += [
            {
                "period": code,
                "provider_code": provider,
                "metric_code": kpi.code,
                "locality_code": loc,
                "imd_decile": decile,
                "numerator": "",
                "denominator": "",
                "comment": "",
                "imd_index": index if kpi.breakdown == "locality_decile" else "",
                "kpi_name": kpi.name,
                "what_to_count": ALL_DECILES_NOTE
                if kpi.breakdown == "locality_decile" and decile == ""
                else _definition(kpi),
            }
            for loc, decile in keys
        ]
    return pl.DataFrame(rows, schema={name: pl.String for name in TEMPLATE_COLUMNS})


def template_csv(
    store: Store, principal: Principal, council_code: str, provider_code: str, period: str
) -> bytes:
    """The blank return as CSV (UTF-8)."""
    frame = template_rows(store, principal, council_code, provider_code, period)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerows(frame.rows())
    return text.getvalue().encode("utf-8")


def template_xlsx(
    store: Store,
    principal: Principal,
    council_code: str,
    provider_code: str,
    period: str,
    today: date | None = None,
) -> bytes:
    """The blank return as an XLSX workbook: sheet ``Return`` with drop-down lists, ``Lists`` and ``Guidance``."""
    import xlsxwriter

    frame = template_rows(store, principal, council_code, provider_code, period)
    catalogue = catalogue_in_force(store, council_code, period, source="return")
    locs = localities(store, council_code)["locality_code"].to_list()
    lists = {
        "period": open_periods(today),
        "metric_code": list(catalogue),
        "locality_code": [*locs, "ALL"],
        "imd_decile": DECILES,
    }
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("Return")
    list_sheet = book.add_worksheet("Lists")
    guidance = book.add_worksheet("Guidance")
    kinds = {code: kpi.value_kind for code, kpi in catalogue.items()}
    _write_return_sheet(book, sheet, frame, kinds)
    _write_lists(book, sheet, list_sheet, lists, last_row=max(frame.height, 1) + 500)  # room for rows added
    _write_guidance(book, guidance, lists["period"], catalogue)
    book.close()
    return buffer.getvalue()


def _write_return_sheet(book, sheet, frame: pl.DataFrame, kinds: dict[str, str]) -> None:
    """The ``Return`` sheet: the header, the blank rows, each all-deciles row as the sum of its decile rows."""
    header = book.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
    )
    summed = book.add_format({"bg_color": "#EDEDED", "italic": True})
    note = book.add_format({"font_color": "#595959"})
    sheet.write_row(0, 0, TEMPLATE_COLUMNS, header)
    numerator, denominator = COLUMNS.index("numerator"), COLUMNS.index("denominator")
    first_decile_row = None  # the sheet row of the first decile row of the current KPI x locality
    for number, row in enumerate(frame.iter_rows(named=True), start=1):
        for column, name in enumerate(TEMPLATE_COLUMNS):
            value = row[name]
            if value:
                sheet.write_string(number, column, value, note if name in INFORMATION_COLUMNS else None)
        if row["imd_decile"] and first_decile_row is None:
            first_decile_row = number
        if not row["imd_decile"] and first_decile_row is not None:
            # the all-deciles row: the sum of the decile rows above it (Excel rows are 1-based)
            for column in (numerator, denominator):
                if column == denominator and kinds.get(row["metric_code"]) == "count":
                    continue
                letter = chr(ord("A") + column)
                sheet.write_formula(
                    number, column, f"=SUM({letter}{first_decile_row + 1}:{letter}{number})", summed
                )
            first_decile_row = None
    # the header row is never cut off: frozen, wrapped, and every column at least as wide as its name
    sheet.freeze_panes(1, 3)
    sheet.set_row(0, 30)
    for column, name in enumerate(TEMPLATE_COLUMNS):
        sheet.set_column(column, column, max(_COLUMN_WIDTHS.get(name, 12), len(name) + 2))
    sheet.autofilter(0, 0, frame.height, len(TEMPLATE_COLUMNS) - 1)


_COLUMN_WIDTHS = {
    "period": 12,
    "provider_code": 14,
    "metric_code": 13,
    "locality_code": 15,
    "imd_decile": 11,
    "numerator": 12,
    "denominator": 13,
    "comment": 40,
    "imd_index": 11,
    "kpi_name": 34,
    "what_to_count": 70,
}


def _write_lists(book, sheet, list_sheet, lists: dict[str, list[str]], last_row: int) -> None:
    """The ``Lists`` sheet and a drop-down on the ``Return`` sheet's column for each list."""
    bold = book.add_format({"bold": True})
    for column, name in enumerate(lists):
        values = lists[name]
        list_sheet.write(0, column, name, bold)
        list_sheet.write_column(1, column, values)
        letter = chr(ord("A") + column)
        target = COLUMNS.index(name)
        sheet.data_validation(
            1,
            target,
            last_row,
            target,
            {
                "validate": "list",
                "source": f"=Lists!${letter}$2:${letter}${len(values) + 1}",
                "ignore_blank": True,
                "error_title": f"Not a {name}",
                "error_message": f"Choose a {name} from the list (sheet Lists).",
            },
        )
    list_sheet.set_column(0, len(lists) - 1, 16)


_BREAKDOWN_WORDS = {
    "borough": "borough only (locality ALL)",
    "locality": "locality",
    "locality_decile": "locality and IMD decile",
}


def _write_guidance(book, guidance, periods: list[str], catalogue: dict) -> None:
    """The ``Guidance`` sheet: how to fill the return, each column, and each KPI's name and what to count."""
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    line = 0
    guidance.write(line, 0, HOW_TO[0], bold)
    for text in HOW_TO[1:]:
        line += 1
        guidance.merge_range(line, 0, line, 3, text, wrap)
        guidance.set_row(line, 32)
    line += 2
    guidance.write(line, 0, f"Dataset: {DATASET}. Periods open for submission: {', '.join(periods)}.")
    line += 2
    guidance.write_row(line, 0, ["column", "what to enter"], bold)
    for name, text in GUIDANCE:
        line += 1
        guidance.write_row(line, 0, [name, text])
    line += 2
    guidance.write_row(line, 0, ["KPI", "name", "reported by", "what to count"], bold)
    for kpi in sorted(catalogue.values(), key=lambda k: k.sort_order):
        line += 1
        guidance.write_row(
            line,
            0,
            [kpi.code, kpi.name, _BREAKDOWN_WORDS.get(kpi.breakdown, kpi.breakdown), _definition(kpi)],
        )
    guidance.set_column(0, 0, 16)
    guidance.set_column(1, 1, 44)
    guidance.set_column(2, 2, 26)
    guidance.set_column(3, 3, 100)
