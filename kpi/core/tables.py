"""Tables as people read them: headers in words, no program-only columns, dates written out, "–" for missing.

Every table a page shows goes through :func:`readable` (pages/_ui.table turns its number formats into Streamlit's
column configuration), so no page shows a database column name, ``None`` or a placeholder date.
"""

from __future__ import annotations

import json

import polars as pl

from kpi.core.value_maps import map_distinct

#: Words for the database's column names that tables show (anything else: underscores become spaces).
COLUMN_WORDS = {
    "kpi_code": "KPI",
    "kpi_name": "KPI name",
    "locality_code": "Locality",
    "locality_name": "Locality",
    "imd_decile": "IMD decile",
    "provider_code": "Provider",
    "submission_id": "Submission",
    "audit_id": "Entry",
    "load_id": "Load",
    "event_at": "When",
    "council_code": "Council",
    "detail_json": "Details",
    "source_row": "Row in file",
    "is_warning_row": "Has a warning",
    "warning_count": "Warnings",
    "warnings_reason": "Reason warnings were accepted",
    "submitted_by": "Submitted by",
    "received_at": "Received",
    "first_received_at": "First received",
    "last_received_at": "Last received",
    "value_pct": "Value %",
    "target_pct": "Target %",
    "lower_ci_pct": "Lower 95% CI %",
    "upper_ci_pct": "Upper 95% CI %",
    "academic_year": "Academic year",
    "year_group": "Year group",
    "file_name": "File",
    "loaded_at": "Loaded",
    "loaded_by": "Loaded by",
}
#: Columns only the program needs (ordering keys, hashes): never shown.
HIDDEN_COLUMNS = ("period_index", "sort_order", "decile_order", "file_sha256")
#: Shown for a missing value (never "None").
MISSING = "–"
#: Dates before this are placeholders (e.g. 1900-01-01), not dates: shown as missing.
_PLACEHOLDER_YEAR = 1901
_IDENTIFIERS = ("submission", "entry", "load", "row in file", "year", "academic year", "id")


def column_words(name: str) -> str:
    """A column's header in words: ``COLUMN_WORDS``, else underscores as spaces with the first letter capitalised.

    Example:
        >>> column_words("kpi_code"), column_words("days_late")
        ('KPI', 'Days late')
    """
    if name in COLUMN_WORDS:
        return COLUMN_WORDS[name]
    if "_" not in name and not name.islower():
        return name
    words = name.replace("_", " ").strip()
    if words.endswith(" pct"):
        words = words[: -len(" pct")] + " %"
    return words[:1].upper() + words[1:]


def json_words(text: str | None) -> str | None:
    """A JSON object of details as "key: value; ..." in words (lists joined by commas; empty values left out).

    Example:
        >>> json_words('{"load_id": 8, "year_groups": ["R", "6"], "reason": null}')
        'Load: 8; Year groups: R, 6'
    """
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return str(data)
    parts = []
    for key, value in data.items():
        if value is None or value == [] or value == "":
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        parts.append(f"{column_words(key)}: {value}")
    return "; ".join(parts)


def _is_percent(label: str) -> bool:
    return "%" in label or "per cent" in label.lower() or label.lower().endswith("pct")


def readable(
    frame: pl.DataFrame, labels: dict[str, str] | None = None
) -> tuple[pl.DataFrame, dict[str, str]]:
    """``frame`` as a table for people, and the number format (printf style or "localized") of each numeric column.

    Headers in words (``labels`` first, then :func:`column_words`); program-only columns dropped; dates and times
    written out (placeholders before 1901 shown as missing); yes/no for booleans; percentages to one decimal
    place and counts with thousands separators; a missing value shows as "–", never "None". A number column with
    missing values is written as text so the dash can show.
    """
    labels = labels or {}
    frame = frame.drop([c for c in HIDDEN_COLUMNS if c in frame.columns])
    frame = frame.with_columns(
        map_distinct(frame[c], json_words, pl.String) for c in frame.columns if c.endswith("_json")
    )
    frame = frame.rename({c: labels.get(c) or column_words(c) for c in frame.columns})
    config: dict[str, str] = {}
    columns = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
            text = (
                pl.when(col.dt.year() < _PLACEHOLDER_YEAR)
                .then(None)
                .otherwise(col.dt.strftime("%d %b %Y %H:%M"))
            )
            columns.append(text.fill_null(MISSING).alias(name))
        elif dtype == pl.Date:
            text = (
                pl.when(col.dt.year() < _PLACEHOLDER_YEAR).then(None).otherwise(col.dt.strftime("%d %b %Y"))
            )
            columns.append(text.fill_null(MISSING).alias(name))
        elif dtype == pl.Boolean:
            columns.append(
                pl.when(col)
                .then(pl.lit("Yes"))
                .when(~col)
                .then(pl.lit("No"))
                .otherwise(pl.lit(MISSING))
                .alias(name)
            )
        elif dtype.is_numeric():
            identifier = name.lower() in _IDENTIFIERS
            whole = dtype.is_integer() or (frame[name].drop_nulls() % 1 == 0).all()
            if _is_percent(name) or not whole:
                fmt, text = "%.1f", map_distinct(frame[name].round(1), "{:.1f}".format, pl.String)
            elif identifier:
                fmt, text = "%d", col.cast(pl.Int64).cast(pl.String)
            else:
                fmt = "localized"
                text = map_distinct(frame[name].cast(pl.Int64), "{:,}".format, pl.String)
            if frame[name].null_count():
                columns.append(text.fill_null(MISSING).alias(name))
            else:
                columns.append((col if fmt == "%.1f" else col.cast(pl.Int64)).alias(name))
                config[name] = fmt
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            columns.append(
                col.cast(pl.String).replace({"None": None, "": None}).fill_null(MISSING).alias(name)
            )
        else:
            columns.append(col.alias(name))
    return frame.select(columns), config


_MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~$:=")


def plain(text: object) -> str:
    r"""Text from outside the program (a return's comment, a narrative, a file name) made safe to put in Markdown.

    Streamlit renders Markdown in ``st.markdown``, captions and alerts: a provider's ``![x](https://...)`` would be
    fetched as an image, ``[link](...)`` would show a link, ``:red[...]`` a coloured word. Every Markdown
    punctuation character is escaped with a backslash and line breaks become spaces, so the text shows as typed.

    Example:
        >>> print(plain("![x](http://evil.example/a.png) *now*"))
        \!\[x\]\(http\://evil\.example/a\.png\) \*now\*
    """
    flat = " ".join(str("" if text is None else text).split())
    return "".join("\\" + char if char in _MARKDOWN_SPECIALS else char for char in flat)
