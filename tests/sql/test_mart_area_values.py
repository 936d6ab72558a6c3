"""mart_area_values: one Fingertips indicator's headline rows for every area, current at the as-at time.

Breakdown rows (a category type) and other indicators are left out; a superseded or later-loaded row is not current.
"""

from __future__ import annotations

from datetime import datetime

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)


def value(area, period, v, *, indicator=93436, loaded=datetime(2026, 1, 1), superseded=None, **more):
    return dict(
        outcome_load_id=1,
        council_code=more.pop("council", COUNCIL),
        indicator_id=indicator,
        area_code=area,
        area_name=more.pop("name", None),
        sex="Persons",
        age="2-2.5 yrs",
        category_type=more.pop("category_type", ""),
        category="",
        time_period=period,
        time_period_sortable=int(period[:4]) * 10000,
        value=v,
        loaded_at=loaded,
        superseded_at=superseded,
        **more,
    )


def test_every_area_s_headline_rows_of_one_indicator(store):
    given(store, "outcome_loads", dict(outcome_load_id=1, council_code=COUNCIL, dataset="fingertips"))
    given(
        store,
        "fingertips_values",
        value("E08000007", "2023/24", 80.0, name="Stockport", count=80.0, denominator=100.0),
        value("E08000009", "2023/24", 70.0, superseded=datetime(2026, 6, 1)),
        value("E08000009", "2023/24", 75.0, loaded=datetime(2026, 6, 1)),
        value("E08000009", "2024/25", 76.0, loaded=datetime(2026, 11, 21)),  # after the as-at time
        value("E08000009", "2023/24", 60.0, category_type="Deprivation decile (IMD2019)"),
        value("E08000009", "2023/24", 50.0, indicator=92517),
        value("E08000009", "2023/24", 40.0, council=OTHER),
        value("E92000001", "2023/24", 77.0, name="England"),
    )
    frame = store.run_sql("marts/mart_area_values", council_code=COUNCIL, as_at=AT, indicator_id=93436)
    assert rows(frame, "area_code", "area_name", "period", "value", "count") == [
        ("E08000007", "Stockport", "2023/24", 80.0, 80.0),
        ("E08000009", "E08000009", "2023/24", 75.0, None),
        ("E92000001", "England", "2023/24", 77.0, None),
    ]
