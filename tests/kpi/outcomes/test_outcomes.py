"""The outcome framework glue: frameworks from config, the rug's comparisons, trend labels and the filter.

Expected values are worked by hand:
* Wilson limits of 65/100 from docs/methods.md section 8 (95%: 55.25444-73.63575; 99.8%: 49.54947-77.83541), typed in
  as the area's limits, so each England value's outcome follows from the Fingertips rule by inspection;
* trends: 500, 520, 550, 570, 600 of 1,000 (χ² for trend = 5000 x 1,250,000² / (2740 x 2260 x 50,000,000) =
  25.23 > 9.5495); values 10, 12, 14, 16, 18 with limits ±1 (SE = 2/3.92 = 0.5102, slope 2, Var(slope) =
  0.5102²/10 = 0.026031, χ² = 4/0.026031 = 153.7 > 9.5495).
"""

from __future__ import annotations

import csv
from datetime import datetime

import polars as pl
import pytest

from kpi.access.principal import LOCAL_USER
from kpi.core.catalogue import CatalogueError
from kpi.outcomes.frameworks import Framework, Measure, Outcome, load_framework, load_frameworks
from kpi.outcomes.rug import goal_text, outcome_rug, rug_html, worse_and_getting_worse
from kpi.outcomes.series import SERIES_SCHEMA, deprivation_breakdown, measure_detail, measure_series
from kpi.sample import COUNCIL_CODE, SAMPLE_DIR

AREA, ENGLAND = "E08000009", "E92000001"
W95 = (55.25444, 73.63575)
W998 = (49.54947, 77.83541)


def point(
    key, role, sortable, value, lo=None, hi=None, lo998=None, hi998=None, count=None, den=None, note=None
):
    return {
        "measure_key": key,
        "area_code": AREA if role == "area" else ENGLAND,
        "area_name": "Trafford" if role == "area" else "England",
        "area_role": role,
        "category_type": "",
        "category": "",
        "imd_decile": None,
        "period": f"{sortable // 10000}/{(sortable // 10000 + 1) % 100:02d}",
        "period_sortable": sortable,
        "value": value,
        "lower_ci_95": lo,
        "upper_ci_95": hi,
        "lower_ci_998": lo998,
        "upper_ci_998": hi998,
        "count": count,
        "denominator": den,
        "value_note": note,
    }


