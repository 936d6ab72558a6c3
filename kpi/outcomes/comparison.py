"""The council against similar councils: group averages, rank, quintile and significance (docs/methods.md section 9).

For one KPI or outcome measure and one period, every council's published value (a Fingertips all-area export,
``sql/marts/mart_area_values.sql``) is set beside the council's own, and the council is compared with each group of
:func:`comparison_groups`: the chosen comparator groups (setting ``comparator_groups``; DfE statistical neighbours,
the NHS England peer group, a council's own list), its region's councils and all English upper-tier councils.

* **group average** (:func:`group_averages`) by the published method: when every member with a value has its count
  and denominator, the **pooled** proportion 100 x Σcount / Σdenominator with Wilson limits (how Fingertips and OHID
  aggregate areas); otherwise the **mean of the members' values**, with no interval. The method is said
  (``method``: "pooled counts" or "mean of values"). A group's average leaves the council out unless it is a member
  (it is one of its region's and of all councils, never of its own neighbours).
* **rank** among the group's members with a value and the council (1 = best: highest when high is good, lowest when
  low is good or without a judgement; ties share the better rank), and **quintile** by Fingertips' method
  (:func:`kpi.stats.quintile_rank`: quintile 1 the best fifth, at least 5 values).
* **significance** against the group average: the rule used against England, :func:`kpi.stats.compare_with_benchmark_expr`
  (the average inside the council's 95% interval is "similar"; otherwise better or worse, at 99.8% where the
  average lies outside the 99.8% interval too).
* **benchmark age**: which period of the others' figures a KPI quarter is set against is the one rule of
  :func:`kpi.contract.values.with_benchmark` (the same quarter, else the financial year holding it, else the latest
  no older than ``benchmark_max_age_quarters``); an older one is shown for context, labelled with its period, and
  neither ranked nor compared. Outcome measures are compared period for period.

Everything is vectorised over the groups (polars joins and window expressions); quintiles are one call per group.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kpi.outcomes.peers import upper_tier_las
from kpi.stats import compare_with_benchmark_expr, quintile_rank, wilson_ci
from kpi.stats._inputs import normalise_polarity

ALL_CODE, REGION_CODE = "all", "region"
POOLED, MEAN = "pooled counts", "mean of values"
#: The columns of the values compared (one row per area for one period; percentages for proportions).
VALUE_COLUMNS = (
    "area_code",
    "area_name",
    "value",
    "lower_ci_95",
    "upper_ci_95",
    "lower_ci_998",
    "upper_ci_998",
    "count",
    "denominator",
)
VALUE_SCHEMA = {c: (pl.String if c in ("area_code", "area_name") else pl.Float64) for c in VALUE_COLUMNS}


@dataclass(frozen=True)
class Group:
    """A group the council is compared with: its code, name, kind (comparator, region, all) and member codes."""

    code: str
    name: str
    kind: str
    members: tuple[str, ...]


def comparison_groups(
    groups: pl.DataFrame, chosen: list[str], council_code: str, region_code: str | None = None
) -> list[Group]:
    """The chosen comparator groups in the setting's order, then the council's region, then all councils.

    ``groups``: :func:`kpi.outcomes.peers.comparator_groups` (members in order); a chosen code with no group in
    force is skipped. The region is the council's in ``reference/upper_tier_las.csv`` unless ``region_code`` is
    given; a council outside the list gets no region group.
    """
    out = []
    for code in chosen:
        rows = groups.filter(pl.col("group_code") == code)
        if rows.height:
            out.append(Group(code, rows["group_name"][0], "comparator", tuple(rows["member_code"].to_list())))
    las = upper_tier_las()
    if region_code is None:
        found = las.filter(pl.col("area_code") == council_code)["region_code"]
        region_code = found[0] if found.len() else None
    region = las.filter(pl.col("region_code") == region_code)
    if region.height:
        name = f"{region['region'][0]} councils"
        out.append(Group(REGION_CODE, name, "region", tuple(region["area_code"].to_list())))
    out.append(Group(ALL_CODE, "All English councils", "all", tuple(las["area_code"].to_list())))
    return out


def membership(groups: list[Group]) -> pl.DataFrame:
    """One row per group x member: group_code, group_name, kind, group_order, area_code."""
    return pl.DataFrame(
        [
            {"group_code": g.code, "group_name": g.name, "kind": g.kind, "group_order": i, "area_code": m}
            for i, g in enumerate(groups)
            for m in g.members
        ],
        schema={
            "group_code": pl.String,
            "group_name": pl.String,
            "kind": pl.String,
            "group_order": pl.Int64,
            "area_code": pl.String,
        },
    )


def group_averages(values: pl.DataFrame, groups: list[Group]) -> pl.DataFrame:
    """Each group's average of its members' values (module docstring): pooled counts, else the mean of values.

    ``values``: one row per area (:data:`VALUE_COLUMNS`). Returns group_code, group_name, kind, group_order,
    n_members, n_valued, average, average_lower_ci, average_upper_ci (Wilson 95%, pooled only), method.

    Example (hand-worked): members 40/100 and 30/50 pool to 70/150 = 46.67%, where the mean of values is 50%.
        >>> v = pl.DataFrame({"area_code": ["A", "B"], "value": [40.0, 60.0], "count": [40.0, 30.0],
        ...                   "denominator": [100.0, 50.0]})
        >>> g = group_averages(v, [Group("g", "G", "comparator", ("A", "B"))])
        >>> round(g["average"][0], 2), g["method"][0]
        (46.67, 'pooled counts')
    """
    members = membership(groups).join(_typed(values), on="area_code", how="left")
    valued = pl.col("value").is_not_null()
    has_counts = pl.col("count").is_not_null() & (pl.col("denominator") > 0)
    summary = members.group_by("group_code", "group_name", "kind", "group_order").agg(
        pl.len().alias("n_members"),
        valued.sum().cast(pl.Int64).alias("n_valued"),
        pl.col("count").filter(valued).sum().alias("_count"),
        pl.col("denominator").filter(valued).sum().alias("_denominator"),
        (valued & ~has_counts).any().alias("_lacks_counts"),
        pl.col("value").mean().alias("_mean"),
    )
    pooled = (pl.col("n_valued") > 0) & ~pl.col("_lacks_counts")
    summary = summary.with_columns(
        pl.when(pooled).then(pl.col("_count")).alias("_x"),
        pl.when(pooled).then(pl.col("_denominator")).alias("_n"),
    ).sort("group_order")
    lower, upper = wilson_ci(summary["_x"], summary["_n"], 0.95)
    return summary.select(
        "group_code",
        "group_name",
        "kind",
        "group_order",
        "n_members",
        "n_valued",
        pl.when(pooled)
        .then(100 * pl.col("_count") / pl.col("_denominator"))
        .otherwise(pl.col("_mean"))
        .alias("average"),
        (lower * 100).alias("average_lower_ci"),
        (upper * 100).alias("average_upper_ci"),
        pl.when(pl.col("n_valued") == 0)
        .then(pl.lit(None, dtype=pl.String))
        .when(pooled)
        .then(pl.lit(POOLED))
        .otherwise(pl.lit(MEAN))
        .alias("method"),
    )


def _typed(values: pl.DataFrame) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in VALUE_SCHEMA.items() if c not in values.columns]
    return values.with_columns(missing).select(list(VALUE_SCHEMA)).cast(VALUE_SCHEMA)


def with_council(values: pl.DataFrame, council: dict) -> pl.DataFrame:
    """``values`` with the council's row replaced by ``council`` (its own figure: a return, or its published row)."""
    row = pl.DataFrame([{c: council.get(c) for c in VALUE_COLUMNS}], schema=VALUE_SCHEMA)
    others = _typed(values).filter(pl.col("area_code") != council["area_code"])
    return pl.concat([others, row])


