"""mart_outcome_values: given Fingertips values and local outcome measures in, one long table current at the as-at time.

Fingertips rows pass through (area name falling back to the code; suppressed values kept with their note). A local
measure's locality x decile is turned into Fingertips' category shape: '' (headline), 'Deprivation decile (IMD2019)'
('Decile 3', 'Decile unknown'), 'Locality' (the name from the locality lookup current at the as-at time, else the
code) or 'Locality and deprivation decile'; its area is named England, the council, or left as its code. Rows
loaded after the as-at time or superseded by then are left out.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sql.given import COUNCIL, OTHER, given, rows

AT = datetime(2026, 11, 20, 9, 0)
OLD, NEW = datetime(2025, 6, 1), datetime(2026, 6, 1)
COLUMNS = (
    "source",
    "measure_ref",
    "area_code",
    "area_name",
    "category_type",
    "category",
    "imd_decile",
    "period",
)
DEPRIVATION = "District & UA deprivation deciles in England (IMD2019, 4/21 geography)"


def fingertips(period, value, *, area=COUNCIL, name=None, loaded=OLD, superseded=None, **more):
    return {
        "outcome_load_id": 1,
        "council_code": more.pop("council", COUNCIL),
        "indicator_id": 90631,
        "area_code": area,
        "area_name": name,
        "sex": "Persons",
        "age": "5 yrs",
        "category_type": "",
        "category": "",
        "time_period": period,
        "time_period_sortable": int(period[:4]) * 10000,
        "value": value,
        "loaded_at": loaded,
        "superseded_at": superseded,
        **more,
    }


def local(locality, decile, value, *, area=COUNCIL, period="2025/26", loaded=OLD, superseded=None):
    return dict(
        outcome_load_id=2,
        council_code=COUNCIL,
        measure_code="LOCAL1",
        period=period,
        period_sortable=int(period[:4]) * 10000,
        area_code=area,
        locality_code=locality,
        imd_decile=decile,
        numerator=value,
        denominator=100.0,
        value=value,
        ci_method="wilson",
        loaded_at=loaded,
        superseded_at=superseded,
    )


@pytest.fixture()
def loaded(store):
    given(store, "outcome_loads", dict(outcome_load_id=1, council_code=COUNCIL, dataset="fingertips"))
    given(store, "outcome_loads", dict(outcome_load_id=2, council_code=COUNCIL, dataset="outcome-measures"))
    given(
        store,
        "locality_loads",
        dict(locality_load_id=1, loaded_at=datetime(2020, 1, 1), superseded_at=datetime(2026, 1, 1)),
        dict(locality_load_id=2, loaded_at=datetime(2026, 1, 1)),
        council_code=COUNCIL,
    )
    given(
        store,
        "localities",
        dict(locality_load_id=1, locality_code="NORTH", locality_name="Old North"),
        dict(locality_load_id=1, locality_code="GONE", locality_name="Gone"),
        dict(locality_load_id=2, locality_code="NORTH", locality_name="North"),
        council_code=COUNCIL,
    )
    given(
        store,
        "fingertips_values",
        fingertips("2023/24", 10.5, count=50.0, denominator=476.0),
        fingertips("2022/23", 9.0, superseded=NEW),
        fingertips("2022/23", 9.2, loaded=NEW),
        fingertips("2021/22", None, value_note="Value suppressed for disclosure control"),
        fingertips("2024/25", 11.0, loaded=datetime(2026, 11, 21)),  # after the as-at time
        fingertips("2023/24", 99.0, council=OTHER),
        fingertips(
            "2023/24",
            12.0,
            area="E92000001",
            name="England",
            category_type=DEPRIVATION,
            category="Most deprived",
            imd_decile=1,
        ),
    )
    given(
        store,
        "outcome_measure_values",
        local("ALL", "ALL", 20.0),
        local("ALL", "3", 30.0),
        local("ALL", "U", 40.0),
        local("NORTH", "ALL", 50.0),
        local("NORTH", "2", 60.0),
        local("GONE", "ALL", 70.0),  # a locality the current lookup no longer holds
        local("ALL", "ALL", 15.0, area="E92000001"),
        local("ALL", "ALL", 18.0, area="E12000002"),
        local("ALL", "ALL", 17.0, period="2024/25", superseded=NEW),
        local("ALL", "ALL", 19.0, period="2024/25", loaded=NEW),
        local("ALL", "10", 33.0),
    )
    return store


def mart(store, as_at=AT):
    return store.run_sql("marts/mart_outcome_values", council_code=COUNCIL, as_at=as_at)


def test_fingertips_and_local_measures_in_one_long_shape(loaded):
    frame = mart(loaded)
    f, t = "fingertips", COUNCIL
    assert rows(frame, *COLUMNS, "value") == [
        (f, "90631", t, t, "", "", None, "2021/22", None),
        (f, "90631", t, t, "", "", None, "2022/23", 9.2),
        (f, "90631", t, t, "", "", None, "2023/24", 10.5),
        (f, "90631", "E92000001", "England", DEPRIVATION, "Most deprived", 1, "2023/24", 12.0),
        ("local", "LOCAL1", t, "Trafford", "", "", None, "2024/25", 19.0),
        ("local", "LOCAL1", t, "Trafford", "", "", None, "2025/26", 20.0),
        (
            "local",
            "LOCAL1",
            t,
            "Trafford",
            "Deprivation decile (IMD2019)",
            "Decile unknown",
            None,
            "2025/26",
            40.0,
        ),
        ("local", "LOCAL1", t, "Trafford", "Deprivation decile (IMD2019)", "Decile 3", 3, "2025/26", 30.0),
        ("local", "LOCAL1", t, "Trafford", "Deprivation decile (IMD2019)", "Decile 10", 10, "2025/26", 33.0),
        ("local", "LOCAL1", t, "Trafford", "Locality", "GONE", None, "2025/26", 70.0),
        ("local", "LOCAL1", t, "Trafford", "Locality", "North", None, "2025/26", 50.0),
        (
            "local",
            "LOCAL1",
            t,
            "Trafford",
            "Locality and deprivation decile",
            "North, decile 2",
            None,
            "2025/26",
            60.0,
        ),
        ("local", "LOCAL1", "E12000002", "E12000002", "", "", None, "2025/26", 18.0),
        ("local", "LOCAL1", "E92000001", "England", "", "", None, "2025/26", 15.0),
    ]
    suppressed = frame.row(0, named=True)
    assert suppressed["value_note"] == "Value suppressed for disclosure control"
    assert (frame.row(2, named=True)["count"], frame.row(2, named=True)["denominator"]) == (50.0, 476.0)
    local_headline = frame.row(5, named=True)
    assert (local_headline["sex"], local_headline["age"], local_headline["count"]) == ("", "", 20.0)


def test_an_earlier_as_at_time_reads_the_rows_and_names_current_then(loaded):
    frame = mart(loaded, as_at=datetime(2025, 12, 31))
    assert rows(frame.filter(frame["source"] == "fingertips"), "period", "value") == [
        ("2021/22", None),
        ("2022/23", 9.0),
        ("2023/24", 10.5),
        ("2023/24", 12.0),
    ]
    localities = frame.filter(frame["category_type"].str.starts_with("Locality"))
    assert rows(localities, "category") == [("Gone",), ("Old North",), ("Old North, decile 2",)]
    headline = frame.filter(
        frame["source"] == "local", frame["category_type"] == "", frame["area_code"] == COUNCIL
    )
    assert rows(headline, "period", "value") == [("2024/25", 17.0), ("2025/26", 20.0)]
    assert mart(loaded, as_at=datetime(2025, 5, 31)).is_empty()
