"""Issue #13 findings 9b and 9c: provider and council text cannot break the pack's DOCX or its stylesheet."""

import io
import re

import docx

from kpi.reports.document import Document, Heading, Paragraph
from kpi.reports.docx import render_docx
from kpi.reports.html import render_html, stylesheet


def test_a_control_character_in_a_narrative_does_not_break_the_docx():
    narrative = "Staffing gap\x0b in the south\x00 locality\x1f; recovering by March."
    built = render_docx(
        Document("Pack", [Heading("Exceptions\x07", 1), Paragraph(narrative)], footer="T\x01")
    )
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(built)).paragraphs)
    assert "Staffing gap in the south locality; recovering by March." in text


def test_a_council_name_cannot_end_the_stylesheet():
    name = 'Evil</style><script>alert(1)</script> "Council"\n'
    page = render_html(Document("Pack", [Paragraph("body")], footer=name))
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert "<" not in style and "</script>" not in page.split("</style>", 1)[0]
    assert page.count("</style>") == 1 and "<script>" not in page
    assert "\\00003C" in stylesheet(Document("Pack", footer=name))
