"""Deprivation indices as data: which index a period uses, and the decile of an LSOA code of either vintage.

The store holds two indices (docs/methods.md section 7.1): the English Indices of Deprivation 2019 on LSOAs of
2011 boundaries (``lsoa_reference``) and 2025 on LSOAs of 2021 boundaries (``lsoa21_reference``), described in
``deprivation_indices``, with the ONS exact-fit lookup between the vintages (``lsoa_changes``). Which index a period
uses is a dated, audited setting: ``deprivation_iod2025_from_year`` (NCMP academic years) and
``deprivation_iod2025_from_quarter`` (quarters). A code of the other vintage is mapped through the lookup by
``sql/staging/stg_lsoa_deciles.sql``: unchanged and merged 2011 LSOAs take their one 2021 LSOA's decile; a split
LSOA takes its parts' decile when they share one and is unknown (with a warning naming it) when they do not.

Example:
    >>> index_of_year("2024/25", "2025/26"), index_of_year("2025/26", "2025/26")
    ('IoD2019', 'IoD2025')
    >>> label("IoD2025")
    'IMD 2025 (English Indices of Deprivation 2025, LSOAs 2021)'

"""

from __future__ import annotations

import re
from datetime import date, datetime

import polars as pl

from kpi.core import periods
from kpi.core.resources import data_dir
from kpi.core.store import Store, setting, sql_text
from kpi.ingest.pipeline import registered

IOD2019 = "IoD2019"
IOD2025 = "IoD2025"
#: The indices in order of publication: code -> (name, LSOA vintage, published, reference file, LSOA count).
INDICES = {
    IOD2019: (
        "English Indices of Deprivation 2019",
        2011,
        date(2019, 9, 26),
        "lsoa11_imd2019.parquet",
        32_844,
    ),
    IOD2025: (
        "English Indices of Deprivation 2025",
        2021,
        date(2025, 10, 30),
        "lsoa21_imd2025.parquet",
        33_755,
    ),
}
LICENCE = "Open Government Licence v3.0"
EXACT_FIT = "lsoa11_lsoa21.parquet"
YEAR_SETTING = "deprivation_iod2025_from_year"
QUARTER_SETTING = "deprivation_iod2025_from_quarter"
#: What a trend or SPC chart says where its decile series crosses from one index to the next.
CHANGE_NOTE = f"deprivation index changed: {IOD2019} → {IOD2025}"

_YEAR = re.compile(r"^\s*([0-9]{4})\s*[/-]\s*([0-9]{2}|[0-9]{4})\s*$")


class DeprivationError(ValueError):
    """A setting or index that is not one the store knows; the message says what to give."""


def label(index_code: str) -> str:
    """How a figure names its index: ``IMD 2025 (English Indices of Deprivation 2025, LSOAs 2021)``."""
    if index_code not in INDICES:
        raise DeprivationError(f"'{index_code}' is not a deprivation index: use {' or '.join(INDICES)}")
    name, vintage = INDICES[index_code][:2]
    return f"IMD {index_code[3:]} ({name}, LSOAs {vintage})"


def short_label(index_code: str) -> str:
    """The index in two words, for a chart title: ``IMD 2019``."""
    label(index_code)
    return f"IMD {index_code[3:]}"


def normalise_year(text: object) -> str:
    """An academic year as ``YYYY/YY`` (``2025/26``, ``2025-26``, ``2025/2026``); raises DeprivationError."""
    match = _YEAR.match(str(text or ""))
    start = int(match[1]) if match else 0
    if not match or int(match[2][-2:]) != (start + 1) % 100:
        raise DeprivationError(f"'{text}' is not an academic year: write it like 2025/26")
    return f"{start}/{(start + 1) % 100:02d}"


