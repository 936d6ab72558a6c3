"""The command line the sample-borough benches share (``bench/pack_bench.py``, ``bench/page_bench.py``).

``--work`` (a folder for the sample database, default a temporary one), ``--runs`` and ``--json``; the figures are
printed as one JSON line last, which ``make bench`` reads.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path


def run(
    description: str,
    measure: Callable[[Path, int], dict],
    report: Callable[[dict, int], Iterable[str]],
    argv: list[str] | None,
    *,
    runs: int,
) -> int:
    """Parse the options, measure on the sample in ``--work`` (or a temporary folder) and print the figures."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--work", help="folder for the sample database (default: a temporary folder)")
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    if args.work:
        figures = measure(Path(args.work), args.runs)
    else:
        with tempfile.TemporaryDirectory() as folder:
            figures = measure(Path(folder), args.runs)
    if not args.json:
        for line in report(figures, args.runs):
            print(line)
    print(json.dumps(figures))
    return 0
