"""Lay a :class:`~kpi.reports.document.Document` out as Typst source, for :mod:`kpi.reports.pdf` to typeset.

The source mirrors the HTML preview (:mod:`kpi.reports.html`) block for block, with the same words, tables and charts,
and is written so that the typesetter's tagged-PDF output is accessible (PDF/UA-1): real headings in order; each table
a table with its caption and a repeated header row, tagged as header cells; RAG as a word and a shape as well as a
colour, the shape marked as an artifact so a screen reader says the word once; charts as vector images with the
chart's title as their alternative text and the full text alternative printed in the caption; SPC icons as small
images whose alternative text is their plain-English label; a running footer (the document's facts, "Page n of N")
that readers of assistive technology skip. A4 portrait; a sheet after a landscape page break is A4 landscape.

Every piece of text is written as a Typst string literal (:func:`typst_string`), never as markup, so no name or
comment can change the layout. Charts and icons are not written into the source: they are passed to the typesetter
as named inputs (``sys.inputs``) holding their SVG, and :func:`figure_inputs` gives those inputs for a document.

Sizes follow the HTML's print stylesheet: body 11 pt, tables 9.5 pt (the RAG summary 9 pt), notes 9 pt, never
smaller.
"""

from __future__ import annotations

from kpi.contract.values import RAG_BACKGROUNDS, RAG_SHAPES, RAG_WORDS
from kpi.reports.document import Bullets, Cell, Document, FigureBlock, Heading, PageBreak, Paragraph, Table
from kpi.reports.figures import icon_label, icon_svg
from kpi.reports.html import KEEP_ROWS

#: The font of every report (it carries the RAG shapes ● ▲ ■ ○ and arrows); Debian's fonts-dejavu-core.
FONTS = ("DejaVu Sans",)
#: SPC icons in tables, points square (the HTML's 14 CSS pixels).
ICON_PT = 10.5
#: The widest a full-width chart is drawn (the HTML's 42 rem at 11 pt).
CHART_MAX_PT = 462
#: Cell padding of tables, and of the RAG summary's and the exceptions' tables (which must fit their page).
_INSET, _TIGHT = "(x: 0.3em, y: 0.3em)", "(x: 0.25em, y: 0.15em)"
#: Input-name prefixes of a chart's SVG and an SPC icon's SVG.
FIGURE_INPUT, ICON_INPUT = "figure-", "icon-"

_PREAMBLE = """
#set text(font: ({fonts}), size: 11pt, fill: rgb("#1a1a1a"), lang: "{lang}", region: "{region}")
#set par(leading: 0.6em, spacing: 0.9em)
#set page(paper: "a4", margin: (top: 16mm, bottom: 20mm, x: 15mm), footer: context [
  #set text(8pt, fill: rgb("#333333"))
  #box(width: 80%, {footer})
  #h(1fr)
  #text(9pt)[Page #counter(page).display() of #counter(page).final().first()]
])
#show heading: set block(above: 1em, below: 0.5em, sticky: true)
#show heading.where(level: 1): set text(size: 19pt)
#show heading.where(level: 2): it => block(width: 100%, stroke: (bottom: 2pt + rgb("#1a1a1a")),
  inset: (bottom: 3pt), above: 1.1em, below: 0.5em, sticky: true, text(size: 16pt, it))
#show heading.where(level: 3): set text(size: 13.5pt)
#show heading.where(level: 4): set text(size: 11.5pt)
#show figure: set block(above: 0.6em, below: 0.6em)
#show figure.where(kind: table): set block(breakable: true)
#show figure.caption: set align(left)
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.where(kind: table): it => {{ show figure.caption: strong; it }}
#set table(stroke: 0.75pt + rgb("#8a8a8a"), inset: (x: 0.3em, y: 0.2em), align: left + top)
#set list(spacing: 0.5em, indent: 0.4em)
#set enum(spacing: 0.5em)
#let rag(fill, shape, body) = table.cell(fill: rgb(fill))[#pdf.artifact(shape) #body]
#let icon(name, label, body) = [#box(baseline: 20%, image(bytes(sys.inputs.at(name)), format: "svg",
  width: {icon}pt, height: {icon}pt, alt: label)) #body]
#let note(body) = par(text(size: 9pt, fill: rgb("#333333"), body))
"""


