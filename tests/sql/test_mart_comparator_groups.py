"""stg_comparator_group_members and mart_comparator_groups: given group loads in, the groups in force out.

A load counts at the as-at time when it was loaded by then, not superseded by then, and in force (valid_from on or
before the as-at date); members come in the group's order (rank 1 first; an unordered group by name), numbered.
"""

from __future__ import annotations

from datetime import date, datetime

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)


def load(
    load_id, code, *, loaded=datetime(2025, 6, 1), superseded=None, valid=date(2025, 5, 1), council=COUNCIL
):
    return dict(
        group_load_id=load_id,
        council_code=council,
        group_code=code,
        group_name=code.upper(),
        group_kind="own",
        loaded_at=loaded,
        superseded_at=superseded,
        valid_from=valid,
    )


def member(load_id, code, name, rank=None, council=COUNCIL):
    return dict(
        group_load_id=load_id, council_code=council, member_code=code, member_name=name, member_rank=rank
    )


def test_the_groups_in_force_at_the_as_at_time(store):
    given(
        store,
        "comparator_group_loads",
        load(1, "sn", superseded=datetime(2026, 1, 1)),  # superseded before the as-at time
        load(2, "sn", loaded=datetime(2026, 1, 1)),
        load(3, "peers"),
        load(4, "later", valid=date(2027, 1, 1)),  # not yet in force
        load(5, "late", loaded=datetime(2026, 11, 21)),  # loaded after the as-at time
        load(6, "sn", council=OTHER),
    )
    given(
        store,
        "comparator_group_members",
        member(1, "E1", "Old"),
        member(2, "E3", "Cheshire", 2),
        member(2, "E2", "Bury", 1),
        member(3, "E5", "Zed"),
        member(3, "E4", "Ay"),
        member(4, "E6", "Later"),
        member(5, "E7", "Late"),
        member(6, "E8", "Other council's", council=OTHER),
    )
    frame = store.run_sql("marts/mart_comparator_groups", council_code=COUNCIL, as_at=AT)
    assert rows(frame, "group_code", "member_code", "member_rank", "position", "n_members") == [
        ("peers", "E4", None, 1, 2),
        ("peers", "E5", None, 2, 2),
        ("sn", "E2", 1, 1, 2),
        ("sn", "E3", 2, 2, 2),
    ]
    staged = store.run_sql(
        "staging/stg_comparator_group_members", council_code=COUNCIL, as_at=datetime(2025, 12, 1)
    )
    assert sorted(rows(staged, "group_code", "member_code")) == [
        ("peers", "E4"),
        ("peers", "E5"),
        ("sn", "E1"),
    ]
