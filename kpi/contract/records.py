"""What the meeting records share: who may act, which rows a provider sees, and the checks on typed fields.

Used by :mod:`kpi.contract.meetings`, :mod:`kpi.contract.actions`, :mod:`kpi.contract.risks` and
:mod:`kpi.contract.packs`. Every check raises ``ValueError`` with a message that says what to type instead.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import provider_scope, require


class NotAllowed(PermissionError):
    """The person acting may not make this change; the message says why."""


def _acting(principal: Principal, action: str) -> tuple[str, str | None]:
    """Check the principal may do ``action``; returns who acts (for the audit log) and their provider scope.

    The scope is the provider the principal is confined to, ``None`` for the whole council.
    """
    require(principal, action)
    return principal.email, provider_scope(principal)


def _own(frame: pl.DataFrame, scope: str | None, *, shared: bool = False) -> pl.DataFrame:
    """Rows a provider may see: its own (and, with ``shared``, those of no particular provider)."""
    if scope is None:
        return frame
    mine = pl.col("provider_code") == scope
    return frame.filter(mine | pl.col("provider_code").is_null() if shared else mine)


def _text(value: object, what: str, *, required: bool = True) -> str | None:
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise ValueError(f"give the {what}: it cannot be blank")
        return None
    return text


def _date(value: object, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"the {what} '{value}' is not a date: write it as YYYY-MM-DD") from exc


def _choice(value: object, allowed: tuple[str, ...], what: str) -> str:
    text = str(value or "").strip().lower()
    if text not in allowed:
        raise ValueError(f"the {what} must be one of {', '.join(allowed)}, not '{value}'")
    return text


def _score(value: object, what: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != int(value)
        or not 1 <= value <= 5
    ):
        raise ValueError(f"the {what} is a whole number from 1 (lowest) to 5 (highest), not {value!r}")
    return int(value)


def _upper(code: str | None) -> str | None:
    text = (code or "").strip().upper()
    return text or None
