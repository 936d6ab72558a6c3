"""Issue #13 finding 9e: ``hcp load ncmp`` on a full disk printed a traceback (exit 1), not the documented message.

A large NCMP return (more children than fit in one DuckDB row group) is written to the database file while the
transaction is still open, so a full disk fails inside the transaction rather than at its commit. Run against the
real store with the file size limited (``RLIMIT_FSIZE``, as tests/kpi/core/test_store_faults_more.py does for the
other loaders): the message and exit status 2, no traceback, nothing changed; with space again it loads.
"""

import gzip
import io
import resource

import polars as pl
import pytest

from kpi.core.store import Store
from kpi.sample import NCMP_DIR
from tests.kpi.core.test_store_faults_more import _limited_cli


def _large_ncmp_file(tmp_path):
    """The sample's 2025/26 return repeated 25 times (about 146,000 children), each copy with new identifiers."""
    sample = pl.read_csv(
        io.BytesIO(gzip.decompress((NCMP_DIR / "ncmp_2025-26.csv.gz").read_bytes())), infer_schema=False
    )
    copies = [
        sample.with_columns(
            (
                pl.lit("999")
                + (pl.col("nhs_number").str.slice(3).cast(pl.Int64) + k * 200_000)
                .cast(pl.String)
                .str.zfill(7)
            ).alias("nhs_number"),
            (
                pl.lit("Z")
                + (pl.col("upn").str.slice(1).cast(pl.Int64) + k * 200_000).cast(pl.String).str.zfill(12)
            ).alias("upn"),
        )
        for k in range(25)
    ]
    path = tmp_path / "ncmp_2025-26_large.csv"
    pl.concat(copies).write_csv(path)
    return path


def _eligible_file(tmp_path):
    path = tmp_path / "ncmp_eligible_2025-26.csv"
    path.write_bytes((NCMP_DIR / "ncmp_eligible_2025-26.csv").read_bytes() + b"\n")
    return path


@pytest.mark.parametrize(
    ("dataset", "make", "limit"),
    [("ncmp", _large_ncmp_file, 64 * 1024), ("ncmp-eligible", _eligible_file, 16 * 1024)],
    ids=["ncmp", "ncmp-eligible"],
)
def test_a_full_disk_stops_an_ncmp_load_with_a_clear_message(
    sample_db_copy, tmp_path, table_counts, dataset, make, limit
):
    source = make(tmp_path)
    with Store.open(sample_db_copy, read_only=True) as store:
        before = table_counts(store)
    arguments = [
        "--db",
        str(sample_db_copy),
        "load",
        dataset,
        str(source),
        "--accept-warnings",
        "--reason",
        "t",
    ]
    completed = _limited_cli(limit, *arguments)
    assert "Traceback" not in completed.stdout + completed.stderr, completed.stderr
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert (
        completed.stderr.strip()
        == f"the disk holding {sample_db_copy} is full: free some space and try again"
    )
    with Store.open(sample_db_copy) as store:  # the next start replays what is whole and drops the rest
        assert table_counts(store) == before
    again = _limited_cli(resource.RLIM_INFINITY, *arguments)  # with space again, the same load goes through
    assert again.returncode == 0, again.stdout + again.stderr
    assert "loaded as NCMP" in again.stdout
