"""Local deprivation quantiles for small areas (PHEindicatormethods ``phe_quantile``).

Method (docs/methods.md section 5.4): with N areas ranked 1..N from most to least deprived (ties share the lowest
rank), quantile = floor((q + 1) - ceil(((N + 1) - rank) / (N / q))), 0 becomes 1, so quantile 1 is the most deprived;
none when N < q (with a :class:`~kpi.inequality.sii_inputs.SIIWarning`).

References:
- PHEindicatormethods (UKHSA), ``phe_quantile``; OHID technical guide "Assigning deprivation categories".
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import polars as pl

from kpi.inequality.sii_inputs import SIIWarning, as_floats

__all__ = ["MSG_Q_DIRECTION", "MSG_Q_N", "MSG_Q_TOO_FEW", "MSG_Q_VALUES", "quantiles"]

MSG_Q_VALUES = "quantiles() needs numbers (IMD ranks or scores); {example!r} is not a number."
MSG_Q_N = "The number of quantiles must be a whole number of 2 or more, not {value!r}."
MSG_Q_DIRECTION = "most_deprived_first must be True or False, not {value!r}."
MSG_Q_TOO_FEW = (
    "Too few small areas to assign {q} quantiles: {n} have a value, at least {q} are needed. "
    "No quantiles were assigned."
)


def quantiles(
    imd_rank_or_score: Sequence[float] | np.ndarray | pl.Series,
    n_quantiles: int,
    *,
    most_deprived_first: bool = True,
) -> pl.Series:
    """Assign small areas (e.g. a council's LSOAs) to local deprivation quantiles (``phe_quantile``).

    The N areas with a value are ranked 1..N from most to least deprived (ties share the lowest
    rank) and get quantile = floor((q + 1) - ceil(((N + 1) - rank) / (N / q))), 0 becoming 1, so
    quantile 1 is the most deprived. Areas without a value get none; with N < q none are assigned
    (with a warning).

    Args:
        imd_rank_or_score: one value per small area.
        n_quantiles: q, e.g. 5 for quintiles or 10 for deciles.
        most_deprived_first: True when the smallest value is the most deprived (IMD rank, where 1 is
            the most deprived LSOA in England); False when the largest is (IMD score).

    Returns:
        A polars Int64 Series named "quantile", in the input order, null where none is assigned.

    Raises:
        ValueError: for non-numeric values, a quantile count below 2 or a non-boolean direction.

    Warns:
        SIIWarning: when there are fewer areas with a value than quantiles.

    Example:
        >>> quantiles([7, 1, 4, 2, 6, 3, 5], 5).to_list()
        [5, 1, 3, 1, 4, 2, 3]
    """
    if isinstance(n_quantiles, bool) or not isinstance(n_quantiles, int | np.integer) or n_quantiles < 2:
        raise ValueError(MSG_Q_N.format(value=n_quantiles))
    if not isinstance(most_deprived_first, bool):
        raise ValueError(MSG_Q_DIRECTION.format(value=most_deprived_first))
    items = (
        imd_rank_or_score.to_list() if isinstance(imd_rank_or_score, pl.Series) else list(imd_rank_or_score)
    )
    values, bad = as_floats(items)
    if bad is not None:
        raise ValueError(MSG_Q_VALUES.format(example=items[bad]))
    has_value = ~np.isnan(values)
    n = int(has_value.sum())
    q = int(n_quantiles)
    out: list[int | None] = [None] * values.size
    if n < q:
        if values.size:
            warnings.warn(MSG_Q_TOO_FEW.format(q=q, n=n), SIIWarning, stacklevel=2)
        return pl.Series("quantile", out, dtype=pl.Int64)
    ordered = values[has_value] if most_deprived_first else -values[has_value]
    from scipy.stats import rankdata  # imported here: scipy.stats takes seconds to import

    ranks = rankdata(ordered, method="min")
    assigned = np.floor((q + 1) - np.ceil(((n + 1) - ranks) / (n / q)))
    assigned[assigned == 0] = 1
    for i, quantile_no in zip(np.flatnonzero(has_value), assigned, strict=True):
        out[int(i)] = int(quantile_no)
    return pl.Series("quantile", out, dtype=pl.Int64)
