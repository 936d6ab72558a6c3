"""A pack's life: building and rendering record nothing; circulating records the file once and makes it the
previous pack of the next one; a provider's draft still builds, and only a commissioner circulates."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from kpi import reports
from kpi.access.principal import LOCAL_USER, Principal
from kpi.access.rules import AccessDenied
from kpi.contract import meetings as meetings

COUNCIL = "E08000009"
PERIOD = "2026-27 Q2"
AS_AT = datetime(2026, 11, 20, 9)
LATER = datetime(2026, 11, 23, 23, 59)
TRUST = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
VIEWER = Principal("v@council.gov.uk", "viewer")


def _recorded(store) -> int:
    return meetings.packs(store, COUNCIL, principal=LOCAL_USER).height


def test_building_and_rendering_record_nothing(reports_store, hcp_today):
    before = _recorded(reports_store)
    for _ in range(2):
        built = reports.build(reports_store, "pack", PERIOD, AS_AT, principal=LOCAL_USER)
        reports.render(built.document, "html")
    reports.render(built.document, "pdf")
    assert _recorded(reports_store) == before
    assert meetings.previous_pack(reports_store, COUNCIL, LATER, principal=LOCAL_USER) is None
    later = reports.build(reports_store, "pack", PERIOD, LATER, principal=LOCAL_USER)
    assert later.data.cover.previous_pack is None  # a build is not the previous pack


def test_a_provider_drafts_its_own_pack_but_never_circulates(reports_store, hcp_today):
    draft = reports.build(reports_store, "pack", PERIOD, AS_AT, principal=TRUST)
    assert draft.is_draft and draft.provider_code == "ZZ1"
    for who in (TRUST, VIEWER):
        with pytest.raises(AccessDenied, match="circulate"):
            reports.circulate(reports_store, draft, "html", sent_to="Contract board", principal=who)
    mine = reports.build(reports_store, "pack", PERIOD, AS_AT, principal=LOCAL_USER, draft=True)
    with pytest.raises(ValueError, match="a draft .* is not circulated"):
        reports.circulate(reports_store, mine, "html", sent_to="Contract board", principal=LOCAL_USER)


def test_circulating_records_once_and_the_next_pack_counts_since_it(reports_store, hcp_today):
    before = _recorded(reports_store)
    built = reports.build(reports_store, "pack", PERIOD, AS_AT, principal=LOCAL_USER)
    content, pack_id = reports.circulate(
        reports_store, built, "html", sent_to="Contract board", principal=LOCAL_USER
    )
    with pytest.raises(ValueError, match=f"already circulated as pack {pack_id}"):
        reports.circulate(reports_store, built, "html", sent_to="Contract board", principal=LOCAL_USER)
    assert _recorded(reports_store) == before + 1
    row = meetings.previous_pack(reports_store, COUNCIL, LATER, principal=LOCAL_USER)
    assert (row["pack_id"], row["sent_to"]) == (pack_id, "Contract board")
    assert row["sha256"] == hashlib.sha256(content).hexdigest() and row["data_version"] == built.data_version
    following = reports.build(reports_store, "pack", PERIOD, LATER, principal=LOCAL_USER)
    assert following.data.cover.previous_pack["pack_id"] == pack_id and following.data.cover.since == AS_AT
    cover = reports.render(following.document, "html").decode()
    assert "circulated" in cover and "to Contract board" in cover
