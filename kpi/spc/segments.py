"""An XmR chart in segments: an analyst's baseline and rebasing at a recorded change (docs/methods.md section 5.10).

Making Data Count: limits are recalculated only at a known change to the process (a new service model, a
record-system migration), never automatically because points look different. A **rebase** starts a new segment at
its first quarter; each segment has its own mean and limits, worked out by :func:`kpi.spc.rules.xmr` on that
segment's points alone, so no moving range, run or three-point window crosses a rebase. A **baseline** chooses the
points a segment's mean and limits come from: the first N points of each segment, or the points of a period range
(in the segment holding it; other segments use all their points). A baseline of fewer than 2 points in a segment
falls back to all its points. Each segment follows the local rule of section 5.5: fewer than 12 points give a run
chart (mean only, no limits). The variation and assurance icons are those of the last segment: the process as it
stands (none while the last segment is a run chart).

Example (two segments: 80, 84 six times, then 60, 62 six times, rebased at the 13th quarter):
>>> chart = segmented_xmr([80.0, 84.0] * 6 + [60.0, 62.0] * 6, list(range(24)), improvement="increase",
...                       controls=SpcControls(rebases=((12, "new record system"),)))
>>> chart["mean"][0], chart["mean"][-1], round(chart["upper_limit"][-1], 2)
(82.0, 61.0, 66.32)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from kpi.spc import rules as spc

__all__ = ["SpcControls", "segmented_xmr"]


@dataclass(frozen=True)
class SpcControls:
    """A series' recorded baseline and rebases (period indexes), as :mod:`kpi.contract.spc_controls` keeps them."""

    baseline_points: int | None = None
    baseline_first: int | None = None
    baseline_last: int | None = None
    rebases: tuple[tuple[int, str], ...] = ()

    @property
    def is_default(self) -> bool:
        """No baseline and no rebase: the chart of every point, as :func:`kpi.spc.rules.xmr` draws it."""
        return self.baseline_points is None and self.baseline_first is None and not self.rebases


def _baseline(indexes: list[int], controls: SpcControls) -> tuple[int, int | None]:
    """The baseline's (start, end) positions within one segment's points."""
    if controls.baseline_first is not None and controls.baseline_last is not None:
        inside = [i for i, p in enumerate(indexes) if controls.baseline_first <= p <= controls.baseline_last]
        if len(inside) >= 2:
            return inside[0], inside[-1] + 1
        return 0, None
    if controls.baseline_points is not None and len(indexes) >= 2:
        return 0, min(controls.baseline_points, len(indexes))
    return 0, None


def segmented_xmr(
    values: Sequence[float],
    period_index: Sequence[int],
    *,
    improvement: str | None = None,
    target: float | None = None,
    controls: SpcControls = SpcControls(),
) -> pl.DataFrame:
    """The XmR chart of :func:`kpi.spc.rules.xmr` worked out segment by segment (see the module docstring).

    Adds the columns ``spc_segment`` (0 for the first segment), ``rebased`` (True on a segment's first point after
    a rebase, with ``rebase_reason``) and ``in_baseline`` (the point is one its segment's limits come from).
    """
    values, indexes = [float(v) for v in values], [int(p) for p in period_index]
    starts = sorted({p for p, _ in controls.rebases if indexes and indexes[0] < p <= indexes[-1]})
    reasons = dict(controls.rebases)
    bounds = [0] + [next(i for i, p in enumerate(indexes) if p >= s) for s in starts] + [len(values)]
    parts = []
    for number, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False)):
        if hi <= lo:
            continue
        seg_idx = indexes[lo:hi]
        first, end = _baseline(seg_idx, controls)
        chart = spc.xmr(
            values[lo:hi],
            improvement=improvement,
            target=target,
            periods=seg_idx,
            baseline=end,
            baseline_start=first if end is not None else 0,
        )
        stop = end if end is not None else hi - lo
        parts.append(
            chart.with_columns(
                pl.lit(number).alias("spc_segment"),
                (pl.int_range(pl.len()) == 0).and_(pl.lit(number > 0)).alias("rebased"),
                pl.lit(reasons.get(seg_idx[0]) if number else None, dtype=pl.String).alias("rebase_reason"),
                pl.int_range(pl.len())
                .is_between(first if end is not None else 0, stop - 1)
                .alias("in_baseline"),
            )
        )
    frame = pl.concat(parts)
    last = parts[-1]
    return frame.with_columns(
        pl.lit(last["variation"][0], dtype=pl.String).alias("variation"),
        pl.lit(last["assurance"][0], dtype=pl.String).alias("assurance"),
        # limit lines are drawn when any segment has them (each row's limits are null in a run-chart segment)
        pl.lit(any(bool(p["limits_shown"][0]) for p in parts)).alias("limits_shown"),
    )
