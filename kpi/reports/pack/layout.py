"""Lay a :class:`~kpi.reports.pack.model.Pack` out as a document: :func:`pack_document`.

Sections: cover (with the meeting date, the agenda and what changed since the last pack), RAG summary, RAG by
locality, exceptions, inequalities, NCMP and outcomes (when present), then data quality, actions and risks
(:mod:`kpi.reports.pack.closing`).

Internal pack: figures are unrounded; a small denominator (below the KPI's minimum) is marked † and not rated.
RAG is always a shape and a word (and a colour in the renderers); SPC icons carry their labels as text too.
"""

from __future__ import annotations

import polars as pl

from kpi.contract.values import SMALL_MARK
from kpi.reports import words
from kpi.reports.document import Bullets, Cell, Document, FigureBlock, Heading, PageBreak, Paragraph, Table
from kpi.reports.pack.changes import changes_blocks
from kpi.reports.pack.closing import actions_section, data_quality_section, risks_section
from kpi.reports.pack.model import Cover, ExceptionItem, Pack

LEGEND = (
    "RAG against the contract target in force for the period: ● Green meets the target, ▲ Amber misses it by no "
    "more than the amber margin, ■ Red misses it by more, ○ Not rated (no target, no judgement, or a denominator "
    f"below the KPI's minimum, marked {SMALL_MARK}). Change is since the previous quarter (↑ up, ↓ down, → less "
    "than half a point). England: Fingertips rule, similar when England's value lies inside the borough's 95% "
    "confidence interval (Wilson); England's figure is for the period shown beside it (the same quarter, else its "
    "financial year, else the latest no older than the benchmark-age setting); an older one is out of date and not "
    "compared. Variation and assurance: Making Data Count XmR chart of the borough series "
    "(12 quarters or more)."
)

BREAKDOWN_WIDTHS = (1.5, 1.2, 1.4, 0.9, 1.3, 1.2, 1.2)


def pack_document(pack: Pack) -> Document:
    """Lay the pack out as a :class:`~kpi.reports.document.Document` (see the module docstring)."""
    c = pack.cover
    doc = Document(
        title=f"Contract review meeting pack: {c.period}",
        subject=f"{c.council_name} 0-19 Healthy Child Programme contract, {c.period}",
        figures=pack.figures,
        footer=(
            f"{c.council_name} · {c.contract_name} · {c.period} · data as at {words.as_at_text(c.as_at)} · "
            f"data version {c.data_version}" + (" · DRAFT" if c.is_draft else "")
        ),
    )
    blocks = doc.blocks
    _cover(pack, blocks)
    # what changed shares the cover's page: it is short, and it is what the meeting reads first
    blocks.extend(
        changes_blocks(pack.changes, pack.data_quality.late.height, pack.data_quality.resubmitted.height)
    )
    blocks.append(PageBreak(landscape=True))
    _summary(pack, blocks)
    blocks.append(PageBreak(landscape=True))
    _locality_matrix(pack, blocks)
    blocks.append(PageBreak())
    _exceptions(pack, blocks)
    blocks.append(PageBreak())
    _inequalities(pack, blocks)
    for extra in pack.extras:
        blocks.append(Heading(extra.title, 2, anchor=extra.anchor))
        blocks.extend(extra.blocks)
    blocks.append(PageBreak())
    data_quality_section(pack, blocks)
    actions_section(pack, blocks)
    risks_section(pack, blocks)
    return doc


def _previous_text(previous: dict | None) -> str:
    """The last circulated pack, as the cover names it (drafts are never recorded, so never named)."""
    if not previous:
        return "none circulated"
    text = f"data as at {words.as_at_text(previous['as_at'])}, version {previous['data_version']}"
    if previous.get("sent_to"):
        circulated = previous.get("circulated_at") or previous.get("built_at")
        text += f"; circulated {words.as_at_text(circulated)} to {previous['sent_to']}"
    return text


def _how_many(number: int, noun: str) -> str:
    """A count and its verb in the words a reader expects: "no KPI is", "1 KPI is", "3 KPIs are"."""
    if number == 0:
        return f"no {noun} is"
    return f"{number} {noun} is" if number == 1 else f"{number} {noun}s are"


