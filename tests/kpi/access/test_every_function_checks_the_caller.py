"""Every public function of ``kpi`` that writes or reads scoped data takes a principal and checks it (issue #13).

The functions are found by introspection: every public function of every ``kpi`` module (defined there, name not
starting with ``_``) with a parameter named ``store``, ``principal`` or ``actor``. Each must have an entry in
:data:`TABLE`:

* ``write`` or ``scoped read``: the roles allowed (the others are refused) and a call with minimal arguments. The
  function must have a required ``principal`` parameter (no default), and calling it with ``principal=None`` or a
  refused role's principal raises :class:`~kpi.access.rules.AccessDenied`, while an allowed role's call does not (other
  errors from the minimal arguments are fine: the check comes first);
* ``unscoped``: the reason it needs no principal (pure computations, council reference data, configuration,
  infrastructure).

A new function without an entry fails :func:`test_every_function_is_in_the_table`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

import kpi
from kpi.access.principal import LOCAL_USER, Principal
from kpi.access.rules import AccessDenied
from kpi.core.store import Store
from tests.conftest import open_sample_copy

COUNCIL, PROVIDER, PERIOD = "E08000009", "ZZ1", "2025-26 Q1"
AS_AT = datetime(2026, 11, 23, 12, 0)
SCOPE_PARAMETERS = {"store", "principal", "actor"}

PRINCIPALS: dict[str, Principal | None] = {
    "nobody": None,
    "commissioner": Principal("commissioner@council.gov.uk", "commissioner"),
    "provider": Principal("lead@trust.nhs.uk", "provider", PROVIDER),
    "viewer": Principal("scrutiny@council.gov.uk", "viewer"),
    "admin": Principal("admin@council.gov.uk", "admin"),
    "local": LOCAL_USER,
}
ROLES = tuple(name for name in PRINCIPALS if name != "nobody")


@dataclass(frozen=True)
class Checked:
    """A write or scoped read: the roles allowed (the others refused) and a call with minimal arguments."""

    kind: str  # "write" | "scoped read"
    allowed: frozenset[str]
    call: Callable[[Store, Principal | None], object]
    pending: str | None = None  # why the check is not yet in this branch (skipped until it is)

    def allows(self, role: str) -> bool:
        return role in self.allowed


@dataclass(frozen=True)
class Unscoped:
    """A function that needs no principal, and why."""

    reason: str
    kind: str = "unscoped"


def W(roles: str, call: Callable, pending: str | None = None) -> Checked:  # noqa: N802
    return Checked("write", frozenset(roles.split()), call, pending)


def R(roles: str, call: Callable) -> Checked:  # noqa: N802
    return Checked("scoped read", frozenset(roles.split()), call)


def U(reason: str) -> Unscoped:  # noqa: N802
    return Unscoped(reason)


def _m(name: str):
    return importlib.import_module(name)


def _built(kind: str = "pack") -> SimpleNamespace:
    return SimpleNamespace(
        kind=kind, provider_code=None, document=None, council_code=COUNCIL, period=PERIOD, is_draft=False
    )


def _offline(*_args) -> bytes:
    from kpi.outcomes.load import FetchUnavailable

    raise FetchUnavailable("no network in this test")


# Roles, by action (kpi.access.rules.PERMISSIONS; the local user is commissioner and admin).
EVERYONE_BUT_ADMIN = "commissioner provider viewer local"
UPLOAD = "commissioner provider local"
LOAD_DATA = "commissioner local"
SET_UP = "commissioner admin local"
COUNCIL_DATA = "commissioner viewer local"
COMMISSIONER = "commissioner local"
ADMIN = "admin local"

CONFIG = "configuration or the KPI catalogue in force: the same for every role, shipped with the application"
REFERENCE = "council reference data (names, localities, providers): shown to every role, no provider's data"
INFRA = "infrastructure"

TABLE: dict[str, Checked | Unscoped] = {
    # ---- access rules themselves --------------------------------------------------------------------------------
    "kpi.access.rules.accepted_only": U("the access rules: a question about a principal, reads nothing"),
    "kpi.access.rules.allowed": U("the access rules: a question about a principal, reads nothing"),
    "kpi.access.rules.page_allowed": U("the access rules: a question about a principal, reads nothing"),
    "kpi.access.rules.provider_scope": U("the access rules: a question about a principal, reads nothing"),
    "kpi.access.rules.require": U("the access rules: the check itself"),
    "kpi.access.principal.local_principal": U(
        "makes the command line's principal from --actor; reads nothing"
    ),
    "kpi.reports.pack.frames.pack_scope": U(
        "the access rules of a pack: a question about a principal, reads nothing"
    ),
    # ---- audit log ----------------------------------------------------------------------------------------------
    "kpi.access.audit.audit_actions": R(
        COMMISSIONER + " admin", lambda s, w: _m("kpi.access.audit").audit_actions(s, w)
    ),
    "kpi.access.audit.audit_entries": R(
        COMMISSIONER + " admin", lambda s, w: _m("kpi.access.audit").audit_entries(s, w, council_code=COUNCIL)
    ),
    # ---- backups ------------------------------------------------------------------------------------------------
    "kpi.core.backup.backup": W(
        ADMIN,
        lambda s, w: _m("kpi.core.backup").backup(s, Path("/nonexistent/backup"), principal=w),
    ),
    "kpi.core.backup_restore.restore": W(
        ADMIN,
        lambda s, w: _m("kpi.core.backup_restore").restore(
            Path("/nonexistent/backup"), Path("/nonexistent/db"), principal=w
        ),
    ),
    # ---- snapshots and replicas -------------------------------------------------------------------------------
    "kpi.core.snapshot.publish_snapshot": W(
        ADMIN,
        lambda s, w: _m("kpi.core.snapshot").publish_snapshot(
            s, Path("/nonexistent/snapshots"), principal=w, keep=0
        ),
    ),
    "kpi.core.snapshot.start_publisher": U(
        f"{INFRA}: the writer's own scheduled snapshots, configured by the operator (HCP_SNAPSHOT_DIR), no one's request"
    ),
    "kpi.core.replica.log_sign_in": U(
        f"{INFRA}: the replica's side of Store.audit for a sign-in (kpi.access.users.record_sign_in)"
    ),
    "kpi.access.rules.require_writable": U("the access rules: the replica check itself"),
    # ---- benchmarks ---------------------------------------------------------------------------------------------
    "kpi.contract.benchmarks.load_benchmarks": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.contract.benchmarks").load_benchmarks(s, COUNCIL, pl.DataFrame(), principal=w),
    ),
    "kpi.contract.benchmarks.seed_sample": W(
        LOAD_DATA, lambda s, w: _m("kpi.contract.benchmarks").seed_sample(s, "NOT A COUNCIL", principal=w)
    ),
    # ---- the catalogue ------------------------------------------------------------------------------------------
    "kpi.core.catalogue_sync.catalogue_in_force": U(CONFIG),
    "kpi.core.catalogue_sync.sync_catalogue": W(
        SET_UP, lambda s, w: _m("kpi.core.catalogue_sync").sync_catalogue(s, principal=w, council_code="NOPE")
    ),
    "kpi.core.catalogue_sync.sync_council": U(
        f"{INFRA}: one step inside the transaction (cur) of init_council or sync_catalogue, which check the caller"
    ),
    "kpi.core.catalogue_sync.sync_if_changed": U(
        f"{INFRA}: part of Store.open, like a migration; applies the catalogue file installed with the application"
    ),
    # ---- councils, localities, providers ------------------------------------------------------------------------
    "kpi.core.councils.add_provider": W(
        SET_UP,
        lambda s, w: _m("kpi.core.councils").add_provider(s, COUNCIL, "ZZ9", "Test", "Test", principal=w),
    ),
    "kpi.core.councils.check_localities": U(
        "validation of a file being loaded against the national LSOA reference"
    ),
    "kpi.core.councils.ensure_reference": U(
        f"{INFRA}: copies the national LSOA lookup shipped with the application (idempotent; no one's data)"
    ),
    "kpi.core.councils.init_council": W(
        SET_UP, lambda s, w: _m("kpi.core.councils").init_council(s, "NOPE", principal=w)
    ),
    "kpi.core.councils.load_localities": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.core.councils").load_localities(
            s, COUNCIL, b"", "x.csv", principal=w, check_only=True
        ),
    ),
    "kpi.core.councils.localities": U(REFERENCE),
    # ---- deprivation indices ------------------------------------------------------------------------------------
    "kpi.core.deprivation.deciles": U("national reference data: an LSOA code's published decile on an index"),
    "kpi.core.deprivation.ensure_indices": U(
        f"{INFRA}: copies the national deprivation lookups shipped with the application (idempotent; no one's data)"
    ),
    "kpi.core.deprivation.first_quarter": U(f"{CONFIG}: a setting's value"),
    "kpi.core.deprivation.first_year": U(f"{CONFIG}: a setting's value"),
    "kpi.core.deprivation.index_for_period": U(f"{CONFIG}: which index a setting gives a period"),
    "kpi.core.deprivation.index_for_year": U(f"{CONFIG}: which index a setting gives an academic year"),
    "kpi.core.deprivation.known_codes": U("national reference data: the LSOA codes of both vintages"),
    "kpi.core.deprivation.lsoa_deciles": U("national reference data: every LSOA code's decile on an index"),
    "kpi.core.deprivation.sql_params": U(f"{CONFIG}: the deprivation settings as SQL parameters"),
    "kpi.core.deprivation.split_lsoas": U(
        "national reference data: the codes whose matching LSOAs differ in decile"
    ),
    "kpi.core.councils.locality_cells": U(REFERENCE),
    "kpi.core.councils.providers": U(REFERENCE),
    # ---- data quality -------------------------------------------------------------------------------------------
    "kpi.returns.timeliness.confirmed_warnings": R(
        COMMISSIONER, lambda s, w: _m("kpi.returns.timeliness").confirmed_warnings(s, w, COUNCIL)
    ),
    "kpi.returns.timeliness.resubmissions": R(
        COMMISSIONER, lambda s, w: _m("kpi.returns.timeliness").resubmissions(s, w, COUNCIL)
    ),
    "kpi.returns.timeliness.return_timeliness": R(
        COMMISSIONER, lambda s, w: _m("kpi.returns.timeliness").return_timeliness(s, w, COUNCIL)
    ),
    # ---- exception narratives -----------------------------------------------------------------------------------
    "kpi.contract.narratives.agree_narrative": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.narratives").agree_narrative(
            s, w, COUNCIL, provider_code=PROVIDER, kpi_code="NOPE", period=PERIOD, locality_code="ALL"
        ),
    ),
    "kpi.contract.narratives.exception_candidates": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.contract.narratives").exception_candidates(s, w, COUNCIL, PERIOD),
    ),
    "kpi.contract.narratives.explanations": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.contract.narratives").explanations(
            s, COUNCIL, PERIOD, pl.DataFrame(), principal=w
        ),
    ),
    "kpi.contract.narratives.narratives": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.contract.narratives").narratives(s, w, COUNCIL)
    ),
    "kpi.contract.narratives.overview_narratives": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.contract.narratives").overview_narratives(s, w, COUNCIL, PERIOD),
    ),
    "kpi.contract.narratives.save_narrative": W(
        UPLOAD,
        lambda s, w: _m("kpi.contract.narratives").save_narrative(
            s,
            w,
            COUNCIL,
            provider_code=PROVIDER,
            kpi_code="NOPE",
            period=PERIOD,
            locality_code="ALL",
            explanation="",
            remedial_action="",
            owner="",
            due_date=None,
        ),
    ),
    # ---- inequalities (council-wide figures) --------------------------------------------------------------------
    "kpi.inequality.views.rolling_quintiles": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.inequality.views").rolling_quintiles(s, "NOPE", principal=w)
    ),
    # ---- meetings, actions, risks, packs ------------------------------------------------------------------------
    "kpi.contract.actions.action_history": R(
        UPLOAD, lambda s, w: _m("kpi.contract.meetings").action_history(s, COUNCIL, -1, principal=w)
    ),
    "kpi.contract.actions.actions": R(
        UPLOAD, lambda s, w: _m("kpi.contract.meetings").actions(s, COUNCIL, principal=w)
    ),
    "kpi.contract.actions.add_action": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.meetings").add_action(s, COUNCIL, what="", owner="", principal=w),
    ),
    "kpi.contract.risks.add_risk": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.meetings").add_risk(
            s, COUNCIL, risk="", likelihood=0, impact=0, owner="", principal=w
        ),
    ),
    "kpi.contract.actions.carried_actions": R(
        UPLOAD, lambda s, w: _m("kpi.contract.meetings").carried_actions(s, COUNCIL, AS_AT, None, principal=w)
    ),
    "kpi.contract.meetings.meetings": R(
        UPLOAD, lambda s, w: _m("kpi.contract.meetings").meetings(s, COUNCIL, principal=w)
    ),
    "kpi.contract.packs.packs": R(
        UPLOAD, lambda s, w: _m("kpi.contract.meetings").packs(s, COUNCIL, principal=w)
    ),
    "kpi.contract.packs.previous_pack": R(
        UPLOAD, lambda s, w: _m("kpi.contract.meetings").previous_pack(s, COUNCIL, AS_AT, principal=w)
    ),
    "kpi.contract.meetings.record_meeting": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.meetings").record_meeting(
            s, COUNCIL, meeting_date="not a date", attendees="", principal=w
        ),
    ),
    "kpi.contract.packs.circulate_pack": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.meetings").circulate_pack(
            s,
            "NOPE",
            document="nope",
            period=PERIOD,
            as_at=AS_AT,
            data_version="0",
            file_format="nope",
            content=b"",
            sent_to="",
            principal=w,
        ),
    ),
    "kpi.contract.risks.risks": R(
        UPLOAD, lambda s, w: _m("kpi.contract.meetings").risks(s, COUNCIL, principal=w)
    ),
    "kpi.contract.actions.update_action": W(
        UPLOAD, lambda s, w: _m("kpi.contract.meetings").update_action(s, COUNCIL, -1, principal=w)
    ),
    "kpi.contract.risks.update_risk": W(
        COMMISSIONER, lambda s, w: _m("kpi.contract.meetings").update_risk(s, COUNCIL, -1, principal=w)
    ),
    # ---- NCMP (council-wide data: commissioners load it; the roles that see council-wide figures read it) -------
    "kpi.cli.common.council_of": U(
        f"{REFERENCE}: the council the command line acts for (--council, else the database's own)"
    ),
    "kpi.ingest.pipeline.refuse": W(
        UPLOAD,
        lambda s, w: _m("kpi.ingest.pipeline").refuse(
            s, _m("kpi.ingest.report").Report("x.csv", ""), council_code=COUNCIL, principal=w, dataset="test"
        ),
    ),
    "kpi.ingest.pipeline.run_load": W(
        UPLOAD,
        lambda s, w: _m("kpi.ingest.pipeline").run_load(
            s,
            _m("kpi.returns.load").RETURN_SPEC,
            b"",
            "x.csv",
            council_code=COUNCIL,
            principal=w,
            check_only=True,
            provider_code=PROVIDER,
            status="accepted",
        ),
    ),
    "kpi.hvrecords.load.load_hv_records": W(
        UPLOAD,
        lambda s, w: _m("kpi.hvrecords.load").load_hv_records(
            s, b"", "x.csv", council_code=COUNCIL, principal=w, check_only=True, provider_code=PROVIDER
        ),
    ),
    "kpi.hvrecords.areas.lsoa_areas": U(
        f"{REFERENCE}: the national LSOA lookup and the council's localities"
    ),
    "kpi.hvrecords.reconcile.reconciliation": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.hvrecords.reconcile").reconciliation(
            s, COUNCIL, principal=w, provider_code=PROVIDER
        ),
    ),
    "kpi.hvrecords.views.ethnic_breakdown": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.hvrecords.views").ethnic_breakdown(s, COUNCIL, "C2", PERIOD, principal=w),
    ),
    "kpi.hvrecords.purge.purge_hv_records": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.hvrecords.purge").purge_hv_records(s, COUNCIL, "not a date", principal=w),
    ),
    "kpi.ncmp.benchmarks.load_ncmp_benchmarks": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.ncmp.benchmarks").load_ncmp_benchmarks(s, COUNCIL, pl.DataFrame(), principal=w),
    ),
    "kpi.ncmp.load.load_ncmp": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.ncmp.load").load_ncmp(
            s, b"", "x.csv", council_code=COUNCIL, principal=w, check_only=True
        ),
    ),
    "kpi.ncmp.load.load_ncmp_eligible": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.ncmp.load").load_ncmp_eligible(
            s, b"", "x.csv", council_code=COUNCIL, principal=w, check_only=True
        ),
    ),
    "kpi.ncmp.load.ncmp_context": U("validation context of an NCMP file being loaded: schools and settings"),
    "kpi.ncmp.purge.earliest_kept_year": U(f"{CONFIG} (the retention setting): a year, no data"),
    "kpi.ncmp.purge.purge_ncmp": W(
        LOAD_DATA, lambda s, w: _m("kpi.ncmp.purge").purge_ncmp(s, COUNCIL, "not a year", principal=w)
    ),
    "kpi.ncmp.views.ncmp_data": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.ncmp.views").ncmp_data(s, "NOPE", principal=w)
    ),
    "kpi.ncmp.views.ncmp_participation": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.ncmp.views").ncmp_participation(s, "NOPE", principal=w)
    ),
    "kpi.ncmp.views.ncmp_prevalence": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.ncmp.views").ncmp_prevalence(s, "NOPE", principal=w)
    ),
    # ---- outcomes (Fingertips and local outcome measures: council-wide data) ------------------------------------
    "kpi.outcomes.load.fetch_fingertips": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.outcomes.load").fetch_fingertips(
            s, council_code=COUNCIL, principal=w, transport=_offline
        ),
    ),
    "kpi.outcomes.load.load_fingertips": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.outcomes.load").load_fingertips(
            s, b"", "x.csv", council_code=COUNCIL, principal=w, check_only=True
        ),
    ),
    "kpi.outcomes.load.load_outcome_measures": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.outcomes.load").load_outcome_measures(
            s, b"", "x.csv", council_code=COUNCIL, principal=w, check_only=True
        ),
    ),
    "kpi.outcomes.neighbours.area_values": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.outcomes.neighbours").area_values(s, "NOPE", 1, principal=w)
    ),
    "kpi.outcomes.neighbours.indicator_comparison": R(
        COUNCIL_DATA,
        lambda s, w: _m("kpi.outcomes.neighbours").indicator_comparison(
            s, "NOPE", 1, "2023/24", "high", principal=w
        ),
    ),
    "kpi.outcomes.neighbours.kpi_comparison": R(
        COUNCIL_DATA,
        lambda s, w: _m("kpi.outcomes.neighbours").kpi_comparison(
            s, "NOPE", "C2", PERIOD, kpi_values=pl.DataFrame(), principal=w
        ),
    ),
    "kpi.outcomes.neighbours.neighbour_summary": R(
        COUNCIL_DATA,
        lambda s, w: _m("kpi.outcomes.neighbours").neighbour_summary(
            s, "NOPE", PERIOD, kpi_values=pl.DataFrame(), principal=w
        ),
    ),
    "kpi.outcomes.peers.chosen_group_codes": U(
        f"{CONFIG} (the setting comparator_groups): group codes, no data"
    ),
    "kpi.outcomes.peers.comparator_groups": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.outcomes.peers").comparator_groups(s, "NOPE", principal=w)
    ),
    "kpi.outcomes.peers.ensure_reference_groups": W(
        SET_UP, lambda s, w: _m("kpi.outcomes.peers").ensure_reference_groups(s, "NOPE", principal=w)
    ),
    "kpi.outcomes.peers.load_peers": W(
        LOAD_DATA,
        lambda s, w: _m("kpi.outcomes.peers").load_peers(
            s, b"", "x.csv", council_code=COUNCIL, group_name="x", principal=w, check_only=True
        ),
    ),
    "kpi.outcomes.series.measure_series": R(
        COUNCIL_DATA,
        lambda s, w: _m("kpi.outcomes.series").measure_series(
            s, "NOPE", None, kpi_values=pl.DataFrame(), principal=w
        ),
    ),
    "kpi.outcomes.series.outcome_values": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.outcomes.series").outcome_values(s, "NOPE", principal=w)
    ),
    # ---- the overview -------------------------------------------------------------------------------------------
    "kpi.contract.values.benchmarks": U(
        "England, regional and neighbour benchmarks: published national figures"
    ),
    "kpi.contract.values.kpi_values": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.contract.values").kpi_values(s, "NOPE", principal=w)
    ),
    "kpi.contract.values.locality_names": U(REFERENCE),
    "kpi.contract.values.pending": R(
        UPLOAD, lambda s, w: _m("kpi.contract.values").pending(s, "NOPE", principal=w)
    ),
    # ---- reports ------------------------------------------------------------------------------------------------
    "kpi.reports.build": R(
        UPLOAD,
        lambda s, w: _m("kpi.reports").build(s, "pack", "not a period", principal=w, council_code=COUNCIL),
    ),
    "kpi.reports.circulate": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.reports").circulate(s, _built(), "nope", sent_to="", principal=w),
    ),
    "kpi.reports.site.publish": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.reports.site").publish(
            s, _built("briefing"), Path("/nonexistent/site"), principal=w
        ),
    ),
    "kpi.reports.briefing.build.build_briefing": R(
        COUNCIL_DATA,
        lambda s, w: _m("kpi.reports.briefing.build").build_briefing(
            s, "not a period", principal=w, council_code=COUNCIL
        ),
    ),
    "kpi.reports.extras.has_rows": U(
        f"{INFRA}: whether an optional table holds a row (a yes or no, no values)"
    ),
    "kpi.reports.extras.reconciliation_sections": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.reports.extras").reconciliation_sections(
            s, COUNCIL, PERIOD, AS_AT, principal=w, provider_code=PROVIDER
        ),
    ),
    "kpi.reports.extras.ncmp_section": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.reports.extras").ncmp_section(s, "NOPE", AS_AT, principal=w)
    ),
    "kpi.reports.extras.optional_sections": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.reports.extras").optional_sections(s, "NOPE", AS_AT, principal=w)
    ),
    "kpi.reports.extras.outcomes_section": R(
        COUNCIL_DATA, lambda s, w: _m("kpi.reports.extras").outcomes_section(s, "NOPE", AS_AT, principal=w)
    ),
    "kpi.reports.extras.table_exists": U(f"{INFRA}: whether a table exists in the schema"),
    "kpi.reports.pack.build.build_pack": R(
        UPLOAD,
        lambda s, w: _m("kpi.reports.pack.build").build_pack(
            s, "not a period", principal=w, council_code=COUNCIL
        ),
    ),
    "kpi.reports.pack.build.next_meeting_date": R(
        UPLOAD, lambda s, w: _m("kpi.reports.pack.build").next_meeting_date(s, COUNCIL, principal=w)
    ),
    "kpi.reports.pack.frames.council_name": U(REFERENCE),
    "kpi.reports.pack.frames.data_quality": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.reports.pack.frames").data_quality(s, COUNCIL, PERIOD, AS_AT, None, principal=w),
    ),
    "kpi.reports.pack.frames.headline_codes": U(CONFIG),
    "kpi.reports.pack.frames.narratives_frame": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.reports.pack.frames").narratives_frame(
            s, COUNCIL, PROVIDER, PERIOD, AS_AT, pl.DataFrame(), principal=w
        ),
    ),
    # ---- the return template ------------------------------------------------------------------------------------
    "kpi.returns.template.template_csv": R(
        UPLOAD, lambda s, w: _m("kpi.returns.template").template_csv(s, w, COUNCIL, PROVIDER, "not a period")
    ),
    "kpi.returns.template.template_rows": R(
        UPLOAD, lambda s, w: _m("kpi.returns.template").template_rows(s, w, COUNCIL, PROVIDER, "not a period")
    ),
    "kpi.returns.template.template_xlsx": R(
        UPLOAD, lambda s, w: _m("kpi.returns.template").template_xlsx(s, w, COUNCIL, PROVIDER, "not a period")
    ),
    # ---- the store ----------------------------------------------------------------------------------------------
    "kpi.core.store.councils": U(REFERENCE),
    "kpi.core.page_cache.page_cache_key": U(
        f"{INFRA}: the council and its data version (the pages' cache key)"
    ),
    "kpi.core.store.data_version": U(f"{INFRA}: a number that changes on every write (the app's cache key)"),
    "kpi.core.store.default_council": U(REFERENCE),
    "kpi.core.store.get_info": U(f"{INFRA}: the database's own facts (schema version, sample or not)"),
    "kpi.core.store.setting": U(
        f"{CONFIG}: a setting's value, which every role's figures are worked out with"
    ),
    # ---- submissions --------------------------------------------------------------------------------------------
    "kpi.returns.review.accept_submission": W(
        COMMISSIONER, lambda s, w: _m("kpi.returns.review").accept_submission(s, w, -1)
    ),
    "kpi.returns.review.list_submissions": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.returns.review").list_submissions(s, COUNCIL, w)
    ),
    "kpi.returns.load.load_return": W(
        UPLOAD,
        lambda s, w: _m("kpi.returns.load").load_return(
            s, b"", "x.csv", council_code=COUNCIL, provider_code=PROVIDER, principal=w, check_only=True
        ),
    ),
    "kpi.returns.review.portal_load": W(
        UPLOAD,
        lambda s, w: _m("kpi.returns.review").portal_load(
            s, w, b"", "x.csv", council_code=COUNCIL, provider_code=PROVIDER, check_only=True
        ),
    ),
    "kpi.returns.review.query_submission": W(
        COMMISSIONER, lambda s, w: _m("kpi.returns.review").query_submission(s, w, -1, "")
    ),
    "kpi.returns.load.return_context": R(
        UPLOAD, lambda s, w: _m("kpi.returns.load").return_context(s, COUNCIL, PROVIDER, principal=w)
    ),
    "kpi.returns.review.submission_file": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.returns.review").submission_file(s, w, -1)
    ),
    "kpi.returns.review.submission_history": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.returns.review").submission_history(s, w, -1)
    ),
    "kpi.returns.review.submission_report": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.returns.review").submission_report(s, -1, w)
    ),
    "kpi.returns.review.submission_rows": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.returns.review").submission_rows(s, -1, w)
    ),
    # ---- targets and settings -----------------------------------------------------------------------------------
    "kpi.contract.targets.current_amber_margin": U(
        "a KPI's amber margin in force: contract terms every role's RAG ratings are worked out with"
    ),
    "kpi.contract.targets.list_settings": R(
        SET_UP + " viewer", lambda s, w: _m("kpi.contract.targets").list_settings(s, COUNCIL, w)
    ),
    "kpi.contract.targets.list_targets": R(
        SET_UP + " viewer", lambda s, w: _m("kpi.contract.targets").list_targets(s, COUNCIL, w)
    ),
    "kpi.contract.targets.set_setting": W(
        SET_UP,
        lambda s, w: _m("kpi.contract.targets").set_setting(s, COUNCIL, "not a setting", 1, principal=w),
    ),
    "kpi.contract.targets.set_target": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.targets").set_target(
            s,
            COUNCIL,
            "NOPE",
            target_pct=None,
            amber_margin_pct=None,
            effective_from="not a period",
            principal=w,
        ),
    ),
    "kpi.contract.targets.settings_history": R(
        SET_UP + " viewer", lambda s, w: _m("kpi.contract.targets").settings_history(s, COUNCIL, w)
    ),
    "kpi.contract.targets.targets_in_force": U(
        "the contract's targets in force: terms every role's RAG ratings are worked out with"
    ),
    # ---- trajectories -------------------------------------------------------------------------------------------
    "kpi.contract.trajectories.set_trajectory": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.trajectories").set_trajectory(
            s, COUNCIL, "NOPE", "", reason="", principal=w
        ),
    ),
    "kpi.contract.trajectories.trajectory_id_of": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.contract.trajectories").trajectory_id_of(s, COUNCIL, "C2", principal=w),
    ),
    "kpi.contract.trajectories.withdraw_trajectory": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.trajectories").withdraw_trajectory(
            s, COUNCIL, -1, reason="", principal=w
        ),
    ),
    "kpi.contract.trajectories.trajectory_points": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.contract.trajectories").trajectory_points(s, COUNCIL, principal=w),
    ),
    "kpi.contract.trajectories.trajectory_history": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.contract.trajectories").trajectory_history(s, COUNCIL, principal=w),
    ),
    "kpi.contract.trajectory_status.trajectory_board": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.contract.trajectory_status").trajectory_board(
            s, COUNCIL, pl.DataFrame(), PERIOD, {}, principal=w
        ),
    ),
    "kpi.reports.pack.trajectories.trajectory_section": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.reports.pack.trajectories").trajectory_section(
            s, COUNCIL, pl.DataFrame(), PERIOD, {}, AS_AT, None, principal=w
        ),
    ),
    "kpi.reports.briefing.ethnicity.ethnic_tables": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.reports.briefing.ethnicity").ethnic_tables(
            s, COUNCIL, PERIOD, [("C2", "New birth visits")], AS_AT, principal=w
        ),
    ),
    "kpi.reports.briefing.trajectories.briefing_trajectories": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.reports.briefing.trajectories").briefing_trajectories(
            s, COUNCIL, pl.DataFrame(), PERIOD, {}, AS_AT, principal=w
        ),
    ),
    # ---- SPC controls -------------------------------------------------------------------------------------------
    "kpi.contract.spc_controls.set_baseline": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.spc_controls").set_baseline(s, COUNCIL, "NOPE", reason="", principal=w),
    ),
    "kpi.contract.spc_controls.rebase": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.spc_controls").rebase(
            s, COUNCIL, "NOPE", "never", reason="", principal=w
        ),
    ),
    "kpi.contract.spc_controls.withdraw_rebase": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.spc_controls").withdraw_rebase(s, COUNCIL, -1, reason="", principal=w),
    ),
    "kpi.contract.spc_controls.add_annotation": W(
        COMMISSIONER,
        lambda s, w: _m("kpi.contract.spc_controls").add_annotation(s, COUNCIL, "never", "", principal=w),
    ),
    "kpi.contract.spc_controls.flag_record_system_change": W(
        UPLOAD,
        lambda s, w: _m("kpi.contract.spc_controls").flag_record_system_change(
            s, COUNCIL, -1, "", principal=w
        ),
    ),
    "kpi.contract.spc_controls.spc_changes": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.contract.spc_controls").spc_changes(s, COUNCIL, principal=w)
    ),
    "kpi.contract.spc_controls.spc_controls": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.contract.spc_controls").spc_controls(s, COUNCIL, principal=w)
    ),
    "kpi.contract.spc_controls.annotations": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.contract.spc_controls").annotations(s, COUNCIL, principal=w)
    ),
    "kpi.contract.spc_controls.rebase_prompts": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.contract.spc_controls").rebase_prompts(s, COUNCIL, principal=w),
    ),
    "kpi.reports.pack.since.what_changed": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.reports.pack.since").what_changed(s, COUNCIL, PERIOD, principal=w, as_at=AS_AT),
    ),
    "kpi.reports.pack.since.last_circulated": U(
        "asks kpi.contract.meetings.previous_pack (which checks the caller) only for those allowed to read packs"
    ),
    # ---- e-mail alerts ------------------------------------------------------------------------------------------
    "kpi.alerts.preferences.choices": R(
        EVERYONE_BUT_ADMIN, lambda s, w: _m("kpi.alerts.preferences").choices(s, principal=w)
    ),
    "kpi.alerts.preferences.set_choices": W(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.alerts.preferences").set_choices(s, {"nope": True}, principal=w),
    ),
    "kpi.alerts.preferences.recipients": U(
        "who gets an alert: asked only by the senders of kpi.alerts.notify, which check the caller first"
    ),
    "kpi.alerts.mail.relay": U("the SMTP relay settings: configuration, the same for every role"),
    "kpi.alerts.mail.send": U(
        "sends messages already composed by kpi.alerts.notify, whose functions check the caller first"
    ),
    "kpi.alerts.notify.data_events": R(
        EVERYONE_BUT_ADMIN,
        lambda s, w: _m("kpi.alerts.notify").data_events(s, COUNCIL, {"accepted_at": None}, principal=w),
    ),
    "kpi.alerts.notify.after_load": W(
        UPLOAD, lambda s, w: _m("kpi.alerts.notify").after_load(s, COUNCIL, -1, principal=w)
    ),
    "kpi.alerts.notify.after_review": W(
        COMMISSIONER, lambda s, w: _m("kpi.alerts.notify").after_review(s, COUNCIL, -1, principal=w)
    ),
    "kpi.alerts.notify.after_loads": W(
        UPLOAD, lambda s, w: _m("kpi.alerts.notify").after_loads(s, COUNCIL, [-1], principal=w)
    ),
    "kpi.alerts.notify.provider_name": U(REFERENCE),
    "kpi.alerts.mail.deliver": U(
        "sends messages already composed by kpi.alerts.notify and kpi.alerts.reminders, whose functions check the "
        "caller first"
    ),
    "kpi.alerts.reminders.late_returns": R(
        COMMISSIONER, lambda s, w: _m("kpi.alerts.reminders").late_returns(s, COUNCIL, principal=w)
    ),
    "kpi.alerts.reminders.actions_due": R(
        COMMISSIONER, lambda s, w: _m("kpi.alerts.reminders").actions_due(s, COUNCIL, principal=w)
    ),
    "kpi.alerts.schedule.offer_store": U(
        INFRA + ": hands the app's store to the scheduler thread, reads nothing"
    ),
    "kpi.alerts.schedule.interval_minutes": U(CONFIG),
    "kpi.alerts.schedule.run_due": U(
        INFRA
        + ": the scheduler acting as kpi.access.principal.SCHEDULER, a commissioner the checks see and the "
        "audit log names"
    ),
    "kpi.alerts.reminders.due_reminders": W(
        COMMISSIONER, lambda s, w: _m("kpi.alerts.reminders").due_reminders(s, "NOPE", principal=w)
    ),
    # ---- users --------------------------------------------------------------------------------------------------
    "kpi.access.users.add_user": W(
        ADMIN, lambda s, w: _m("kpi.access.users").add_user(s, w, "not an address", "nobody")
    ),
    "kpi.access.users.find_user": U(
        "sign-in: turns the verified e-mail into the principal, so there is no principal yet"
    ),
    "kpi.access.users.list_users": R(ADMIN, lambda s, w: _m("kpi.access.users").list_users(s, w)),
    "kpi.access.users.record_sign_in": U(
        "sign-in: the audit entry of a sign-in attempt, before there is a principal (None records a refusal)"
    ),
    "kpi.access.users.remove_user": W(
        ADMIN, lambda s, w: _m("kpi.access.users").remove_user(s, w, "nobody@nowhere.invalid")
    ),
}


def discovered() -> dict[str, Callable]:
    """Every public function of a kpi module with a ``store``, ``principal`` or ``actor`` parameter."""
    found = {}
    for info in pkgutil.walk_packages(kpi.__path__, "kpi."):
        if info.name == "kpi.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if SCOPE_PARAMETERS & set(inspect.signature(function).parameters):
                found[f"{info.name}.{name}"] = function
    return found


FOUND = discovered()
CHECKED = sorted(name for name, entry in TABLE.items() if isinstance(entry, Checked))


def test_every_function_is_in_the_table() -> None:
    missing = sorted(set(FOUND) - set(TABLE))
    assert not missing, (
        "these kpi functions take a store, principal or actor but have no entry in TABLE of "
        f"{Path(__file__).name}: {', '.join(missing)}. Add each as W(...) (it writes) or R(...) (it reads data "
        "whose visibility depends on the caller) with the roles allowed and a call, after making it take a "
        "required `principal` and call kpi.access.rules.require first; or as U(reason) if it needs no principal."
    )


def test_every_table_entry_is_a_function() -> None:
    pending = {name for name, entry in TABLE.items() if isinstance(entry, Checked) and entry.pending}
    stale = sorted(set(TABLE) - set(FOUND) - pending)
    assert not stale, f"TABLE names functions that are not found (renamed or removed?): {', '.join(stale)}"


def test_the_table_knows_every_role() -> None:
    for name, entry in TABLE.items():
        if isinstance(entry, Checked):
            assert entry.allowed <= set(ROLES), f"{name}: unknown role in {sorted(entry.allowed)}"
            assert entry.kind in ("write", "scoped read")
        else:
            assert entry.reason.strip(), f"{name}: an unscoped function needs its reason"


@pytest.mark.parametrize("name", CHECKED)
def test_a_required_principal(name: str) -> None:
    entry = TABLE[name]
    if entry.pending:
        pytest.skip(entry.pending)
    parameter = inspect.signature(FOUND[name]).parameters.get("principal")
    assert parameter is not None, f"{name} must take a `principal` parameter"
    assert parameter.default is inspect.Parameter.empty, f"{name}: `principal` must be required (no default)"
    if entry.kind == "write":
        assert "actor" not in inspect.signature(FOUND[name]).parameters, (
            f"{name}: the audit log's actor is the principal's e-mail, not a separate `actor`"
        )


@pytest.fixture(scope="module")
def store(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One writable copy of the sample database for every call here (the calls write little or nothing)."""
    with open_sample_copy(sample_db_path, tmp_path_factory.mktemp("every_function")) as opened:
        yield opened


@pytest.mark.parametrize("name", CHECKED)
def test_refused_or_allowed_per_role(name: str, store: Store, hcp_today) -> None:
    entry = TABLE[name]
    if entry.pending:
        pytest.skip(entry.pending)
    outcomes = {}
    for role, who in PRINCIPALS.items():
        try:
            entry.call(store, who)
        except AccessDenied:
            outcomes[role] = "refused"
        except Exception:  # noqa: BLE001 - the minimal arguments may be rejected once the check has passed
            outcomes[role] = "allowed"
        else:
            outcomes[role] = "allowed"
    expected = {role: "allowed" if entry.allows(role) else "refused" for role in ROLES} | {
        "nobody": "refused"
    }
    assert outcomes == expected, f"{name} ({entry.kind})"
