"""The commissioner's first screen and the mandated-contacts views, as data.

Everything here reads the marts (``sql/marts/mart_kpi_values.sql``, ``mart_benchmarks.sql``) through
:meth:`kpi.core.store.Store.run_sql`; pages and packs call these functions, so a number is computed once.
RAG is never shown by colour alone: :data:`RAG_SHAPES` gives each status a word and a shape (docs/methods.md section 5).
"""

from __future__ import annotations

import base64
import html
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require
from kpi.core import periods as periods
from kpi.core.catalogue import load_setting_defaults
from kpi.core.councils import localities
from kpi.core.store import Store, setting
from kpi.stats import compare_with_benchmark_expr

RAG_SHAPES = {"green": "●", "amber": "▲", "red": "■", "not rated": "○"}
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "not rated": "Not rated"}
#: Background colours (colour-blind-safe light tints; text stays dark for WCAG AA contrast).
RAG_BACKGROUNDS = {"green": "#cfe8d5", "amber": "#ffe3b3", "red": "#f6c9cc", "not rated": "#ececec"}
#: A change smaller than this many points is shown as level.
STEADY_POINTS = 0.5
SMALL_MARK = "†"
#: The dated setting that says how old an England (or region) figure may be and still be compared.
BENCHMARK_MAX_AGE_SETTING = "benchmark_max_age_quarters"


def _as_at(as_at: datetime | None) -> datetime:
    return as_at or periods.now()


def kpi_values(
    store: Store,
    council_code: str,
    as_at: datetime | None = None,
    *,
    provider_code: str | None = None,
    principal: Principal,
) -> pl.DataFrame:
    """Every KPI value at every level for every period with an accepted return, as at ``as_at``.

    ``provider_code`` (or a provider ``principal``, whose own provider it then is) confines the values to one
    provider's returns; a principal who may not read the figures is refused (:mod:`kpi.access.rules`).
    """
    require(principal, "read_data", provider_code)
    provider_code = provider_scope(principal) or provider_code
    known = store.query(
        "select min(period_index), max(period_index) from submissions where council_code = ?", [council_code]
    ).row(0)
    first, last = known if known[0] is not None else (0, 0)
    return store.run_sql(
        "marts/mart_kpi_values",
        council_code=council_code,
        as_at=_as_at(as_at),
        first_period_index=first,
        last_period_index=last,
        provider_code=provider_code,
    )


def available_periods(values: pl.DataFrame) -> list[str]:
    """Periods that have values, newest first."""
    if values.is_empty():
        return []
    return (
        values.select("period", "period_index")
        .unique()
        .sort("period_index", descending=True)["period"]
        .to_list()
    )


def latest_complete_period(values: pl.DataFrame, today: datetime | None = None) -> str | None:
    """The newest period that has ended and has values (the overview's default)."""
    ended = periods.latest_ended_quarter(today.date() if today else None).index
    shown = values.filter(pl.col("period_index") <= ended)
    return available_periods(shown)[0] if not shown.is_empty() else None


def benchmarks(store: Store, council_code: str, as_at: datetime | None = None) -> pl.DataFrame:
    """Benchmark values current at ``as_at`` (England, region, neighbours), each with its period's kind and span.

    Every row carries ``max_age_quarters``: the setting ``benchmark_max_age_quarters`` in force at ``as_at``, which
    :func:`with_benchmark` applies.
    """
    at = _as_at(as_at)
    max_age = int(setting(store, council_code, BENCHMARK_MAX_AGE_SETTING, at))
    return store.run_sql(
        "marts/mart_benchmarks", council_code=council_code, as_at=at, max_age_quarters=max_age
    )