def ranks(values: pl.DataFrame, groups: list[Group], council_code: str, polarity: str) -> pl.DataFrame:
    """The council's rank and quintile among each group's members with a value and itself.

    Returns group_code, rank (1 = best; ties share the better rank), n_ranked, quintile (1 = best fifth; None
    below 5 values or without a council value). Polarity "none" ranks from the lowest, as its quintiles do.

    Example (hand-worked): values 10..60 for A..F, the council C (30), high is good: C is 4th of 6.
        >>> v = pl.DataFrame({"area_code": list("ABCDEF"), "value": [10.0, 20, 30, 40, 50, 60]})
        >>> ranks(v, [Group("g", "G", "comparator", tuple("ABDEF"))], "C", "high").row(0)
        ('g', 4, 6, 4)
    """
    pol = normalise_polarity(polarity)
    members = membership(groups).select("group_code", "group_order", "area_code")
    council_rows = pl.DataFrame(
        {"group_code": [g.code for g in groups], "group_order": list(range(len(groups)))},
        schema={"group_code": pl.String, "group_order": pl.Int64},
    ).with_columns(pl.lit(council_code).alias("area_code"))
    pool = (
        pl.concat([members, council_rows])
        .unique(["group_code", "area_code"], maintain_order=True)
        .join(_typed(values).select("area_code", "value"), on="area_code", how="inner")
        .filter(pl.col("value").is_not_null())
        .with_columns(
            pl.col("value")
            .rank("min", descending=pol == "high")
            .over("group_code")
            .cast(pl.Int64)
            .alias("rank"),
            pl.len().over("group_code").cast(pl.Int64).alias("n_ranked"),
        )
    )
    out = []
    for group in groups:
        rows = pool.filter(pl.col("group_code") == group.code)
        mine = rows.filter(pl.col("area_code") == council_code)
        if mine.is_empty():
            out.append((group.code, None, rows.height, None))
            continue
        quintiles = quintile_rank(rows["value"], pol)
        index = rows["area_code"].to_list().index(council_code)
        out.append((group.code, int(mine["rank"][0]), rows.height, quintiles[index]))
    return pl.DataFrame(
        out,
        schema={"group_code": pl.String, "rank": pl.Int64, "n_ranked": pl.Int64, "quintile": pl.Int64},
        orient="row",
    )