def typst_string(text: str) -> str:
    r"""``text`` as a Typst string literal: quotes, backslashes and control characters escaped.

    >>> print(typst_string('Say "hi" \\ #bye [x]'))
    "Say \"hi\" \\ #bye [x]"
    """
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 32:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def typst_source(document: Document) -> str:
    """The whole document as Typst source (charts and icons by input name; see :func:`figure_inputs`)."""
    language, _, region = document.language.partition("-")
    head = (
        f"#set document(title: {typst_string(document.title)}, description: {typst_string(document.subject)})"
        + _PREAMBLE.format(
            fonts=", ".join(typst_string(font) for font in FONTS),
            lang=language.lower(),
            region=(region or "GB").upper(),
            footer=typst_string(document.footer),
            icon=ICON_PT,
        )
    )
    numbers: dict[str, int] = {}
    sheets: list[tuple[bool, list[str]]] = []
    current: list[str] = []
    landscape = False
    blocks = document.blocks
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if isinstance(block, PageBreak):
            sheets.append((landscape, current))
            current, landscape = [], block.landscape
        elif isinstance(block, FigureBlock) and block.size == "half" and _half_follows(blocks, index):
            pair = (block, blocks[index + 1])
            figures = ", ".join(_figure(item, document, numbers) for item in pair)
            current.append(f"#grid(columns: (1fr, 1fr), column-gutter: 3%, {figures})")
            index += 1
        else:
            current.append(_block(block, document, numbers))
        index += 1
    sheets.append((landscape, current))
    pages = [_sheet(wide, body) for wide, body in sheets if body]
    return head + "\n".join(pages) + "\n"


def _half_follows(blocks: list, index: int) -> bool:
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    return isinstance(following, FigureBlock) and following.size == "half"


def _sheet(landscape: bool, body: list[str]) -> str:
    if landscape:
        opening = "#page(flipped: true, margin: (top: 7mm, bottom: 14mm, x: 12mm))[\n"
        opening += "#show heading.where(level: 2): set block(above: 0pt)\n"
    else:
        opening = "#page[\n"
    return opening + "\n".join(body) + "\n]"


def _block(block, document: Document, numbers: dict[str, int]) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 6)
        return f"#heading(level: {level}, {typst_string(block.text)})"
    if isinstance(block, Paragraph):
        return _paragraph(block)
    if isinstance(block, Bullets):
        items = ", ".join(typst_string(item) for item in block.items)
        if block.numbered:
            return f'#enum(numbering: "1.", {items},)'
        return f"#list({items},)"
    if isinstance(block, Table):
        return "#" + typst_table(block)
    if isinstance(block, FigureBlock):
        return "#" + _figure(block, document, numbers)
    raise TypeError(f"cannot typeset a {type(block).__name__}")


def _paragraph(block: Paragraph) -> str:
    text = typst_string(block.text)
    if block.style == "lead":
        return f"#par(text(size: 13pt, {text}))"
    if block.style == "note":
        return f"#note({text})"
    if block.style == "banner":
        return (
            '#block(width: 100%, stroke: 2pt + rgb("#1a1a1a"), fill: rgb("#fff4ce"), inset: (x: 0.6em, y: 0.4em), '
            f'par(text(weight: "bold", {text})))'
        )
    return f"#par({text})"


def _figure(block: FigureBlock, document: Document, numbers: dict[str, int]) -> str:
    numbers[block.key] = len(numbers) + 1
    figure = document.figures[block.key]
    width = "100%" if block.size == "half" else f"{CHART_MAX_PT}pt"  # narrower than the text on A4 either way
    image = (
        f'image(bytes(sys.inputs.at("{FIGURE_INPUT}{block.key}")), format: "svg", width: 100%, '
        f"alt: {typst_string(figure.title)})"
    )
    caption = (
        f'text(size: 9pt, fill: rgb("#333333"), strong({typst_string(f"Figure {numbers[block.key]}. {figure.title}.")})'
        f' + " " + {typst_string(figure.alt)})'
    )
    return (
        f"figure(align(left, block(width: {width}, {image})), caption: {caption}, "
        "numbering: none, supplement: none, kind: image)"
    )


