"""Exception narratives: red and amber KPIs to explain, pre-filled from the return, dated versions, agreement.

The tiny council's 2026-27 Q2 return (tests/conftest.py, clock 2026-11-23) has NORTH's C2 (new birth visits within
14 days) red, with the provider's comment on the return, and SOUTH's green, as in the sample's story
(sample_data/README.md).
"""

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from kpi.access.principal import Principal
from kpi.contract import narratives as exceptions
from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.sample import COUNCIL_CODE

COMMISSIONER = Principal("commissioner@council.gov.uk", "commissioner")
VIEWER = Principal("scrutiny@council.gov.uk", "viewer")
ZZ1 = Principal("lead@zz1.nhs.uk", "provider", "ZZ1")
NORTH_C2 = dict(provider_code="ZZ1", kpi_code="C2", period="2026-27 Q2", locality_code="NORTH")
TEXT = dict(
    explanation="Three health visitor posts vacant in the North team since July.",
    remedial_action="Agency cover from October; two posts recruited, starting January.",
    owner="Head of 0-19 service",
    due_date=date(2027, 1, 31),
)


def north_c2(frame: pl.DataFrame) -> dict:
    return frame.filter(kpi_code="C2", locality_code="NORTH", period="2026-27 Q2").row(0, named=True)


def test_red_and_amber_kpis_are_listed_with_the_returns_comment(tiny_council):
    candidates = exceptions.exception_candidates(tiny_council, ZZ1, COUNCIL_CODE, "2026-27 Q2")
    assert set(candidates["rag"]) <= {"red", "amber"} and not candidates.is_empty()
    assert set(candidates["locality_code"]) <= {"ALL", "CENTRAL", "NORTH", "SOUTH", "WEST"}
    row = north_c2(candidates)
    assert row["rag"] == "red" and row["narrative_status"] == exceptions.STATUS_TO_EXPLAIN
    assert row["return_comment"].startswith("North team")
    assert row["value_pct"] < row["target_pct"] - row["amber_margin_pct"]


def test_a_narrative_is_saved_agreed_and_versioned(tiny_council):
    assert exceptions.save_narrative(tiny_council, ZZ1, COUNCIL_CODE, **NORTH_C2, **TEXT) is True
    assert (
        exceptions.save_narrative(tiny_council, ZZ1, COUNCIL_CODE, **NORTH_C2, **TEXT) is False
    )  # unchanged
    row = north_c2(exceptions.exception_candidates(tiny_council, COMMISSIONER, COUNCIL_CODE))
    assert row["narrative_status"] == exceptions.STATUS_EXPLAINED and row["entered_by"] == ZZ1.email
    assert exceptions.narratives(tiny_council, VIEWER, COUNCIL_CODE).is_empty()

    exceptions.agree_narrative(tiny_council, COMMISSIONER, COUNCIL_CODE, **NORTH_C2)
    agreed = north_c2(exceptions.narratives(tiny_council, VIEWER, COUNCIL_CODE))
    assert (agreed["agreed"], agreed["agreed_by"], agreed["entered_by"]) == (
        True,
        COMMISSIONER.email,
        ZZ1.email,
    )
    assert agreed["explanation"] == TEXT["explanation"] and agreed["due_date"] == TEXT["due_date"]
    with pytest.raises(exceptions.NarrativeError, match="already agreed: nothing was changed"):
        exceptions.agree_narrative(tiny_council, COMMISSIONER, COUNCIL_CODE, **NORTH_C2)

    # an edit after agreement needs agreeing again; the agreed version stays in the history
    changed = {**TEXT, "owner": "Locality manager, North"}
    assert exceptions.save_narrative(tiny_council, ZZ1, COUNCIL_CODE, **NORTH_C2, **changed)
    row = north_c2(exceptions.exception_candidates(tiny_council, ZZ1, COUNCIL_CODE))
    assert (row["narrative_status"], row["owner"]) == (exceptions.STATUS_EXPLAINED, "Locality manager, North")
    versions = tiny_council.query(
        "select owner, agreed, recorded_by from exception_narratives where kpi_code = 'C2' order by narrative_row_id"
    ).rows()
    assert versions == [
        ("Head of 0-19 service", False, ZZ1.email),
        ("Head of 0-19 service", True, COMMISSIONER.email),
        ("Locality manager, North", False, ZZ1.email),
    ]
    actions = tiny_council.query(
        "select action from audit_log where action like 'exception%' order by audit_id"
    )["action"].to_list()
    assert actions == ["exception narrative saved", "exception narrative agreed", "exception narrative saved"]


def test_the_narrative_as_at_an_earlier_time(tiny_council):
    # Taken before the save: the clock reads whole seconds, so "now less a second" taken after it could fall on
    # the second the narrative was recorded in when the save crosses a second boundary.
    before = periods.now() - timedelta(seconds=1)
    exceptions.save_narrative(tiny_council, ZZ1, COUNCIL_CODE, **NORTH_C2, **TEXT)
    assert exceptions.narratives(tiny_council, COMMISSIONER, COUNCIL_CODE, as_at=before).is_empty()
    later = exceptions.narratives(tiny_council, COMMISSIONER, COUNCIL_CODE, as_at=datetime(2030, 1, 1))
    assert later.height == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"explanation": "  "}, "the explanation is missing"),
        ({"owner": ""}, "the owner is missing"),
        ({"due_date": "31/01/2027"}, "'31/01/2027' is not a date: write it as YYYY-MM-DD"),
        ({"explanation": "x" * 2001}, "keep it to 2000"),
    ],
)
def test_a_narrative_needs_every_field(tiny_council, change, message):
    with pytest.raises(exceptions.NarrativeError, match=message):
        exceptions.save_narrative(tiny_council, ZZ1, COUNCIL_CODE, **NORTH_C2, **{**TEXT, **change})


def test_only_red_and_amber_kpis_take_a_narrative(tiny_council):
    green = exceptions.exception_candidates(tiny_council, ZZ1, COUNCIL_CODE, "2026-27 Q2")
    assert green.filter(kpi_code="C2", locality_code="SOUTH").is_empty()  # C2 SOUTH is green
    with pytest.raises(exceptions.NarrativeError) as raised:
        exceptions.save_narrative(
            tiny_council, ZZ1, COUNCIL_CODE, **{**NORTH_C2, "locality_code": "SOUTH"}, **TEXT
        )
    assert str(raised.value) == (
        "C2 for SOUTH in 2026-27 Q2 is not red or amber in ZZ1's accepted return: only red and amber KPIs need "
        "an explanation"
    )


def test_agreeing_needs_a_narrative(tiny_council):
    with pytest.raises(
        exceptions.NarrativeError, match="ZZ1 has not explained C2 for NORTH in 2026-27 Q2 yet"
    ):
        exceptions.agree_narrative(tiny_council, COMMISSIONER, COUNCIL_CODE, **NORTH_C2)


def test_the_meeting_packs_relation_reads_the_portals_table(sample_db_copy, hcp_today):
    with Store.open(sample_db_copy) as store:
        exceptions.save_narrative(store, ZZ1, COUNCIL_CODE, **NORTH_C2, **TEXT)
        columns = set(store.query("select * from exception_narratives limit 0").columns)
    assert {
        "council_code",
        "provider_code",
        "kpi_code",
        "period",
        "locality_code",
        "explanation",
        "remedial_action",
        "owner",
        "due_date",
        "agreed",
        "recorded_at",
    } <= columns
