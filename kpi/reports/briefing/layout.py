"""The scrutiny briefing laid out as a :class:`~kpi.reports.document.Document`: sections, tables and their notes.

The figures and words come from :mod:`kpi.reports.briefing.build` and :mod:`kpi.reports.briefing.words` (what is
said, with disclosure control applied); this module only decides how they are shown, in the order a committee
reads them: headline messages, England, over time, inequality by deprivation, localities, red areas and what is
being done, glossary, about the figures.
"""

from __future__ import annotations

import polars as pl

from kpi.contract import values as overview
from kpi.inequality import views as inequalities
from kpi.inequality.words import sii_in_words
from kpi.reports import words
from kpi.reports.briefing.model import DECILES, QUINTILE_DECILES, QUINTILES, Briefing, Headline
from kpi.reports.briefing.trajectories import trajectory_blocks
from kpi.reports.briefing.words import COMPARISON_WORDS, GLOSSARY, OUT_OF_DATE
from kpi.reports.disclosure import NOT_RELIABLE, ROUND_TO, SMALL_MAX, DisclosedRate, step_text
from kpi.reports.document import Bullets, Cell, Document, Heading, Paragraph, Table


def _comparison_cell(h: Headline) -> str:
    if h.comparison == OUT_OF_DATE:
        return f"Not compared: {overview.out_of_date_label(h.england_period)}"
    text = COMPARISON_WORDS.get(h.comparison, "not compared")
    return text[0].upper() + text[1:]


def _group_rates(b: Briefing, h: Headline) -> dict[str, DisclosedRate]:
    return h.deciles if b.groups == "decile" else h.quintiles


def _gap(b: Briefing, h: Headline) -> tuple[str, str, str]:
    """Most deprived, least deprived and the gap between them as printed (from :func:`inequalities.decile_gap`).

    The gap is taken from the unrounded percentages (the same function as the pack and the dashboard) and printed
    only where both groups' percentages are, no more precisely than the coarser of the two: "about −10 points".
    """
    rates = _group_rates(b, h)
    most, least = ("1", "10") if b.groups == "decile" else ("1", "5")
    prefix = "" if b.groups == "decile" else "q"
    low, high = rates.get(most), rates.get(least)
    texts = (low.text() if low else "–", high.text() if high else "–")
    frame = pl.DataFrame(
        {"group": list(h.true_groups), "value_pct": list(h.true_groups.values())},
        schema={"group": pl.String, "value_pct": pl.Float64},
    )
    gap = inequalities.decile_gap(frame, "group", prefix + most, prefix + least)
    if gap is None or low is None or high is None or low.step is None or high.step is None:
        return (*texts, "–")
    return (*texts, step_text(gap["gap_points"], max(low.step, high.step), " points"))


def _sii_cells(row: dict) -> tuple[str, str, str]:
    """The SII, its 95% CI and what it says (:func:`kpi.inequality.words.sii_in_words`), or why it is not rated."""
    if not row.get("rated"):
        return "–", "–", "Not rated: a decile has no children"
    value, low, high = row["sii_pts"], row["sii_lower_pts"], row["sii_upper_pts"]
    signed = [words.points(v).removesuffix(" pts") for v in (value, low, high)]
    return signed[0], f"{signed[1]} to {signed[2]}", sii_in_words(row)


def _deprivation(b: Briefing, blocks: list) -> None:
    c = b.cover
    group = b.groups
    blocks.append(Heading("Inequality by deprivation", 2, anchor="deprivation"))
    blocks.append(
        Paragraph(
            "The headline measure of inequality is the slope index of inequality (SII), over all ten national "
            "deprivation deciles (see the glossary). A negative figure means the most deprived areas are behind."
        )
    )
    rated = [h for h in b.headlines if h.sii]
    if rated:
        blocks.append(
            Table(
                f"Slope index of inequality (SII), borough, {c.period}",
                ["Measure", "SII, points", "95% CI", "In words"],
                [
                    [
                        h.kpi_name,
                        *[Cell(text, numeric=True) for text in _sii_cells(h.sii)[:2]],
                        _sii_cells(h.sii)[2],
                    ]
                    for h in rated
                ],
                key="sii",
                widths=(2.6, 1.0, 1.4, 2.4),
                note="SII: most deprived minus least deprived end of the fitted line (Low & Low 2004; "
                "PHEindicatormethods phe_sii), 95% confidence interval by simulation; the same figures as the "
                "contract pack.",
            )
        )
    heads = [h for h in b.headlines if _group_rates(b, h)]
    if group == "quintile":
        blocks.append(
            Paragraph(
                "Most decile figures would be too small to show, so the table below pairs the deciles into "
                "quintiles: quintile 1 is deciles 1 and 2 (the 20% most deprived neighbourhoods), quintile 5 "
                "deciles 9 and 10."
            )
        )
    blocks.append(_gap_block(b, heads))
    blocks.append(_group_table(b, heads))


