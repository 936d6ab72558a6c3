"""Contract charts: the locality RAG map of one KPI (the NCMP locality map's approach, :mod:`kpi.ncmp.charts`).

Each area is shaded by its RAG status and labelled with its name, the RAG shape and word and the value, so the
status never rests on colour (docs/methods.md section 5). Boundaries are the council's locality GeoJSON (WGS84,
features carrying ``locality_code``, ``lon`` and ``lat``); the sample ships Trafford's 2023 localities.
"""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import polars as pl

from kpi.contract import values as overview
from kpi.core.charts import BLACK
from kpi.ncmp.views import BOUNDARIES, BOUNDARIES_COUNCIL, MAP_ATTRIBUTION
from kpi.spc.icons import OUTLINE

__all__ = ["MAP_ATTRIBUTION", "locality_boundaries", "rag_map", "rag_map_frame"]


def locality_boundaries(council_code: str, codes: list[str], path: Path = BOUNDARIES) -> dict | None:
    """The localities' boundaries when the file is the council's and covers exactly its localities, else None."""
    if not codes or council_code != BOUNDARIES_COUNCIL or not path.is_file():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    found = {feature["properties"].get("locality_code") for feature in document.get("features", [])}
    return document if found == set(codes) else None


def rag_map_frame(values: pl.DataFrame, kpi_code: str, period: str, names: dict[str, str]) -> pl.DataFrame:
    """One row per locality for a KPI and period: code, name, value, RAG and the label the map prints."""
    rows = {
        r["locality_code"]: r
        for r in overview.by_locality(values, kpi_code, period, names)
        .filter(pl.col("imd_decile") == "ALL")
        .iter_rows(named=True)
    }
    out = []
    for code, name in names.items():
        row = rows.get(code)
        rag = (row or {}).get("rag") or "not rated"
        if row is None:
            shown = "no return"
        elif row["value_kind"] == "count":
            shown = f"{row['numerator']:,.0f}"
        else:
            shown = "–" if row["value_pct"] is None else f"{row['value_pct']:.1f}%"
        out.append(
            {
                "locality_code": code,
                "locality_name": name,
                "value": shown,
                "rag": rag,
                "rag_word": overview.RAG_WORDS[rag],
                "label": f"{name}: {overview.RAG_SHAPES[rag]} {overview.RAG_WORDS[rag]} {shown}",
            }
        )
    return pl.DataFrame(out)


def rag_map(boundaries: dict, frame: pl.DataFrame, title: str) -> alt.LayerChart:
    """The localities shaded by RAG (the matrix's tints), each labelled with name, shape, word and value."""
    lookup = alt.LookupData(
        alt.Data(values=frame.to_dicts()),
        key="locality_code",
        fields=["locality_name", "value", "rag", "rag_word", "label"],
    )
    features = alt.Data(values=boundaries["features"])
    scale = alt.Scale(
        domain=list(overview.RAG_WORDS.values()),
        range=[overview.RAG_BACKGROUNDS[r] for r in overview.RAG_WORDS],
    )
    shapes = (
        alt.Chart(features)
        .mark_geoshape(stroke=OUTLINE, strokeWidth=1.2)
        .transform_lookup(lookup="properties.locality_code", from_=lookup)
        .encode(
            color=alt.Color(
                "rag_word:N",
                title="RAG",
                scale=scale,
                legend=alt.Legend(
                    symbolType="square", symbolSize=300, symbolStrokeWidth=1, symbolStrokeColor=OUTLINE
                ),
            ),
            tooltip=[
                alt.Tooltip("locality_name:N", title="Locality"),
                alt.Tooltip("value:N", title="Value"),
                alt.Tooltip("rag_word:N", title="RAG"),
            ],
        )
    )
    text = (
        alt.Chart(features)
        .transform_lookup(lookup="properties.locality_code", from_=lookup)
        .encode(longitude="properties.lon:Q", latitude="properties.lat:Q", text="label:N")
    )
    halo = text.mark_text(
        fontSize=12, fontWeight="bold", color="white", stroke="white", strokeWidth=4, strokeJoin="round"
    )
    label = text.mark_text(fontSize=12, fontWeight="bold", color=BLACK)
    return (
        alt.layer(shapes, halo, label)
        .project(type="mercator")
        .properties(title=title, height=380, width=520, description=title)
    )
