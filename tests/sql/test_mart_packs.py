"""mart_packs: given pack records in, the documents circulated and recorded by the as-at time out.

A pack is recorded when it is circulated, so its circulation time and person are its built_at and built_by; drafts
recorded before migration 008 stay in the list marked is_draft; the newest comes first (the higher id on a tie).
"""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
COLUMNS = ("pack_id", "document", "period", "is_draft", "sent_to", "circulated_at", "circulated_by")


def pack(pack_id, built, *, document="pack", draft=False, sent_to=None, council=COUNCIL, by="commissioner"):
    return dict(
        pack_id=pack_id,
        council_code=council,
        document=document,
        format="pdf",
        period="2026-27 Q2",
        period_index=8105,
        is_draft=draft,
        sent_to=sent_to,
        built_at=built,
        built_by=by,
    )


def mart(store, as_at=AT):
    return store.run_sql("marts/mart_packs", council_code=COUNCIL, as_at=as_at)


def test_packs_circulated_by_the_as_at_time_newest_first(store):
    same_time = datetime(2026, 11, 10, 12)
    given(
        store,
        "packs",
        pack(1, datetime(2026, 8, 1), draft=True),
        pack(2, same_time, sent_to="Contract board", by="a@council.gov.uk"),
        pack(3, same_time, document="briefing", sent_to="Scrutiny committee", by="b@council.gov.uk"),
        pack(4, AT, sent_to="Contract board"),  # at the as-at time: counts
        pack(5, datetime(2026, 11, 20, 9, 0, 1), sent_to="Contract board"),  # after it
        pack(6, datetime(2026, 11, 1), council=OTHER),
    )
    assert rows(mart(store), *COLUMNS) == [
        (4, "pack", "2026-27 Q2", False, "Contract board", AT, "commissioner"),
        (3, "briefing", "2026-27 Q2", False, "Scrutiny committee", same_time, "b@council.gov.uk"),
        (2, "pack", "2026-27 Q2", False, "Contract board", same_time, "a@council.gov.uk"),
        (1, "pack", "2026-27 Q2", True, None, datetime(2026, 8, 1), "commissioner"),
    ]
    assert mart(store, as_at=datetime(2026, 7, 31)).is_empty()
