"""mart_meetings: given meetings and packs in, the meetings recorded by the as-at time out, with the pack used.

A meeting shows the period, as-at time, data version and format of the recorded pack it used, and nothing where it
gave none; meetings come latest date first (the higher id first on the same date); another council's are left out.
"""

from __future__ import annotations

from datetime import date, datetime

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
COLUMNS = ("meeting_id", "meeting_date", "title", "pack_id", "pack_period", "pack_as_at", "pack_data_version")


def mart(store, as_at=AT):
    return store.run_sql("marts/mart_meetings", council_code=COUNCIL, as_at=as_at)


def meeting(meeting_id, held, recorded, *, pack=None, council=COUNCIL, title="Review"):
    return dict(
        meeting_id=meeting_id,
        council_code=council,
        meeting_date=held,
        title=title,
        pack_id=pack,
        recorded_at=recorded,
    )


def test_meetings_recorded_by_the_as_at_time_with_their_pack(store):
    pack_as_at = datetime(2026, 9, 30, 23, 59)
    given(
        store,
        "packs",
        dict(
            pack_id=4,
            council_code=COUNCIL,
            document="pack",
            format="pdf",
            period="2026-27 Q1",
            as_at=pack_as_at,
            data_version="v1",
            built_at=datetime(2026, 10, 1),
        ),
    )
    given(
        store,
        "meetings",
        meeting(1, date(2026, 8, 12), datetime(2026, 8, 12, 17), title="Summer"),
        meeting(2, date(2026, 10, 7), datetime(2026, 10, 7, 17), pack=4, title="Autumn"),
        meeting(3, date(2026, 10, 7), datetime(2026, 10, 8, 9), title="Autumn, second session"),
        meeting(
            4, date(2026, 11, 18), datetime(2026, 11, 20, 9, 0, 1), title="Recorded after the as-at time"
        ),
        meeting(5, date(2026, 10, 1), datetime(2026, 10, 1, 17), council=OTHER, title="Another council"),
    )
    assert rows(mart(store), *COLUMNS) == [
        (3, date(2026, 10, 7), "Autumn, second session", None, None, None, None),
        (2, date(2026, 10, 7), "Autumn", 4, "2026-27 Q1", pack_as_at, "v1"),
        (1, date(2026, 8, 12), "Summer", None, None, None, None),
    ]
    assert rows(mart(store), "pack_format") == [(None,), ("pdf",), (None,)]
    # recorded at the as-at time counts; a meeting held before the as-at time but recorded after does not
    assert rows(mart(store, as_at=datetime(2026, 10, 7, 17)), "meeting_id") == [(2,), (1,)]
    assert mart(store, as_at=datetime(2026, 8, 12, 16, 59)).is_empty()