def with_benchmark(values: pl.DataFrame, bench: pl.DataFrame, comparator: str = "england") -> pl.DataFrame:
    """Attach to each row the comparator's figure its period is compared with (docs/methods.md section 5).

    The one rule for the overview, the pack and the briefing ("Which England (or region) figure a period is
    compared with", a local rule): the figure for the same quarter if published; else the annual figure of the
    financial year containing the quarter; else the latest figure whose last quarter is no more than
    ``max_age_quarters`` (setting ``benchmark_max_age_quarters``, carried by :func:`benchmarks`) before the period.
    Failing those, the latest older figure is attached for context only: labelled with its own period and marked
    not current, so it is never compared. A figure for a later period is never used.

    Adds ``{comparator}_pct``, ``_period`` (the figure's own period), ``_name``, ``_basis`` ("same period",
    "financial year", "recent" or "out of date") and ``_current`` (True when it may be compared). Rows keep their
    order.

    Example (hand-worked): England has 2017-18 Q1 only, so 2026-27 Q2 gets 2017-18 Q1, basis "out of date", not
    current; with only an annual 2024-25 figure, 2024-25 Q3 gets 2024-25 ("financial year") and 2025-26 Q4
    (4 quarters after 2024-25 Q4) gets it as "recent", while 2026-27 Q1 (5 quarters after) gets it "out of date".
    """
    prefix = comparator
    max_age = benchmark_max_age(bench)
    kind = (
        pl.col("period_kind") if "period_kind" in bench.columns else _period_kind(pl.col("benchmark_period"))
    )
    candidates = bench.filter(pl.col("comparator") == comparator).select(
        "kpi_code",
        kind.alias("_kind"),
        pl.col("period_end_index").cast(pl.Int64).alias("_end"),
        pl.col("benchmark_period").alias(f"{prefix}_period"),
        pl.col("value_pct").alias(f"{prefix}_pct"),
        pl.col("area_name").alias(f"{prefix}_name"),
    )
    candidates = candidates.with_columns(
        pl.when(pl.col("_kind") == "year").then(pl.col("_end") - 3).otherwise(pl.col("_end")).alias("_start")
    )
    keys = values.select("kpi_code", pl.col("period_index").cast(pl.Int64).alias("_index")).unique()
    index, start, end = pl.col("_index"), pl.col("_start"), pl.col("_end")
    rank = (
        pl.when((pl.col("_kind") == "quarter") & (end == index))
        .then(1)
        .when((pl.col("_kind") == "year") & (start <= index) & (index <= end))
        .then(2)
        .when((end < index) & (index - end <= max_age))
        .then(3)
        .when(end < index)
        .then(4)
    )
    chosen = (
        keys.join(candidates, on="kpi_code", how="inner")
        .with_columns(rank.alias("_rank"))
        .filter(pl.col("_rank").is_not_null())
        .sort("_rank", pl.col("_end"), pl.col("_kind") == "quarter", descending=[False, True, True])
        .unique(["kpi_code", "_index"], keep="first", maintain_order=True)
        .select(
            "kpi_code",
            "_index",
            f"{prefix}_period",
            f"{prefix}_pct",
            f"{prefix}_name",
            pl.col("_rank").replace_strict(_BASIS, return_dtype=pl.String).alias(f"{prefix}_basis"),
            (pl.col("_rank") <= 3).alias(f"{prefix}_current"),
        )
    )
    joined = values.with_columns(pl.col("period_index").cast(pl.Int64).alias("_index")).join(
        chosen, on=["kpi_code", "_index"], how="left", maintain_order="left"
    )
    return joined.drop("_index")


def benchmark_max_age(bench: pl.DataFrame) -> int:
    """The benchmark age limit (quarters) a :func:`benchmarks` frame carries; the default when it has no rows."""
    if "max_age_quarters" in bench.columns and bench.height:
        return int(bench["max_age_quarters"][0])
    return int(load_setting_defaults()[BENCHMARK_MAX_AGE_SETTING].value)


_BASIS = {1: "same period", 2: "financial year", 3: "recent", 4: "out of date"}


def _period_kind(period: pl.Expr) -> pl.Expr:
    return pl.when(period.str.contains(" Q")).then(pl.lit("quarter")).otherwise(pl.lit("year"))


def out_of_date_label(period: str | None, name: str = "England") -> str:
    """The words for a figure too old to compare with: "England figure out of date (2017-18 Q1)"."""
    return f"{name} figure out of date ({period})"


def england_reference_label(row: dict) -> str:
    """A chart's England line label, with the figure's own period: "England 2024-25", or "(out of date)" after it."""
    label = f"England {row['england_period']}"
    return label if row.get("england_current") else f"{label} (out of date, not compared)"


