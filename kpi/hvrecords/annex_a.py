"""DHSC Annex A measures and the longitudinal measure, derived from stored children and contacts.

Per quarter of the contact and cell of the child (locality x IMD decile x ethnic group; docs/methods.md section 10):

* ``A1``: the share of the quarter's reviews (all five kinds) delivered by a SCPHN; ``A1-<review>-<role>``: the
  share of the reviews of one kind delivered by each practitioner category;
* ``A2``: the share of reviews delivered in the family's home (ACTIVITY LOCATION TYPE A01 or A02); ``A2-<review>``:
  of one kind;
* ``A3``: antenatal reviews delivered by a SCPHN in the home (DHSC threshold 98%);
* ``A4R``: additional non-face-to-face contacts (contacts that are not reviews, by any medium but face to face)
  per child with an attended contact in the quarter (a ratio, which may exceed 1); ``A4``: the share of those
  children who had one (a proportion, the catalogue's measure);
* ``HVL``: by quarter of birth, the share of children who turned 2½ under the provider's responsibility who had
  every review due by then: a face-to-face new birth visit by day ``last_day``, a 6-8 week review by day
  ``review_8w_last_day``, a 12-month review by 15 months and a 2-2½ year review by 2½ years.

Reviews are ``antenatal`` (AN), ``nbv`` (NBV), ``6-8w`` (68W), ``12m`` (12M) and ``2-2.5y`` (2Y).
"""

from __future__ import annotations

import polars as pl

from kpi.hvrecords import schema as hv
from kpi.hvrecords.cohorts import DECILE_COLUMNS, IOD2025_FROM, decile_on

CELL = ("locality_code", "imd_decile", "ethnic_group")
REVIEW_CODES = {"antenatal": "AN", "nbv": "NBV", "6-8w": "68W", "12m": "12M", "2-2.5y": "2Y"}
COLUMNS = ["period", "kpi_code", *CELL, "numerator", "denominator"]


#: What a child's cell is made of: its locality, ethnic group and decile on each index.
CELL_SOURCE = ("locality_code", "ethnic_group", *DECILE_COLUMNS)


