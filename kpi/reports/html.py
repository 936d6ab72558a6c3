"""Render a :class:`~kpi.reports.document.Document` as one accessible HTML page (the preview on the Meeting pack page).

Accessibility (WCAG 2.2 AA, public-sector accessibility regulations): ``lang`` and ``<title>``; real headings in
order; tables with a ``<caption>``, a header row of ``<th scope="col">`` and row headers ``<th scope="row">``; RAG
as a shape and a word as well as a background colour (colour-blind-safe tints, dark text); charts as inline SVG with
``role="img"``, ``aria-label``, ``<title>`` and ``<desc>`` and their text alternative printed in the caption; SPC
icons with their labels as text. Body text 11 pt, tables 9.5 pt (never below 9 pt). For print from the browser
(``@page``): A4, running footer with the document's facts and "Page n of N". The PDF is typeset from the same
document by :mod:`kpi.reports.pdf`, to the same sizes.
"""

from __future__ import annotations

from html import escape

from kpi.contract.values import RAG_BACKGROUNDS, RAG_SHAPES, RAG_WORDS
from kpi.reports.document import Bullets, Cell, Document, FigureBlock, Heading, PageBreak, Paragraph, Table
from kpi.reports.figures import icon_svg

BODY_PT = 11
#: Tables this short are kept on one page.
KEEP_ROWS = 15
TABLE_PT = 9.5
#: SPC icons in tables, CSS pixels square.
ICON_SIZE = 14
FONT = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif"


def _css_string(text: str) -> str:
    """``text`` as a CSS string inside the page's <style>, safe whatever it holds.

    Anything but letters, digits, spaces and common punctuation is a six-digit CSS escape, so a name holding
    ``</style>``, quotes or line breaks cannot end the string or the stylesheet.
    """
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_()'·/")
    return '"' + "".join(c if c in safe else f"\\{ord(c):06X}" for c in text) + '"'


def stylesheet(document: Document) -> str:
    """The page's CSS (screen and print)."""
    return f"""
@page {{
  size: A4; margin: 16mm 15mm 20mm 15mm;
  @bottom-left {{ content: {_css_string(document.footer)}; font-size: 8pt; color: #333; width: 80%; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-size: 9pt; color: #333; }}
}}
@page landscape {{ size: A4 landscape; margin: 7mm 12mm 14mm 12mm; }}
section.sheet + section.sheet {{ break-before: page; }}
section.landscape {{ page: landscape; }}
@media screen {{ section.sheet + section.sheet {{ border-top: 1px dashed #8a8a8a; margin-top: 1.5rem; }} }}
html {{ font-family: {FONT}; font-size: {BODY_PT}pt; line-height: 1.4; color: #1a1a1a; background: #fff; }}
body {{ margin: 0; }}
main {{ max-width: 64rem; margin: 0 auto; padding: 0 0.5rem; }}
@media print {{ main {{ max-width: none; padding: 0; }} }}
h1 {{ font-size: 19pt; margin: 0 0 0.4em; }}
h2 {{ font-size: 16pt; margin: 1.1em 0 0.4em; border-bottom: 2px solid #1a1a1a; padding-bottom: 0.1em; }}
h3 {{ font-size: 13.5pt; margin: 0.9em 0 0.3em; }}
h4 {{ font-size: 11.5pt; margin: 0.8em 0 0.3em; }}
h2, h3, h4 {{ break-after: avoid; }}
p.lead {{ font-size: 13pt; }}
p.note, p.table-note {{ font-size: 9pt; color: #333; }}
p.banner {{ border: 2px solid #1a1a1a; background: #fff4ce; padding: 0.4em 0.6em; font-weight: bold; }}
table.data {{ table-layout: fixed; border-collapse: collapse; width: 100%; font-size: {TABLE_PT}pt;
  line-height: 1.25; margin: 0.4em 0 0.2em; }}
table.data caption {{ text-align: left; font-weight: bold; padding: 0.2em 0; caption-side: top; }}
table.data th, table.data td {{ border: 1px solid #8a8a8a; padding: 0.15em 0.3em; vertical-align: top;
  text-align: left; }}
table.data thead th {{ background: #e8e8e8; }}
table.data tbody th {{ font-weight: normal; background: #fafafa; }}
table.data td.num {{ text-align: right; }}
table.data tr.total th, table.data tr.total td {{ font-weight: bold; border-top: 2px solid #1a1a1a; }}
table.data tr {{ break-inside: avoid; }}
div.keep {{ break-inside: avoid; }}
table#table-summary {{ font-size: 9pt; line-height: 1.1; }}
table#table-summary th, table#table-summary td {{ padding: 0.08em 0.25em; }}
table#table-summary td.num {{ white-space: nowrap; }}
section.landscape h2 {{ font-size: 14pt; margin: 0 0 0.2em; }}
figure.chart[data-size="half"] {{ float: left; width: 48.5%; margin: 0.3em 0; }}
figure.chart[data-size="half"] + figure.chart[data-size="half"] {{ float: right; }}
table.data, div.keep, h2, h3 {{ clear: both; }}
table[id^="table-exception-"] {{ line-height: 1.15; margin-top: 0.2em; }}
table[id^="table-exception-"] th, table[id^="table-exception-"] td {{ padding: 0.05em 0.3em; }}
section.sheet > h2:first-child, section.sheet > h3:first-child {{ margin-top: 0; }}
td.icon svg {{ vertical-align: middle; margin-right: 0.25em; }}
figure.chart {{ margin: 0.6em 0; break-inside: avoid; }}
figure.chart svg {{ width: 100%; height: auto; max-width: 42rem; display: block; }}
figure.chart figcaption {{ font-size: 9pt; color: #333; margin-top: 0.2em; }}
ul {{ margin: 0.3em 0 0.5em 1.2em; padding: 0; }}
li {{ margin: 0.15em 0; }}
ol.numbered {{ list-style: none; margin: 0.3em 0 0.5em 0; padding: 0; }}
"""


