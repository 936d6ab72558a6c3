"""The joined CSDS tables' rows: problems named by table file and row, and one row per care contact.

Problems found in the joined rows (:mod:`kpi.hvrecords.tables`) are moved to the table file and row the field came
from; the rows, one per care activity, become one per care contact (docs/methods.md section 10).
"""

from __future__ import annotations

import polars as pl

from kpi.hvrecords import schema as hv
from kpi.hvrecords.tables import CHILD, CONTACT, REFERRAL, Tables

#: Where each extract column comes from in the table form (``lsoa`` is the checks' name for either LSOA).
ORIGIN = {
    **dict.fromkeys((*CHILD, "lsoa"), "CYP001"),
    **dict.fromkeys(REFERRAL, "CYP101"),
    **dict.fromkeys(("carecontactid", *CONTACT), "CYP201"),
    "activity_type": "CYP202",
    "practitioner_role": "CYP901",
    "breastfeedingstatus": "CYP610",
    "asq3_questionnaire": "asq3_communication",
    **{f"asq3_{d}": f"asq3_{d}" for d in hv.ASQ_DOMAINS},
}


def _origin(column: str | None, tables: Tables) -> tuple[str, str] | None:
    """The ``_r_`` column and the file a problem about ``column`` is found in (None: a problem of no column)."""
    source = ORIGIN.get(column or "")
    if source is None:
        return None
    if source.startswith("asq3_"):
        return f"_r_{source}", tables.file("CYP612")
    if source not in tables.frames or (source == "CYP610" and "CYP610" not in tables.frames):
        source = {"CYP101": "CYP001", "CYP610": "CYP202"}.get(source, source)
    if source not in tables.frames:
        return None
    return f"_r_{source}", tables.file(source)


def table_problems(problems: pl.DataFrame, rows: pl.DataFrame, tables: Tables) -> pl.DataFrame:
    """Problems found in the joined rows, renamed to the table file and row each field came from (once each)."""
    if problems.is_empty():
        return problems
    origin = rows.select("source_row", *(c for c in rows.columns if c.startswith("_r_")))
    found = problems.with_row_index("_order").join(origin, left_on="row", right_on="source_row", how="left")
    parts = []
    for column in found["column"].unique(maintain_order=True).to_list():
        these = found.filter(pl.col("column").eq_missing(column))
        where = _origin(column, tables)
        if where is not None and where[0] in these.columns:
            these = these.with_columns(
                pl.col(where[0]).alias("row"), pl.lit(f"{column} in {where[1]}").alias("column")
            )
        parts.append(these.select("_order", *problems.columns))
    return pl.concat(parts).sort("_order").drop("_order").unique(maintain_order=True)


def contact_grain(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per care contact (the joined tables have one per care activity).

    The activity kept is a mandated review (08-11, lowest code first) if any, else the first; breastfeeding status
    and ASQ-3 are the first given on any of the contact's activities.
    """
    contact = pl.col("carecontactid")
    if not rows.filter(contact.is_not_null())["carecontactid"].is_duplicated().any():
        return rows
    order = [
        pl.col("activity_type").is_in(list(hv.REVIEWS)).not_(),
        pl.col("activity_type"),
        pl.col("_r_CYP202"),
    ]
    any_activity = [c for c in rows.columns if c.startswith(("breastfeeding", "asq3_", "score_"))]
    ranked = rows.filter(contact.is_not_null()).sort(order, nulls_last=True)
    one = ranked.group_by("carecontactid", maintain_order=True).agg(
        *(pl.col(c).first() for c in rows.columns if c not in any_activity and c != "carecontactid"),
        *(pl.col(c).drop_nulls().first() for c in any_activity),
    )
    return pl.concat([rows.filter(contact.is_null()), one.select(rows.columns)]).sort("source_row")
