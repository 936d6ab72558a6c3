"""The ``hv_records`` step of ``make bench``: registered in both step tables, and its headline names each target."""

from bench import hv_records_bench
from bench.__main__ import STEPS as ORDER
from bench.__main__ import _headline
from bench.steps import STEPS


def _figures(national: bool = True) -> dict:
    load = {"seconds": 38.2, "peak_rss_mb": 5828.4}
    figures = {
        "targets": hv_records_bench.TARGETS,
        "council_year": {"load": {"seconds": 1.44}},
        "load_average": [5.8, 6.1, 4.6],
    }
    if national:
        figures["national_quarter"] = {
            "rows": 10_000_000,
            "load": load,
            "ratio_to_duckdb_into_database_file": 7.4,
            "ratio_to_duckdb": 10.1,
        }
    return figures


def test_the_step_is_run_by_make_bench():
    assert "hv_records" in STEPS
    assert "hv_records" in [name for name, _, _ in ORDER]


def test_the_headline_puts_each_figure_beside_its_target():
    line = _headline("hv_records", _figures())
    assert "national quarter 10,000,000 rows 38.2 s (target under 60 s)" in line
    assert (
        "x7.4 DuckDB read_csv into a database file (target x5; x10.1 its all-text read into memory)" in line
    )
    assert "peak 5,828 MB (target under 4,096 MB)" in line
    assert "council year 1.44 s (target under 3 s)" in line and line.endswith("load average 5.8")
    assert _headline("hv_records", _figures(national=False)).startswith("council year 1.44 s")
