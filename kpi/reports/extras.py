"""Optional pack sections: NCMP and outcome summaries, shown only when their tables exist and hold data.

The NCMP (migration 003) and outcomes (migration 004) features are separate; a database without them, or with
their tables empty for the council, gives a pack without these sections. Whether a table exists is asked of
``information_schema.tables``, so this module never fails on a database that predates those migrations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core.store import Store
from kpi.reports import words
from kpi.reports.document import Cell, Paragraph, Table


@dataclass
class ExtraSection:
    """A titled section of blocks (:mod:`kpi.reports.document`) added to the pack after the inequalities page."""

    title: str
    anchor: str
    blocks: list = field(default_factory=list)


#: The tables this module may look into (their names are written into SQL, so only these are accepted).
OPTIONAL_TABLES = frozenset(
    {"ncmp_counts", "fingertips_values", "outcome_measure_values", "exception_narratives"}
)


def table_exists(store: Store, table: str) -> bool:
    """Whether a table exists in the database (``information_schema.tables``)."""
    return bool(
        store.query(
            "select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?",
            [table],
        ).item()
    )


def has_rows(store: Store, table: str, council_code: str) -> bool:
    """Whether one of :data:`OPTIONAL_TABLES` exists and holds a row for the council."""
    if table not in OPTIONAL_TABLES:
        raise ValueError(f"{table!r} is not one of the optional tables: {', '.join(sorted(OPTIONAL_TABLES))}")
    if not table_exists(store, table):
        return False
    # an identifier cannot be a bound parameter: the name is one of OPTIONAL_TABLES, never the user's
    return bool(store.query(f'select count(*) from "{table}" where council_code = ?', [council_code]).item())


def optional_sections(
    store: Store, council_code: str, as_at: datetime, *, principal: Principal
) -> list[ExtraSection]:
    """The NCMP and outcome sections that apply to this database (possibly none): council-wide figures."""
    require(principal, "read_council_data")
    sections = []
    for builder in (ncmp_section, outcomes_section):
        section = builder(store, council_code, as_at, principal=principal)
        if section is not None:
            sections.append(section)
    return sections


def _strip_markdown(text: str) -> str:
    return text.replace("**", "")


def ncmp_section(
    store: Store, council_code: str, as_at: datetime, *, principal: Principal
) -> ExtraSection | None:
    """NCMP summary for the latest academic year loaded by ``as_at``.

    Prevalence by category beside England (Fingertips rule) for Reception and Year 6, and the deprivation gap in
    obesity, from :mod:`kpi.ncmp.views` (the functions the NCMP page uses).
    """
    require(principal, "read_council_data")
    if not has_rows(store, "ncmp_counts", council_code):
        return None
    from kpi.ncmp import views as views

    data = views.ncmp_data(store, council_code, as_at, principal=principal)
    years = views.academic_years(data)
    if not years:
        return None
    year = years[0]
    blocks: list = [
        Paragraph(
            f"Academic year {year}, the latest loaded by the data-as-at time: prevalence among measured children "
            "with a valid BMI (UK90 population monitoring cut-offs), 95% Wilson interval, and England by the "
            "Fingertips rule (the same year where published, otherwise the latest, labelled with its year)."
        )
    ]
    for group in ("R", "6"):
        frame = views.categories(data, year, group)
        if frame.is_empty():
            continue
        rows = [
            [
                row["category_name"],
                Cell(words.pct(row["value_pct"]), numeric=True),
                Cell(words.ci(row["lower_ci_pct"], row["upper_ci_pct"]), numeric=True),
                Cell(
                    "–"
                    if row["england_pct"] is None
                    else f"{words.pct(row['england_pct'])} ({row['england_year']})",
                    numeric=True,
                ),
                row["comparison"] or "Not compared",
            ]
            for row in frame.iter_rows(named=True)
        ]
        label = views.school_year_label(group)
        blocks.append(
            Table(
                f"NCMP {label}, {year}",
                ["Category", "Borough", "95% CI", "England", "Compared with England"],
                rows,
                key=f"ncmp-{group}",
                widths=(2.4, 0.9, 1.2, 1.3, 1.6),
            )
        )
        sentence = views.gap_sentence(views.gap(data, year, group, "obese"))
        if sentence:
            index = views.decile_index_label(
                data, year
            )  # docs/methods.md section 7.1: a decile names its index
            blocks.append(Paragraph(f"{label}: {_strip_markdown(sentence)} Deciles of {index}."))
    return ExtraSection("Child measurement (NCMP)", "ncmp", blocks)


def outcomes_section(
    store: Store, council_code: str, as_at: datetime, *, principal: Principal
) -> ExtraSection | None:
    """Outcome measures of the default outcome framework, when any is loaded by ``as_at``.

    Fingertips and local measures as the Outcomes page's rug shows them (:func:`kpi.outcomes.rug.outcome_rug`): latest
    value, England by the Fingertips rule, recent trend. Contract KPIs in the framework are left out (the pack has
    them already).
    """
    require(principal, "read_council_data")
    if not (
        has_rows(store, "fingertips_values", council_code)
        or has_rows(store, "outcome_measure_values", council_code)
    ):
        return None
    from kpi.outcomes import frameworks as frameworks
    from kpi.outcomes import rug as rug_view
    from kpi.outcomes import series as outcomes

    available = frameworks.load_frameworks()
    framework = available[frameworks.default_framework_key(available)]
    series = outcomes.measure_series(store, council_code, framework, as_at, principal=principal)
    rug = rug_view.outcome_rug(framework, series).filter(
        pl.col("kind") != "kpi", pl.col("value").is_not_null()
    )
    if rug.is_empty():
        return None
    rows = [
        [
            row["label"],
            row["period"] or "–",
            Cell(rug_view.format_value(row["value"], row["unit"]), numeric=True),
            Cell(
                "–"
                if row["england_value"] is None
                else rug_view.format_value(row["england_value"], row["unit"]),
                numeric=True,
            ),
            row["england_label"] or "Not compared",
            row["trend_label"] or "–",
        ]
        for row in rug.iter_rows(named=True)
    ]
    blocks = [
        Paragraph(
            f"{framework.name}: the latest value of each outcome measure loaded by the data-as-at time, beside "
            f"England (Fingertips rule) with Fingertips' recent-trend words. {_strip_markdown(rug_view.rug_summary(rug))}"
        ),
        Table(
            f"Outcome measures, {framework.name}",
            ["Measure", "Period", "Value", "England", "Compared with England", "Recent trend"],
            rows,
            key="outcomes",
            widths=(2.8, 1.0, 0.9, 0.9, 1.5, 1.6),
        ),
    ]
    return ExtraSection("Outcomes", "outcomes", blocks)


def reconciliation_sections(
    store: Store,
    council_code: str,
    period: str,
    as_at: datetime,
    *,
    principal: Principal,
    provider_code: str | None = None,
) -> list[ExtraSection]:
    """The cells where the KPIs derived from child-level records differ from the return (none: no section).

    From :func:`kpi.hvrecords.reconcile.reconciliation` (the Data quality page's table); counts of children, never
    the children.
    """
    require(principal, "read_submissions", provider_code)
    if not table_exists(store, "hv_kpi_counts"):
        return []
    from kpi.hvrecords import reconcile

    frame = reconcile.reconciliation(
        store, council_code, principal=principal, provider_code=provider_code, period=period, as_at=as_at
    )
    flagged = reconcile.flagged_cells(frame)
    if flagged.is_empty():
        return []
    rows = [
        [
            row["kpi_code"],
            row["locality_code"],
            row["imd_decile"],
            Cell(row["derived"], numeric=True),
            Cell(row["returned"], numeric=True),
            Cell(
                _dash(None if row["points_difference"] is None else round(row["points_difference"], 1)),
                numeric=True,
            ),
            Cell(str(row["children_behind"]), numeric=True),
        ]
        for row in flagged.iter_rows(named=True)
    ]
    blocks = [
        Paragraph(
            f"{flagged.height} of {frame.height} cells of {period} differ between the KPIs derived from the "
            "provider's child-level health visiting records and its return, by more than the hv_reconcile_points "
            "setting (or in their counts where no value can be compared). 'Children behind' is how many children "
            "at least are counted differently; the provider can check them in its own records."
        ),
        Table(
            f"Child-level records against the return, {period}",
            ["KPI", "Locality", "Decile", "Derived", "Returned", "Difference (points)", "Children behind"],
            rows,
            key="hv-reconciliation",
            widths=(0.8, 1.2, 0.7, 1.1, 1.1, 1.2, 1.1),
        ),
    ]
    return [ExtraSection("Child-level records against the return", "hv-reconciliation", blocks)]


def _dash(value: object) -> str:
    return "–" if value is None else str(value)


def public_ethnic_rows(frame: pl.DataFrame) -> list[list[str]]:
    """A KPI by ethnic group (:func:`kpi.hvrecords.views.ethnic_breakdown`) as a public table shows it.

    Rows of group, numerator, denominator and percentage after the disclosure rules of docs/methods.md section 6:
    counts of 1-7 suppressed, the rest rounded to 5, with secondary suppression against the total row (last);
    percentages from the shown counts, at the precision their denominator allows.

    Example:
        >>> import polars as pl
        >>> rows = public_ethnic_rows(pl.DataFrame({"ethnic_group": ["White", "Mixed", "Not stated"],
        ...     "numerator": [90.0, 3.0, 9.0], "denominator": [100.0, 4.0, 12.0]}))
        >>> [row[:3] for row in rows]
        [['White', '90', '100'], ['Mixed', '*', '*'], ['Not stated', '*', '*'], ['All children', '100', '115']]

    """
    from kpi.reports.disclosure import disclose_counts, disclose_rate

    groups = frame["ethnic_group"].to_list()
    rows = list(frame.iter_rows(named=True))
    raw = {("n", "ALL"): float(frame["numerator"].sum()), ("d", "ALL"): float(frame["denominator"].sum())}
    raw |= {("n", r["ethnic_group"]): r["numerator"] for r in rows}
    raw |= {("d", r["ethnic_group"]): r["denominator"] for r in rows}
    relations = [(("n", "ALL"), [("n", g) for g in groups]), (("d", "ALL"), [("d", g) for g in groups])]
    shown = disclose_counts(raw, relations)
    out = []
    for label, key in [*((g, g) for g in groups), ("All children", "ALL")]:
        numerator, denominator = shown[("n", key)], shown[("d", key)]
        out.append([label, numerator.text, denominator.text, disclose_rate(numerator, denominator).text()])
    return out
