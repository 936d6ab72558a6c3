"""The record of packs and briefings circulated: who sent which file, when, to whom, with its data version.

A pack has a life: built as a draft any number of times (nothing recorded), circulated once by a commissioner
(:func:`circulate_pack`, the file's SHA-256 kept), used at a meeting (:func:`kpi.contract.meetings.record_meeting`).
"Since the last pack" means since the last circulated one (:func:`previous_pack`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.contract.records import _acting, _choice, _own, _text, _upper
from kpi.core import periods as periods
from kpi.core.store import Store

DOCUMENTS = ("pack", "briefing")
FORMATS = ("pdf", "docx", "html")


def circulate_pack(
    store: Store,
    council_code: str,
    *,
    document: str,
    period: str,
    as_at: datetime,
    data_version: str,
    file_format: str,
    content: bytes,
    sent_to: str,
    principal: Principal,
    provider_code: str | None = None,
) -> int:
    """Record that a commissioner circulated a document to ``sent_to``; returns its pack id.

    Building a pack records nothing (a draft may be built any number of times); circulating it is the explicit act
    that makes it "the previous pack" of the next one and offers it as the pack used at a meeting. The record holds
    who and when, to whom, the period, as-at time, data version and the SHA-256 of the file sent. A file is
    circulated once: circulating the same file again is refused with the record that already holds it.

    Raises:
        AccessDenied: anyone but a commissioner (a provider builds drafts of its own pack, never circulates).
        ValueError: no recipients, an unknown document or format, the same file already circulated.
    """
    actor, _ = _acting(principal, "circulate_pack")
    kind = _choice(document, DOCUMENTS, "document")
    fmt = _choice(file_format, FORMATS, "format")
    recipients = _text(sent_to, "people it is sent to")
    if not content:
        raise ValueError("there is no file to circulate: build the PDF or DOCX first")
    digest = hashlib.sha256(content).hexdigest()
    parsed = periods.parse_period(period)
    with store.transaction() as cur:
        earlier = cur.execute(
            "select pack_id, built_at, sent_to from packs where council_code = ? and sha256 = ? and not is_draft",
            [council_code, digest],
        ).fetchone()
        if earlier is not None:
            raise ValueError(
                f"this file was already circulated as {kind} {earlier[0]} on {earlier[1]:%d %B %Y %H:%M} "
                f"to {earlier[2] or 'recipients not recorded'}: it is recorded once"
            )
        pack_id = cur.execute("select nextval('pack_id_seq')").fetchone()[0]
        cur.execute(
            "insert into packs (pack_id, council_code, provider_code, document, period, period_index, as_at, "
            "data_version, format, sha256, size_bytes, is_draft, built_at, built_by, sent_to) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?, ?)",
            [
                pack_id,
                council_code,
                _upper(provider_code),
                kind,
                parsed.code,
                parsed.index,
                as_at,
                data_version,
                fmt,
                digest,
                len(content),
                periods.now(),
                actor,
                recipients,
            ],
        )
        store.audit(
            f"{kind} circulated",
            actor=actor,
            council_code=council_code,
            subject=f"{kind} {pack_id}",
            detail={
                "period": parsed.code,
                "as_at": as_at,
                "data_version": data_version,
                "format": fmt,
                "sha256": digest,
                "sent_to": recipients,
            },
            cur=cur,
        )
    return int(pack_id)


def packs(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """Every document circulated by ``as_at`` (default now), newest first (a provider: its own).

    Rows with ``is_draft`` true are drafts recorded before drafts stopped being recorded (migration 008); they
    were never circulated.
    """
    _, scope = _acting(principal, "read_meetings")
    return _own(
        store.run_sql("marts/mart_packs", council_code=council_code, as_at=as_at or periods.now()), scope
    )


def previous_pack(
    store: Store,
    council_code: str,
    as_at: datetime,
    *,
    principal: Principal,
    document: str = "pack",
    provider_code: str | None = None,
) -> dict | None:
    """The last circulated document of a kind before ``as_at``, or None.

    The one with the latest as-at time before ``as_at`` among the documents circulated by ``as_at`` (drafts and
    previews are not recorded at all), so the answer for a given as-at time never changes.
    """
    frame = packs(store, council_code, as_at, principal=principal).filter(
        pl.col("document") == document, pl.col("as_at") < as_at, ~pl.col("is_draft")
    )
    if provider_code:
        frame = frame.filter(
            pl.col("provider_code").is_null() | (pl.col("provider_code") == provider_code.upper())
        )
    if frame.is_empty():
        return None
    return frame.sort("as_at", "pack_id", descending=True).row(0, named=True)
