"""A small document model shared by the meeting pack and the scrutiny briefing.

A report is built once as data (:mod:`kpi.reports.pack`, :mod:`kpi.reports.briefing`), laid out as a
:class:`Document` (a list of blocks: headings, paragraphs, bullet lists, tables, figures, page breaks), and the same
document is rendered to HTML (:mod:`kpi.reports.html`, then PDF by :mod:`kpi.reports.pdf`) and to DOCX
(:mod:`kpi.reports.docx`). So both formats carry the same words and figures, and each renderer only knows how to
draw a block accessibly: real headings, tables with a header row and row headers, RAG as a word and a shape as well
as a colour, charts with a title and a text alternative.

Example:
>>> doc = Document(title="Pack", blocks=[Heading("Summary", 2), Table("KPIs", ["KPI", "Value"], [["C2", "88%"]])])
>>> [type(block).__name__ for block in doc.blocks]
['Heading', 'Table']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kpi.reports.figures import FigureSet


@dataclass(frozen=True)
class Heading:
    """A heading: level 1 is the document title, 2 a section, 3 a subsection."""

    text: str
    level: int = 2
    anchor: str | None = None


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; ``style`` is "body", "lead" (larger), "note" (smaller, grey) or "banner" (boxed notice)."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class Bullets:
    """A list of plain-text items: bulleted, or ``numbered`` (1., 2., ... written before each item, no bullet)."""

    items: tuple[str, ...] | list[str]
    numbered: bool = False

    def lines(self) -> list[str]:
        """The items as written: numbered ones with their number."""
        if not self.numbered:
            return list(self.items)
        return [f"{number}. {item}" for number, item in enumerate(self.items, start=1)]


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, and optionally a RAG status (drawn as word, shape and colour) or an SPC icon.

    ``icon`` is ``("variation" | "assurance", code)``: the Making Data Count icon for that code, drawn beside the
    text with the code's plain-English label as its alternative text.
    """

    text: str
    rag: str | None = None
    icon: tuple[str, str | None] | None = None
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """A table with a caption, one header row and (when ``row_headers``) its first column as row headers."""

    caption: str
    columns: list[str]
    rows: list[list[Cell | str]]
    row_headers: bool = True
    key: str = ""
    note: str | None = None
    total_rows: int = 0  # the last ``total_rows`` rows are totals (drawn in bold)
    widths: tuple[float, ...] | None = None  # relative column widths (default: first column twice the others)

    def relative_widths(self) -> list[float]:
        """Column widths as fractions of the table's width."""
        weights = list(self.widths) if self.widths else [2.0] + [1.0] * (len(self.columns) - 1)
        if len(weights) != len(self.columns):
            raise ValueError(f"table {self.caption!r}: {len(weights)} widths for {len(self.columns)} columns")
        total = sum(weights)
        return [weight / total for weight in weights]

    def cell(self, row: int, column: int) -> Cell:
        """The cell at a row and column, as a :class:`Cell`."""
        value = self.rows[row][column]
        return value if isinstance(value, Cell) else Cell(str(value))


@dataclass(frozen=True)
class FigureBlock:
    """A chart of the document's :class:`~kpi.reports.figures.FigureSet`, by key.

    ``size`` "half": half the text width, so that two half charts in a row sit side by side in print (HTML, PDF)
    and take less room in DOCX.
    """

    key: str
    size: str = "full"


@dataclass(frozen=True)
class PageBreak:
    """Start a new page; ``landscape`` turns the pages that follow (until the next break) sideways."""

    landscape: bool = False


Block = Heading | Paragraph | Bullets | Table | FigureBlock | PageBreak


@dataclass
class Document:
    """A titled list of blocks, the figures they refer to and facts for the running footer."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    figures: FigureSet = field(default_factory=FigureSet)
    footer: str = ""
    subject: str = ""
    language: str = "en-GB"

    def tables(self) -> list[Table]:
        """Every table, in order."""
        return [block for block in self.blocks if isinstance(block, Table)]

    def headings(self) -> list[Heading]:
        """Every heading, in order."""
        return [block for block in self.blocks if isinstance(block, Heading)]
