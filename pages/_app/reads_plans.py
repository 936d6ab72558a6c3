"""Reads of the contract's recovery trajectories and SPC controls (docs/methods.md sections 5.9 and 5.10) for the
pages, as at now, for the signed-in principal.

Every function below calls :mod:`kpi` and never SQL.
"""

from __future__ import annotations

import polars as pl

from pages._app.reads import locality_names
from pages._app.session import council_code, principal, store


def trajectory_status(period: str, values: pl.DataFrame) -> pl.DataFrame:
    """Each recovery trajectory in force judged for ``period`` (kpi.contract.trajectory_status)."""
    from kpi.contract import trajectory_status as trajectories

    return trajectories.trajectory_board(
        store(), council_code(), values, period, locality_names(), principal=principal()
    )


def trajectory_points() -> pl.DataFrame:
    """The planned points of every recovery trajectory in force."""
    from kpi.contract import trajectories

    return trajectories.trajectory_points(store(), council_code(), principal=principal())


def spc_controls() -> dict:
    """The recorded SPC baselines and rebases per (KPI, place) (kpi.contract.spc_controls)."""
    from kpi.contract import spc_controls as controls

    return controls.spc_controls(store(), council_code(), principal=principal())


def annotations() -> pl.DataFrame:
    """The dated events drawn on the charts."""
    from kpi.contract import spc_controls as controls

    return controls.annotations(store(), council_code(), principal=principal())


def rebase_prompts() -> pl.DataFrame:
    """Returns flagged as from a changed record system with no rebase at their quarter yet."""
    from kpi.contract import spc_controls as controls

    return controls.rebase_prompts(store(), council_code(), principal=principal())
