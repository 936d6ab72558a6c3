"""The Overview's exceptions board: what needs attention this period, one line per red or amber KPI × place.

Each line says, in words: the KPI and where (a locality or the borough), the value against the target in force and
the period that target took effect from, the change since the previous quarter, the SPC variation of the borough
series (:func:`kpi.spc.assurance.spc_summary`), the England comparison under the one benchmark rule
(:func:`kpi.contract.values.with_benchmark`; an out-of-date England figure is "not compared"), and the provider's
explanation (:func:`kpi.contract.narratives.explanations`: agreed narrative, else one awaiting agreement, else the
return's comment). Red lines come first, then amber; within each, catalogue order, borough before its localities.
RAG is a word and a shape as well as a colour (docs/methods.md section 5).

Example (hand-checked against the sample's 2026-27 Q2 return): North's new birth visits (C2) are 80.5% against a
90% target, red, down 1.6 points since 2026-27 Q1, explained by the return's comment "North team 3.0 WTE vacant; ...".
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

import polars as pl

from kpi.contract import values as overview
from kpi.spc import assurance as assurance

#: The RAG statuses the board lists, in the order it lists them.
BOARD_RAGS = ("red", "amber")
#: The page a line links to for its detail.
DETAIL_PAGE = "/mandated-contacts"
NO_EXPLANATION = "No explanation recorded yet."

COLUMNS = (
    "rag",
    "rag_label",
    "kpi_code",
    "kpi_name",
    "locality_code",
    "place",
    "value_text",
    "target_text",
    "against",
    "change_text",
    "variation",
    "england",
    "explanation",
    "explanation_source",
    "link",
)


def _number(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if kind == "count" else f"{value:.1f}%"


def change_text(change: float | None, polarity: str, kind: str = "proportion") -> str:
    """The change since the previous quarter with its arrow: "↓ 1.6 points since last quarter"."""
    if change is None:
        return "no previous quarter"
    arrow = overview.change_arrow(change, polarity)
    if abs(change) < overview.STEADY_POINTS:
        return f"{arrow} level with last quarter"
    unit = "" if kind == "count" else " points"
    size = f"{abs(change):,.0f}" if kind == "count" else f"{abs(change):.1f}"
    return f"{arrow} {'up' if change > 0 else 'down'} {size}{unit} since last quarter"


def england_text(row: dict) -> str:
    """The England comparison in words, saying when and why there is none."""
    if row.get("england_pct") is None:
        return "not compared: no England figure"
    if not row.get("england_current"):
        return f"not compared: {overview.out_of_date_label(row.get('england_period'))}"
    label = row.get("england_comparison")
    return (
        f"{label} (England {row['england_pct']:.1f}%, {row['england_period']})" if label else "not compared"
    )


def detail_link(kpi_code: str, period: str) -> str:
    """The detail page of a KPI for a period: ``/mandated-contacts?kpi=C2&period=2026-27+Q2``."""
    return f"{DETAIL_PAGE}?{urlencode({'kpi': kpi_code, 'period': period})}"


def exceptions_board(
    values: pl.DataFrame,
    bench: pl.DataFrame,
    period: str,
    locality_names: dict[str, str],
    explained: pl.DataFrame,
    controls: dict | None = None,
) -> pl.DataFrame:
    """One row per red or amber KPI × locality (and borough) for ``period``, red first (see the module).

    ``controls``: recorded SPC baselines and rebases (:func:`kpi.contract.spc_controls.spc_controls`).

    ``values``: :func:`kpi.contract.values.kpi_values`; ``bench``: :func:`kpi.contract.values.benchmarks`;
    ``explained``: :func:`kpi.contract.narratives.explanations` for the period. Columns: :data:`COLUMNS`.
    """
    rows = values.filter(
        pl.col("period") == period,
        pl.col("level").is_in(["borough", "locality"]),
        pl.col("imd_decile") == "ALL",
        pl.col("rag").is_in(BOARD_RAGS),
    )
    if rows.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(COLUMNS, pl.String))
    compared = overview.compare_with_england(overview.with_benchmark(rows, bench))
    spc = assurance.spc_summary(values, period, controls=controls).select("kpi_code", "variation_short")
    joined = (
        compared.join(spc, on="kpi_code", how="left")
        .join(
            explained.select("kpi_code", "locality_code", "explanation", "explanation_source"),
            on=["kpi_code", "locality_code"],
            how="left",
        )
        .with_columns(
            pl.col("rag").replace_strict({rag: i for i, rag in enumerate(BOARD_RAGS)}).alias("_rag_order"),
            (pl.col("locality_code") != "ALL").alias("_is_locality"),
        )
        .sort("_rag_order", "sort_order", "_is_locality", "locality_code")
    )
    out = []
    for row in joined.iter_rows(named=True):
        kind = row["value_kind"]
        value = row["numerator"] if kind == "count" else row["value_pct"]
        value_text = _number(value, kind)
        target = overview.target_text(row["target_pct"], row.get("target_from"), kind)
        out.append(
            {
                "rag": row["rag"],
                "rag_label": f"{overview.RAG_SHAPES[row['rag']]} {overview.RAG_WORDS[row['rag']]}",
                "kpi_code": row["kpi_code"],
                "kpi_name": row["kpi_name"],
                "locality_code": row["locality_code"],
                "place": "Borough"
                if row["locality_code"] == "ALL"
                else locality_names.get(row["locality_code"], row["locality_code"]),
                "value_text": value_text,
                "target_text": target,
                "against": f"{value_text} against {target}",
                "change_text": change_text(row["change_pct"], row["polarity"], kind),
                "variation": row["variation_short"] or assurance.VARIATION_SHORT[None],
                "england": england_text(row),
                "explanation": row["explanation"] or NO_EXPLANATION,
                "explanation_source": row["explanation_source"],
                "link": detail_link(row["kpi_code"], period),
            }
        )
    return pl.DataFrame(out, schema=dict.fromkeys(COLUMNS, pl.String))


BOARD_HEADERS = (
    "RAG",
    "KPI",
    "Where",
    "Value against target",
    "Change",
    "SPC variation (borough)",
    "England",
    "Provider's explanation",
)


def board_html(frame: pl.DataFrame, caption: str) -> str:
    """The board as an accessible HTML table: RAG as word, shape and tint; each KPI links to its detail page.

    Every text from outside the program (the explanation) is HTML-escaped, as is everything else.
    """
    esc = html.escape
    head = "".join(f'<th scope="col">{esc(label)}</th>' for label in BOARD_HEADERS)
    body = []
    for row in frame.iter_rows(named=True):
        source = f" <small>({esc(row['explanation_source'])})</small>" if row["explanation_source"] else ""
        cells = [
            f'<td style="background:{overview.RAG_BACKGROUNDS[row["rag"]]}" data-rag="{esc(row["rag"])}">'
            f"{esc(row['rag_label'])}</td>",
            f'<th scope="row"><a href="{esc(row["link"])}" target="_self">{esc(row["kpi_name"])}</a> '
            f"<small>({esc(row['kpi_code'])})</small></th>",
            f"<td>{esc(row['place'])}</td>",
            f"<td>{esc(row['against'])}</td>",
            f"<td>{esc(row['change_text'])}</td>",
            f"<td>{esc(row['variation'])}</td>",
            f"<td>{esc(row['england'])}</td>",
            f'<td data-col="explanation">{esc(row["explanation"])}{source}</td>',
        ]
        body.append(
            f'<tr data-kpi="{esc(row["kpi_code"])}" data-place="{esc(row["locality_code"])}">{"".join(cells)}</tr>'
        )
    return (
        f'<table class="rag-matrix exceptions-board"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