def compare(
    values: pl.DataFrame, council: dict, groups: list[Group], polarity: str, *, current: bool = True
) -> pl.DataFrame:
    """The council against every group for one period: one row per group, in the groups' order.

    ``values``: every area's row for the period (:data:`VALUE_COLUMNS`); ``council``: the council's own figure
    (``area_code``, ``value``, its 95% and 99.8% limits, count, denominator). ``current`` False (the others'
    figures are too old by the benchmark rule) leaves rank, quintile and significance out: "not compared".

    Columns: group_code, group_name, kind, n_members, n_valued, average, average_lower_ci, average_upper_ci,
    method, rank, n_ranked, quintile, outcome (better, similar, worse, higher, lower, not compared),
    significance ("95", "99.8" or None), council_value.
    """
    pooled = with_council(values, council)
    averages = group_averages(pooled, groups)
    placed = ranks(pooled, groups, council["area_code"], polarity)
    table = averages.join(placed, on="group_code", how="left", maintain_order="left")
    comparison = compare_with_benchmark_expr(
        pl.lit(council.get("value")),
        pl.lit(council.get("lower_ci_95")),
        pl.lit(council.get("upper_ci_95")),
        "average",
        polarity,
        lower_ci_998=pl.lit(council.get("lower_ci_998")),
        upper_ci_998=pl.lit(council.get("upper_ci_998")),
        benchmark_name="the group",
    )
    table = table.with_columns(
        comparison.struct.field("outcome").alias("outcome"),
        comparison.struct.field("significance").alias("significance"),
        pl.lit(council.get("value"), dtype=pl.Float64).alias("council_value"),
    )
    if not current:
        table = table.with_columns(
            pl.lit("not compared").alias("outcome"),
            pl.lit(None, dtype=pl.String).alias("significance"),
            pl.lit(None, dtype=pl.Int64).alias("rank"),
            pl.lit(None, dtype=pl.Int64).alias("quintile"),
        )
    return table.drop("group_order")
