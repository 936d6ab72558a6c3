"""App-layer helpers for the Meeting pack and Meetings pages: cached builds, progress, who is acting.

A build is cached per (council, document, period, as-at time, draft, provider, meeting date): the figures as at a
time already past never change (every mart reads as at that time), so the preview, the PDF and the DOCX of one build share it and
each chart is rendered once per format. An as-at time still in the future adds the data version to the key.
Rendered files are cached too, so the file downloaded is the file circulated. Building, previewing and downloading
record nothing: only :func:`circulate` (a commissioner's explicit act) records the file in ``packs``. Streamlit
caching lives here (app layer); the work is :mod:`kpi.reports`.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import streamlit as st

from kpi import reports
from kpi.access.principal import Principal
from kpi.contract import meetings as meetings
from kpi.core import periods as periods
from kpi.reports.html import render_html
from pages._app import ui as _ui

KINDS = {"Meeting pack": "pack", "Scrutiny briefing": "briefing"}


def _who() -> tuple:
    """The signed-in principal as a cache key part (its fields: every build is read through its scope)."""
    who = _ui.principal()
    return (who.email, who.role, who.provider_code, who.is_local)


@st.cache_resource(show_spinner=False, max_entries=8)
def _build(
    council: str,
    kind: str,
    period: str,
    as_at: datetime,
    draft: bool,
    who: tuple,
    version: int,
    meeting_date: date | None,
):
    return reports.build(
        _ui.store(),
        kind,
        period,
        as_at,
        principal=Principal(*who),
        council_code=council,
        draft=draft,
        meeting_date=meeting_date,
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _render(key: tuple, fmt: str) -> bytes:
    return reports.render(_build(*key).document, fmt)


def build_key(
    kind: str, period: str, as_at: datetime, draft: bool = False, meeting_date: date | None = None
) -> tuple:
    """What identifies a build (see the module docstring): the principal is part of it, so a provider's draft and
    the commissioner's pack never share a cached build. A meeting date is a pack's only (None: "not set")."""
    from kpi.access.rules import provider_scope
    from kpi.core.store import data_version

    who = _ui.principal()
    version = data_version(_ui.store(), _ui.council_code()) if as_at >= periods.now() else 0
    return (
        _ui.council_code(),
        kind,
        period,
        as_at,
        draft or provider_scope(who) is not None,
        _who(),
        version,
        meeting_date if kind == "pack" else None,
    )


def next_meeting() -> date | None:
    """The next contract review meeting recorded, as the signed-in user sees them (the pack's default meeting date)."""
    from kpi.reports.pack import next_meeting_date

    return next_meeting_date(_ui.store(), _ui.council_code(), principal=_ui.principal())


def build(key: tuple) -> reports.Built:
    """The built pack or briefing for a :func:`build_key` (cached)."""
    return _build(*key)


def preview_html(built: reports.Built) -> str:
    """The document as one HTML page (charts rendered once, cached in the build)."""
    return render_html(built.document)


def render_with_progress(key: tuple, fmt: str) -> bytes:
    """Draw charts one by one with a progress bar, then the file (cached per build and format; not recorded).

    Each chart is drawn as SVG, the drawing both formats start from; the DOCX makes its PNG from it at the width it
    places the chart at.
    """
    built = build(key)
    figures = built.document.figures
    keys = list(figures.figures)
    bar = st.progress(0.0, text="Rendering charts")
    for number, figure_key in enumerate(keys, start=1):
        figures.raw_svg(figure_key)
        bar.progress(number / (len(keys) + 1), text=f"Rendering charts: {number} of {len(keys)}")
    bar.progress(len(keys) / (len(keys) + 1), text=f"Laying out the {fmt.upper()}")
    result = _render(key, fmt)
    bar.progress(1.0, text=f"{fmt.upper()} ready")
    return result


def rendered(key: tuple, fmt: str) -> bytes:
    """The rendered file of a build (cached; not recorded)."""
    return _render(key, fmt)


def circulated(built: reports.Built, content: bytes) -> dict | None:
    """The record of this very file (by its SHA-256) if it has been circulated, else None."""
    import hashlib

    digest = hashlib.sha256(content).hexdigest()
    frame = meetings.packs(_ui.store(), built.council_code, principal=_ui.principal()).filter(
        pl.col("sha256") == digest, ~pl.col("is_draft")
    )
    return None if frame.is_empty() else frame.row(0, named=True)


def circulate(key: tuple, fmt: str, sent_to: str) -> int:
    """Circulate the cached file of a build as the signed-in commissioner; returns its pack id."""
    built = build(key)
    _, pack_id = reports.circulate(
        _ui.store(), built, fmt, sent_to=sent_to, principal=_ui.principal(), content=_render(key, fmt)
    )
    return pack_id


def file_name(built: reports.Built, fmt: str) -> str:
    """A file name that says what the file holds."""
    stem = "meeting_pack" if built.kind == "pack" else "scrutiny_briefing"
    return f"{stem}_{built.period.replace(' ', '_')}_{built.as_at:%Y%m%dT%H%M}.{fmt}"


def pack_labels() -> dict[int | None, str]:
    """Circulated packs for the "pack used" choice: id to label (None: no pack). Drafts are never offered."""
    frame = meetings.packs(_ui.store(), _ui.council_code(), principal=_ui.principal()).filter(
        pl.col("document") == "pack", ~pl.col("is_draft")
    )
    labels: dict[int | None, str] = {None: "No circulated pack"}
    for row in frame.iter_rows(named=True):
        to = f" to {row['sent_to']}" if row.get("sent_to") else ""
        labels[row["pack_id"]] = (
            f"Pack {row['pack_id']}: {row['period']}, data as at {row['as_at']:%d %b %Y %H:%M}, "
            f"circulated {row['built_at']:%d %b %Y}{to} ({row['format'].upper()})"
        )
    return labels


def write(action, *args, done: str, **kwargs) -> None:
    """Run a :mod:`kpi.contract.meetings` write as the signed-in user, then rerun with ``done`` shown; a refusal is shown as
    an error instead of raising."""
    try:
        action(
            _ui.store(),
            _ui.council_code(),
            *args,
            principal=_ui.principal(),
            **kwargs,
        )
    except (ValueError, PermissionError) as exc:
        st.error(_ui.plain(str(exc)))
        return
    st.session_state["mt_flash"] = done
    st.rerun()


def flash() -> None:
    """Show what the last write did (once)."""
    message = st.session_state.pop("mt_flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")