def compare_with_england(values: pl.DataFrame) -> pl.DataFrame:
    """Add ``england_outcome`` and ``england_comparison`` (Fingertips words) for rows with a 95% CI and England.

    A figure :func:`with_benchmark` marked out of date is not compared: the outcome is "not compared" and the words
    say so with its period ("England figure out of date (2017-18 Q1)").
    """
    comparison = compare_with_benchmark_expr(
        "value_pct",
        "lower_ci_pct",
        "upper_ci_pct",
        pl.when(pl.col("england_current")).then(pl.col("england_pct")),
        pl.col("polarity"),
        benchmark_name="England",
    )
    stale = pl.col("england_pct").is_not_null() & ~pl.col("england_current").fill_null(False)
    return values.with_columns(
        comparison.struct.field("outcome").alias("england_outcome"),
        pl.when(stale)
        .then(pl.format("England figure out of date ({})", pl.col("england_period")))
        .otherwise(comparison.struct.field("label"))
        .alias("england_comparison"),
    )


def change_arrow(change: float | None, polarity: str) -> str:
    """↑, ↓ or → for a change in points (→ when smaller than :data:`STEADY_POINTS`)."""
    if change is None:
        return ""
    if abs(change) < STEADY_POINTS:
        return "→"
    return "↑" if change > 0 else "↓"


def _cell_text(row: dict) -> str:
    if row.get("rag") is None:
        return "○ Not rated · no return"
    value = row["value_pct"]
    shown = (
        f"{row['numerator']:,.0f}"
        if row["value_kind"] == "count"
        else ("–" if value is None else f"{value:.1f}%")
    )
    arrow = change_arrow(row.get("change_pct"), row["polarity"])
    small = f" {SMALL_MARK}" if row.get("is_small_denominator") else ""
    return f"{shown}{small} {RAG_SHAPES[row['rag']]} {RAG_WORDS[row['rag']]} {arrow}".strip()


#: The stylesheet of :func:`matrix_html`'s tables (the pages put it before the table).
MATRIX_CSS = """<style>
table.rag-matrix {border-collapse: collapse; font-size: 0.9rem; width: 100%;}
table.rag-matrix caption {text-align: left; font-weight: 600; padding: 0.3rem 0;}
table.rag-matrix th, table.rag-matrix td {border: 1px solid #9a9a9a; padding: 0.3rem 0.45rem; color: #1a1a1a;}
table.rag-matrix thead th {background: #f3f3f3;}
table.rag-matrix tbody th {text-align: left; font-weight: 500; background: #fafafa;}
table.rag-matrix img.spc-icon {vertical-align: middle; display: inline;}
table.rag-matrix .spc-text {font-size: 0.8rem;}
table.exceptions-board td, table.exceptions-board th {vertical-align: top;}
table.exceptions-board a {color: #0b4f8a;}
</style>"""


def target_text(target: float | None, target_from: str | None, kind: str = "proportion") -> str:
    """The target and the period it took effect from: "90% (target from 2024-25 Q1)"; "no target" without one.

    A target never changed since the council was set up carries the catalogue's first period (a sentinel, not a
    date anyone chose): it reads "90% (default target, never changed)".

    Example:
        >>> target_text(90, "2024-25 Q1"), target_text(90, "2000-01 Q1"), target_text(None, None)
        ('90% (target from 2024-25 Q1)', '90% (default target, never changed)', 'no target')
    """
    from kpi.core.catalogue_sync import FIRST_PERIOD

    if target is None:
        return "no target"
    shown = f"{target:,.0f}" if kind == "count" else f"{target:g}%"
    if target_from == FIRST_PERIOD:
        return f"{shown} (default target, never changed)"
    return f"{shown} (target from {target_from})" if target_from else shown


def _target_cell(row: dict | None) -> str:
    if not row:
        return ""
    return target_text(row.get("target_pct"), row.get("target_from"), row.get("value_kind") or "proportion")


