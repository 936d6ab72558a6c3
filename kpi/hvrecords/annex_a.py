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


def child_cells(children: pl.DataFrame) -> pl.DataFrame:
    """Each child's key and cell columns (locality, ethnic group, both deciles), categorical.

    Joined to millions of contacts, a categorical code costs a number per contact, not a copy of its text.
    """
    cells = ("locality_code", "ethnic_group", *DECILE_COLUMNS)
    return children.select("child_key", *(pl.col(c).cast(pl.Categorical) for c in cells))


def _share(frame: pl.DataFrame, code: pl.Expr, numerator: pl.Expr) -> pl.DataFrame:
    """Numerator and denominator per quarter x ``code`` x cell."""
    return (
        frame.group_by(pl.col("contact_quarter").alias("period"), code.alias("kpi_code"), *CELL)
        .agg(numerator.sum().cast(pl.Int64).alias("numerator"), pl.len().cast(pl.Int64).alias("denominator"))
        .select(COLUMNS)
    )


def _role_shares(reviews: pl.DataFrame) -> pl.DataFrame:
    """``A1-<review>-<role>``: every role's share of each review, zero where a role did none in the cell."""
    totals = reviews.group_by("contact_quarter", "review", *CELL).agg(pl.len().alias("denominator"))
    roles = pl.DataFrame({"role": [*hv.ROLES, hv.UNKNOWN_ROLE]})
    done = reviews.group_by("contact_quarter", "review", *CELL, pl.col("role").cast(pl.String)).agg(
        pl.len().alias("numerator")
    )
    return (
        totals.join(roles, how="cross")
        .join(done, on=["contact_quarter", "review", *CELL, "role"], how="left")
        .select(
            pl.col("contact_quarter").alias("period"),
            pl.format("A1-{}-{}", pl.col("review").replace_strict(REVIEW_CODES), "role").alias("kpi_code"),
            *CELL,
            pl.col("numerator").fill_null(0).cast(pl.Int64),
            pl.col("denominator").cast(pl.Int64),
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

    A child's decile is the one on the index of the contact's quarter (HVL: of the quarter of birth).
    """
    located = contacts.join(child_cells(children), on="child_key").with_columns(
        decile_on("contact_quarter", iod2025_from)
    )
    reviews = located.filter(pl.col("review").is_in(list(REVIEW_CODES)))
    home = pl.col("place") == "home"
    antenatal = reviews.filter(pl.col("review") == "antenatal")
    others = located.filter(pl.col("review") == "other")
    remote = others.filter(~pl.col("medium").is_in([hv.FACE_TO_FACE, "NR"]))
    per_child = (
        located.group_by(pl.col("contact_quarter").alias("period"), *CELL)
        .agg(pl.col("child_key").n_unique().cast(pl.Int64).alias("denominator"))
        .join(
            remote.group_by(pl.col("contact_quarter").alias("period"), *CELL).agg(
                pl.len().cast(pl.Int64).alias("contacts"),
                pl.col("child_key").n_unique().cast(pl.Int64).alias("children"),
            ),
            on=["period", *CELL],
            how="left",
        )
        .with_columns(pl.col("contacts", "children").fill_null(0))
    )
    per_child = pl.concat(
        [
            per_child.select(
                "period",
                pl.lit("A4R").alias("kpi_code"),
                *CELL,
                pl.col("contacts").alias("numerator"),
                "denominator",
            ),
            per_child.select(
                "period",
                pl.lit("A4").alias("kpi_code"),
                *CELL,
                pl.col("children").alias("numerator"),
                "denominator",
            ),
        ]
    )
    parts = [
        _share(reviews, pl.lit("A1"), pl.col("role") == "SCPHN"),
        _share(reviews, pl.lit("A2"), home),
        _role_shares(reviews),
        _share(reviews, pl.format("A2-{}", pl.col("review").replace_strict(REVIEW_CODES)), home),
        _share(antenatal, pl.lit("A3"), home & (pl.col("role") == "SCPHN")),
        per_child,
        _longitudinal(children, last_day, review_8w_last_day, iod2025_from),
    ]
    return pl.concat([p.select(COLUMNS).cast(dict.fromkeys(COLUMNS[:5], pl.String)) for p in parts])
