"""Contract targets and settings as dated, audited rows (docs/methods.md section 5 "Contract RAG"; local rule).

Defaults come from ``config/catalogue.toml`` and ``config/settings.toml``; a commissioner's change is a new row with
an effective-from period (targets) or a set-at time (settings), so a pack rebuilt for an earlier as-at time shows
the targets in force then.

Only commissioners change targets; commissioners and admins change settings (:mod:`kpi.access.rules`). The writing
functions take the principal; without one they act for the local user at this computer named ``actor`` (the
command line), who is commissioner and admin.
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import deprivation
from kpi.core import periods as periods
from kpi.core.catalogue import load_setting_defaults
from kpi.core.catalogue_sync import catalogue_in_force
from kpi.core.store import Store, setting


class TargetError(ValueError):
    """A target change that cannot be made; the message says why."""


def set_target(
    store: Store,
    council_code: str,
    kpi_code: str,
    *,
    target_pct: float | None,
    amber_margin_pct: float | None,
    effective_from: str,
    reason: str | None = None,
    principal: Principal,
) -> periods.Period:
    """Record a new target (or ``None``: no target) for a KPI from a period on; audited. Commissioners only.

    ``amber_margin_pct=None`` with a target keeps the KPI's current margin: the one in force for ``effective_from``
    as known now (the catalogue's default when no target was ever set); a KPI that has never had a margin needs one.
    """
    who = principal  # no principal, no write: the command line passes kpi.access.principal.local_principal(--actor)
    require(who, "set_target")
    actor = who.email
    start = periods.parse_period(effective_from)
    kpis = catalogue_in_force(store, council_code, start)
    code = next((c for c in kpis if c.upper() == kpi_code.strip().upper()), None)
    if code is None:
        raise TargetError(f"'{kpi_code}' is not a KPI in the catalogue: use one of {', '.join(kpis)}")
    if kpis[code].polarity == "none" and target_pct is not None:
        raise TargetError(f"{code} has no judgement (polarity none), so it cannot have a target")
    if target_pct is not None and not 0 <= target_pct <= 100:
        raise TargetError(f"a target of {target_pct} is not a percentage between 0 and 100")
    if start.kind != "Q":
        raise TargetError(f"targets take effect from a quarter: write '{start.quarter.code}'")
    if target_pct is not None and amber_margin_pct is None:
        amber_margin_pct = current_amber_margin(store, council_code, code, start)
        if amber_margin_pct is None:
            raise TargetError(
                f"{code} has no amber margin yet: give one in percentage points (--amber-margin)"
            )
    if target_pct is not None and amber_margin_pct < 0:
        raise TargetError("a target needs an amber margin of zero or more percentage points (--amber-margin)")
    at = periods.now()
    with store.transaction() as cur:
        cur.execute(
            "insert into targets (council_code, kpi_code, effective_from, effective_from_index, target_pct, "
            "amber_margin_pct, set_at, set_by, reason) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [council_code, code, start.code, start.index, target_pct, amber_margin_pct, at, actor, reason],
        )
        store.audit(
            "target set",
            actor=actor,
            council_code=council_code,
            subject=code,
            cur=cur,
            detail={
                "target_pct": target_pct,
                "amber_margin_pct": amber_margin_pct,
                "effective_from": start.code,
                "reason": reason,
            },
        )
    return start


def current_amber_margin(
    store: Store, council_code: str, kpi_code: str, period: periods.Period
) -> float | None:
    """The amber margin in force for a KPI (any case) in a quarter as known now; else the catalogue's; else ``None``."""
    code = kpi_code.strip().upper()
    in_force = targets_in_force(store, council_code, period, period).filter(
        pl.col("kpi_code").str.to_uppercase() == code
    )
    margins = in_force["amber_margin_pct"].drop_nulls()
    if not margins.is_empty():
        return float(margins[0])
    kpi = next(
        (k for c, k in catalogue_in_force(store, council_code, period).items() if c.upper() == code), None
    )
    return kpi.amber_margin_pct if kpi is not None else None


def list_targets(store: Store, council_code: str, principal: Principal) -> pl.DataFrame:
    """Every target row, newest first within each KPI."""
    require(principal, "read_settings")
    return store.query(
        "select kpi_code, effective_from, target_pct, amber_margin_pct, set_at, set_by, reason from targets "
        "where council_code = ? order by kpi_code, effective_from_index desc, set_at desc",
        [council_code],
    )


def targets_in_force(
    store: Store,
    council_code: str,
    first: periods.Period,
    last: periods.Period,
    as_at: datetime | None = None,
) -> pl.DataFrame:
    """The target in force for each KPI and quarter from ``first`` to ``last``, as known at ``as_at``."""
    return store.run_sql(
        "staging/stg_targets",
        council_code=council_code,
        as_at=as_at or periods.now(),
        first_period_index=first.index,
        last_period_index=last.index,
    )


def set_setting(
    store: Store,
    council_code: str,
    key: str,
    value: object,
    *,
    reason: str | None = None,
    principal: Principal,
) -> None:
    """Record a new value for a setting; audited. Commissioners and admins only."""
    who = principal  # no principal, no write: the command line passes kpi.access.principal.local_principal(--actor)
    require(who, "set_setting")
    actor = who.email
    defaults = load_setting_defaults()
    if key not in defaults:
        raise TargetError(f"'{key}' is not a setting: use one of {', '.join(sorted(defaults))}")
    default = defaults[key].value
    try:
        typed = type(default)(value)
    except (TypeError, ValueError) as exc:
        raise TargetError(
            f"'{value}' is not a valid value for {key} (expected a {type(default).__name__})"
        ) from exc
    if isinstance(typed, int | float) and typed < 0:
        raise TargetError(f"{key} cannot be negative: give a number of zero or more")
    try:
        typed = deprivation.check_setting(key, typed) if isinstance(typed, str) else typed
    except deprivation.DeprivationError as exc:
        raise TargetError(f"'{value}' is not a valid value for {key}: {exc}") from exc
    with store.transaction() as cur:
        cur.execute(
            "insert into settings (council_code, setting_key, value_json, set_at, set_by, reason) "
            "values (?, ?, ?, ?, ?, ?)",
            [council_code, key, json.dumps(typed), periods.now(), actor, reason],
        )
        store.audit(
            "setting changed",
            actor=actor,
            council_code=council_code,
            subject=key,
            cur=cur,
            detail={"value": typed, "reason": reason},
        )


def list_settings(store: Store, council_code: str, principal: Principal) -> pl.DataFrame:
    """Every setting with its value in force, its default and help text."""
    require(principal, "read_settings")
    defaults = load_setting_defaults()
    return pl.DataFrame(
        [
            {
                "setting_key": key,
                "value": str(setting(store, council_code, key)),
                "default": str(spec.value),
                "help": spec.help,
            }
            for key, spec in defaults.items()
        ],
        schema={"setting_key": pl.String, "value": pl.String, "default": pl.String, "help": pl.String},
    )


def settings_history(store: Store, council_code: str, principal: Principal) -> pl.DataFrame:
    """Every setting change, newest first: what, when, who and why."""
    require(principal, "read_settings")
    return store.query(
        "select setting_key, value_json as value, set_at, set_by, reason from settings where council_code = ? "
        "order by set_at desc, setting_id desc",
        [council_code],
    )
