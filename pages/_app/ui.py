"""What a page script calls, in one place: the session, the guard, cached reads, widgets and table formatting.

Page scripts import this module (``from pages._app import ui as _ui``); the helpers live in the modules by concern
it names, and nothing in the app layer imports it back, so there is no cycle.
"""

from __future__ import annotations

from kpi.contract.values import MATRIX_CSS
from kpi.core.tables import MISSING, column_words, json_words, plain, readable
from pages._app.chart_widget import chart_with_downloads
from pages._app.reads import (
    benchmarks,
    ethnic_breakdown,
    explanations,
    kpi_values,
    locality_names,
    outcome_series,
    pending,
    provider_names,
)
from pages._app.reads_inequality import (
    deprivation_indices,
    deprivation_outcomes,
    locality_cells,
    ncmp_data,
    quantile_frame,
    sii_table,
)
from pages._app.reads_overview import exceptions, last_circulated, spc_summary, what_changed
from pages._app.reads_peers import indicator_comparison, kpi_comparison, neighbour_summary
from pages._app.reads_plans import (
    annotations,
    rebase_prompts,
    spc_controls,
    trajectory_points,
    trajectory_status,
)
from pages._app.session import (
    council_code,
    database_info,
    principal,
    refuse_off_loopback,
    signed_in_email,
    store,
)
from pages._app.signin import account_sidebar, guard, navigation, sample_banner, sign_in, start_page
from pages._app.widgets import (
    comparison_section,
    download_frame,
    exception_narratives,
    table,
)

__all__ = [
    "MATRIX_CSS",
    "MISSING",
    "account_sidebar",
    "annotations",
    "benchmarks",
    "chart_with_downloads",
    "column_words",
    "comparison_section",
    "council_code",
    "database_info",
    "deprivation_indices",
    "deprivation_outcomes",
    "download_frame",
    "ethnic_breakdown",
    "exception_narratives",
    "exceptions",
    "explanations",
    "guard",
    "indicator_comparison",
    "json_words",
    "kpi_comparison",
    "kpi_values",
    "last_circulated",
    "locality_cells",
    "locality_names",
    "navigation",
    "ncmp_data",
    "neighbour_summary",
    "outcome_series",
    "pending",
    "plain",
    "principal",
    "provider_names",
    "quantile_frame",
    "readable",
    "rebase_prompts",
    "refuse_off_loopback",
    "sample_banner",
    "sign_in",
    "signed_in_email",
    "sii_table",
    "spc_summary",
    "spc_controls",
    "start_page",
    "store",
    "table",
    "trajectory_points",
    "trajectory_status",
    "what_changed",
]
