"""Readers for the meeting pack and briefing tests, and the time the documents are built for.

* ``AS_AT``: the as-at time the documents are built for (after the 2026-27 Q2 return, before the next one);
* readers that take a built file apart the way a person or an assistive tool would: PDF text (pypdf), DOCX
  paragraphs, tables (python-docx) and pictures (their ``docPr`` alternative text and PNG resolution).
"""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import datetime

AS_AT = datetime(2026, 11, 20, 9, 0)
PERIOD = "2026-27 Q2"
COUNCIL = "E08000009"
EMU_PER_INCH = 914400


def pdf_text(content: bytes) -> str:
    """All the text of a PDF (what copy-and-paste or a screen reader gets), white space runs made one space."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_pages(content: bytes) -> int:
    """How many pages a PDF has."""
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def pdf_structure(content: bytes) -> dict:
    """The tagged PDF's logical structure as an assistive tool reads it.

    ``tags``: how many structure elements of each type (``/H1``, ``/Table``, ``/TH``, ...); ``figures``: the
    alternative text of each ``/Figure`` in order; ``tables``: per ``/Table``, the number of header cells in its
    ``/THead``, the number of rows in its ``/TBody`` and how many of those begin with a row header (``/TH`` whose
    scope is ``/Row``); ``lang``, ``title`` and ``pdfua`` (the PDF/UA part the
    metadata claims, or None).
    """
    from collections import Counter

    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject

    reader = PdfReader(io.BytesIO(content))
    root = reader.trailer["/Root"]
    tags: Counter = Counter()
    figures: list[str] = []
    tables: list[dict] = []

    def kids(node) -> list:
        found = node.get("/K")
        if found is None:
            return []
        return [k.get_object() for k in found] if isinstance(found, ArrayObject) else [found.get_object()]

    def count(node, kind: str) -> int:
        return sum(count(kid, kind) for kid in kids(node) if isinstance(kid, DictionaryObject)) + (
            node.get("/S") == kind
        )

    def walk(node) -> None:
        kind = node.get("/S")
        if kind:
            tags[kind] += 1
        if kind == "/Figure":
            figures.append(str(node.get("/Alt", "")))
        if kind == "/Table":
            parts = {kid.get("/S"): kid for kid in kids(node) if isinstance(kid, DictionaryObject)}
            head, body = parts.get("/THead"), parts.get("/TBody")
            row_headers = 0
            for row in kids(body) if body else []:
                row_headers += sum(
                    1 for cell in kids(row) if cell.get("/S") == "/TH" and "/Row" in str(cell.get("/A", ""))
                )
            tables.append(
                {
                    "header_cells": count(head, "/TH") if head else 0,
                    "rows": count(body, "/TR") if body else 0,
                    "row_headers": row_headers,
                }
            )
        for kid in kids(node):
            if isinstance(kid, DictionaryObject):
                walk(kid)

    walk(root["/StructTreeRoot"].get_object())
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace") if "/Metadata" in root else ""
    part = xmp.split("<pdfuaid:part>")[1].split("<")[0] if "<pdfuaid:part>" in xmp else None
    return {
        "tags": tags,
        "figures": figures,
        "tables": tables,
        "lang": str(root.get("/Lang", "")),
        "title": reader.metadata.title if reader.metadata else None,
        "pdfua": part,
    }


def docx_document(content: bytes):
    """The DOCX opened with python-docx."""
    import docx

    return docx.Document(io.BytesIO(content))


def docx_tables(content: bytes) -> list[list[list[str]]]:
    """Every table as rows of cell texts (header row first)."""
    document = docx_document(content)
    return [[[cell.text.strip() for cell in row.cells] for row in table.rows] for table in document.tables]


def docx_text(content: bytes) -> str:
    """Every paragraph's and table cell's text."""
    document = docx_document(content)
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in docx_tables(content):
        parts.extend(" | ".join(row) for row in table)
    return "\n".join(parts)


def docx_pictures(content: bytes) -> list[dict]:
    """Every inline picture: alternative text (docPr descr), title, extent in inches and its PNG's facts."""
    from docx.oxml.ns import qn

    document = docx_document(content)
    media = {}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("word/media/"):
                media[name] = archive.read(name)
    out = []
    part = document.part
    for inline in document.element.body.iter(qn("wp:inline")):
        doc_pr = inline.find(qn("wp:docPr"))
        extent = inline.find(qn("wp:extent"))
        blip = next(inline.iter(qn("a:blip")))
        image = part.related_parts[blip.get(qn("r:embed"))].blob
        width_px, height_px = struct.unpack(">II", image[16:24])
        out.append(
            {
                "descr": doc_pr.get("descr"),
                "title": doc_pr.get("title"),
                "width_in": int(extent.get("cx")) / EMU_PER_INCH,
                "width_px": width_px,
                "height_px": height_px,
                "png_dpi": png_dpi(image),
            }
        )
    return out


def png_dpi(image: bytes) -> float | None:
    """Pixels per inch from a PNG's pHYs chunk (None when it has none)."""
    position = 8
    while position < len(image):
        length = struct.unpack(">I", image[position : position + 4])[0]
        kind = image[position + 4 : position + 8]
        if kind == b"pHYs":
            per_x, _, unit = struct.unpack(">IIB", image[position + 8 : position + 17])
            return per_x * 0.0254 if unit == 1 else None
        position += 12 + length
    return None