def _agenda(pack: Pack) -> list[str]:
    """The meeting's agenda, in the order of the pack's sections."""
    items = [
        "Welcome, apologies and the minutes of the last meeting",
        "What changed since the last pack",
        f"Performance summary: every KPI at borough level, {pack.cover.period}",
        "RAG by locality",
        f"Exceptions: {len(pack.exceptions)} KPIs red or amber, with the provider's explanation and remedial action",
        "Inequalities: headline KPIs by deprivation",
        *(extra.title for extra in pack.extras),
        "Data quality: late, missing and resubmitted returns",
        "Actions carried forward from the last meeting, with their status",
        "Risks",
        "Any other business and the date of the next meeting",
    ]
    return items


def cover_heading(cover: Cover) -> str:
    """The cover's heading: the pack's period and, when set, the meeting it is for.

    >>> from datetime import date
    >>> from types import SimpleNamespace
    >>> cover_heading(SimpleNamespace(period="2026-27 Q2", meeting_date=date(2027, 1, 14)))
    'Contract review meeting pack: 2026-27 Q2, for the meeting of 14 January 2027'
    >>> cover_heading(SimpleNamespace(period="2026-27 Q2", meeting_date=None))
    'Contract review meeting pack: 2026-27 Q2'
    """
    heading = f"Contract review meeting pack: {cover.period}"
    if cover.meeting_date:
        heading += f", for the meeting of {words.day_text(cover.meeting_date)}"
    return heading


def _cover(pack: Pack, blocks: list) -> None:
    c = pack.cover
    blocks.append(Heading(cover_heading(c), 1, anchor="cover"))
    blocks.append(Paragraph(f"{c.council_name}: {c.contract_name}", "lead"))
    if c.is_sample:
        blocks.append(
            Paragraph(
                "Sample data: synthetic figures for a real borough. No figure here describes a real service.",
                "banner",
            )
        )
    if c.is_draft:
        blocks.append(Paragraph("DRAFT for the provider's review before the pack circulates.", "banner"))
    previous = c.previous_pack
    rows = [
        ["Meeting date", words.day_text(c.meeting_date) if c.meeting_date else "not set"],
        ["Council", f"{c.council_name} ({c.council_code})"],
        ["Contract", c.contract_name],
        ["Provider", f"{c.provider_name}" + (f" ({c.provider_code})" if c.provider_code else "")],
        ["Period", c.period],
        ["Data as at", words.as_at_text(c.as_at)],
        ["Data version", c.data_version],
        ["Built", words.as_at_text(c.built_at)],
        ["Previous pack", _previous_text(previous)],
        ["Returns counted since", words.as_at_text(c.since) if c.since else "the first return"],
    ]
    blocks.append(Table("About this pack", ["Item", "Detail"], rows, key="cover", widths=(1, 3)))
    flagged = len(pack.exceptions)
    reds = int((pack.summary["rag"] == "red").sum())
    ambers = int((pack.summary["rag"] == "amber").sum())
    open_actions = pack.actions.filter(pl.col("status") != "closed").height
    blocks.append(
        Paragraph(
            f"At borough level {_how_many(reds, 'KPI')} red and {ambers or 'none'} amber; "
            f"{_how_many(flagged, 'KPI')} red or amber at borough or locality level"
            + (" and each has an exception page. " if flagged else ". ")
            + f"{_how_many(open_actions, 'action')} open; {_how_many(pack.risks.height, 'risk')} on the log."
        )
    )
    blocks.append(Heading("Agenda", 2, anchor="agenda"))
    blocks.append(Bullets(_agenda(pack), numbered=True))
    blocks.append(
        Paragraph(
            "The figures are the provider's returns as accepted by the data-as-at time, against the targets in force "
            "then; rebuilding the pack for the same time gives the same figures and the same data version.",
            "note",
        )
    )


def _value(row: dict) -> str:
    if row.get("value_kind") == "count":
        text = words.count(row.get("numerator"))
    else:
        text = words.pct(row.get("value_pct"))
    return text + (f" {SMALL_MARK}" if row.get("is_small_denominator") else "")


def _england(row: dict) -> str:
    if row.get("england_pct") is None:
        return "No England figure"
    if not row.get("england_current"):
        return f"Not compared: England figure out of date ({words.pct(row['england_pct'])}, {row['england_period']})"
    outcome = (row.get("england_outcome") or "not compared").capitalize()
    return f"{outcome} ({words.pct(row['england_pct'])}, {row['england_period']})"