def _gap_block(b: Briefing, heads: list[Headline]):
    """The gap between the most and least deprived group, as a table, or why it cannot be shown."""
    c, group = b.cover, b.groups
    least = "10" if group == "decile" else "5"
    gaps = [(h, _gap(b, h)) for h in heads]
    if not any(texts[2] != "–" for _, texts in gaps):
        return Paragraph(
            f"The gap between the most and least deprived {group} ({group} 1 minus {group} {least}) cannot "
            f"be shown this quarter: one of the two {group}s has too few children to give a reliable "
            "percentage. The SII above uses every decile and the exact counts."
        )
    return Table(
        f"Gap between the most and least deprived {group}, {c.period}",
        ["Measure", f"Most deprived ({group} 1)", f"Least deprived ({group} {least})", "Gap"],
        [[h.kpi_name, *[Cell(text, numeric=True) for text in texts]] for h, texts in gaps],
        key="gap",
        widths=(2.6, 1.3, 1.3, 1.3),
        note=f"Gap: the figure in {group} 1 minus the figure in {group} {least}, in percentage points, "
        "from those two groups only (the SII above uses every decile). Worked out from the exact counts "
        "and shown no more precisely than the two percentages.",
    )


def _group_table(b: Briefing, heads: list[Headline]) -> Table:
    """Per cent by national deprivation decile (or quintile) for every headline measure, then the borough."""
    c, group = b.cover, b.groups
    labels = DECILES if group == "decile" else QUINTILES
    return Table(
        f"Per cent by national deprivation {group} (1 = most deprived{'; ' + b.deciles_on if b.deciles_on else ''}), "
        f"{c.period}",
        [group.capitalize(), *[h.kpi_code for h in heads]],
        [
            [
                "Unknown" if d == "U" else (d if group == "decile" else f"{d} ({QUINTILE_DECILES[d]})"),
                *[
                    Cell(_group_rates(b, h)[d].text() if d in _group_rates(b, h) else "–", numeric=True)
                    for h in heads
                ],
            ]
            for d in labels
        ]
        + [["Borough", *[Cell(h.rate.text(), numeric=True) for h in heads]]],
        key="deciles",
        total_rows=1,
        widths=(1.4, *([1.0] * len(heads))),
        note="Columns: "
        + "; ".join(f"{h.kpi_code} {h.kpi_name}" for h in heads)
        + ("." if group == "quintile" else ". Unknown: the child's neighbourhood was not recorded."),
    )


def briefing_document(b: Briefing) -> Document:
    """Lay the briefing out (about four A4 pages), section by section."""
    c = b.cover
    doc = Document(
        title=f"Healthy Child Programme 0-19: briefing for the scrutiny committee, {c.period}",
        subject=f"{c.council_name}: how the 0-19 Healthy Child Programme is doing, {c.period}",
        footer=(
            f"{c.council_name} · scrutiny briefing · {c.period} · data as at {words.as_at_text(c.as_at)} · "
            f"data version {c.data_version}"
        ),
    )
    for section in (_opening, _england, _over_time, _deprivation, _localities, _ethnic_groups, _red_areas):
        section(b, doc.blocks)
    if b.trajectories:
        doc.blocks.extend(trajectory_blocks(b.trajectories, c.period))
    _about(b, doc.blocks)
    return doc