def by_cell(contacts: pl.DataFrame, children: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The contacts with their child's ``cell`` (a number per combination of :data:`CELL_SOURCE`), and the cells.

    The counts are made per cell number (one small key instead of four text columns per contact) and given their
    locality, decile and ethnic group at the end (:func:`in_cells`).
    """
    cells = children.select(CELL_SOURCE).unique().with_row_index("cell")
    child_cell = children.select("child_key", *CELL_SOURCE).join(
        cells, on=list(CELL_SOURCE), nulls_equal=True
    )
    return contacts.join(child_cell.select("child_key", "cell"), on="child_key"), cells


def in_cells(counts: pl.DataFrame, cells: pl.DataFrame, iod2025_from: str) -> pl.DataFrame:
    """Counts per period x KPI x cell number, summed into cells: locality x decile (the period's index) x group.

    Two cell numbers that differ only on the other index's decile fall in one cell; their counts (of contacts, or
    of distinct children, each child in one cell number) add up. A count without a denominator (C1) keeps none.
    """
    denominator = pl.col("denominator")
    return (
        counts.join(cells, on="cell")
        .with_columns(decile_on("period", iod2025_from))
        .group_by("period", "kpi_code", *CELL)
        .agg(
            pl.col("numerator").sum().cast(pl.Int64),
            pl.when(denominator.is_not_null().any())
            .then(denominator.sum())
            .cast(pl.Int64)
            .alias("denominator"),
        )
        .select(COLUMNS)
    )


def _share(frame: pl.DataFrame, code: pl.Expr, numerator: pl.Expr, by: tuple[str, ...] = ()) -> pl.DataFrame:
    """Numerator and denominator per quarter x ``code`` x cell number, from reviews counted in ``n``."""
    n = pl.col("n")
    return frame.group_by(pl.col("contact_quarter").alias("period"), "cell", *by).agg(
        code.first().alias("kpi_code"),
        n.filter(numerator).sum().alias("numerator"),
        n.sum().alias("denominator"),
    )


def _role_shares(reviews: pl.DataFrame) -> pl.DataFrame:
    """``A1-<review>-<role>``: every role's share of each review, zero where a role did none in the cell."""
    n = pl.col("n")
    totals = reviews.group_by("contact_quarter", "review", "cell").agg(n.sum().alias("denominator"))
    roles = pl.DataFrame({"role": [*hv.ROLES, hv.UNKNOWN_ROLE]})
    done = reviews.group_by("contact_quarter", "review", "cell", pl.col("role").cast(pl.String)).agg(
        n.sum().alias("numerator")
    )
    return (
        totals.join(roles, how="cross")
        .join(done, on=["contact_quarter", "review", "cell", "role"], how="left")
        .select(
            pl.col("contact_quarter").alias("period"),
            pl.format("A1-{}-{}", pl.col("review").replace_strict(REVIEW_CODES), "role").alias("kpi_code"),
            "cell",
            pl.col("numerator").fill_null(0),
            "denominator",
        )
    )


def _longitudinal(
    children: pl.DataFrame, last_day: int, review_8w_last_day: int, iod2025_from: str
) -> pl.DataFrame:
    every = (
        pl.col("nbv_day").is_between(0, last_day)
        & pl.col("r68_day").is_between(0, review_8w_last_day)
        & pl.col("r12_by_15m")
        & pl.col("r2y_by_30m")
    )
    return (
        children.filter(pl.col("q_30m").is_not_null())
        .with_columns(decile_on("birth_quarter", iod2025_from))
        .group_by(pl.col("birth_quarter").alias("period"), *CELL)
        .agg(
            pl.lit("HVL").alias("kpi_code"),
            every.fill_null(False).sum().cast(pl.Int64).alias("numerator"),
            pl.len().cast(pl.Int64).alias("denominator"),
        )
        .select(COLUMNS)
    )


def annex_a_counts(
    children: pl.DataFrame,
    contacts: pl.DataFrame,
    *,
    last_day: int = 30,
    review_8w_last_day: int = 56,
    iod2025_from: str = IOD2025_FROM,
) -> pl.DataFrame:
    """The Annex A and longitudinal measures (columns as :func:`kpi.hvrecords.derive.derive_counts`).

    A child's decile is the one on the index of the contact's quarter (HVL: of the quarter of birth). The reviews
    are first counted per quarter x cell number x review x practitioner x home (a few thousand rows for millions of
    contacts), and every share is summed from those counts.
    """
    located, cells = by_cell(contacts, children)
    reviews = (
        located.filter(pl.col("review").is_in(list(REVIEW_CODES)))
        .group_by("contact_quarter", "cell", "review", "role", (pl.col("place") == "home").alias("home"))
        .agg(pl.len().alias("n"))
    )
    home, scphn = pl.col("home"), pl.col("role") == "SCPHN"
    review_code = pl.col("review").replace_strict(REVIEW_CODES, return_dtype=pl.String)
    remote = (pl.col("review") == "other") & ~pl.col("medium").is_in([hv.FACE_TO_FACE, "NR"])
    # per quarter and child: its remote (not face-to-face) contacts that are not reviews (a child is in one cell)
    per_child = (
        located.group_by(pl.col("contact_quarter").alias("period"), "cell", "child_key")
        .agg(remote.sum().alias("remote"))
        .group_by("period", "cell")
        .agg(
            pl.len().alias("denominator"),
            pl.col("remote").sum().alias("contacts"),
            (pl.col("remote") > 0).sum().alias("children"),
        )
    )
    parts = [
        _share(reviews, pl.lit("A1"), scphn),
        _share(reviews, pl.lit("A2"), home),
        _role_shares(reviews),
        _share(reviews, pl.format("A2-{}", review_code), home, by=("review",)).drop("review"),
        _share(reviews.filter(pl.col("review") == "antenatal"), pl.lit("A3"), home & scphn),
        *(
            per_child.select(
                "period", pl.lit(code).alias("kpi_code"), "cell", pl.col(n).alias("numerator"), "denominator"
            )
            for code, n in (("A4R", "contacts"), ("A4", "children"))
        ),
    ]
    columns = ["period", "kpi_code", "cell", "numerator", "denominator"]
    counts = pl.concat(
        [
            p.select(columns).cast(
                {"period": pl.String, "kpi_code": pl.String, "numerator": pl.Int64, "denominator": pl.Int64}
            )
            for p in parts
        ]
    )
    longitudinal = _longitudinal(children, last_day, review_8w_last_day, iod2025_from)
    text = dict.fromkeys(COLUMNS[:5], pl.String)
    return pl.concat([in_cells(counts, cells, iod2025_from).cast(text), longitudinal.cast(text)])
