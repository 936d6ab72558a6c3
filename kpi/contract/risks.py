"""The contract's risks log: each risk rated likelihood x impact on the NPSA 5 x 5 matrix, kept by commissioners.

Ratings after the NPSA's "A risk matrix for risk managers" (2008): 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme.
Append-only like the actions (``sql/marts/mart_risks.sql``). A provider sees the risks it owns.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.contract.records import _acting, _choice, _date, _own, _score, _text, _upper
from kpi.core import periods as periods
from kpi.core.store import Store

RISK_STATUSES = ("open", "closed")
#: Bands of the 5 x 5 risk matrix (NPSA 2008), by the highest rating in each band.
RATING_BANDS = ((3, "low"), (6, "moderate"), (12, "high"), (25, "extreme"))


def rating_band(rating: int) -> str:
    """The band of a risk rating (likelihood x impact) on the NPSA 5 x 5 matrix.

    Example:
        >>> rating_band(12), rating_band(15)
        ('high', 'extreme')
    """
    for top, band in RATING_BANDS:
        if rating <= top:
            return band
    raise ValueError(f"a risk rating is likelihood x impact, 1 to 25, not {rating}")


def add_risk(
    store: Store,
    council_code: str,
    *,
    risk: str,
    likelihood: int,
    impact: int,
    owner: str,
    principal: Principal,
    mitigation: str | None = None,
    review_date: date | str | None = None,
    provider_code: str | None = None,
) -> int:
    """Add a risk to the log (likelihood and impact 1-5; rating = their product); returns its id.

    Commissioners only.
    """
    actor, _ = _acting(principal, "manage_meetings")
    row = _risk_row(risk, likelihood, impact, owner, mitigation, review_date, "open")
    with store.transaction() as cur:
        risk_id = cur.execute("select nextval('risk_id_seq')").fetchone()[0]
        _insert_risk(cur, risk_id, 1, council_code, _upper(provider_code), row, actor)
        store.audit(
            "risk added",
            actor=actor,
            council_code=council_code,
            subject=f"risk {risk_id}",
            detail=row,
            cur=cur,
        )
    return int(risk_id)


def _risk_row(risk, likelihood, impact, owner, mitigation, review_date, status) -> dict:
    return {
        "risk": _text(risk, "risk"),
        "likelihood": _score(likelihood, "likelihood"),
        "impact": _score(impact, "impact"),
        "owner": _text(owner, "owner"),
        "mitigation": _text(mitigation, "mitigation", required=False),
        "review_date": _date(review_date, "review date"),
        "status": _choice(status, RISK_STATUSES, "status"),
    }


def _insert_risk(cur, risk_id, version, council_code, provider_code, row, actor) -> None:
    cur.execute(
        "insert into risks (risk_id, version, council_code, provider_code, risk, likelihood, impact, owner, "
        "mitigation, review_date, status, recorded_at, recorded_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            risk_id,
            version,
            council_code,
            provider_code,
            row["risk"],
            row["likelihood"],
            row["impact"],
            row["owner"],
            row["mitigation"],
            row["review_date"],
            row["status"],
            periods.now(),
            actor,
        ],
    )


def update_risk(
    store: Store,
    council_code: str,
    risk_id: int,
    *,
    principal: Principal,
    **changes: object,
) -> int:
    """Record a change to a risk as its next version; returns the version number. Commissioners only.

    Changes: risk, likelihood, impact, owner, mitigation, review_date, status.
    """
    actor, _ = _acting(principal, "manage_meetings")
    allowed = {"risk", "likelihood", "impact", "owner", "mitigation", "review_date", "status"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValueError(f"a risk has no {', '.join(unknown)}: change {', '.join(sorted(allowed))}")
    given = {key: value for key, value in changes.items() if value is not None}
    if not given:
        raise ValueError("nothing to change: give a new rating, owner, mitigation, review date or status")
    with store.transaction() as cur:
        current = cur.execute(
            "select version, provider_code, risk, likelihood, impact, owner, mitigation, review_date, status "
            "from risks where council_code = ? and risk_id = ? order by version desc limit 1",
            [council_code, int(risk_id)],
        ).fetchone()
        if current is None:
            raise ValueError(f"there is no risk {risk_id} for this council")
        keys = ("risk", "likelihood", "impact", "owner", "mitigation", "review_date", "status")
        merged = dict(zip(keys, current[2:], strict=True)) | given
        row = _risk_row(**merged)
        _insert_risk(cur, int(risk_id), current[0] + 1, council_code, current[1], row, actor)
        store.audit(
            "risk updated",
            actor=actor,
            council_code=council_code,
            subject=f"risk {risk_id}",
            detail={"version": current[0] + 1, "changes": given},
            cur=cur,
        )
    return current[0] + 1


def risks(
    store: Store,
    council_code: str,
    as_at: datetime | None = None,
    *,
    principal: Principal,
    include_closed: bool = True,
) -> pl.DataFrame:
    """The risks log as it stood at ``as_at`` (default now): open risks first, highest rating first.

    A provider sees the risks it owns only.
    """
    _, scope = _acting(principal, "read_meetings")
    frame = _own(
        store.run_sql("marts/mart_risks", council_code=council_code, as_at=as_at or periods.now()), scope
    )
    return frame if include_closed else frame.filter(pl.col("status") == "open")
