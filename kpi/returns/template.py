"""Return templates for the portal: the rows a provider's quarterly return needs, as CSV and as an XLSX workbook.

The template is made from the database, so it always matches what the checks expect: one row per KPI of the
catalogue and, by its breakdown, per locality and per IMD decile that has LSOAs in the locality (plus ``U`` and the
all-deciles row), with the period and provider filled in and the numbers left blank. The workbook's sheet
``Return`` has drop-down lists (Excel data validation) for the period (the quarters open for submission), the metric,
locality and decile codes; sheet ``Lists`` holds the lists and ``Guidance`` says what each column means.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.councils import localities, locality_cells
from kpi.core.store import Store
from kpi.returns.checks import DATASET

#: How many quarters, back from the latest that has ended, a return (or a resubmission) may be for.
OPEN_QUARTERS = 4
COLUMNS = [
    "period",
    "provider_code",
    "metric_code",
    "locality_code",
    "imd_decile",
    "numerator",
    "denominator",
    "comment",
]
DECILES = [str(d) for d in range(1, 11)] + ["U"]
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
]


def open_periods(today: date | None = None, count: int = OPEN_QUARTERS) -> list[str]:
    """The quarters open for submission, newest first: the latest ended quarter and the ones before it."""
    last = periods.latest_ended_quarter(today)
    return [periods.from_index(last.index - step).code for step in range(count)]


def template_rows(
    store: Store, principal: Principal, council_code: str, provider_code: str, period: str
) -> pl.DataFrame:
    """The rows of a blank return for a provider and quarter (every column text, numbers blank)."""
    require(principal, "upload", provider_code)
    code = periods.normalise_period(period)
    provider = provider_code.strip().upper()
    locs = localities(store, council_code)["locality_code"].to_list()
    cells = locality_cells(store, council_code)
    deciles_of = {
        loc: sorted({int(d) for d in cells.filter(pl.col("locality_code") == loc)["imd_decile"].to_list()})
        for loc in locs
    }
    rows = []
    for kpi in sorted(catalogue_in_force(store, council_code, code).values(), key=lambda k: k.sort_order):
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
            }
            for loc, decile in keys
        ]
    return pl.DataFrame(rows, schema={name: pl.String for name in COLUMNS})


def template_csv(
    store: Store, principal: Principal, council_code: str, provider_code: str, period: str
) -> bytes:
    """The blank return as CSV (UTF-8)."""
    frame = template_rows(store, principal, council_code, provider_code, period)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
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
    locs = localities(store, council_code)["locality_code"].to_list()
    lists = {
        "period": open_periods(today),
        "metric_code": list(catalogue_in_force(store, council_code, period)),
        "locality_code": [*locs, "ALL"],
        "imd_decile": DECILES,
    }
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("Return")
    list_sheet = book.add_worksheet("Lists")
    guidance = book.add_worksheet("Guidance")
    sheet.write_row(0, 0, COLUMNS, bold)
    for number, row in enumerate(frame.rows(), start=1):
        for column, value in enumerate(row):
            if value:
                sheet.write_string(number, column, value)
    last_row = max(frame.height, 1) + 500  # room for rows the provider adds
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
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 4, 14)
    sheet.set_column(5, 6, 12)
    sheet.set_column(7, 7, 40)
    guidance.write_row(0, 0, ["column", "what to enter"], bold)
    for number, (name, text) in enumerate(GUIDANCE, start=1):
        guidance.write_row(number, 0, [name, text])
    guidance.write(
        len(GUIDANCE) + 2,
        0,
        f"Dataset: {DATASET}. Periods open for submission: {', '.join(lists['period'])}.",
    )
    guidance.set_column(0, 0, 16)
    guidance.set_column(1, 1, 100)
    book.close()
    return buffer.getvalue()
