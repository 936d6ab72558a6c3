"""What the benchmark's steps share: the work folder's dataset and database, the actor, latency summaries."""

from __future__ import annotations

import json
from pathlib import Path

from kpi.access.principal import local_principal

ENGLAND = "E92000001"
ACTOR = "bench"
WHO = local_principal(ACTOR)  # the bench loads as the local user, named "bench" in the audit log
REASON = "synthetic benchmark data"


def dataset(work: Path) -> dict:
    return json.loads((work / "dataset.json").read_text())


def db(work: Path) -> Path:
    return work / "national.duckdb"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(seconds: list[float]) -> dict:
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 0.5) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2) if seconds else None,
        "total_s": round(sum(seconds), 3),
    }


def load_bench_return(store, row: dict, data: bytes):
    """Load one council's return file (``row``: ``path``, ``lad_code``) through the real loader, as the bench does."""
    from bench.national import PROVIDER
    from kpi.returns.load import load_return

    return load_return(
        store,
        data,
        Path(row["path"]).name,
        council_code=row["lad_code"],
        provider_code=PROVIDER,
        principal=WHO,
        accept_warnings=True,
        reason=REASON,
    )