def check_setting(key: str, value: str) -> str:
    """The normalised value of a deprivation setting (others pass unchanged); raises DeprivationError."""
    if key == YEAR_SETTING:
        return normalise_year(value)
    if key == QUARTER_SETTING:
        try:
            period = periods.parse_period(value)
        except periods.PeriodError as exc:
            raise DeprivationError(str(exc)) from exc
        if period.kind != "Q":
            raise DeprivationError(
                f"'{value}' is a month: give the first quarter on IoD2025, like 2025-26 Q3"
            )
        return period.code
    return value


def index_of_year(academic_year: str, first_year: str) -> str:
    """The index an NCMP academic year uses when IoD2025 applies from ``first_year`` (both ``YYYY/YY``)."""
    return IOD2025 if normalise_year(academic_year) >= normalise_year(first_year) else IOD2019


def year_index_expr(column: str, first_year: str) -> pl.Expr:
    """Polars: the index (``index_code``) of each academic year (``YYYY/YY``) in ``column``, as :func:`index_of_year`."""
    first = normalise_year(first_year)
    return (
        pl.when(pl.col(column) >= first).then(pl.lit(IOD2025)).otherwise(pl.lit(IOD2019)).alias("index_code")
    )


def first_year(store: Store, council_code: str, as_at: datetime | None = None) -> str:
    """The first NCMP academic year on IoD2025, as set at ``as_at``."""
    return normalise_year(setting(store, council_code, YEAR_SETTING, as_at))


def first_quarter(store: Store, council_code: str, as_at: datetime | None = None) -> periods.Period:
    """The first quarter on IoD2025, as set at ``as_at``."""
    return periods.parse_period(setting(store, council_code, QUARTER_SETTING, as_at))


def index_for_year(store: Store, council_code: str, academic_year: str, as_at: datetime | None = None) -> str:
    """The index an NCMP academic year's deciles use (the setting in force at ``as_at``)."""
    return index_of_year(academic_year, first_year(store, council_code, as_at))


def index_for_period(
    store: Store, council_code: str, period: periods.Period | str, as_at: datetime | None = None
) -> str:
    """The index a quarter's (or month's) deciles use: IoD2025 from the setting's first quarter on."""
    period = period if isinstance(period, periods.Period) else periods.parse_period(period)
    first = first_quarter(store, council_code, as_at)
    return IOD2025 if period.quarter.index >= first.index else IOD2019


def sql_params(store: Store, council_code: str, as_at: datetime | None = None) -> dict[str, object]:
    """The parameters a relation choosing each period's index reads (``$iod2025_from_year``, ``..._quarter_index``)."""
    return {
        "iod2025_from_year": first_year(store, council_code, as_at),
        "iod2025_from_quarter_index": first_quarter(store, council_code, as_at).index,
    }


def lsoa_deciles(store: Store, index_code: str) -> pl.DataFrame:
    """Every LSOA code of either vintage with its decile on ``index_code`` (``stg_lsoa_deciles``).

    Columns: lsoa_code, code_vintage (2011, 2021), lad_code, imd_decile (null: a split across deciles), mapping
    ('direct', 'split', 'merged', 'irregular'), differing_deciles.
    """
    label(index_code)  # an unknown index is an error, not an empty frame
    return store.query(
        f"select * exclude (index_code) from ({sql_text('staging/stg_lsoa_deciles')}) where index_code = ?",
        [index_code],
    )


def deciles(store: Store, codes: pl.Series, index_code: str) -> pl.DataFrame:
    """The decile on ``index_code`` of each code in ``codes`` (2011 or 2021; upper case), in order.

    Columns: lsoa_code, is_known (a code of either vintage), code_vintage, imd_decile (null: not known or split
    across deciles), mapping, differing_deciles. One join, no per-row work.
    """
    frame = pl.DataFrame({"lsoa_code": codes.cast(pl.String)})
    table = lsoa_deciles(store, index_code).drop("lad_code")
    out = frame.join(table, on="lsoa_code", how="left", maintain_order="left")
    return out.with_columns(pl.col("code_vintage").is_not_null().alias("is_known")).select(
        "lsoa_code", "is_known", "code_vintage", "imd_decile", "mapping", "differing_deciles"
    )