def _cell(cell: Cell, row_header: bool) -> str:
    if cell.rag:
        shape, word = RAG_SHAPES[cell.rag], RAG_WORDS[cell.rag]
        text = cell.text or f"{shape} {word}"
        text = text.replace(shape, "", 1).strip() if shape in text else text
        if word not in cell.text:
            text = f"{text} {word}".strip()
        return f'rag("{RAG_BACKGROUNDS[cell.rag]}", {typst_string(shape)}, {typst_string(text)})'
    if cell.icon:
        kind, code = cell.icon
        name = f"{ICON_INPUT}{kind}-{code or ''}"
        return (
            f"icon({typst_string(name)}, {typst_string(icon_label(kind, code))}, {typst_string(cell.text)})"
        )
    if row_header:
        return f'table.cell(fill: rgb("#fafafa"), {typst_string(cell.text)})'
    if cell.numeric:
        return f"table.cell(align: right, {typst_string(cell.text)})"
    return typst_string(cell.text)


def typst_table(table: Table) -> str:
    """One table as a captioned Typst figure: header row (repeated on each page), row headers, RAG and icon cells."""
    head = ", ".join(f"strong({typst_string(name)})" for name in table.columns)
    body = []
    first_total = len(table.rows) - table.total_rows
    for number, row in enumerate(table.rows):
        if number == first_total and table.total_rows:
            body.append('table.hline(stroke: 2pt + rgb("#1a1a1a"))')
        cells = []
        for position, value in enumerate(row):
            cell = value if isinstance(value, Cell) else Cell(str(value))
            row_header = position == 0 and table.row_headers and not cell.rag and not cell.icon
            drawn = _cell(cell, row_header)
            cells.append(
                f"strong({drawn})" if number >= first_total and not cell.rag and not cell.icon else drawn
            )
        body.append(", ".join(cells))
    widths = ", ".join(f"{share:.4f}fr" for share in table.relative_widths())
    size = "9pt" if table.key == "summary" else "9.5pt"
    tight = table.key == "summary" or table.key.startswith("exception-")
    drawn = (
        f"table(columns: ({widths},), inset: {_TIGHT if tight else _INSET}, "
        f'table.header(..({head},).map(c => table.cell(fill: rgb("#e8e8e8"), c))), ' + ",\n".join(body) + ")"
    )
    figure = (
        f"figure({{set par(leading: {'0.3em' if tight else '0.4em'}); text(size: {size}, {drawn})}}, caption: {typst_string(table.caption)}, "
        "kind: table, numbering: none, supplement: none)"
    )
    if table.note:
        figure = f"[#{figure} #note({typst_string(table.note)})]"
        figure = f"block(breakable: {_breakable(table)}, {figure})"
    elif len(table.rows) <= KEEP_ROWS:
        figure = f"block(breakable: false, {figure})"
    return figure


def _breakable(table: Table) -> str:
    return "false" if len(table.rows) <= KEEP_ROWS else "true"


def figure_inputs(document: Document) -> dict[str, str]:
    """The SVG of every chart and SPC icon the document's Typst source names, by input name."""
    inputs: dict[str, str] = {}
    for block in document.blocks:
        if isinstance(block, FigureBlock):
            inputs[f"{FIGURE_INPUT}{block.key}"] = document.figures.raw_svg(block.key)
        elif isinstance(block, Table):
            for row in block.rows:
                for value in row:
                    if isinstance(value, Cell) and value.icon:
                        kind, code = value.icon
                        name = f"{ICON_INPUT}{kind}-{code or ''}"
                        if name not in inputs:
                            inputs[name] = icon_svg(kind, code, 14)
    return inputs