def render_html(document: Document, *, table_files: dict[int, str] | None = None) -> str:
    """The whole document as one HTML page (each chart's accessible SVG drawn through the document's figure set).

    ``table_files``: for a published site, the CSV of each table by the table's ``id()``, linked under the table.
    """
    links = table_files or {}
    figure_numbers: dict[str, int] = {}
    sheets, current, landscape = [], [], False
    for block in document.blocks:
        if isinstance(block, PageBreak):
            sheets.append((landscape, current))
            current, landscape = [], block.landscape
            continue
        current.append(_block(block, document, figure_numbers))
        if isinstance(block, Table) and id(block) in links:
            href = escape(links[id(block)], quote=True)
            current.append(
                f'<p class="table-note"><a href="{href}" download>Download this table (CSV)</a></p>'
            )
    sheets.append((landscape, current))
    parts = [
        f'<section class="sheet{" landscape" if wide else ""}">' + "\n".join(blocks) + "</section>"
        for wide, blocks in sheets
        if blocks
    ]
    return (
        '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        "<title>{title}</title>"
        '<meta name="description" content="{subject}">'
        '<meta name="generator" content="HCP Contract Monitor">'
        "<style>{css}</style></head><body><main>{body}</main></body></html>"
    ).format(
        lang=escape(document.language),
        title=escape(document.title),
        subject=escape(document.subject, quote=True),
        css=stylesheet(document),
        body="\n".join(parts),
    )


def _block(block, document: Document, numbers: dict[str, int]) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 6)
        anchor = f' id="{escape(block.anchor, quote=True)}"' if block.anchor else ""
        return f"<h{level}{anchor}>{escape(block.text)}</h{level}>"
    if isinstance(block, Paragraph):
        css = "" if block.style == "body" else f' class="{block.style}"'
        return f"<p{css}>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        tag = '<ol class="numbered">' if block.numbered else "<ul>"
        items = "".join(f"<li>{escape(item)}</li>" for item in block.lines())
        return tag + items + ("</ol>" if block.numbered else "</ul>")
    if isinstance(block, Table):
        return table_html(block)
    if isinstance(block, FigureBlock):
        numbers[block.key] = len(numbers) + 1
        figure = document.figures[block.key]
        size = ' data-size="half"' if block.size == "half" else ""
        drawing = document.figures.svg(block.key)
        return (
            f'<figure class="chart" id="figure-{block.key}"{size}>{drawing}'
            f"<figcaption><strong>Figure {numbers[block.key]}. {escape(figure.title)}.</strong> "
            f"{escape(figure.alt)}</figcaption></figure>"
        )
    raise TypeError(f"cannot render a {type(block).__name__}")


def _cell(cell: Cell) -> str:
    if cell.rag:
        key = cell.rag
        shape, word = RAG_SHAPES[key], RAG_WORDS[key]
        text = escape(cell.text or f"{shape} {word}")
        hidden = f'<span aria-hidden="true">{escape(shape)}</span>'
        # the shape is drawn for the eye; the word beside it is what a screen reader says
        text = text.replace(escape(shape), hidden, 1) if escape(shape) in text else f"{hidden} {text}"
        if word not in cell.text:
            text += f" {escape(word)}"
        return (
            f'<td class="rag" data-rag="{escape(key, quote=True)}" style="background:{RAG_BACKGROUNDS[key]}">'
            f"{text}</td>"
        )
    if cell.icon:
        kind, code = cell.icon
        drawing = icon_svg(kind, code, ICON_SIZE)
        return f'<td class="icon">{drawing}<span>{escape(cell.text)}</span></td>'
    css = ' class="num"' if cell.numeric else ""
    return f"<td{css}>{escape(cell.text)}</td>"


def table_html(table: Table) -> str:
    """One table: caption, header row, row headers, RAG cells, optional note after it."""
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in table.columns)
    body = []
    first_total = len(table.rows) - table.total_rows
    for number, row in enumerate(table.rows):
        cells = []
        for position, value in enumerate(row):
            cell = value if isinstance(value, Cell) else Cell(str(value))
            if position == 0 and table.row_headers and not cell.rag and not cell.icon:
                cells.append(f'<th scope="row">{escape(cell.text)}</th>')
            else:
                cells.append(_cell(cell))
        css = ' class="total"' if number >= first_total else ""
        body.append(f"<tr{css}>{''.join(cells)}</tr>")
    key = f' id="table-{escape(table.key, quote=True)}"' if table.key else ""
    columns = "".join(f'<col style="width:{100 * share:.1f}%">' for share in table.relative_widths())
    note = f'<p class="table-note">{escape(table.note)}</p>' if table.note else ""
    html = (
        f'<table class="data"{key}><caption>{escape(table.caption)}</caption><colgroup>{columns}</colgroup>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"
    )
    # a short table stays on one page with its caption and note
    return f'<div class="keep">{html}</div>' if len(table.rows) <= KEEP_ROWS else html