#: The columns of :func:`split_lsoas`.
SPLIT_SCHEMA = {
    "index_code": pl.String,
    "lsoa_code": pl.String,
    "code_vintage": pl.Int32,
    "differing_deciles": pl.String,
}


def split_lsoas(store: Store) -> pl.DataFrame:
    """On each index, the codes of the other vintage whose matching LSOAs differ in decile (unknown decile)."""
    return pl.concat(
        [
            lsoa_deciles(store, index)
            .filter(pl.col("differing_deciles").is_not_null())
            .select(pl.lit(index).alias("index_code"), "lsoa_code", "code_vintage", "differing_deciles")
            for index in INDICES
        ]
    ).cast(SPLIT_SCHEMA)


def with_split_deciles(frame: pl.DataFrame, splits: pl.DataFrame | None, index_code: str) -> pl.DataFrame:
    """``frame`` (with ``lsoa_code``) plus ``_index``, ``_code_vintage`` and ``_split_deciles`` on ``index_code``.

    ``splits`` is :func:`split_lsoas`; ``_split_deciles`` lists the differing deciles ('2, 4') of a code whose
    matching LSOAs on the index differ (its decile is unknown), null otherwise. One join, no per-row work.

    Example:
        >>> splits = pl.DataFrame({"index_code": ["IoD2025"], "lsoa_code": ["E01006185"], "code_vintage": [2011],
        ...                        "differing_deciles": ["2, 4"]})
        >>> frame = pl.DataFrame({"lsoa_code": ["E01006185", "E01006074"]})
        >>> with_split_deciles(frame, splits, "IoD2025")["_split_deciles"].to_list()
        ['2, 4', None]

    """
    splits = pl.DataFrame(schema=SPLIT_SCHEMA) if splits is None else splits
    matched = splits.filter(pl.col("index_code") == index_code).select(
        "lsoa_code",
        pl.col("code_vintage").alias("_code_vintage"),
        pl.col("differing_deciles").alias("_split_deciles"),
    )
    return frame.join(matched, on="lsoa_code", how="left", maintain_order="left").with_columns(
        pl.lit(index_code).alias("_index")
    )


def known_codes(store: Store) -> pl.Series:
    """Every LSOA code of either vintage (2011 and 2021), each once."""
    return store.query(
        "select lsoa_code from lsoa_reference union select lsoa_code from lsoa21_reference order by lsoa_code"
    )["lsoa_code"]


def ensure_indices(store: Store) -> None:
    """Copy IoD2025, the exact-fit lookup and the index descriptions into the database where absent (idempotent).

    IoD2019's lookup (``lsoa_reference``) is copied by :func:`kpi.core.councils.ensure_reference`, which calls this.
    """
    reference = data_dir("reference")
    have = store.query(
        "select (select count(*) from deprivation_indices), (select count(*) from lsoa21_reference), "
        "(select count(*) from lsoa_changes)"
    ).row(0)
    if all(have):
        return
    indices = pl.DataFrame(
        [
            {
                "index_code": code,
                "index_name": name,
                "lsoa_vintage": vintage,
                "published_on": published,
                "lsoa_count": count,
                "licence": LICENCE,
            }
            for code, (name, vintage, published, _, count) in INDICES.items()
        ]
    )
    lsoa21 = pl.read_parquet(reference / INDICES[IOD2025][3]).with_columns(
        pl.lit(IOD2025).alias("imd_edition")
    )
    changes = pl.read_parquet(reference / EXACT_FIT)
    with store.transaction() as cur:
        for table, frame in (
            ("deprivation_indices", indices),
            ("lsoa21_reference", lsoa21),
            ("lsoa_changes", changes),
        ):
            if not cur.execute(f"select count(*) from {table}").fetchall()[0][0]:
                with registered(cur, "index_frame", frame):
                    cur.execute(f"insert into {table} by name select * from index_frame")
