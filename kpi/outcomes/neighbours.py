"""The comparison with similar councils as the pages, the pack and the briefing read it (docs/methods.md section 9).

Glue only: the statistics are :mod:`kpi.outcomes.comparison`. For a contract KPI (:func:`kpi_comparison`) every
council's figures come from the Fingertips indicator the KPI maps to (``config/kpi_fingertips.toml``) and the
council's own from its return; for a Fingertips outcome indicator (:func:`indicator_comparison`) all come from the
export. Which period of the others' figures a KPI quarter is set against is :func:`kpi.contract.values.with_benchmark`
(the benchmark rule); a figure too old is shown, labelled with its period, and not compared.

A :class:`NeighbourView` carries the table (one row per group, with its words), every council's value for the
caterpillar chart, and the first comparator group's trends beside the council's.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.contract.benchmarks import period_end_index
from kpi.core import periods as periods
from kpi.core.catalogue import CONFIG_DIR
from kpi.core.store import Store
from kpi.outcomes import comparison as cmp
from kpi.outcomes.measures import normalise_period_label
from kpi.outcomes.neighbour_words import group_words, quarter_phrase, short_words
from kpi.outcomes.peers import chosen_group_codes, comparator_groups, to_2024_codes, upper_tier_las
from kpi.stats import wilson_ci

MAPPING_FILE = CONFIG_DIR / "kpi_fingertips.toml"
PEERS = "peers"


@dataclass(frozen=True)
class Mapping:
    """A catalogue KPI's Fingertips indicator (``config/kpi_fingertips.toml``)."""

    code: str
    indicator_id: int
    indicator_name: str
    verified: bool
    provenance: str


@lru_cache(maxsize=1)
def kpi_mappings() -> dict[str, Mapping]:
    """Catalogue KPI code -> its Fingertips indicator, as configured.

    Example:
        >>> kpi_mappings()["C8ii"].indicator_id, kpi_mappings()["C2"].verified
        (92517, False)
    """
    with open(MAPPING_FILE, "rb") as handle:
        entries = tomllib.load(handle).get("kpi", [])
    return {
        e["code"]: Mapping(
            e["code"], int(e["indicator_id"]), e["indicator_name"], bool(e["verified"]), e["provenance"]
        )
        for e in entries
    }


@dataclass
class NeighbourView:
    """The council against its groups for one measure and period (see the module docstring)."""

    table: pl.DataFrame  #: one row per group (:func:`kpi.outcomes.comparison.compare`) with ``words``
    spread: pl.DataFrame  #: every council's value for the period compared (area_code, area_name, value, limits, is_council, in_group)
    trends: pl.DataFrame  #: area_name, role (council, neighbour, average), period, period_sortable, value
    period: str | None  #: the period of the others' figures that was compared (None: none published)
    current: bool  #: whether that period may be compared (the benchmark rule)
    note: str  #: one sentence on what was compared with what
    polarity: str
    unit: str = "%"
    warnings: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to compare with (no published figures for any council)."""
        return self.period is None


def _headline(frame: pl.DataFrame) -> pl.DataFrame:
    """One sex and age of an indicator's rows: Persons if present, else the commonest; the commonest age."""
    if frame.is_empty():
        return frame
    sexes = frame["sex"].value_counts(sort=True)["sex"].to_list()
    sex = "Persons" if "Persons" in sexes else sexes[0]
    chosen = frame.filter(pl.col("sex") == sex)
    age = chosen["age"].value_counts(sort=True)["age"][0]
    return chosen.filter(pl.col("age") == age)


