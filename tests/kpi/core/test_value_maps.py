"""kpi.core.value_maps: a Python function over a column's distinct values, never a Python callback on polars' pool.

With ``map_elements`` in :func:`kpi.core.tables.readable`, sessions of one served process hung for good once enough
of them showed tables at once (``to_pandas`` and ``hash_rows`` wait for polars' pool holding the interpreter lock
while a Python callback on the pool waits for that lock). The concurrency test below runs the real ``readable`` as
Streamlit does with a table (format it, convert it to pandas, hash it for the cache) on 16 threads; with the earlier
code that process never finished.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl

from kpi.core.value_maps import map_distinct

ROOT = Path(__file__).resolve().parents[3]
SERVED = [ROOT / "app.py", *sorted((ROOT / "kpi").rglob("*.py")), *sorted((ROOT / "pages").rglob("*.py"))]
#: The rest of the project's code (benchmarks, the sample data's generators, scripts): held to the same rule.
OFFLINE = [
    ROOT / "serve.py",
    *(
        path
        for folder in ("bench", "sample_data", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
    ),
]
PYTHON_CALLBACKS = {"map_elements", "map_batches", "map_groups", "map_rows"}


def test_each_value_is_mapped_and_nulls_stay_null():
    series = pl.Series("n", [1200, None, 35, 1200])
    assert map_distinct(series, "{:,}".format, pl.String).to_list() == ["1,200", None, "35", "1,200"]


def test_the_function_is_called_once_per_distinct_value():
    calls = []

    def words(value: int) -> str:
        calls.append(value)
        return f"{value} children"

    result = map_distinct(pl.Series("n", [3, 3, 3, 5, None]), words, pl.String)
    assert result.to_list() == ["3 children", "3 children", "3 children", "5 children", None]
    assert sorted(calls) == [3, 5]


def test_an_empty_or_all_missing_column_maps_to_itself():
    assert map_distinct(pl.Series("s", [], dtype=pl.String), str.upper, pl.String).to_list() == []
    assert map_distinct(pl.Series("s", [None, None], dtype=pl.String), str.upper, pl.String).to_list() == [
        None,
        None,
    ]


def test_the_code_never_hands_polars_a_python_callback():
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.attr}"
        for path in (*SERVED, *OFFLINE)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in PYTHON_CALLBACKS
    ]
    assert not offenders, f"use kpi.core.value_maps.map_distinct instead: {offenders}"


def test_tables_shown_from_many_threads_at_once_never_hang():
    script = textwrap.dedent(
        """
        import os, threading, time
        import polars as pl
        from kpi.core.tables import readable

        part = pl.DataFrame({
            "value_pct": [i / 7 for i in range(3000)],
            "denominator": [float(i % 500) for i in range(3000)],
            "count": [i if i % 9 else None for i in range(3000)],
            "detail_json": ['{"load_id": %d}' % (i % 40) for i in range(3000)],
        })
        shared = pl.concat([part, part], rechunk=False)
        finished = []

        def session():
            end = time.monotonic() + 4
            while time.monotonic() < end:
                table, _ = readable(shared)
                table.to_pandas()
                table.hash_rows()
                shared.to_pandas()
            finished.append(1)

        threads = [threading.Thread(target=session, daemon=True) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(len(finished), flush=True)
        os._exit(0)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=90
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "16"
