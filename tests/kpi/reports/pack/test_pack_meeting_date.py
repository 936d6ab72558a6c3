"""The meeting a pack is for: the date given, else the next meeting recorded, on the cover's heading and first row.

The default rule (:func:`kpi.reports.pack.build.next_meeting_date`), with the clock fixed at 2026-11-23: the earliest
meeting recorded on or after today, else the first date of the six-weekly cycle from the latest recorded meeting
that is not yet past, else (no meeting recorded) none ("not set"). Built on the tiny council (two quarters, 2026-27 Q1 and Q2).
"""

from __future__ import annotations

from datetime import date

from kpi.access.principal import LOCAL_USER, Principal
from kpi.contract import meetings as meetings
from kpi.core.store import Store
from kpi.reports.document import Heading, Table
from kpi.reports.pack import build_pack, next_meeting_date, pack_document
from kpi.sample import COUNCIL_CODE

PERIOD = "2026-27 Q2"


def record(store: Store, day: str, provider_code: str | None = None) -> None:
    meetings.record_meeting(
        store,
        COUNCIL_CODE,
        meeting_date=day,
        attendees="Commissioner; Trust lead",
        provider_code=provider_code,
        principal=LOCAL_USER,
    )


def cover_of(store: Store, **kwargs) -> tuple[str, list[list[str]]]:
    """The cover's heading and its "About this pack" rows, as laid out."""
    document = pack_document(build_pack(store, PERIOD, principal=LOCAL_USER, **kwargs))
    heading = next(b for b in document.blocks if isinstance(b, Heading) and b.anchor == "cover")
    table = next(b for b in document.blocks if isinstance(b, Table) and b.key == "cover")
    assert table.caption == "About this pack"
    return heading.text, table.rows


def test_no_meeting_recorded_means_no_date(tiny_council, hcp_today):
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER) is None


def test_the_earliest_meeting_on_or_after_today(tiny_council, hcp_today):
    for day in ("2026-11-09", "2027-01-14", "2026-12-10"):
        record(tiny_council, day)
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER) == date(2026, 12, 10)
    record(tiny_council, hcp_today.isoformat())  # a meeting today is still to come
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER) == hcp_today


def test_the_six_weekly_cycle_from_the_last_meeting(tiny_council, hcp_today, monkeypatch):
    record(tiny_council, "2026-09-01")
    record(tiny_council, "2026-11-02")
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER) == date(2026, 12, 14)
    monkeypatch.setenv("HCP_TODAY", "2026-12-14")  # the day itself is still ahead
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER) == date(2026, 12, 14)
    monkeypatch.setenv(
        "HCP_TODAY", "2026-12-15"
    )  # six weeks have passed with no meeting recorded: the next cycle
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER) == date(2027, 1, 25)
    monkeypatch.setenv("HCP_TODAY", "2027-01-25")
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER) == date(2027, 1, 25)
    monkeypatch.setenv("HCP_TODAY", "2027-03-10")  # 2027-01-25 + 6 weeks = 2027-03-08 has passed too
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER) == date(2027, 4, 19)


def test_a_provider_pack_counts_its_own_and_shared_meetings_only(tiny_council, hcp_today):
    record(tiny_council, "2026-12-01", provider_code="ZZ9")
    record(tiny_council, "2026-12-08")
    record(tiny_council, "2026-12-15", provider_code="ZZ1")
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER) == date(2026, 12, 1)
    ours = next_meeting_date(tiny_council, COUNCIL_CODE, principal=LOCAL_USER, provider_code="zz1")
    assert ours == date(2026, 12, 8)
    trust = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
    assert next_meeting_date(tiny_council, COUNCIL_CODE, principal=trust) == date(2026, 12, 8)


def test_the_cover_carries_the_meeting_date_given(tiny_council, hcp_today):
    record(tiny_council, "2026-12-10")  # the date given wins over the next one recorded
    heading, rows = cover_of(tiny_council, meeting_date=date(2027, 1, 14))
    assert heading == f"Contract review meeting pack: {PERIOD}, for the meeting of 14 January 2027"
    assert rows[0] == ["Meeting date", "14 January 2027"]
    assert rows[4] == ["Period", PERIOD]


def test_the_cover_carries_the_next_meeting_by_default(tiny_council, hcp_today):
    record(tiny_council, "2026-11-02")
    pack = build_pack(tiny_council, PERIOD, principal=LOCAL_USER)
    assert pack.cover.meeting_date == date(2026, 12, 14)
    heading, rows = cover_of(tiny_council)
    assert heading.endswith(", for the meeting of 14 December 2026")
    assert rows[0] == ["Meeting date", "14 December 2026"]


def test_the_cover_says_not_set_without_a_meeting(tiny_council, hcp_today):
    heading, rows = cover_of(tiny_council)
    assert heading == f"Contract review meeting pack: {PERIOD}"
    assert rows[0] == ["Meeting date", "not set"]


def test_the_meeting_date_does_not_change_the_data_version(tiny_council, hcp_today):
    plain = build_pack(tiny_council, PERIOD, principal=LOCAL_USER)
    dated = build_pack(tiny_council, PERIOD, principal=LOCAL_USER, meeting_date=date(2027, 1, 14))
    assert (plain.cover.meeting_date, dated.cover.meeting_date) == (None, date(2027, 1, 14))
    assert dated.cover.data_version == plain.cover.data_version
