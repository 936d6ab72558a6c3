"""The mandated-contact KPIs derived from stored children: numerator and denominator per quarter and cell.

Cells are locality x IMD decile x ethnic group (docs/methods.md section 10); the KPIs and their cohorts:

* C1: children with an antenatal contact in the quarter (a count);
* C2, C3: face-to-face new birth visit by day ``within_days`` / after it up to ``last_day``, of children in the
  quarter's new birth visit cohort (``q_30d``);
* C8i: 6-8 week review by day ``review_8w_last_day``; C8ii: totally or partially breastfed at the 6-8 week review;
  both of children who turned 8 weeks in the quarter (``q_8w``);
* C4, C5: 12-month review by 12 / by 15 months (whenever done) of the ``q_12m`` / ``q_15m`` cohorts;
* C6i: 2-2½ year review by 2½ years (``q_30m``); C6ii: of those reviews, ASQ-3 used; C6iii-vii: at or above the
  threshold in each domain, of the reviews scored in it; C6viii: in all five, of the reviews scored in all five;
* the Annex A and longitudinal measures of :mod:`kpi.hvrecords.annex_a`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kpi.hvrecords import schema as hv
from kpi.hvrecords.annex_a import annex_a_counts, by_cell, in_cells
from kpi.hvrecords.cohorts import IOD2025_FROM, decile_on

CELL = ("locality_code", "imd_decile", "ethnic_group")
DOMAIN_KPIS = dict(zip(hv.ASQ_DOMAINS, ("C6iii", "C6iv", "C6v", "C6vi", "C6vii"), strict=True))


@dataclass(frozen=True)
class DeriveRules:
    """The day limits the numerators use.

    Settings ``hv_nbv_within_days``, ``hv_nbv_last_day`` and ``hv_review_8w_last_day``; ``iod2025_from`` is the
    first quarter whose deciles are on IoD2025 (``deprivation_iod2025_from_quarter``).
    """

    within_days: int = 14
    last_day: int = 30
    review_8w_last_day: int = 56
    iod2025_from: str = IOD2025_FROM


def _measures(rules: DeriveRules) -> list[tuple[str, str, pl.Expr, pl.Expr]]:
    """(KPI, cohort quarter column, who is in the denominator, who is in the numerator)."""
    nbv, r68 = pl.col("nbv_day"), pl.col("r68_day")
    reviewed_2y = pl.col("r2y_by_30m")
    domains = [pl.col(f"asq_{d}") for d in hv.ASQ_DOMAINS]
    all_scored = pl.all_horizontal(d.is_not_null() for d in domains)
    every = pl.lit(True)
    return [
        ("C2", "q_30d", every, nbv.is_between(0, rules.within_days)),
        ("C3", "q_30d", every, nbv.is_between(rules.within_days + 1, rules.last_day)),
        ("C8i", "q_8w", every, r68.is_between(0, rules.review_8w_last_day)),
        ("C8ii", "q_8w", every, pl.col("breastfeeding").is_in(["totally", "partially"])),
        ("C4", "q_12m", every, pl.col("r12_by_12m")),
        ("C5", "q_15m", every, pl.col("r12_by_15m")),
        ("C6i", "q_30m", every, reviewed_2y),
        ("C6ii", "q_30m", reviewed_2y, pl.col("asq_used")),
        *(
            (DOMAIN_KPIS[d], "q_30m", reviewed_2y & col.is_not_null(), col.fill_null(False))
            for d, col in zip(hv.ASQ_DOMAINS, domains, strict=True)
        ),
        ("C6viii", "q_30m", reviewed_2y & all_scored, pl.all_horizontal(domains).fill_null(False)),
    ]


def derive_counts(
    children: pl.DataFrame, contacts: pl.DataFrame, rules: DeriveRules | None = None
) -> pl.DataFrame:
    """Per period x KPI x locality x decile x ethnic group: numerator and denominator (null for C1's count).

    A child's decile is the one on the index of the count's quarter (:func:`kpi.hvrecords.cohorts.decile_on`).

    ``children``: the stored child columns (:data:`kpi.hvrecords.cohorts.CHILD_COLUMNS`); ``contacts``: the
    stored contacts (``child_key``, ``review``, ``contact_quarter``...). Cells with no child are left out.
    """
    rules = rules or DeriveRules()
    parts = []
    for kpi, quarter, cohort, numerator in _measures(rules):
        parts.append(
            children.filter(pl.col(quarter).is_not_null() & cohort)
            .with_columns(pl.col(quarter).alias("period"))
            .with_columns(decile_on("period", rules.iod2025_from))
            .group_by("period", *CELL)
            .agg(
                pl.lit(kpi).alias("kpi_code"),
                numerator.fill_null(False).sum().cast(pl.Int64).alias("numerator"),
                pl.len().cast(pl.Int64).alias("denominator"),
            )
        )
    located, cells = by_cell(contacts.filter(pl.col("review") == "antenatal"), children)
    antenatal = in_cells(
        located.group_by(pl.col("contact_quarter").alias("period"), "cell").agg(
            pl.lit("C1").alias("kpi_code"),
            pl.col("child_key").n_unique().alias("numerator"),
            pl.lit(None, dtype=pl.Int64).alias("denominator"),
        ),
        cells,
        rules.iod2025_from,
    )
    columns = ["period", "kpi_code", *CELL, "numerator", "denominator"]
    annex = annex_a_counts(
        children,
        contacts,
        last_day=rules.last_day,
        review_8w_last_day=rules.review_8w_last_day,
        iod2025_from=rules.iod2025_from,
    )
    text = dict.fromkeys(columns[:5], pl.String)
    return pl.concat([p.select(columns).cast(text) for p in [*parts, antenatal, annex]]).sort(columns[:5])