def frame(points: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(points, schema=SERIES_SCHEMA)


def measure(ref: str, polarity: str, goal=None, unit: str = "%") -> Measure:
    return Measure("fingertips", ref, f"Measure {ref}", polarity, unit, goal=goal)


def framework(*measures: Measure) -> Framework:
    return Framework("test", "Test framework", "", True, (Outcome("1", "Children thrive", tuple(measures)),))


LATEST = 20230000

# ---- England comparison and goal: the latest point, 65 of 100 ------------------------------------------------

COMPARISONS = [
    # ref, polarity, England value, goal, expected (outcome, significance, label), expected goal outcome
    ("1", "high", 50.0, 60.0, ("better", "95", "Better than England"), "better"),
    ("2", "high", 45.0, (60.0, 70.0), ("better", "99.8", "Better than England"), "between"),
    ("3", "high", 60.0, 70.0, ("similar", None, "Similar to England"), "worse"),
    ("4", "low", 80.0, 70.0, ("better", "99.8", "Better than England"), "better"),
    ("5", "low", 70.0, (60.0, 65.0), ("similar", None, "Similar to England"), "worse"),
    ("6", "none", 75.0, 50.0, ("lower", "95", "Lower than England"), "not compared"),
    ("7", "high", None, None, ("not compared", None, "Not compared"), "not compared"),
    ("8", "low", 55.25444, None, ("similar", None, "Similar to England"), "not compared"),  # on the bound
]


def comparison_rug() -> pl.DataFrame:
    points = []
    for ref, _, england, _, _, _ in COMPARISONS:
        points.append(point(f"fingertips:{ref}", "area", LATEST, 65.0, *W95, *W998, 65, 100))
        if england is not None:
            points.append(point(f"fingertips:{ref}", "england", LATEST, england))
    fw = framework(*(measure(ref, pol, goal) for ref, pol, _, goal, _, _ in COMPARISONS))
    return outcome_rug(fw, frame(points))


@pytest.mark.parametrize("case", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_the_latest_value_is_compared_with_england_and_the_goal(case):
    ref, _, _, _, expected, goal_outcome = case
    row = comparison_rug().filter(pl.col("measure_key") == f"fingertips:{ref}").row(0, named=True)
    assert (row["england_outcome"], row["england_significance"], row["england_label"]) == expected
    assert row["goal_outcome"] == goal_outcome
    assert row["trend_label"] == "Could not be calculated"  # one point only
    assert row["worse_and_worsening"] is False


def test_a_suppressed_latest_value_is_not_compared():
    points = [
        point("fingertips:9", "area", 20220000 + 10000 * i, 1.0, 0.5, 1.5, count=10, den=1000)
        for i in range(-4, 0)
    ]
    points.append(point("fingertips:9", "area", LATEST, None, note="Value suppressed for disclosure control"))
    points.append(point("fingertips:9", "england", LATEST, 0.4))
    row = outcome_rug(framework(measure("9", "low", 0.5)), frame(points)).row(0, named=True)
    assert (row["value"], row["value_note"]) == (None, "Value suppressed for disclosure control")
    assert (row["england_outcome"], row["goal_outcome"], row["trend_label"]) == (
        "not compared",
        "not compared",
        "Could not be calculated",
    )


def test_a_measure_without_data_is_listed_with_nothing_to_compare():
    rug = outcome_rug(framework(measure("404", "high", 90.0)), frame([]))
    row = rug.row(0, named=True)
    assert (row["label"], row["period"], row["england_outcome"], row["goal_outcome"]) == (
        "Measure 404",
        None,
        "not compared",
        "not compared",
    )
    assert 'data-measure="fingertips:404"' in rug_html(rug)


# ---- recent trend: counts for proportions, limits otherwise ---------------------------------------------------

PERIODS = [20190000, 20200000, 20210000, 20220000, 20230000]


def series(key, values, *, counts=None, dens=None, half_width=1.0):
    return [
        point(key, "area", p, v, v - half_width, v + half_width, count=c, den=d)
        for p, v, c, d in zip(PERIODS, values, counts or [None] * 5, dens or [None] * 5, strict=True)
    ]


def trend_rug(points, *measures):
    return outcome_rug(framework(*measures), frame(points)).select(
        "measure_key", "england_outcome", "trend_label", "worse_and_worsening"
    )


def test_a_proportion_uses_the_counts_and_a_rate_uses_the_limits():
    points = [
        # value = 100 x count / denominator: the χ² test on counts (25.2) finds the rise; the wide limits would not
        *series("fingertips:p", [50.0, 52.0, 55.0, 57.0, 60.0], counts=[500, 520, 550, 570, 600], dens=[1000] * 5,
                half_width=30.0),
        # a rate per 1,000: its counts are flat (10 of 1,000), so only the limits can show the rise (χ² 153.7)
        *series("fingertips:r", [10.0, 12.0, 14.0, 16.0, 18.0], counts=[10] * 5, dens=[1000] * 5),
        point("fingertips:r", "england", LATEST, 12.0),
    ]  # fmt: skip
    rug = trend_rug(points, measure("p", "high"), measure("r", "low", unit="per 1,000"))
    assert rug.rows() == [
        ("fingertips:p", "not compared", "Increasing and getting better", False),
        ("fingertips:r", "worse", "Increasing and getting worse", True),
    ]


@pytest.mark.parametrize(
    ("values", "polarity", "england", "expected"),
    [
        ([10.0, 12.0, 14.0, 16.0, 18.0], "low", 12.0, ("worse", "Increasing and getting worse", True)),
        ([10.0, 12.0, 14.0, 16.0, 18.0], "low", 18.0, ("similar", "Increasing and getting worse", False)),
        ([18.0, 16.0, 14.0, 12.0, 10.0], "low", 20.0, ("better", "Decreasing and getting better", False)),
        ([18.0, 16.0, 14.0, 12.0, 10.0], "high", 20.0, ("worse", "Decreasing and getting worse", True)),
        ([10.0, 12.0, 14.0, 16.0, 18.0], "none", 12.0, ("higher", "Increasing", False)),
        ([10.0, 10.2, 9.9, 10.1, 10.0], "high", 14.0, ("worse", "No significant change", False)),
    ],
)
def test_trend_labels_and_the_worse_and_getting_worse_flag(values, polarity, england, expected):
    points = [*series("fingertips:x", values), point("fingertips:x", "england", LATEST, england)]
    rug = trend_rug(points, measure("x", polarity))
    assert rug.row(0)[1:] == expected
    assert worse_and_getting_worse(
        outcome_rug(framework(measure("x", polarity)), frame(points))
    ).height == int(expected[2])


def test_the_rug_html_carries_words_shapes_and_the_statement():
    points = [
        *series("fingertips:x", [10.0, 12.0, 14.0, 16.0, 18.0]),
        point("fingertips:x", "england", LATEST, 12.0),
    ]
    html = rug_html(
        outcome_rug(framework(measure("x", "low", (15.0, 17.0), unit="per 1,000")), frame(points))
    )
    assert "<caption>1. Children thrive</caption>" in html
    assert 'data-col="england_comparison" data-outcome="worse"' in html
    assert "■ Worse than England (95%)" in html
    assert "↑ Increasing and getting worse" in html
    assert "15.0 per 1,000 to 17.0 per 1,000" in html
    assert "■ Misses the goal" in html
    assert "⚑ worse than England and getting worse" in html
    assert '<th scope="row">Measure x' in html


@pytest.mark.parametrize(
    ("goal", "polarity", "unit", "text"),
    [(6.0, "low", "%", "6.0% or less"), (90, "high", "%", "at least 90.0%"), ((75, 80), "high", "%", "75.0% to 80.0%"),
     (None, "high", "%", ""), (23.0, "none", "score", "23.0")],
)  # fmt: skip
def test_goals_in_words(goal, polarity, unit, text):
    assert goal_text(goal, polarity, unit) == text


# ---- frameworks from configuration ---------------------------------------------------------------------------

CAMBRIDGESHIRE = [
    "The very youngest children have the best start in life with a good pregnancy and birth",
    "Children experience good development in the early years and are school ready",
    "Families, communities and services have high aspirations for all children",
    "Children and young people are in good physical health and can make healthy lifestyle choices",
    "Children and young people live free from harm in their families and communities",
    "Children and young people and their parents have good emotional wellbeing and mental health",
    "Children are supported to be resilient in the face of adversity",
    "The outcomes for vulnerable children and young people are as good as their peers'",
]
STOCKPORT = [
    "I feel safe",
    "I feel part of my community",
    "My voice is heard",
    "I enjoy good health and wellbeing",
    "I am happy and have people I can trust",
    "I am confident and able to reach my goals",
    "The people who love and care for me are enabled to do this",
]


def test_both_frameworks_hold_the_documented_statements():
    frameworks = load_frameworks()
    assert [o.statement for o in frameworks["cambridgeshire_peterborough"].outcomes] == CAMBRIDGESHIRE
    assert [o.statement for o in frameworks["stockport_family"].outcomes] == STOCKPORT
    assert (
        frameworks["cambridgeshire_peterborough"].is_default and not frameworks["stockport_family"].is_default
    )
    for fw in frameworks.values():
        assert all(outcome.measures for outcome in fw.outcomes)
        assert {m.kind for m in fw.measures()} == {"fingertips", "local", "kpi"}
    first = frameworks["cambridgeshire_peterborough"].outcomes[0].measures[0]
    assert (first.key, first.polarity, first.goal, first.unit) == ("fingertips:93085", "low", 6.0, "%")


@pytest.mark.parametrize(
    ("measures", "message"),
    [
        ("{ fingertips = 1 }", "Fingertips indicator 1 is not in config/fingertips_indicators.toml"),
        ('{ local = "NOPE" }', "local measure NOPE is not in config/outcome_measures.toml"),
        ('{ kpi = "C99" }', "KPI C99 is not in config/catalogue.toml"),
        (
            '{ kpi = "C2", local = "LOC_SAFE" }',
            "name exactly one of fingertips = ID, local = CODE or kpi = CODE",
        ),
        ('{ kpi = "C2", goal = [80.0, 70.0] }', "the goal range [80, 70] has its lower end above its upper"),
        ('{ kpi = "C2", goal = "high" }', "goal must be a number or [lower, upper]; got 'high'"),
        ('{ kpi = "C2", polarity = "up" }', "polarity must be one of high, low, none; got 'up'"),
    ],
)
def test_framework_mistakes_stop_with_a_message(tmp_path, measures, message):
    path = tmp_path / "broken.toml"
    path.write_text(
        f'name = "Broken"\n[[outcome]]\nstatement = "S"\nmeasures = [{measures}]\n', encoding="utf-8"
    )
    with pytest.raises(CatalogueError) as caught:
        load_framework(path)
    assert str(caught.value) == f"broken.toml outcome 1 measure 1: {message}"


# ---- the sample: series from the store -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_series(sample_db_path):
    from kpi.core.store import Store

    with Store.open(sample_db_path, read_only=True) as store:
        fw = load_frameworks()["cambridgeshire_peterborough"]
        yield fw, measure_series(store, COUNCIL_CODE, fw, datetime(2026, 11, 23, 12, 0), principal=LOCAL_USER)


def test_fingertips_headline_rows_and_breakdowns(sample_series):
    _, frame_ = sample_series
    conceptions = frame_.filter(pl.col("measure_key") == "fingertips:20401", pl.col("area_role") == "area")
    assert conceptions["period"].to_list() == ["2017", "2018", "2019", "2020", "2021"]
    obesity = deprivation_breakdown(frame_, "fingertips:90319")
    assert obesity["imd_decile"].to_list() == list(range(1, 11))
    assert set(obesity["area_name"]) == {"Trafford"} and set(obesity["period"]) == {"2022/23"}
    trust = deprivation_breakdown(frame_, "local:LOC_TRUST")
    assert trust["category"].to_list() == [f"Decile {d}" for d in range(1, 11)]
    detail = measure_detail(frame_, "fingertips:20602")
    assert detail.group_by("area_role").len().sort("area_role").rows() == [
        ("area", 5),
        ("england", 5),
        ("region", 5),
    ]


def test_contract_kpis_come_from_the_returns_with_england_from_the_benchmarks(sample_series):
    _, frame_ = sample_series
    with open(
        SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv", encoding="utf-8"
    ) as handle:
        c2 = [r for r in csv.DictReader(handle) if r["metric_code"] == "C2" and r["imd_decile"] == ""]
    expected = 100 * sum(int(r["numerator"]) for r in c2) / sum(int(r["denominator"]) for r in c2)
    latest = frame_.filter(
        pl.col("measure_key") == "kpi:C2", pl.col("period") == "2026-27 Q2", pl.col("category_type") == ""
    )
    area = latest.filter(pl.col("area_role") == "area").row(0, named=True)
    assert area["value"] == pytest.approx(expected, abs=1e-9)
    assert (
        area["lower_ci_998"]
        < area["lower_ci_95"]
        < area["value"]
        < area["upper_ci_95"]
        < area["upper_ci_998"]
    )
    # England's C2 for 2024-25 (docs/methods.md section 2) ends in 2024-25 Q4: six quarters before 2026-27 Q2, beyond the
    # default limit of 4 (docs/methods.md section 5), so no England point is set against 2026-27 Q2; 2025-26 Q2 (two
    # quarters after) has it, labelled with its own period
    assert latest.filter(pl.col("area_role") == "england").is_empty()
    earlier = frame_.filter(
        pl.col("measure_key") == "kpi:C2",
        pl.col("period") == "2025-26 Q2",
        pl.col("category_type") == "",
        pl.col("area_role") == "england",
    ).row(0, named=True)
    assert (earlier["value"], earlier["value_note"]) == (85.2, "England value for 2024-25")


def test_the_sample_rug_tells_its_stories(sample_series):
    fw, frame_ = sample_series
    rug = outcome_rug(fw, frame_)
    year6 = rug.filter(pl.col("measure_key") == "fingertips:20602").row(0, named=True)
    assert (year6["england_outcome"], year6["trend_label"], year6["worse_and_worsening"]) == (
        "worse",
        "Increasing and getting worse",
        True,
    )
    mothers = rug.filter(pl.col("label").str.starts_with("Teenage mothers")).row(0, named=True)
    assert mothers["value"] is None and mothers["value_note"].startswith("Value suppressed")
    assert (mothers["england_outcome"], mothers["trend_label"]) == ("not compared", "Could not be calculated")
    in_care = rug.filter(pl.col("measure_key") == "fingertips:90803").row(0, named=True)
    assert (in_care["england_outcome"], in_care["trend_label"]) == ("higher", "Increasing")
    assert rug.height == sum(len(o.measures) for o in fw.outcomes)