def overview_matrix(values: pl.DataFrame, period: str, locality_names: dict[str, str]) -> pl.DataFrame:
    """One row per KPI: a cell per locality and the borough (value, RAG word and shape, arrow, small mark).

    Cells of KPIs without a locality breakdown are blank; a KPI × locality the return lacks is "no return".
    Columns: kpi_code, kpi_name, ``target_text`` (the target in force and the period it took effect from; show it
    by naming ``target`` among a page's columns), then ``<locality>_text``/``<locality>_rag`` pairs and ``borough_*``.
    """
    now = values.filter(pl.col("period") == period, pl.col("level").is_in(["borough", "locality"]))
    kpis = values.select("kpi_code", "kpi_name", "sort_order", "breakdown").unique().sort("sort_order")
    out = []
    for kpi in kpis.iter_rows(named=True):
        rows = {
            r["locality_code"]: r
            for r in now.filter(pl.col("kpi_code") == kpi["kpi_code"]).iter_rows(named=True)
        }
        record = {"kpi_code": kpi["kpi_code"], "kpi_name": kpi["kpi_name"]}
        borough = rows.get("ALL")
        record["target_text"] = _target_cell(borough)
        record["target_rag"] = None
        for code in locality_names:
            if kpi["breakdown"] == "borough":
                record[f"{code}_text"], record[f"{code}_rag"] = "", None
            else:
                row = rows.get(code, {})
                record[f"{code}_text"] = _cell_text(row) if row else "○ Not rated · no return"
                record[f"{code}_rag"] = row.get("rag", "not rated") if row else "not rated"
        record["borough_text"] = _cell_text(borough) if borough else "○ Not rated · no return"
        record["borough_rag"] = borough["rag"] if borough else "not rated"
        record["borough_reason"] = borough["not_rated_reason"] if borough else "no return"
        out.append(record)
    return pl.DataFrame(out)


def rag_counts(values: pl.DataFrame, period: str, level: str = "locality") -> dict[str, int]:
    """How many cells are green, amber, red and not rated at a level for a period."""
    counts = values.filter(pl.col("period") == period, pl.col("level") == level).group_by("rag").len()
    found = dict(zip(counts["rag"].to_list(), counts["len"].to_list(), strict=True))
    return {rag: int(found.get(rag, 0)) for rag in RAG_WORDS}


def decile_matrix(values: pl.DataFrame, period: str) -> pl.DataFrame:
    """Borough × decile: one row per KPI with deprivation breakdown, a cell per decile 1-10 and U."""
    rows = values.filter(pl.col("period") == period, pl.col("level") == "borough_decile")
    out = []
    for kpi_code in rows.select("kpi_code", "sort_order").unique().sort("sort_order")["kpi_code"].to_list():
        cells = {
            r["imd_decile"]: r for r in rows.filter(pl.col("kpi_code") == kpi_code).iter_rows(named=True)
        }
        first = next(iter(cells.values()))
        record = {"kpi_code": kpi_code, "kpi_name": first["kpi_name"], "target_text": _target_cell(first)}
        record["target_rag"] = None
        for decile in [str(d) for d in range(1, 11)] + ["U"]:
            cell = cells.get(decile)
            record[f"d{decile}_text"] = _cell_text(cell) if cell else "–"
            record[f"d{decile}_rag"] = cell["rag"] if cell else None
        out.append(record)
    return pl.DataFrame(out)


