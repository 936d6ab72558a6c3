"""The meeting pack and the scrutiny briefing: built from the marts, laid out once, rendered to HTML, PDF and DOCX.

* :mod:`kpi.reports.pack` - the six-weekly contract meeting pack as data (:func:`~kpi.reports.pack.build_pack`);
* :mod:`kpi.reports.briefing` - the public scrutiny briefing, with disclosure control (:mod:`kpi.reports.disclosure`);
* :mod:`kpi.reports.document` - the document model both are laid out as; :mod:`kpi.reports.figures` - their
  charts, each rendered once per format per build;
* :mod:`kpi.reports.html`, :mod:`kpi.reports.pdf`, :mod:`kpi.reports.docx` - the renderers.

:func:`build` and :func:`render` are the entry points the CLI (``hcp pack``, ``hcp briefing``) and the Meeting pack
page use; :func:`publish` also records the built file (period, as-at time, data version, SHA-256) in ``packs``.

Example:
    >>> doc = build(store, "pack", "2026-27 Q2", as_at=datetime(2026, 11, 20, 9),
    ...             principal=local_principal("analyst"))  # doctest: +SKIP
    >>> render(doc.document, "pdf")[:5]  # doctest: +SKIP
    b'%PDF-'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
) -> Built:
    """Build the meeting pack (``kind="pack"``) or the scrutiny briefing (``"briefing"``) for a period.

    Every input is read through the principal's scope (:func:`kpi.reports.pack.pack_scope`): a provider builds
    only a draft of its own pack, and no briefing.
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


def publish(store: Store, built: Built, fmt: str, *, principal: Principal) -> tuple[bytes, int]:
    """Render a built report and record it in ``packs`` as the principal; returns the file's bytes and its id."""
    from kpi.access.rules import require
    from kpi.contract.meetings import record_pack

    require(principal, "build_pack" if built.kind == "pack" else "build_briefing", built.provider_code)

    content = render(built.document, fmt)
    pack_id = record_pack(
        store,
        built.council_code,
        document=built.kind,
        period=built.period,
        as_at=built.as_at,
        data_version=built.data_version,
        file_format=fmt,
        content=content,
        principal=principal,
        provider_code=built.provider_code,
        is_draft=built.is_draft,
    )
    return content, pack_id
