"""The meeting pack and the scrutiny briefing: built from the marts, laid out once, rendered to HTML, PDF and DOCX.

* :mod:`kpi.reports.pack` - the six-weekly contract meeting pack as data (:func:`~kpi.reports.pack.build_pack`);
* :mod:`kpi.reports.briefing` - the public scrutiny briefing, with disclosure control (:mod:`kpi.reports.disclosure`);
* :mod:`kpi.reports.document` - the document model both are laid out as; :mod:`kpi.reports.figures` - their
  charts, each rendered once per format per build;
* :mod:`kpi.reports.html`, :mod:`kpi.reports.pdf`, :mod:`kpi.reports.docx` - the renderers.

:func:`build` and :func:`render` are the entry points the CLI (``hcp pack``, ``hcp briefing``) and the Meeting pack
page use; they record nothing (a draft may be built any number of times). :func:`circulate` is the commissioner's
explicit act: it records the file sent (period, as-at time, data version, SHA-256, to whom) in ``packs``.

Example:
    >>> doc = build(store, "pack", "2026-27 Q2", as_at=datetime(2026, 11, 20, 9),
    ...             principal=local_principal("analyst"))  # doctest: +SKIP
    >>> render(doc.document, "pdf")[:5]  # doctest: +SKIP
    b'%PDF-'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kpi.access.principal import Principal
from kpi.core import periods as periods
from kpi.core.store import Store, default_council
from kpi.reports.document import Document

KINDS = ("pack", "briefing")
FORMATS = ("pdf", "docx", "html")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
}


@dataclass
class Built:
    """A built report: its data (a Pack or a Briefing), its document, and the facts a record needs."""

    kind: str
    data: object
    document: Document
    council_code: str
    provider_code: str | None
    period: str
    as_at: datetime
    data_version: str
    is_draft: bool


def build(
    store: Store,
    kind: str,
    period: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    council_code: str | None = None,
    provider_code: str | None = None,
    draft: bool = False,
    meeting_date: date | None = None,
) -> Built:
    """Build the meeting pack (``kind="pack"``) or the scrutiny briefing (``"briefing"``) for a period.

    Every input is read through the principal's scope (:func:`kpi.reports.pack.frames.pack_scope`): a provider builds
    only a draft of its own pack, and no briefing. ``meeting_date`` is the meeting a pack is for (default the next
    one recorded, :func:`kpi.reports.pack.build.next_meeting_date`); the briefing has none.
    """
    if kind not in KINDS:
        raise ValueError(f"the document is 'pack' or 'briefing', not {kind!r}")
    council = (council_code or default_council(store)).upper()
    at = as_at or periods.now()
    if kind == "pack":
        from kpi.reports.pack import build_pack, pack_document

        data = build_pack(
            store,
            period,
            at,
            principal=principal,
            council_code=council,
            provider_code=provider_code,
            draft=draft,
            meeting_date=meeting_date,
        )
        draft = data.cover.is_draft
        document = pack_document(data)
    else:
        from kpi.reports.briefing import briefing_document, build_briefing

        data = build_briefing(
            store, period, at, principal=principal, council_code=council, provider_code=provider_code
        )
        document = briefing_document(data)
    cover = data.cover
    return Built(
        kind, data, document, council, cover.provider_code, cover.period, at, cover.data_version, draft
    )


def render(document: Document, fmt: str) -> bytes:
    """The document as ``pdf``, ``docx`` or ``html`` (UTF-8) bytes."""
    if fmt == "pdf":
        from kpi.reports.pdf import render_pdf

        return render_pdf(document)
    if fmt == "docx":
        from kpi.reports.docx import render_docx

        return render_docx(document)
    if fmt == "html":
        from kpi.reports.html import render_html

        return render_html(document).encode("utf-8")
    raise ValueError(f"the format is pdf, docx or html, not {fmt!r}")


def circulate(
    store: Store,
    built: Built,
    fmt: str,
    *,
    sent_to: str,
    principal: Principal,
    content: bytes | None = None,
) -> tuple[bytes, int]:
    """Circulate a built report: record the file sent (``content``, else rendered now) and to whom, as the principal.

    Returns the file's bytes and its pack id. Building and rendering record nothing; this is the one call that makes
    a pack "the previous pack" of the next (:func:`kpi.contract.meetings.circulate_pack`). Commissioners only; a
    draft is never circulated.
    """
    from kpi.access.rules import require
    from kpi.contract.meetings import circulate_pack

    require(principal, "circulate_pack", built.provider_code)
    if built.is_draft:
        raise ValueError(
            "a draft is for the provider's review and is not circulated: build the pack without 'draft' first"
        )
    if content is None:
        content = render(built.document, fmt)
    pack_id = circulate_pack(
        store,
        built.council_code,
        document=built.kind,
        period=built.period,
        as_at=built.as_at,
        data_version=built.data_version,
        file_format=fmt,
        content=content,
        sent_to=sent_to,
        principal=principal,
        provider_code=built.provider_code,
    )
    return content, pack_id
