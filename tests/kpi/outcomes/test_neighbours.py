"""The comparison with similar councils on the sample (kpi/outcomes/neighbours.py): groups, periods, words.

The sample carries every other council's synthetic figures (sample_data/fingertips/generate_all_areas.py), Trafford's
DfE statistical neighbours and NHS England peer group, and Trafford's own returns; the statistics themselves are
checked against hand-worked figures in test_comparison.py.
"""

from __future__ import annotations

import polars as pl
import pytest

from kpi.access.principal import local_principal
from kpi.contract.targets import set_setting
from kpi.outcomes import neighbour_words as words
from kpi.outcomes import neighbours as nb
from kpi.outcomes.comparison import POOLED

WHO = local_principal("test")
TRAFFORD = "E08000009"


@pytest.fixture(scope="module")
def c2(sample_db_path):
    from kpi.core.store import Store

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", "2026-11-23")
        store = Store.open(sample_db_path, read_only=True)
        try:
            yield nb.kpi_comparison(store, TRAFFORD, "C2", "2026-27 Q2", principal=WHO)
        finally:
            store.close()


def test_a_kpi_is_compared_with_each_group_in_the_setting_s_order(c2):
    assert c2.table["group_name"].to_list() == [
        "DfE statistical neighbours (May 2025)",
        "NHS England peer group (2024)",
        "North West councils",
        "All English councils",
    ]
    assert c2.table["n_members"].to_list() == [10, 15, 24, 153]
    assert c2.table["method"].to_list() == [POOLED] * 4
    dfe = c2.table.row(0, named=True)
    assert dfe["n_ranked"] == 11  # ten neighbours and the council
    assert dfe["council_value"] == pytest.approx(c2.spread.filter(pl.col("is_council"))["value"].item())


def test_the_same_quarter_is_compared_and_said(c2):
    assert (c2.period, c2.current) == ("2026-27 Q2", True)
    assert c2.note == "Compared with other councils' 2026-27 Q2 figures; group averages by pooled counts."
    assert c2.warnings[0].startswith("Fingertips indicator 92444 for C2 is unverified")


def test_every_council_is_in_the_spread_once_and_the_neighbours_are_marked(c2):
    assert c2.spread.height == 153 and c2.spread["area_code"].n_unique() == 153
    assert c2.spread["in_group"].sum() == 10
    assert c2.spread.filter(pl.col("is_council"))["area_name"].item() == "Trafford"


def test_the_trends_hold_the_council_the_neighbours_and_their_average(c2):
    counts = dict(c2.trends.group_by("role").len().iter_rows())
    assert counts == {"council": 16, "neighbour": 160, "average": 16}


def test_words_name_the_method_rank_and_quintile():
    row = {"outcome": "better", "average": 86.53, "method": POOLED, "rank": 3, "n_ranked": 11, "quintile": 2}
    assert words.group_words(row, "high") == (
        "Better than the group average (86.5%, pooled counts); 3rd of 11 (1st = highest); second fifth"
    )
    assert words.quarter_phrase({"outcome": "better", "rank": 2, "n_ranked": 11}) == (
        "among the best quarter of similar councils"
    )
    assert words.quarter_phrase({"outcome": "worse", "rank": 10, "n_ranked": 11}) == (
        "among the worst quarter of similar councils"
    )
    assert words.quarter_phrase({"outcome": "better", "rank": 5, "n_ranked": 11}) == (
        "better than the average of similar councils"
    )
    assert words.quarter_phrase({"outcome": "similar", "rank": 1, "n_ranked": 11}) is None


def test_figures_older_than_the_benchmark_age_are_labelled_and_not_compared(sample_store):
    # two quarters after the last published quarter, with the age limit set to one quarter
    set_setting(sample_store, TRAFFORD, "benchmark_max_age_quarters", 1, principal=WHO)
    values = pl.DataFrame(
        {
            "kpi_code": ["C2"],
            "period": ["2027-28 Q1"],
            "level": ["borough"],
            "value_kind": ["proportion"],
            "value_pct": [90.0],
            "lower_ci_pct": [85.0],
            "upper_ci_pct": [93.0],
            "numerator": [180.0],
            "denominator": [200.0],
        }
    )
    view = nb.kpi_comparison(sample_store, TRAFFORD, "C2", "2027-28 Q1", principal=WHO, kpi_values=values)
    assert (view.period, view.current) == ("2026-27 Q2", False)
    assert view.note == "Other councils' figures out of date (2026-27 Q2): shown for context, not compared."
    assert set(view.table["outcome"]) == {"not compared"}
    assert view.table["rank"].null_count() == view.table.height


def test_a_kpi_without_a_fingertips_indicator_has_no_comparison(sample_ro_store):
    assert nb.kpi_comparison(sample_ro_store, TRAFFORD, "C1", "2026-27 Q2", principal=WHO) is None


def test_an_outcome_indicator_is_compared_period_for_period(sample_ro_store):
    view = nb.indicator_comparison(sample_ro_store, TRAFFORD, 20602, "2022/23", "low", principal=WHO)
    assert view.period == "2022/23"
    assert view.note == "Compared with other councils' 2022/23 figures; group averages by pooled counts."
    assert view.table["n_members"].to_list() == [10, 15, 24, 153]
    assert view.table.filter(pl.col("group_code") == "all")["n_ranked"].item() == 153


def test_a_group_chosen_in_the_setting_replaces_the_default(sample_store):
    set_setting(sample_store, TRAFFORD, "comparator_groups", "nhse-peers", principal=WHO)
    view = nb.kpi_comparison(sample_store, TRAFFORD, "C2", "2026-27 Q2", principal=WHO)
    assert view.table["group_code"].to_list() == ["nhse-peers", "region", "all"]


def test_the_caterpillar_and_trend_charts_mark_the_council_by_shape_as_well_as_colour(c2):
    from kpi.outcomes import charts

    spec = charts.caterpillar_chart(c2.spread, "C2: every council", "%", 86.5).to_dict()
    assert spec["title"] == "C2: every council"
    points = spec["layer"][1]["encoding"]
    assert points["shape"]["scale"]["range"] == ["diamond", "circle", "square"]
    assert spec["layer"][2]["encoding"]["y"]["field"] == "average"
    trend = charts.neighbour_trend_chart(c2.trends, "C2 beside neighbours", "%").to_dict()
    assert [layer["mark"]["type"] for layer in trend["layer"]] == ["line", "line", "line", "point"]


def test_the_summary_sets_every_mapped_kpi_against_the_first_group(sample_ro_store):
    summary = nb.neighbour_summary(sample_ro_store, TRAFFORD, "2026-27 Q2", principal=WHO)
    assert summary["kpi_code"].to_list() == list(nb.kpi_mappings())
    assert set(summary["group_name"]) == {"DfE statistical neighbours (May 2025)"}
    c2 = summary.filter(pl.col("kpi_code") == "C2").row(0, named=True)
    assert c2["cell"] == words.short_words(c2)
    significant = summary.filter(pl.col("outcome").is_in(["better", "worse"]))
    assert significant["phrase"].null_count() == 0
    assert (
        summary.filter(pl.col("outcome") == "similar")["phrase"].null_count()
        == summary.filter(pl.col("outcome") == "similar").height
    )
    line = words.overview_line(summary)
    assert line.startswith("Against DfE statistical neighbours (May 2025): ")