def _opening(b: Briefing, blocks: list) -> None:
    c = b.cover
    blocks.append(Heading(f"Healthy Child Programme 0-19: {c.period}", 1, anchor="title"))
    blocks.append(
        Paragraph(
            f"Briefing for the scrutiny committee: {c.council_name}, services provided by {c.provider_name}. "
            f"Figures for {c.period} as held on {words.as_at_text(c.as_at)}.",
            "lead",
        )
    )
    if c.is_sample:
        blocks.append(
            Paragraph(
                "Sample data: synthetic figures for a real borough. No figure here describes a real service.",
                "banner",
            )
        )
    blocks.append(Heading("Headline messages", 2, anchor="headlines"))
    blocks.append(Bullets([h.message for h in b.headlines] or ["No headline figures for this period."]))
    blocks.append(
        Paragraph(
            "“Better” and “worse than England” are used only where the difference is statistically significant; "
            "otherwise the borough is “similar to England”. Small counts are hidden and others rounded to protect "
            "privacy (see “About these figures”).",
            "note",
        )
    )


def _england(b: Briefing, blocks: list) -> None:
    c = b.cover
    blocks.append(Heading("Compared with England", 2, anchor="england"))
    blocks.append(
        Table(
            f"Headline measures, {c.period}, compared with England",
            ["Measure", "Children", "Of", "Per cent", "England", "Compared with England"],
            [
                [
                    h.kpi_name,
                    Cell(h.rate.numerator.text, numeric=True),
                    Cell(h.rate.denominator.text, numeric=True),
                    Cell(h.rate.text(), numeric=True),
                    f"{words.pct(h.england_pct)} ({h.england_period})" if h.england_pct is not None else "–",
                    _comparison_cell(h),
                ]
                for h in b.headlines
            ],
            key="england",
            widths=(2.6, 0.9, 0.9, 1.1, 1.5, 1.8),
            note="The comparison uses the exact counts and their 95% confidence interval, as in the contract "
            "pack; the percentages shown are rounded (see “About these figures”).",
        )
    )


def _over_time(b: Briefing, blocks: list) -> None:
    c = b.cover
    blocks.append(Heading("Over time", 2, anchor="over-time"))
    blocks.append(
        Table(
            "Headline measures over time (borough)",
            ["Measure", b.year_ago_period, b.previous_period, c.period, "Recent trend (five quarters)"],
            [
                [
                    h.kpi_name,
                    Cell(h.year_ago.text() if h.year_ago else "–", numeric=True),
                    Cell(h.previous.text() if h.previous else "–", numeric=True),
                    Cell(h.rate.text(), numeric=True),
                    h.trend,
                ]
                for h in b.headlines
            ],
            key="over-time",
            widths=(2.6, 1.1, 1.1, 1.1, 2.2),
        )
    )


def _localities(b: Briefing, blocks: list) -> None:
    c = b.cover
    blocks.append(Heading("By locality", 2, anchor="localities"))
    rows = []
    for h in b.headlines:
        for code, name in b.locality_names.items():
            if code in h.localities:
                r = h.localities[code]
                rows.append(
                    [
                        h.kpi_name,
                        name,
                        Cell(r.numerator.text, numeric=True),
                        Cell(r.denominator.text, numeric=True),
                        Cell(r.text(), numeric=True),
                    ]
                )
        if h.localities:
            r = h.rate
            rows.append(
                [
                    h.kpi_name,
                    "Borough",
                    Cell(r.numerator.text, numeric=True),
                    Cell(r.denominator.text, numeric=True),
                    Cell(r.text(), numeric=True),
                ]
            )
    blocks.append(
        Table(
            f"Headline measures by locality, {c.period}",
            ["Measure", "Area", "Children", "Of", "Per cent"],
            rows,
            key="localities",
            widths=(2.8, 1.2, 1.0, 1.0, 1.0),
        )
    )


