"""A Python function applied to a column's distinct values, outside polars' thread pool.

Why not ``pl.Expr.map_elements``: polars runs it on its own thread pool, whose threads must then take the
interpreter lock (GIL). A served app runs many sessions' scripts on threads of one process, and some polars calls
(``DataFrame.to_pandas``, ``hash_rows``, which Streamlit makes when it shows or caches a frame) wait for that pool
while holding the lock: with a Python callback queued on the pool, neither side can go on and every session of the
process hangs (polars issues 26821 and 27396; seen here as the load test's page views that never finished with 50
sessions). So the program never hands polars a Python callback (``tests/test_architecture.py`` checks): the
function is called here, on the caller's thread, once per distinct value, and the results are mapped back by
``replace_strict``, which polars does natively.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl


def map_distinct(series: pl.Series, function: Callable[[Any], Any], return_dtype: pl.DataType) -> pl.Series:
    """``function`` of each value of ``series`` (nulls stay null), called once per distinct value.

    Example:
        >>> map_distinct(pl.Series("n", [1200, None, 1200]), lambda v: f"{v:,}", pl.String).to_list()
        ['1,200', None, '1,200']
    """
    distinct = series.drop_nulls().unique(maintain_order=True)
    results = pl.Series(series.name, [function(value) for value in distinct.to_list()], dtype=return_dtype)
    return series.replace_strict(distinct, results, default=None, return_dtype=return_dtype)
