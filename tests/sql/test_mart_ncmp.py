"""NCMP marts: given children in, expected prevalence, participation, deprivation gap and England rows out.

The children are built so that the counts are known by construction: 65 of 100 children in a decile-1 LSOA are obese,
1 of 100 in a decile-10 LSOA is severely obese, 1,045 children are measured of 5,000 eligible. The expected Wilson
limits are docs/methods.md section 8's independent figures (PHEindicatormethods: 65/100, 1/100 and 1045/5000), not our
output; each child's category is confirmed with rcpchgrowth (a test-only oracle) before the marts are run.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from statistics import NormalDist

import polars as pl
import pytest

from kpi.access.principal import LOCAL_USER, local_principal
from kpi.core import periods as periods
from kpi.core.councils import init_council, load_localities
from kpi.core.store import Store
from kpi.ncmp import views as ncmp_views
from kpi.ncmp.benchmarks import load_ncmp_benchmarks
from kpi.ncmp.load import load_ncmp, load_ncmp_eligible
from kpi.returns.load import WRITTEN
from kpi.sample import NCMP_ENGLAND_FILE

TOL = 1e-7  # docs/methods.md quotes Wilson limits to 7 decimal places
COUNCIL = "E08000009"
YEAR = "2024/25"
LOADED_AT = datetime(2025, 10, 1, 9, 0)
MEASURED_ON = date(2025, 6, 2)
# docs/methods.md section 8 (Wilson 95%)
WILSON_65_100 = (0.5525444, 0.7363575)
WILSON_1_100 = (0.0017674, 0.0544862)
WILSON_1045_5000 = (0.1979555, 0.2204913)
# BMI of Reception girls aged 4.75-5.75 years: healthy, obese but not severely, severely obese (checked below)
HEALTHY_BMI, OBESE_BMI, SEVERE_BMI = 15.5, 19.5, 23.0


def _lsoas(db: Store) -> dict[int, list[str]]:
    frame = db.query(
        "select lsoa_code, imd_decile from lsoa_reference where lad_code = ? order by lsoa_code", [COUNCIL]
    )
    return {d: frame.filter(pl.col("imd_decile") == d)["lsoa_code"].to_list() for d in (1, 10)}


@pytest.fixture()
def store(monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    db = Store.open(":memory:")
    init_council(db, COUNCIL, principal=local_principal("test"))
    lsoas = _lsoas(db)
    lookup = (
        "lsoa_code,locality_code,locality_name\n"
        f"{lsoas[1][0]},NORTH,North\n{lsoas[10][0]},CENTRAL,Central\n{lsoas[10][1]},WEST,West\n"
    )
    report = load_localities(
        db,
        COUNCIL,
        lookup.encode(),
        "l.csv",
        principal=local_principal("test"),
        loaded_at=datetime(2020, 1, 1),
    )
    assert report.ok, report.to_text()
    db.lsoas = lsoas
    yield db
    db.close()


def _row(i: int, group: str, bmi: float, lsoa: str, ethnic: str, urn: str = "100001", **extra) -> dict:
    height = 100.0 + i // 365  # every child differs in date of birth or height: no record is a duplicate
    born = (date(2019, 9, 1) if group == "R" else date(2013, 9, 1)) + timedelta(days=i % 365)
    return {
        "academic_year": YEAR,
        "school_urn": urn,
        "school_year": group,
        "sex": "F",
        "date_of_birth": born.isoformat(),
        "date_of_measurement": MEASURED_ON.isoformat(),
        "height_cm": f"{height:.1f}",
        "weight_kg": f"{bmi * (height / 100) ** 2:.3f}",
        "lsoa_code": lsoa,
        "ethnic_group": ethnic,
        **extra,
    }


def children(store) -> list[dict]:
    north_d1, central_d10 = store.lsoas[1][0], store.lsoas[10][0]
    rows = []
    for i in range(100):  # decile 1 (NORTH): 65 obese, 35 healthy
        rows.append(_row(i, "R", OBESE_BMI if i < 65 else HEALTHY_BMI, north_d1, "Asian or Asian British"))
    for i in range(100, 200):  # decile 10 (CENTRAL): 1 severely obese, 99 healthy
        rows.append(_row(i, "R", SEVERE_BMI if i == 100 else HEALTHY_BMI, central_d10, "White"))
    for i in range(200, 1045):  # living outside the borough (Manchester), or LSOA not recorded
        rows.append(_row(i, "R", HEALTHY_BMI, "E01005066" if i < 1040 else "", "White"))
    nhs = {"nhs_number": "9990000001"}
    rows.append(_row(0, "6", 18.0, central_d10, "White", urn="100002", **nhs))
    rows.append(_row(1, "6", 8.5, central_d10, "White", urn="100002"))  # |z| > 7: excluded
    rows.append(_row(2, "6", 18.0, central_d10, "White", urn="100002", **nhs))  # same NHS number: duplicate
    return rows


def _csv(rows: list[dict]) -> bytes:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()


def test_the_fixtures_categories_agree_with_rcpchgrowth():
    from rcpchgrowth import sds_for_measurement

    cut = {p: NormalDist().inv_cdf(p) for p in (0.02, 0.85, 0.95, 0.996)}
    for days in (0, 364):
        age = (MEASURED_ON - (date(2019, 9, 1) + timedelta(days=days))).days / 365.25
        z = {
            bmi: sds_for_measurement("uk-who", age, "bmi", bmi, "female")
            for bmi in (HEALTHY_BMI, OBESE_BMI, SEVERE_BMI)
        }
        assert cut[0.02] < z[HEALTHY_BMI] < cut[0.85]
        assert cut[0.95] <= z[OBESE_BMI] < cut[0.996]
        assert z[SEVERE_BMI] >= cut[0.996]


@pytest.fixture()
def loaded(store):
    eligible = (
        "academic_year,school_urn,school_name,school_year,eligible_pupils,locality_code\n"
        f"{YEAR},100001,North Primary,R,5000,NORTH\n{YEAR},100002,West Primary,6,4,WEST\n"
    )
    result = load_ncmp_eligible(
        store,
        eligible.encode(),
        "eligible.csv",
        council_code=COUNCIL,
        principal=local_principal("test"),
        loaded_at=LOADED_AT,
    )
    assert result.outcome == WRITTEN, result.report.to_text()
    result = load_ncmp(
        store,
        _csv(children(store)),
        "children.csv",
        council_code=COUNCIL,
        principal=local_principal("test"),
        accept_warnings=True,
        reason="test children",
        loaded_at=LOADED_AT,
    )
    assert result.outcome == WRITTEN, result.report.to_text()
    assert set(result.report.warnings["check"].to_list()) == {"z_implausible", "duplicate_child"}
    load_ncmp_benchmarks(
        store,
        COUNCIL,
        pl.read_csv(NCMP_ENGLAND_FILE, infer_schema_length=0),
        loaded_at=LOADED_AT,
        principal=LOCAL_USER,
    )
    return store


def mart(store, name, as_at=None):
    return store.run_sql(f"marts/{name}", council_code=COUNCIL, as_at=as_at or periods.now())


def one(frame, **keys):
    found = frame.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert found.height == 1, f"{keys}: {found.height} rows"
    return found.row(0, named=True)


def test_prevalence_by_decile_has_the_documented_wilson_limits(loaded):
    prevalence = mart(loaded, "mart_ncmp_prevalence")
    keys = dict(academic_year=YEAR, school_year="R", breakdown="imd_decile")
    obese = one(prevalence, **keys, group_code="1", category="obese")
    assert (obese["numerator"], obese["denominator"]) == (65, 100)
    assert obese["value_pct"] == pytest.approx(65.0)
    assert obese["lower_ci_pct"] / 100 == pytest.approx(WILSON_65_100[0], abs=TOL)
    assert obese["upper_ci_pct"] / 100 == pytest.approx(WILSON_65_100[1], abs=TOL)
    severe = one(prevalence, **keys, group_code="10", category="severely_obese")
    assert (severe["numerator"], severe["denominator"]) == (1, 100)
    assert severe["lower_ci_pct"] / 100 == pytest.approx(WILSON_1_100[0], abs=TOL)
    assert severe["upper_ci_pct"] / 100 == pytest.approx(WILSON_1_100[1], abs=TOL)
    assert (
        one(prevalence, **keys, group_code="10", category="obese")["numerator"] == 1
    )  # severe is within obese
    unknown = one(prevalence, **keys, group_code="U", category="obese")
    assert (unknown["numerator"], unknown["denominator"]) == (0, 5)


def test_prevalence_at_every_level(loaded):
    prevalence = mart(loaded, "mart_ncmp_prevalence")
    reception = prevalence.filter(pl.col("academic_year") == YEAR, pl.col("school_year") == "R")
    borough = {
        r["category"]: (r["numerator"], r["denominator"])
        for r in reception.filter(pl.col("breakdown") == "borough").iter_rows(named=True)
    }
    assert borough == {
        "underweight": (0, 1045),
        "healthy_weight": (979, 1045),
        "overweight": (0, 1045),
        "obese": (66, 1045),
        "severely_obese": (1, 1045),
        "excess_weight": (66, 1045),
    }
    homes = reception.filter(pl.col("breakdown") == "home_locality", pl.col("category") == "obese")
    assert dict(zip(homes["group_code"].to_list(), homes["denominator"].to_list(), strict=True)) == {
        "NORTH": 100,
        "CENTRAL": 100,
        "OUTSIDE": 840,
        "UNKNOWN": 5,
    }
    assert one(reception, breakdown="home_locality", group_code="OUTSIDE", category="obese")[
        "group_name"
    ] == ("Outside the borough")
    school = one(reception, breakdown="school_locality", group_code="NORTH", category="obese")
    assert (school["numerator"], school["denominator"]) == (66, 1045)
    asian = one(reception, breakdown="ethnic_group", group_code="Asian or Asian British", category="obese")
    assert (asian["numerator"], asian["denominator"]) == (65, 100)
    year6 = one(
        prevalence, academic_year=YEAR, school_year="6", breakdown="borough", category="healthy_weight"
    )
    assert (year6["measured"], year6["denominator"], year6["excluded_z"], year6["duplicates"]) == (2, 1, 1, 1)
    # grain: one row per year x group x breakdown x group x category; numerators within denominators
    key = ["academic_year", "school_year", "breakdown", "group_code", "category"]
    assert not prevalence.select(key).is_duplicated().any()
    assert (prevalence["numerator"] <= prevalence["denominator"]).all()


def test_participation_by_school_locality_and_borough(loaded):
    participation = mart(loaded, "mart_ncmp_participation")
    borough = one(participation, academic_year=YEAR, school_year="R", level="borough")
    assert (borough["measured"], borough["eligible"]) == (1045, 5000)
    assert borough["lower_ci_pct"] / 100 == pytest.approx(WILSON_1045_5000[0], abs=TOL)
    assert borough["upper_ci_pct"] / 100 == pytest.approx(WILSON_1045_5000[1], abs=TOL)
    locality = one(participation, academic_year=YEAR, school_year="R", level="locality", area_code="NORTH")
    assert (locality["measured"], locality["eligible"], locality["area_name"]) == (1045, 5000, "North")
    school = one(participation, academic_year=YEAR, school_year="6", level="school", area_code="100002")
    assert (school["measured"], school["eligible"], school["participation_pct"]) == (2, 4, 50.0)
    assert school["area_name"] == "West Primary" and school["locality_code"] == "WEST"


def test_deprivation_gap_with_newcombe_interval(loaded):
    gap = one(
        mart(loaded, "mart_ncmp_deprivation_gap"), academic_year=YEAR, school_year="R", category="obese"
    )
    assert gap["gap_points"] == pytest.approx(64.0)
    (l1, u1), (l10, u10), p1, p10 = WILSON_65_100, WILSON_1_100, 0.65, 0.01
    lower = (p1 - p10) - ((p1 - l1) ** 2 + (u10 - p10) ** 2) ** 0.5
    upper = (p1 - p10) + ((u1 - p1) ** 2 + (p10 - l10) ** 2) ** 0.5
    assert gap["gap_lower_ci_points"] / 100 == pytest.approx(lower, abs=1e-6)
    assert gap["gap_upper_ci_points"] / 100 == pytest.approx(upper, abs=1e-6)


def test_england_is_the_same_year_or_the_latest_labelled(loaded):
    england = mart(loaded, "mart_ncmp_england")
    obese = england.filter(
        pl.col("academic_year") == YEAR,
        pl.col("school_year") == "R",
        pl.col("category") == "obese",
        pl.col("imd_decile").is_null(),
    ).row(0, named=True)
    assert (obese["england_year"], obese["england_pct"], obese["is_same_year"]) == ("2023/24", 9.6, False)
    decile1 = england.filter(
        pl.col("academic_year") == YEAR, pl.col("school_year") == "R", pl.col("imd_decile") == 1
    ).filter(pl.col("category") == "obese")
    assert decile1.row(0, named=True)["england_pct"] == 13.3
    data = ncmp_views.ncmp_data(loaded, COUNCIL, principal=LOCAL_USER)
    table = ncmp_views.categories(data, YEAR, "R")
    row = one(table, category="obese")
    # 66/1045 = 6.3%, 95% CI about 5.0-8.0: England's 9.6% lies above it, and low is good
    assert row["comparison"] == "Better than England" and row["england_label"] == "England 2023/24"
    assert one(table, category="healthy_weight")["comparison"] == "Better than England"


def test_as_at_before_the_load_shows_nothing(loaded):
    assert mart(loaded, "mart_ncmp_prevalence", as_at=datetime(2025, 9, 30)).is_empty()
    assert mart(loaded, "mart_ncmp_participation", as_at=datetime(2025, 9, 30)).is_empty()


def test_the_sample_looks_like_england(sample_ro_store, hcp_today):
    """The synthetic sample (sample_data/ncmp/) keeps England's shape: more obesity in Year 6 than in Reception and
    in national decile 1 than in decile 10, every year (docs/methods.md section 3: England 9-10% and 22-23%)."""
    data = ncmp_views.ncmp_data(sample_ro_store, COUNCIL, principal=LOCAL_USER)
    assert ncmp_views.academic_years(data) == ["2025/26", "2024/25", "2023/24", "2022/23"]
    for year in ncmp_views.academic_years(data):
        reception = one(ncmp_views.categories(data, year, "R"), category="obese")["value_pct"]
        year6 = one(ncmp_views.categories(data, year, "6"), category="obese")["value_pct"]
        assert 6 < reception < 12 and 14 < year6 < 24 and year6 > reception
        for group in ("R", "6"):
            gap = ncmp_views.gap(data, year, group, "obese")
            assert gap["gap_points"] > 0
    participation = ncmp_views.participation(data, "2025/26", "R", "borough").row(0, named=True)
    assert 90 < participation["participation_pct"] < 100
    assert ncmp_views.locality_boundaries(data) is not None


# ---- schools measured but missing from the eligible-pupils list (issue #12 section 6) ---------------------------


def _eligible(store, text: str, **options):
    return load_ncmp_eligible(
        store,
        text.encode(),
        "eligible.csv",
        council_code=COUNCIL,
        principal=local_principal("test"),
        loaded_at=LOADED_AT,
        **options,
    )


def _children(store, rows, **options):
    return load_ncmp(
        store,
        _csv(rows),
        "children.csv",
        council_code=COUNCIL,
        principal=local_principal("test"),
        loaded_at=LOADED_AT,
        **options,
    )


ELIGIBLE_HEADER = "academic_year,school_urn,school_name,school_year,eligible_pupils,locality_code\n"


def test_children_at_a_school_missing_from_the_eligible_list_are_warned_at_load(store):
    eligible = (
        ELIGIBLE_HEADER + f"{YEAR},100001,North Primary,R,5000,NORTH\n{YEAR},100002,West Primary,6,4,WEST\n"
    )
    assert _eligible(store, eligible).outcome == WRITTEN
    rows = children(store)
    north_d1 = store.lsoas[1][0]
    extra = [_row(2000 + i, "R", HEALTHY_BMI, north_d1, "White", urn="100003") for i in range(3)]
    first = len(rows) + 2  # spreadsheet numbering: the header is row 1
    result = _children(store, rows + extra, accept_warnings=True, reason="school 100003 joins the list later")
    assert result.outcome == WRITTEN
    found = result.report.warnings.filter(pl.col("check") == "school_not_in_eligible").to_dicts()
    assert [(p["row"], p["column"], p["value"]) for p in found] == [(first, "school_urn", "100003")]
    assert found[0]["message"] == (
        f"school 100003 (Reception, 3 children, first at row {first}) is not in the 2024/25 eligible-pupils list: "
        "its children count in prevalence but not in participation; add the school to the eligible-pupils list, or "
        "confirm with a reason"
    )
    # the participation figure says which schools it covers
    data = ncmp_views.ncmp_data(store, COUNCIL, principal=LOCAL_USER)
    assert ncmp_views.participation_coverage(data, YEAR, "R") == (
        "Participation covers 1 of 2 schools measured; schools not in the eligible-pupils list: URNs 100003 "
        "(3 children counted in prevalence but not in participation)."
    )
    assert ncmp_views.participation_coverage(data, YEAR, "6") == "Participation covers all 1 school measured."


def test_without_an_eligible_list_the_children_load_without_that_warning(store):
    result = _children(store, children(store), accept_warnings=True, reason="test children")
    assert result.outcome == WRITTEN
    assert "school_not_in_eligible" not in result.report.warnings["check"].to_list()


def test_an_eligible_list_leaving_out_a_measured_school_is_warned(store):
    assert _children(store, children(store), accept_warnings=True, reason="test children").outcome == WRITTEN
    # Year 6 children were measured at 100002 (2: the third is a duplicate); this list has Year 6 but not that school
    eligible = (
        ELIGIBLE_HEADER + f"{YEAR},100001,North Primary,R,5000,NORTH\n{YEAR},100004,East Primary,6,30,WEST\n"
    )
    result = _eligible(store, eligible)
    assert result.outcome != WRITTEN  # a warning needs confirming
    [found] = result.report.warnings.to_dicts()
    assert (found["check"], found["row"], found["column"], found["value"]) == (
        "school_not_in_eligible",
        None,
        "school_urn",
        "100002",
    )
    assert found["message"] == (
        "school 100002 (Year 6, 2 children measured in 2024/25) is not in this list: its children count in "
        "prevalence but not in participation; add the school's row, or confirm with a reason"
    )
    assert _eligible(store, eligible, accept_warnings=True, reason="100002 closed").outcome == WRITTEN