def matrix_html(
    matrix: pl.DataFrame,
    columns: dict[str, str],
    caption: str,
    first_header: str = "KPI",
    spc: pl.DataFrame | None = None,
) -> str:
    """An accessible HTML table of a RAG matrix: header row, row headers, RAG as word, shape and colour.

    With ``spc`` (:func:`kpi.spc.assurance.spc_summary`) two more columns carry each KPI's Making Data Count variation
    and assurance icons (an image whose alt text is the full label) and the words beside them (never colour alone).
    """
    head = "".join(f'<th scope="col">{html.escape(label)}</th>' for label in columns.values())
    icons = {} if spc is None else {r["kpi_code"]: r for r in spc.iter_rows(named=True)}
    if spc is not None:
        head += '<th scope="col">Variation (SPC)</th><th scope="col">Assurance (SPC)</th>'
    body = []
    for row in matrix.iter_rows(named=True):
        cells = [
            f'<th scope="row">{html.escape(row["kpi_name"])} <small>({html.escape(row["kpi_code"])})</small></th>'
        ]
        for key in columns:
            rag = row.get(f"{key}_rag")
            text = row.get(f"{key}_text") or ""
            style = f' style="background:{RAG_BACKGROUNDS[rag]}"' if rag else ""
            attr = f' data-rag="{rag}"' if rag else ""
            cells.append(f'<td{style}{attr} data-col="{html.escape(key)}">{html.escape(text)}</td>')
        if spc is not None:
            cells.extend(_spc_cells(icons.get(row["kpi_code"])))
        body.append(f'<tr data-kpi="{html.escape(row["kpi_code"])}">{"".join(cells)}</tr>')
    return (
        f'<table class="rag-matrix"><caption>{html.escape(caption)}</caption>'
        f'<thead><tr><th scope="col">{html.escape(first_header)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _spc_cells(icon: dict | None) -> list[str]:
    """The variation and assurance cells of one KPI: the icon and the words beside it.

    Streamlit's ``st.html`` sanitises with DOMPurify's HTML profile, which strips inline ``<svg>``; the icon (our
    :mod:`kpi.spc.icons` SVG, with its own title) therefore goes in as an ``<img>`` data URI whose ``alt`` is the
    full label, and the short words are shown beside it.
    """
    if icon is None:
        return ['<td data-col="variation"></td>', '<td data-col="assurance"></td>']
    out = []
    for kind in ("variation", "assurance"):
        code = html.escape(icon[kind] or "none")
        label = html.escape(icon[f"{kind}_label"])
        data = base64.b64encode(icon[f"{kind}_svg"].encode("utf-8")).decode("ascii")
        out.append(
            f'<td data-col="{kind}" data-{kind}="{code}" title="{label}">'
            f'<img class="spc-icon" src="data:image/svg+xml;base64,{data}" alt="{label}" width="32" height="32"> '
            f'<span class="spc-text">{html.escape(icon[f"{kind}_short"])}</span></td>'
        )
    return out


def england_column(values: pl.DataFrame, bench: pl.DataFrame, period: str) -> pl.DataFrame:
    """The borough's value against England for a period: kpi, value, England value (and its period), words."""
    borough = values.filter(pl.col("period") == period, pl.col("level") == "borough")
    compared = compare_with_england(with_benchmark(borough, bench))
    return compared.sort("sort_order").select(
        "kpi_code",
        "kpi_name",
        "value_pct",
        "lower_ci_pct",
        "upper_ci_pct",
        "england_pct",
        "england_period",
        "england_current",
        "england_comparison",
        "england_outcome",
    )


def pending(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """Newer submissions waiting for a commissioner's decision (the overview's badge).

    A provider's own only; a viewer, who reads accepted data only, is refused.
    """
    require(principal, "read_unaccepted")
    return store.run_sql(
        "marts/mart_pending_submissions",
        council_code=council_code,
        as_at=_as_at(as_at),
        provider_code=provider_scope(principal),
    )


def trend(
    values: pl.DataFrame, kpi_code: str, level: str = "borough", locality_code: str = "ALL"
) -> pl.DataFrame:
    """One KPI over all periods at a level, in period order."""
    return values.filter(
        pl.col("kpi_code") == kpi_code,
        pl.col("level") == level,
        pl.col("locality_code") == locality_code,
        pl.col("imd_decile") == "ALL",
    ).sort("period_index")


def by_locality(values: pl.DataFrame, kpi_code: str, period: str, names: dict[str, str]) -> pl.DataFrame:
    """One KPI's value per locality for a period, with locality names."""
    return values.filter(
        pl.col("kpi_code") == kpi_code, pl.col("period") == period, pl.col("level") == "locality"
    ).with_columns(
        pl.col("locality_code").replace_strict(names, default=pl.col("locality_code")).alias("locality_name")
    )


def by_decile(values: pl.DataFrame, kpi_code: str, period: str) -> pl.DataFrame:
    """One KPI's value per national IMD decile (borough) for a period, deciles 1-10 then U."""
    return (
        values.filter(
            pl.col("kpi_code") == kpi_code, pl.col("period") == period, pl.col("level") == "borough_decile"
        )
        .with_columns(
            pl.when(pl.col("imd_decile") == "U")
            .then(99)
            .otherwise(pl.col("imd_decile").cast(pl.Int64, strict=False))
            .alias("decile_order")
        )
        .sort("decile_order")
    )


def locality_names(store: Store, council_code: str, as_at: datetime | None = None) -> dict[str, str]:
    """Locality codes to names, in the council's order."""
    frame = localities(store, council_code, as_at)
    return dict(zip(frame["locality_code"].to_list(), frame["locality_name"].to_list(), strict=True))
