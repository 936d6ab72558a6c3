"""Render a document to DOCX with python-docx, for councils that edit the pack in Word.

Accessibility as in Word's accessibility checker: the title, subject and language (en-GB) in the document
properties; headings in Word's Heading styles (the navigation pane lists them); tables with a header row that
repeats on each page (``w:tblHeader``), first-row and first-column formatting, a caption paragraph above and the
caption as the table's alternative text (``w:tblCaption``/``w:tblDescription``); RAG as shape and word plus a cell
shade; charts as PNG at :data:`kpi.reports.figures.PNG_PPI` pixels per inch at the size they are placed (made
from the chart's SVG; python-docx cannot embed SVG) with
their text alternative in ``wp:docPr/@descr`` (and the title in ``@title``) and printed in the caption; SPC icons as
small PNG pictures with their labels as alternative text and as words beside them. Body 11 pt, tables 9.5 pt.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import re

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Inches, Pt, RGBColor

from kpi.contract.values import RAG_BACKGROUNDS
from kpi.reports.document import Bullets, Cell, Document, FigureBlock, Heading, PageBreak, Paragraph, Table
from kpi.reports.figures import PNG_PPI, FigureSet, icon_label

BODY_PT = 11
TABLE_PT = 9.5
NOTE_PT = 9
FONT = "Arial"
#: Widest a chart is placed, in inches (A4 less 1.8 cm margins is 6.85 in).
CHART_MAX_INCHES = 6.5
#: A half-size chart's share of that width (DOCX stacks them: still smaller, so an exception takes less room).
HALF_SHARE = 0.7
PAGE_CM = (21.0, 29.7)
MARGIN_CM = 1.8
ICON_INCHES = 0.2


#: Characters XML 1.0 forbids (C0 controls but tab, line feed and carriage return; surrogates; U+FFFE and U+FFFF):
#: one in any text (a provider's narrative) would make python-docx refuse to build the whole document.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value):
    """``value`` with XML-invalid characters removed from every string in it (dataclasses, lists, dicts)."""
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    if isinstance(value, FigureSet):  # charts are labelled by the program: kept as built (renders counted)
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _xml_safe(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe(item) for item in value)
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    return value


def render_docx(document: Document) -> bytes:
    """The document as DOCX bytes."""
    document = _xml_safe(document)
    out = new_docx()
    _setup(out, document)
    numbers: dict[str, int] = {}
    page = {"width_cm": PAGE_CM[0] - 2 * MARGIN_CM}
    writer = _Writer(out)
    _prepare_pictures(document)
    for block in document.blocks:
        if isinstance(block, Heading):
            writer.paragraph(block.text, f"Heading {min(max(block.level, 1), 9)}")
        elif isinstance(block, Paragraph):
            _paragraph(out, block)
        elif isinstance(block, Bullets):
            for item in block.lines():
                writer.paragraph(item, "Normal" if block.numbered else "List Bullet")
        elif isinstance(block, Table):
            _table(writer, block, document, page["width_cm"])
        elif isinstance(block, FigureBlock):
            numbers[block.key] = len(numbers) + 1
            _figure(writer, block, numbers[block.key], document)
        elif isinstance(block, PageBreak):
            page["width_cm"] = _new_section(out, block.landscape)
        else:  # pragma: no cover - the document model has no other block
            raise TypeError(f"cannot render a {type(block).__name__}")
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _prepare_pictures(document: Document) -> None:
    """Every chart's and SPC icon's PNG drawn in one pass before the document is written (the same pictures)."""
    charts = [
        (block.key, _chart_inches(block)) for block in document.blocks if isinstance(block, FigureBlock)
    ]
    icons = [
        cell.icon
        for table in document.tables()
        for row in table.rows
        for cell in row
        if isinstance(cell, Cell) and cell.icon
    ]
    document.figures.prepare_png(charts, icons)


def _chart_inches(block: FigureBlock) -> float:
    """The widest a chart is placed, in inches (a half chart is narrower)."""
    return CHART_MAX_INCHES * (HALF_SHARE if block.size == "half" else 1)


def _new_section(out, landscape: bool) -> float:
    """Start a new page as a new section (portrait or landscape); returns the width between the margins, cm."""
    section = out.add_section(WD_SECTION.NEW_PAGE)
    short, long = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    return (PAGE_CM[1] if landscape else PAGE_CM[0]) - 2 * MARGIN_CM


def _setup(out, document: Document) -> None:
    section = out.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    normal = out.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), document.language)
    rpr.append(lang)
    props = out.core_properties
    props.title = document.title
    props.subject = document.subject
    props.language = document.language
    props.author = "HCP Contract Monitor"
    footer = section.footer.paragraphs[0]
    run = footer.add_run(document.footer + " · Page ")
    run.font.size = Pt(8)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    footer._p.append(field)


def _paragraph(out, block: Paragraph) -> None:
    paragraph = out.add_paragraph()
    run = paragraph.add_run(block.text)
    if block.style == "lead":
        run.font.size = Pt(13)
    elif block.style == "note":
        run.font.size = Pt(NOTE_PT)
        run.font.color.rgb = RGBColor(0x33, 0x33, 0x33)
    elif block.style == "banner":
        run.bold = True
        _shade(paragraph._p.get_or_add_pPr(), "FFF4CE")


def _shade(parent, fill: str) -> None:
    shade = OxmlElement("w:shd")
    shade.set(qn("w:val"), "clear")
    shade.set(qn("w:color"), "auto")
    shade.set(qn("w:fill"), fill)
    parent.append(shade)


class _Writer:
    """Paragraphs in a named style and runs of table text, made the way python-docx makes them but faster.

    python-docx looks a style's id up by name among every style (and checks it is not the default) for each
    paragraph, and formats each run of each table cell through its properties (font size, bold): with a pack's
    few hundred paragraphs and 1,300 cells that was most of the DOCX's time. Here each style's id is looked up once
    and each cell's run is a copy of one run formatted once: the same XML.
    """

    def __init__(self, out) -> None:
        self.out = out
        self._style_ids: dict[str, str | None] = {}
        scratch = out.add_paragraph()
        self._runs = {}
        for bold in (False, True):
            run = scratch.add_run()
            run.font.size = Pt(TABLE_PT)
            run.bold = bold
            self._runs[bold] = run._r
        scratch._p.getparent().remove(scratch._p)

    def paragraph(self, text: str, style: str):
        """A paragraph of ``text`` in a paragraph style (as ``add_paragraph(text, style)``)."""
        if style not in self._style_ids:
            self._style_ids[style] = self.out.part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
        paragraph = self.out.add_paragraph(text)
        paragraph._p.style = self._style_ids[style]
        return paragraph

    def cell_run(self, paragraph, text: str, bold: bool) -> None:
        """Append a run of table text to ``paragraph`` (as ``add_run(text)``, then its size and bold set)."""
        run = copy.deepcopy(self._runs[bold])
        paragraph._p.append(run)
        run.text = text


def _text(cell, text: str, writer: _Writer, *, bold: bool = False, right: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    writer.cell_run(paragraph, text, bold)
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _table(writer: _Writer, table: Table, document: Document, width_cm: float) -> None:
    out = writer.out
    caption = writer.paragraph(table.caption, "Caption")
    caption.paragraph_format.keep_with_next = True
    grid = out.add_table(rows=len(table.rows) + 1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.autofit = False
    widths = [Cm(width_cm * share) for share in table.relative_widths()]
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
    props = grid._tbl.tblPr
    look = props.find(qn("w:tblLook"))
    if look is None:
        look = OxmlElement("w:tblLook")
        props.append(look)
    for name, value in (("w:firstRow", "1"), ("w:firstColumn", "1" if table.row_headers else "0")):
        look.set(qn(name), value)
    for tag, value in (("w:tblCaption", table.caption), ("w:tblDescription", table.note or table.caption)):
        element = OxmlElement(tag)
        element.set(qn("w:val"), value[:255])
        props.append(element)
    header = grid.rows[0]
    header_props = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_props.append(repeat)
    for cell, name, width in zip(header.cells, table.columns, widths, strict=True):
        cell.width = width
        _text(cell, name, writer, bold=True)
        _shade(cell._tc.get_or_add_tcPr(), "E8E8E8")
    first_total = len(table.rows) - table.total_rows
    for number, (row, values) in enumerate(zip(grid.rows[1:], table.rows, strict=True)):
        total = number >= first_total
        for cell, value, width in zip(row.cells, values, widths, strict=True):
            cell.width = width
            item = value if isinstance(value, Cell) else Cell(str(value))
            if item.icon:
                kind, code = item.icon
                run = cell.paragraphs[0].add_run()
                picture = run.add_picture(
                    io.BytesIO(document.figures.icon_png(kind, code)), width=Inches(ICON_INCHES)
                )
                label = icon_label(kind, code)
                picture._inline.docPr.set("descr", label)
                picture._inline.docPr.set("title", label)
                _text(cell, " " + item.text, writer)
                continue
            _text(cell, item.text, writer, bold=total, right=item.numeric)
            if item.rag:
                _shade(cell._tc.get_or_add_tcPr(), RAG_BACKGROUNDS[item.rag].lstrip("#").upper())
    if table.note:
        note = out.add_paragraph()
        run = note.add_run(table.note)
        run.font.size = Pt(NOTE_PT)


def _figure(writer: _Writer, block: FigureBlock, number: int, document: Document) -> None:
    out = writer.out
    figure = document.figures[block.key]
    widest = _chart_inches(block)
    png = document.figures.png(block.key, max_width_in=widest)  # PNG_PPI pixels an inch at the width placed
    pixels = int.from_bytes(png[16:20], "big")  # IHDR width
    width = min(widest, pixels / PNG_PPI)
    picture = out.add_picture(io.BytesIO(png), width=Inches(width))
    picture._inline.docPr.set("descr", figure.alt)
    picture._inline.docPr.set("title", figure.title)
    out.paragraphs[-1].paragraph_format.keep_with_next = True
    caption = writer.paragraph("", "Caption")
    caption.add_run(f"Figure {number}. {figure.title}. ").bold = True
    caption.add_run(figure.alt)
