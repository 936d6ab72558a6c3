"""Share of page views that miss the page cache while 12 councils upload, in the 150-council bench database.

A seeded sequence of events on a copy of the national database: page views by readers of any of the 150 councils
(one of the reading pages each), resubmitted returns of the 12 councils whose returns go through the real loader
(``kpi.returns.load.load_return``: a real write, audited for its council), and sign-ins
(``kpi.access.users.record_sign_in``: audited, for no council). Every council's pages are viewed once first, so the
caches start warm. A view misses when its key has not been seen: the page and the key of its cached reads, under

* ``before``: the one data version the pages used until December 2026, the newest audit entry of any kind (every
  write and every sign-in refreshed every council's pages);
* ``after``: :func:`kpi.core.page_cache.page_cache_key`, what the pages key on now (the council and its own data
  version; sign-ins left out).

Both are read from the same database at the same moment of the sequence. The cache is modelled without a size
limit (each council's app process caches only its own council).
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import polars as pl

from bench.common import dataset as _dataset
from bench.common import db as _db
from bench.common import load_bench_return
from bench.common import summary as _summary

PAGES = ("overview", "mandated-contacts", "outcomes", "inequalities", "ncmp", "returns")
VIEWS = 3000
UPLOADS_PER_COUNCIL = 3
SIGN_INS = 300
UPLOADERS = 12
SEED = 20


def _before_key(store, council: str) -> tuple[str, int]:
    """The previous definition: the newest audit entry, whatever it records."""
    return council, int(store.query("select coalesce(max(audit_id), 0) from audit_log").item())


def _resubmission(data: bytes, n: int) -> bytes:
    """The same return with a comment on its first row: new bytes, so the loader stores a resubmission."""
    lines = data.decode("utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("comment")] = f"resubmitted {n}"
    return "\n".join([lines[0], ",".join(cells), *lines[2:]]).encode("utf-8") + b"\n"


def _events(councils: list[str], uploaders: list[str], rng: random.Random) -> list[tuple]:
    events = [("view", rng.choice(councils), rng.choice(PAGES)) for _ in range(VIEWS)]
    events += [("upload", code, n) for code in uploaders for n in range(UPLOADS_PER_COUNCIL)]
    events += [("sign-in", rng.choice(councils), n) for n in range(SIGN_INS)]
    rng.shuffle(events)
    return events


def step_cache_share(work: Path) -> dict:
    """Uncached page views under one global data version and under per-council versions, side by side."""
    from kpi.access.principal import Principal
    from kpi.access.users import record_sign_in
    from kpi.core.page_cache import page_cache_key
    from kpi.core.store import Store

    copy = work / "cache_share.duckdb"
    shutil.copyfile(_db(work), copy)
    councils = _dataset(work)["councils"]
    uploaders = councils[:UPLOADERS]
    latest = (
        pl.read_parquet(work / "returns.parquet")
        .filter(pl.col("lad_code").is_in(uploaders))
        .sort("period")
        .group_by("lad_code")
        .last()
    )
    files = {row["lad_code"]: row for row in latest.iter_rows(named=True)}
    keys = {"before": _before_key, "after": page_cache_key}
    seen: dict[str, set] = {name: set() for name in keys}
    misses = dict.fromkeys(keys, 0)
    outcomes: dict[str, int] = {}
    key_times: list[float] = []
    rng = random.Random(SEED)
    with Store.open(copy) as store:
        for code in councils:  # every council's pages viewed once: the caches start warm
            for page in PAGES:
                for name, key in keys.items():
                    seen[name].add((page, *key(store, code)))
        for kind, code, what in _events(councils, uploaders, rng):
            if kind == "upload":
                row = files[code]
                data = _resubmission(Path(row["path"]).read_bytes(), what)
                result = load_bench_return(
                    store, {**row, "path": f"resubmitted_{what}_{Path(row['path']).name}"}, data
                )
                outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
            elif kind == "sign-in":
                email = f"reader{what}@{code.lower()}.example.gov.uk"
                record_sign_in(store, email, Principal(email, "viewer"))
            else:
                for name, key in keys.items():
                    started = time.perf_counter()
                    entry = (what, *key(store, code))
                    if name == "after":
                        key_times.append(time.perf_counter() - started)
                    if entry not in seen[name]:
                        misses[name] += 1
                        seen[name].add(entry)
    copy.unlink(missing_ok=True)
    Path(str(copy) + ".wal").unlink(missing_ok=True)
    share = {name: round(100 * misses[name] / VIEWS, 1) for name in keys}
    return {
        "councils": len(councils),
        "page_views": VIEWS,
        "uploading_councils": len(uploaders),
        "uploads": outcomes,
        "sign_ins": SIGN_INS,
        "uncached_views": misses,
        "uncached_share_pct": share,
        "key_read": _summary(key_times),
        "seed": SEED,
    }