def _ethnic_groups(b: Briefing, blocks: list) -> None:
    """Per cent by ethnic group of each headline measure with child-level records (none: no section)."""
    if not b.ethnic_groups:
        return
    c = b.cover
    blocks.append(Heading("By ethnic group", 2, anchor="ethnic-groups"))
    blocks.append(
        Paragraph(
            "From the provider's child-level health visiting records, which give each child's ethnic group: "
            + "; ".join(_ethnic_sentence(t) for t in b.ethnic_groups)
            + ". These are counted from the records, so they can differ a little from the return's figures above."
        )
    )
    groups = [row[0] for row in b.ethnic_groups[0]["rows"]]
    cells = {t["kpi_code"]: {row[0]: row[3] for row in t["rows"]} for t in b.ethnic_groups}
    blocks.append(
        Table(
            f"Per cent by ethnic group, {c.period}",
            ["Ethnic group", *[t["kpi_code"] for t in b.ethnic_groups]],
            [
                [group, *[Cell(cells[t["kpi_code"]][group], numeric=True) for t in b.ethnic_groups]]
                for group in groups
            ],
            key="ethnic-groups",
            total_rows=1,
            widths=(2.0, *([1.0] * len(b.ethnic_groups))),
            note="Columns: "
            + "; ".join(f"{t['kpi_code']} {t['kpi_name']}" for t in b.ethnic_groups)
            + f". Groups: the five ONS ethnic groups and Not stated. Counts of 1-{SMALL_MAX} are hidden (*) with "
            f"any count that would reveal them, the rest rounded to the nearest {ROUND_TO}; percentages are "
            "worked out from the rounded counts and hidden where they are.",
        )
    )


def _ethnic_sentence(table: dict) -> str:
    """The disclosed all-children row in words: "New birth visits within 14 days, 715 of 790 children"."""
    _, children, of, _ = table["rows"][-1]
    return f"{table['kpi_name']}, {children} of {of} children"


def _red_areas(b: Briefing, blocks: list) -> None:
    blocks.append(Heading("What the provider is doing about red areas", 2, anchor="red-areas"))
    if not b.red_areas and not b.unnamed_reds:
        blocks.append(
            Paragraph("No measure missed its contract target by more than the amber margin this period.")
        )
    items = []
    for red in b.red_areas:
        shown = red.rate.text()
        if red.rate.withheld:
            shown = f"{red.rate.numerator.text} of {red.rate.denominator.text} children"
        text = f"{red.kpi_name}, {red.where}: {shown}"
        if red.target_pct is not None:
            text += f" against a target of {red.target_pct:g}%"
        text += ". "
        text += (
            f"The provider says: {red.explanation}"
            if red.explanation
            else "The provider has not given a reason"
        )
        text += (
            f". Action: {red.remedial_action}."
            if red.remedial_action
            else ". The action plan is reviewed at the contract meeting."
        )
        items.append(text)
    for kpi_name, how_many in b.unnamed_reds:
        areas = "one more locality" if how_many == 1 else f"{how_many} more localities"
        items.append(
            f"{kpi_name}: also red in {areas} whose figures are too small to publish, so not named here. The "
            "action plan is reviewed at the contract meeting."
        )
    if items:
        blocks.append(Bullets(items))


def _about(b: Briefing, blocks: list) -> None:
    c = b.cover
    blocks.append(Heading("Glossary", 2, anchor="glossary"))
    blocks.append(
        Table(
            "Words used in this briefing",
            ["Term", "Meaning"],
            [list(pair) for pair in GLOSSARY],
            key="glossary",
            widths=(1.2, 4.0),
        )
    )
    blocks.append(Heading("About these figures", 2, anchor="about"))
    blocks.append(
        Paragraph(
            f"Source: the provider's quarterly returns to {c.council_name} as accepted by {words.as_at_text(c.as_at)}; "
            "England figures from the Office for Health Improvement and Disparities. Counts from 1 to "
            f"{SMALL_MAX} are shown as *, other counts are rounded to the nearest {ROUND_TO}, and percentages are "
            "worked out from the rounded counts (NHS England's rule for published sub-national figures); where a "
            "hidden count could be worked out by subtraction from a total, another figure is hidden too. "
            "Percentages are shown only as precisely as the rounded number of children allows (NHS England's "
            "presentation rule for rounded data; see the glossary); where rounding moved one too far from the "
            f"true figure it is not shown (“{NOT_RELIABLE}”). Comparisons with England, trends, the SII, gaps and "
            "whether a target was met use the exact counts, as the contract pack does. Data version "
            f"{c.data_version}.",
            "note",
        )
    )


__all__ = ["briefing_document"]
