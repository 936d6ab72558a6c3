"""The slope index of inequality's inputs once checked: limits, the options and the data of one or more areas.

:mod:`kpi.inequality.sii_checks` builds :class:`SIIOptions` and :class:`SIIData` from what the caller gave;
:mod:`kpi.inequality.slope_index` fits them and :mod:`kpi.inequality.sii_simulation` simulates their limits.
The method is described in :mod:`kpi.inequality.slope_index` (PHEindicatormethods ``phe_sii``; Low & Low 2004;
docs/methods.md section 5.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = [
    "MAX_QUANTILES",
    "MIN_QUANTILES",
    "MIN_REPETITIONS",
    "RELIABILITY_SETS",
    "VALUE_TYPES",
    "WARN_QUANTILES",
    "Z_95",
    "SIIData",
    "SIIOptions",
    "SIIWarning",
    "as_floats",
    "is_number",
]

#: The package fixes the 95% z when it turns confidence limits into a standard error.
Z_95 = NormalDist().inv_cdf(0.975)
MIN_QUANTILES = 5
MAX_QUANTILES = 100
#: More quantiles than this gives a warning: small values make the SII unstable.
WARN_QUANTILES = 10
MIN_REPETITIONS = 1000
#: Reliability statistics repeat the simulation this many times.
RELIABILITY_SETS = 10
VALUE_TYPES = ("other", "proportion", "rate")


class SIIWarning(UserWarning):
    """A data-quality warning from the SII (the result is still returned)."""


@dataclass(frozen=True)
class SIIOptions:
    """The checked options of one SII call (confidence levels as decimals, in the order asked)."""

    value_type: str
    transform: bool
    multiplier: float
    repetitions: int
    confidence: tuple[float, ...]
    reliability_stat: bool
    seed: int | None
    use_se: bool


@dataclass
class SIIData:
    """Checked rows of one or more areas: one entry per row, in the caller's order."""

    quantile: np.ndarray
    population: np.ndarray
    value: np.ndarray  # natural scale (count / population when worked out)
    sd: np.ndarray  # SD of the draws, on the log/logit scale for rates/proportions
    labels: list[str]

    def take(self, rows: np.ndarray) -> SIIData:
        """The rows at these positions (one area's rows)."""
        return SIIData(
            quantile=self.quantile[rows],
            population=self.population[rows],
            value=self.value[rows],
            sd=self.sd[rows],
            labels=[self.labels[i] for i in rows],
        )


def is_number(x: object) -> bool:
    """A real number, not a bool (numpy scalars count)."""
    return not isinstance(x, bool) and isinstance(x, int | float | np.integer | np.floating)


def as_floats(items: Sequence[object]) -> tuple[np.ndarray, int | None]:
    """Floats (None becomes NaN) and the position of the first item that is not a number, or None if all are."""
    out = np.empty(len(items), dtype=float)
    for i, item in enumerate(items):
        if item is None:
            out[i] = math.nan
        elif is_number(item):
            out[i] = float(item)
        else:
            return out, i
    return out, None