def area_values(
    store: Store, council_code: str, indicator_id: int, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """Every area's headline values of one Fingertips indicator current at ``as_at`` (``mart_area_values``).

    Council-wide data, read by the roles that see council-wide figures.
    """
    require(principal, "read_council_data")
    frame = store.run_sql(
        "marts/mart_area_values",
        council_code=council_code,
        as_at=as_at or periods.now(),
        indicator_id=indicator_id,
    )
    # an export on ONS 2025 codes names Barnsley and Sheffield as the reference (ONS 2024 codes) does not
    return _headline(frame.with_columns(to_2024_codes(pl.col("area_code"))))


def _kpi_periods(values: pl.DataFrame) -> pl.DataFrame:
    """The distinct Fingertips periods that are financial years or quarters, as benchmark periods (others dropped)."""
    out = []
    for text in values["period"].unique().to_list():
        label = normalise_period_label(text)
        try:
            out.append((text, label, period_end_index(label)))
        except periods.PeriodError:
            continue
    return pl.DataFrame(out, schema={"period": pl.String, "label": pl.String, "end": pl.Int64}, orient="row")


def _choose_period(
    values: pl.DataFrame, kpi_code: str, period: str, max_age: int
) -> tuple[str | None, str, bool]:
    """(Fingertips period text, its label, current) for a KPI quarter by the benchmark rule; (None, '', False)."""
    from kpi.contract.values import with_benchmark

    known = _kpi_periods(values)
    if known.is_empty():
        return None, "", False
    bench = known.select(
        pl.lit(kpi_code).alias("kpi_code"),
        pl.lit(PEERS).alias("comparator"),
        pl.col("label").alias("benchmark_period"),
        pl.col("end").alias("period_end_index"),
        pl.lit(0.0).alias("value_pct"),
        pl.lit("councils").alias("area_name"),
        pl.lit(max_age).alias("max_age_quarters"),
    )
    wanted = pl.DataFrame({"kpi_code": [kpi_code], "period_index": [periods.parse_period(period).index]})
    chosen = with_benchmark(wanted, bench, comparator=PEERS).row(0, named=True)
    label = chosen[f"{PEERS}_period"]
    if label is None:
        return None, "", False
    text = known.filter(pl.col("label") == label)["period"][0]
    return text, label, bool(chosen[f"{PEERS}_current"])


def _council_from_return(kpi_values: pl.DataFrame, kpi_code: str, period: str, council_code: str) -> dict:
    """The council's own figure for a KPI and period from its return (borough level), with Wilson 99.8% limits."""
    rows = kpi_values.filter(
        pl.col("kpi_code") == kpi_code, pl.col("period") == period, pl.col("level") == "borough"
    )
    if rows.is_empty():
        return {"area_code": council_code, "value": None}
    row = rows.row(0, named=True)
    lo998 = hi998 = None
    if row.get("value_kind") == "proportion" and row.get("denominator"):
        lo, hi = wilson_ci(row["numerator"], row["denominator"], 0.998)
        lo998, hi998 = lo * 100, hi * 100
    return {
        "area_code": council_code,
        "area_name": "This council",
        "value": row["value_pct"],
        "lower_ci_95": row["lower_ci_pct"],
        "upper_ci_95": row["upper_ci_pct"],
        "lower_ci_998": lo998,
        "upper_ci_998": hi998,
        "count": row["numerator"],
        "denominator": row["denominator"],
    }


def _groups(store: Store, council_code: str, as_at: datetime | None, principal: Principal) -> list[cmp.Group]:
    region = store.query("select region_code from councils where council_code = ?", [council_code])
    region_code = region.item() if region.height and region.item() else None
    frame = comparator_groups(store, council_code, as_at, principal=principal)
    return cmp.comparison_groups(
        frame, chosen_group_codes(store, council_code, as_at), council_code, region_code
    )


def kpi_comparison(
    store: Store,
    council_code: str,
    kpi_code: str,
    period: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    kpi_values: pl.DataFrame | None = None,
    charts: bool = True,
    groups: list[cmp.Group] | None = None,
) -> NeighbourView | None:
    """A contract KPI's quarter against similar councils (None when the KPI maps to no Fingertips indicator).

    ``kpi_values`` (the KPI mart, when already at hand) saves reading it again, as ``groups`` (the council's
    comparison groups) does. ``charts=False`` leaves the chart frames (``spread``, ``trends``) empty: the table
    alone, as the summary of every KPI needs it. Council-wide figures.
    """
    from kpi.contract.values import BENCHMARK_MAX_AGE_SETTING
    from kpi.contract.values import kpi_values as read_kpi_values
    from kpi.core.catalogue import load_catalogue
    from kpi.core.store import setting

    require(principal, "read_council_data")
    mapping = kpi_mappings().get(kpi_code)
    if mapping is None:
        return None
    polarity = load_catalogue()[kpi_code].polarity
    values = area_values(store, council_code, mapping.indicator_id, as_at, principal=principal)
    if kpi_values is None:
        kpi_values = read_kpi_values(store, council_code, as_at, principal=principal)
    council = _council_from_return(kpi_values, kpi_code, period, council_code)
    max_age = int(setting(store, council_code, BENCHMARK_MAX_AGE_SETTING, as_at))
    chosen, label, current = _choose_period(values, kpi_code, period, max_age)
    if groups is None:
        groups = _groups(store, council_code, as_at, principal)
    own = kpi_values.filter(pl.col("kpi_code") == kpi_code, pl.col("level") == "borough").select(
        "period", pl.col("value_pct").alias("value")
    )
    # the trends are quarterly, as the returns are (an indicator may carry annual figures too)
    values = values.filter(pl.col("period").str.contains(" Q")) if values.height else values
    view = _view(values, council, groups, polarity, chosen, label, current, own, charts=charts)
    view.note = _kpi_note(period, label, current, view.note)
    view.warnings = _mapping_warnings(mapping, values)
    return view


def indicator_comparison(
    store: Store,
    council_code: str,
    indicator_id: int,
    period: str,
    polarity: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    unit: str = "%",
) -> NeighbourView:
    """A Fingertips outcome indicator's period against similar councils, period for period. Council-wide figures."""
    require(principal, "read_council_data")
    values = area_values(store, council_code, indicator_id, as_at, principal=principal)
    mine = values.filter(pl.col("area_code") == council_code, pl.col("period") == period)
    council = mine.row(0, named=True) if mine.height else {"area_code": council_code, "value": None}
    groups = _groups(store, council_code, as_at, principal)
    chosen = period if values.filter(pl.col("period") == period).height else None
    own = values.filter(pl.col("area_code") == council_code).select("period", "value")
    view = _view(values, council, groups, polarity, chosen, period, True, own)
    view.unit = unit
    if not view.empty:
        view.note = f"Compared with other councils' {period} figures; {view.note}."
    return view


def _view(values, council, groups, polarity, chosen, label, current, own, *, charts=True) -> NeighbourView:
    """Compare, and gather the chart frames unless ``charts`` is False (shared by KPIs and outcome indicators)."""
    if chosen is None:
        empty = pl.DataFrame()
        return NeighbourView(
            empty, empty, empty, None, False, "No council's figures are published yet.", polarity
        )
    now = values.filter(pl.col("period") == chosen)
    table = cmp.compare(now, council, groups, polarity, current=current)
    table = table.with_columns(
        pl.Series(
            "words", [group_words(row, polarity) for row in table.iter_rows(named=True)], dtype=pl.String
        )
    )
    if charts:
        spread = _spread(cmp.with_council(now, council), groups, council["area_code"])
        trends = _trends(values, own, groups, council["area_code"])
    else:
        spread = trends = pl.DataFrame()
    method = table.filter(pl.col("kind") == "comparator")["method"].drop_nulls()
    how = f"group averages by {method[0]}" if method.len() else "group averages"
    return NeighbourView(table, spread, trends, label, current, how, polarity)


def _spread(values: pl.DataFrame, groups: list[cmp.Group], council_code: str) -> pl.DataFrame:
    first = next((g for g in groups if g.kind == "comparator"), None)
    members = set(first.members) if first else set()
    names = upper_tier_las().select("area_code", pl.col("area_name").alias("_name"))
    return (
        values.filter(
            pl.col("area_code").is_in(names["area_code"].implode()) | (pl.col("area_code") == council_code)
        )
        .filter(pl.col("value").is_not_null())
        .join(names, on="area_code", how="left")
        .with_columns(
            pl.coalesce("_name", "area_name").alias("area_name"),
            (pl.col("area_code") == council_code).alias("is_council"),
            pl.col("area_code").is_in(list(members)).alias("in_group"),
        )
        .drop("_name")
        .sort("value")
    )


def _trends(values, own: pl.DataFrame, groups: list[cmp.Group], council_code: str) -> pl.DataFrame:
    """The first comparator group's members and average over time, and the council's own series."""
    first = next((g for g in groups if g.kind == "comparator"), None)
    schema = {"area_name": pl.String, "role": pl.String, "period": pl.String, "value": pl.Float64}
    if first is None:
        return pl.DataFrame(schema=schema)
    names = dict(upper_tier_las().select("area_code", "area_name").iter_rows())
    members = values.filter(pl.col("area_code").is_in(list(first.members)))
    rows = members.select(
        pl.col("area_code")
        .replace_strict(names, default=None)
        .fill_null(pl.col("area_name"))
        .alias("area_name"),
        pl.lit("neighbour").alias("role"),
        "period",
        "value",
    )
    averages = [
        (f"{first.name} average", "average", period, cmp.group_averages(part, [first])["average"][0])
        for (period,), part in members.group_by("period")
    ]
    mine = own.select(
        pl.lit(names.get(council_code, council_code)).alias("area_name"),
        pl.lit("council").alias("role"),
        "period",
        "value",
    )
    labels = {
        p: normalise_period_label(p) for p in pl.concat([rows["period"], mine["period"]]).unique().to_list()
    }
    out = pl.concat(
        [rows.cast(schema), pl.DataFrame(averages, schema=schema, orient="row"), mine.cast(schema)]
    )
    return out.with_columns(pl.col("period").replace_strict(labels, return_dtype=pl.String)).sort("period")


def _kpi_note(period: str, label: str, current: bool, how: str) -> str:
    if not label:
        return "No council's figures are published for this KPI yet."
    if not current:
        return f"Other councils' figures out of date ({label}): shown for context, not compared."
    if label == period:
        return f"Compared with other councils' {label} figures; {how}."
    return f"{period} compared with other councils' {label} figures (the latest published); {how}."


def _mapping_warnings(mapping: Mapping, values: pl.DataFrame) -> list[str]:
    out = []
    if not mapping.verified:
        out.append(
            f"Fingertips indicator {mapping.indicator_id} for {mapping.code} is unverified "
            "(config/kpi_fingertips.toml): check the export's indicator name."
        )
    names = values["indicator_name"].drop_nulls().unique().to_list() if values.height else []
    if names:
        out.append(f"The export names indicator {mapping.indicator_id} '{names[0]}'.")
    return out


SUMMARY_SCHEMA = {
    "kpi_code": pl.String,
    "group_name": pl.String,
    "period_compared": pl.String,
    "outcome": pl.String,
    "significance": pl.String,
    "rank": pl.Int64,
    "n_ranked": pl.Int64,
    "quintile": pl.Int64,
    "cell": pl.String,
    "phrase": pl.String,
}


def neighbour_summary(
    store: Store,
    council_code: str,
    period: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    kpi_values: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every mapped KPI against the first comparator group in force (else the region), for one quarter.

    One row per KPI of ``config/kpi_fingertips.toml`` with a comparison (:data:`SUMMARY_SCHEMA`): ``cell`` for a
    table ("Better (2nd of 11)"), ``phrase`` for a sentence where the difference is significant
    (:func:`quarter_phrase`). The overview, the pack's RAG summary and the briefing read this. Council-wide figures.
    """
    from kpi.contract.values import kpi_values as read_kpi_values

    require(principal, "read_council_data")
    if kpi_values is None:
        kpi_values = read_kpi_values(store, council_code, as_at, principal=principal)
    rows = []
    groups = _groups(store, council_code, as_at, principal)
    for code in kpi_mappings():
        view = kpi_comparison(
            store,
            council_code,
            code,
            period,
            as_at,
            principal=principal,
            kpi_values=kpi_values,
            charts=False,
            groups=groups,
        )
        if view is None or view.empty or view.table.is_empty():
            continue
        first = view.table.filter(pl.col("kind").is_in(["comparator", "region"])).head(1)
        if first.is_empty():
            continue
        row = first.row(0, named=True)
        phrase = quarter_phrase(row) if view.current else None
        cell = short_words(row) if view.current else f"Not compared (figures of {view.period})"
        rows.append(
            {
                "kpi_code": code,
                "group_name": row["group_name"],
                "period_compared": view.period,
                **{k: row[k] for k in ("outcome", "significance", "rank", "n_ranked", "quintile")},
                "cell": cell,
                "phrase": phrase,
            }
        )
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA)
