"""The provider's quarterly return: its declared columns, codes and the records its checks use.

Format (docs/formats/provider-return.md): one provider x one period per file, columns :data:`COLUMNS`. The header is
declared here once; the template (:mod:`kpi.returns.template`) and the sample generator import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from kpi.core import periods as periods
from kpi.core.catalogue import Kpi
from kpi.ingest.report import Report

DATASET = "mandated-contacts"
REQUIRED_COLUMNS = (
    "period",
    "provider_code",
    "metric_code",
    "locality_code",
    "imd_decile",
    "numerator",
    "denominator",
)
#: ``imd_index``: the deprivation index the provider assigned the deciles on (IoD2019 or IoD2025); blank or absent,
#: the period's (the setting ``deprivation_iod2025_from_quarter``, docs/methods.md section 7.1).
OPTIONAL_COLUMNS = ("comment", "imd_index")
#: The return's header row, in order.
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
#: Columns the template adds for people (the KPI's name, what to count); a return may keep them: they are ignored.
INFORMATION_COLUMNS = ("kpi_name", "what_to_count")
BOROUGH = "ALL"
ALL_DECILES = "ALL"
UNKNOWN_DECILE = "U"
DECILES = tuple(str(d) for d in range(1, 11))
#: More digits than this before the decimal point is no count of children (nor a WTE): refused, never summed.
MAX_DIGITS = 12

#: The mandated-contact codes whose figures describe the same children (docs/methods.md section 2). A council whose
#: catalogue lacks one of them simply skips the checks that need it.
NBV_WITHIN_14, NBV_AFTER_14 = "C2", "C3"
REVIEW_12M, REVIEW_15M = "C4", "C5"
REVIEW_2Y, REVIEW_2Y_ASQ = "C6i", "C6ii"
ASQ_DOMAINS = ("C6iii", "C6iv", "C6v", "C6vi", "C6vii", "C6viii")
REVIEW_6_8W, BREASTFEEDING = "C8i", "C8ii"


@dataclass
class ReturnContext:
    """What a return is checked against."""

    council_code: str
    provider_code: str
    kpis: dict[str, Kpi]
    localities: dict[str, str]  # code -> name
    cells: set[tuple[str, int]]  # (locality_code, decile) cells that hold at least one LSOA
    today: date
    unknown_decile_warn_pct: float = 10.0
    movement_warn_points: float = 15.0
    #: Given a period, the values of the previous period's current return: kpi_code, locality_code, value_pct.
    previous_values: Callable[[periods.Period], pl.DataFrame] | None = None
    #: Given the file's period, the catalogue in force for it (the database's); ``kpis`` when not given.
    kpis_for_period: Callable[[periods.Period], dict[str, Kpi]] | None = None
    #: Given the file's period, the deprivation index its deciles use and that index's cells (``cells`` and
    #: ``index_code`` when not given).
    index_for_period: Callable[[periods.Period], str] | None = None
    cells_for_index: Callable[[str], set[tuple[str, int]]] | None = None
    index_code: str = "IoD2019"
    extra: dict = field(default_factory=dict)


@dataclass
class CheckedReturn:
    """A return that has been checked: its report, and its typed rows when there were no errors."""

    report: Report
    period: periods.Period | None = None
    rows: pl.DataFrame | None = (
        None  # kpi_code, locality_code, imd_decile, numerator, denominator, comment, ...
    )