def _summary(pack: Pack, blocks: list) -> None:
    period = pack.cover.period
    blocks.append(Heading(f"RAG summary, {period}", 2, anchor="summary"))
    rows = []
    for row in pack.summary.iter_rows(named=True):
        rows.append(
            [
                f"{row['kpi_code']} {row['kpi_name']}",
                Cell(_value(row), numeric=True),
                Cell(words.target(row["target_pct"], row["polarity"]), numeric=True),
                Cell(words.rag(row["rag"]), rag=row["rag"]),
                Cell(words.change(row), numeric=True),
                _england(row),
                row.get("vs_neighbours") or "–",
                Cell(row["variation_short"] or "", icon=("variation", row["variation"])),
                Cell(row["assurance_short"] or "", icon=("assurance", row["assurance"])),
            ]
        )
    blocks.append(
        Table(
            f"Every KPI at borough level, {period}",
            [
                "KPI",
                "Value",
                "Target",
                "RAG",
                "Change",
                "Compared with England",
                "vs neighbours",
                "Variation",
                "Assurance",
            ],
            rows,
            key="summary",
            note=LEGEND + _neighbours_note(pack),
            # in millimetres of the landscape page: one line for figures, two at most for names and words
            widths=(55, 15, 16, 21, 20, 55, 30, 33, 28),
        )
    )


def _neighbours_note(pack: Pack) -> str:
    """What the "vs neighbours" column compares with (docs/methods.md section 9), or nothing without a comparison."""
    groups = (
        pack.summary["neighbours_group"].drop_nulls().unique().to_list()
        if "neighbours_group" in pack.summary.columns
        else []
    )
    if not groups:
        return ""
    return (
        f" vs neighbours: against the average of {groups[0]} (pooled counts where published), Fingertips rule; "
        "rank among them and this council, 1st = best."
    )


def _locality_matrix(pack: Pack, blocks: list) -> None:
    period = pack.cover.period
    blocks.append(Heading(f"RAG by locality, {period}", 2, anchor="localities"))
    names = pack.locality_names
    matrix = pack.locality_matrix
    columns = list(names) + ["borough"]
    heads = ["KPI", *names.values(), "Borough"]
    matrix_rows = []
    for row in matrix.iter_rows(named=True):
        cells: list = [f"{row['kpi_code']} {row['kpi_name']}"]
        for key in columns:
            rag = row.get(f"{key}_rag")
            cells.append(Cell(row.get(f"{key}_text") or "", rag=rag))
        matrix_rows.append(cells)
    blocks.append(
        Table(
            f"Value, RAG and change by locality and for the borough, {period}",
            heads,
            matrix_rows,
            key="localities",
            note=f"{SMALL_MARK} small denominator (not rated). Arrows: change since the previous quarter.",
            widths=(3.0, *([1.2] * (len(heads) - 1))),
        )
    )


def _exceptions(pack: Pack, blocks: list) -> None:
    blocks.append(Heading("Exceptions", 2, anchor="exceptions"))
    if not pack.exceptions:
        blocks.append(Paragraph("No KPI is red or amber at borough or locality level this period."))
        return
    blocks.append(
        Paragraph(
            f"{len(pack.exceptions)} KPIs are red or amber at borough or locality level in {pack.cover.period}, "
            "one a page: the provider's explanation and remedial action, the XmR chart (statistical process "
            "control), and the values by locality and by national deprivation decile."
        )
    )
    for number, item in enumerate(pack.exceptions):
        if number:  # one exception a page: each is laid out to fit one
            blocks.append(PageBreak())
        _exception(pack, item, blocks)


def _exception(pack: Pack, item: ExceptionItem, blocks: list) -> None:
    b = item.borough
    where = [f"{words.rag(f['rag'])} in {f['where']} ({_value(f)})" for f in item.flagged]
    blocks.append(Heading(f"{item.kpi_code} {item.kpi_name}", 3, anchor=f"exception-{item.kpi_code}"))
    blocks.append(
        Paragraph(
            f"Borough {_value(b)} against a target of {words.target(b['target_pct'], b['polarity'])}: "
            f"{words.rag(b['rag'])}. Red or amber: {words.join_words(where)}."
        )
    )
    blocks.append(Heading("Provider's explanation and remedial action", 4))
    if not item.narratives:
        blocks.append(Paragraph("The provider has not given an explanation for this period.", "note"))
    else:  # one item a place, so that the exception keeps to one page
        blocks.append(Bullets([_narrative_text(narrative) for narrative in item.narratives]))
    # one exception is one page: in print the XmR chart and the decile chart sit side by side above the tables
    size = "half" if item.decile_key else "full"
    blocks.append(FigureBlock(item.trend_key, size))
    if item.decile_key:
        blocks.append(FigureBlock(item.decile_key, size))
    rows = [_breakdown_row(row, row["locality_name"]) for row in item.localities.iter_rows(named=True)]
    rows.append(_breakdown_row(b, "Borough"))
    blocks.append(
        Table(
            f"{item.kpi_code} by locality, {pack.cover.period}",
            ["Locality", "Numerator", "Denominator", "Value", "95% CI", "RAG", "Change"],
            rows,
            widths=BREAKDOWN_WIDTHS,
            key=f"exception-{item.kpi_code}-localities",
            total_rows=1,
        )
    )
    deciles = [
        _breakdown_row(row, "Unknown (U)" if row["imd_decile"] == "U" else f"Decile {row['imd_decile']}")
        for row in item.deciles.iter_rows(named=True)
    ]
    if deciles:
        blocks.append(
            Table(
                f"{item.kpi_code} by national IMD decile (1 = most deprived), borough, {pack.cover.period}",
                ["Decile", "Numerator", "Denominator", "Value", "95% CI", "RAG", "Change"],
                deciles,
                widths=BREAKDOWN_WIDTHS,
                key=f"exception-{item.kpi_code}-deciles",
            )
        )


def _narrative_text(narrative: dict) -> str:
    """One place's explanation, remedial action, owner and due date, and where it came from, as one item."""
    text = f"{narrative['where']}: {(narrative['explanation'] or 'no explanation given').rstrip('.')}."
    action = narrative.get("remedial_action")
    text += (
        f" Remedial action: {action.rstrip('.')}."
        if action
        else " Remedial action: not stated in the return."
    )
    if narrative.get("owner") or narrative.get("due_date"):
        text += f" Owner: {narrative.get('owner') or '–'}; due {narrative.get('due_date') or '–'}."
    return text + f" Source: {narrative['source']}."


def _breakdown_row(row: dict, label: str) -> list:
    return [
        label,
        Cell(words.count(row.get("numerator")), numeric=True),
        Cell(words.count(row.get("denominator")), numeric=True),
        Cell(_value(row), numeric=True),
        Cell(words.ci(row.get("lower_ci_pct"), row.get("upper_ci_pct")), numeric=True),
        Cell(words.rag(row.get("rag")), rag=row.get("rag") or "not rated"),
        Cell(words.change(row), numeric=True),
    ]


def _inequalities(pack: Pack, blocks: list) -> None:
    period = pack.cover.period
    blocks.append(Heading(f"Inequalities: headline KPIs by deprivation, {period}", 2, anchor="inequalities"))
    frame = pack.inequalities
    if frame.is_empty():
        blocks.append(Paragraph("No headline KPI has a deprivation breakdown this period."))
        return
    rows = []
    for row in frame.iter_rows(named=True):
        sii = (
            f"{_signed(row['sii_pts'])} ({_signed(row['sii_lower_pts'])} to {_signed(row['sii_upper_pts'])})"
            if row["rated"]
            else "Not rated"
        )
        rii = f"{row['rii']:.2f} ({row['rii_lower']:.2f} to {row['rii_upper']:.2f})" if row["rated"] else "–"
        rows.append(
            [
                f"{row['kpi_code']} {row['kpi_name']}",
                Cell(f"{words.pct(row['most_pct'])} ({row['most_deprived']})", numeric=True),
                Cell(f"{words.pct(row['least_pct'])} ({row['least_deprived']})", numeric=True),
                Cell(words.points(row["gap_points"]), numeric=True),
                Cell(sii, numeric=True),
                Cell(rii, numeric=True),
            ]
        )
    blocks.append(
        Table(
            f"Slope index of inequality and gap between the most and least deprived decile, borough, {period}",
            [
                "KPI",
                "Most deprived (decile)",
                "Least deprived (decile)",
                "Decile gap, points",
                "SII, points (95% CI)",
                "RII (95% CI)",
            ],
            rows,
            key="inequalities",
            widths=(2.4, 1.4, 1.4, 1.1, 2.1, 1.7),
            note=(
                "SII: slope index of inequality, the headline measure (the sentences below): the modelled gap "
                "across all ten national IMD deciles of the quarter's index (Low & Low 2004; PHEindicatormethods phe_sii), most "
                "deprived minus least deprived end of the fitted line, in points, 95% CI by simulation. Decile "
                "gap: the gap between the most and least deprived decile, decile 1 minus decile 10, in "
                "percentage points, from those two deciles only. "
                "Children whose LSOA is unknown (decile U) are left out."
            ),
        )
    )
    blocks.append(Bullets([row["sentence"] for row in frame.iter_rows(named=True)]))


def _signed(value: float) -> str:
    return words.points(value).removesuffix(" pts")
