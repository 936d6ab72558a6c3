"""Generate the SYNTHETIC Fingertips-format export and local outcome measures of the sample.

Run from the repository root: ``uv run python sample_data/fingertips/generate_fingertips.py``. Deterministic (numpy
RNG seeded with SEED): running it again rewrites byte-identical files.

Writes:

* ``sample_data/fingertips/fingertips_trafford_synthetic.csv``: an "all data" export in Fingertips' own layout
  (spaced headers, docs/methods.md section 4) for Trafford (E08000009), North West (E12000002) and England (E92000001):
  eleven child indicators, five periods each; Reception obesity (90319) with a deprivation-decile breakdown for
  Trafford and England; teenage mothers (90811) with Trafford's values suppressed in two periods (blank value with a
  value note). Every row says "SYNTHETIC" in an extra ``Indicator notes`` column (which the reader ignores, as it
  ignores any unknown column).
* ``sample_data/outcome_measures/local_outcome_measures.csv``: the council's own measures
  (``config/outcome_measures.toml``), some as numerator and denominator, one as a mean score with limits, with
  locality and deprivation breakdowns.

Every figure is synthetic: binomial (proportions) or Poisson (rates) draws around levels chosen near published
magnitudes, with 95% and 99.8% limits computed by kpi.stats (Wilson for proportions, Byar's for rates). Stories:
Year 6 excess weight (20602) in Trafford rises from 31% to about 39.5% and ends worse than England: "worse than
England and getting worse"; child development at 2-2½ (93436, mapped to the KPI C6viii) stays better than England
while decreasing; children in care (no judgement) is higher than England and increasing.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kpi.outcomes.rule_tables import EXPORT_HEADER
from kpi.stats import byars_ci, compare_with_benchmark, recent_trend, wilson_ci

SEED = 20240
HERE = Path(__file__).resolve().parent
EXPORT = HERE / "fingertips_trafford_synthetic.csv"
LOCAL = HERE.parent / "outcome_measures" / "local_outcome_measures.csv"
NOTE = (
    "SYNTHETIC sample data made by sample_data/fingertips/generate_fingertips.py (seed {seed}): not OHID figures; "
    "indicator IDs other than 93085, 20401, 90319, 20601, 20602 and 93436 are unverified"
)
SUPPRESSED = "Value suppressed for disclosure control due to small count"

AREAS = {
    "E08000009": ("Trafford", "Counties & UAs (from Apr 2023)", "E12000002", "North West region"),
    "E12000002": ("North West region", "Regions (statistical)", "E92000001", "England"),
    "E92000001": ("England", "England", "", ""),
}
FY = (
    ["2019/20", "2020/21", "2021/22", "2022/23", "2023/24"],
    [20190000, 20200000, 20210000, 20220000, 20230000],
)
ACADEMIC = (
    ["2018/19", "2019/20", "2020/21", "2021/22", "2022/23"],
    [20180000, 20190000, 20200000, 20210000, 20220000],
)
READINESS = (
    ["2017/18", "2018/19", "2021/22", "2022/23", "2023/24"],
    [20170000, 20180000, 20210000, 20220000, 20230000],
)
CALENDAR = (["2017", "2018", "2019", "2020", "2021"], [20170000, 20180000, 20190000, 20200000, 20210000])
WORD_DECILES = [
    "Most deprived decile (IMD2019)",
    "Second most deprived decile (IMD2019)",
    "Third more deprived decile (IMD2019)",
    "Fourth more deprived decile (IMD2019)",
    "Fifth more deprived decile (IMD2019)",
    "Fifth less deprived decile (IMD2019)",
    "Fourth less deprived decile (IMD2019)",
    "Third less deprived decile (IMD2019)",
    "Second least deprived decile (IMD2019)",
    "Least deprived decile (IMD2019)",
]
#: Trafford's children aged 0-15 by national IMD decile 1..10 (docs/methods.md section 7): shares for the decile rows.
TRAFFORD_CHILDREN = [3111, 2155, 4409, 4223, 4126, 2542, 4458, 7038, 6191, 10150]


@dataclass
class Indicator:
    indicator_id: int
    name: str
    sex: str
    age: str
    polarity: str
    periods: tuple[list[str], list[int]]
    denominators: dict[str, int]
    levels: dict[str, list[float]]  # per area: per cent (proportions) or rate per `multiplier`
    multiplier: int = 0  # 0 for a proportion in per cent, else a rate per 1,000 / 10,000
    deciles: dict[str, tuple[float, float]] = field(
        default_factory=dict
    )  # area -> (decile 1, decile 10) levels
    suppress: tuple[int, ...] = ()  # Trafford's periods (0-based) whose values are suppressed


#: The named period sets an indicator in indicators.toml refers to.
PERIOD_SETS = {
    "financial year": FY,
    "academic year": ACADEMIC,
    "school readiness": READINESS,
    "calendar year": CALENDAR,
}


def read_indicators(path: Path = HERE / "indicators.toml") -> list[Indicator]:
    """The sample's indicators, as declared in ``indicators.toml`` (data, not code)."""
    with path.open("rb") as file:
        declared = tomllib.load(file)["indicator"]
    return [
        Indicator(
            **{key: value for key, value in entry.items() if key not in {"periods", "deciles", "suppress"}},
            periods=PERIOD_SETS[entry["periods"]],
            deciles={area: tuple(levels) for area, levels in entry.get("deciles", {}).items()},
            suppress=tuple(entry.get("suppress", ())),
        )
        for entry in declared
    ]


INDICATORS = read_indicators()

HEADER = list(EXPORT_HEADER)
#: Our trend labels in Fingertips' export wording.
TREND_WORDS = {
    "Increasing and getting better": "Increasing & getting better",
    "Increasing and getting worse": "Increasing & getting worse",
    "Decreasing and getting better": "Decreasing & getting better",
    "Decreasing and getting worse": "Decreasing & getting worse",
    "Increasing": "Increasing",
    "Decreasing": "Decreasing",
    "No significant change": "No significant change",
    "Could not be calculated": "Cannot be calculated",
}


def _figures(rng: np.random.Generator, ind: Indicator, level: float, denominator: int) -> dict:
    """A drawn count with its value and 95%/99.8% limits (Wilson for per cent, Byar's for rates)."""
    if ind.multiplier:
        count = int(rng.poisson(level * denominator / ind.multiplier))
        scale = ind.multiplier / denominator
        lo95, hi95 = byars_ci(count, 0.95)
        lo998, hi998 = byars_ci(count, 0.998)
        return {"count": count, "value": count * scale, "ci": [v * scale for v in (lo95, hi95, lo998, hi998)]}
    count = int(rng.binomial(denominator, level / 100))
    lo95, hi95 = wilson_ci(count, denominator, 0.95)
    lo998, hi998 = wilson_ci(count, denominator, 0.998)
    return {
        "count": count,
        "value": 100 * count / denominator,
        "ci": [100 * v for v in (lo95, hi95, lo998, hi998)],
    }


def _fmt(value: float | None, places: int = 6) -> str:
    return "" if value is None else f"{value:.{places}f}".rstrip("0").rstrip(".")


def _compare(fig: dict | None, england: dict | None, polarity: str) -> str:
    if fig is None or england is None:
        return "Not compared"
    lo95, hi95, lo998, hi998 = fig["ci"]
    result = compare_with_benchmark(
        fig["value"], lo95, hi95, england["value"], polarity, lower_ci_998=lo998, upper_ci_998=hi998
    )
    words = {"better": "Better", "worse": "Worse", "higher": "Higher", "lower": "Lower"}
    if result.outcome in words:
        return f"{words[result.outcome]} {result.significance}%"
    return result.outcome.capitalize()


def build_export(rng: np.random.Generator) -> list[list[str]]:
    """The export's rows (header first)."""
    rows = [HEADER]
    note = NOTE.format(seed=SEED)
    for ind in INDICATORS:
        labels, sortables = ind.periods
        drawn = {
            area: [_figures(rng, ind, level, ind.denominators[area]) for level in ind.levels[area]]
            for area in AREAS
        }
        suppressed = {("E08000009", i) for i in ind.suppress}
        for area in AREAS:
            series = drawn[area]
            values = [None if (area, i) in suppressed else f["value"] for i, f in enumerate(series)]
            if ind.multiplier:
                trend = recent_trend(
                    values,
                    lower_ci=[None if v is None else f["ci"][0] for v, f in zip(values, series, strict=True)],
                    upper_ci=[None if v is None else f["ci"][1] for v, f in zip(values, series, strict=True)],
                    polarity=ind.polarity,
                )
            else:
                trend = recent_trend(
                    values,
                    numerators=[f["count"] for f in series],
                    denominators=[ind.denominators[area]] * len(series),
                    polarity=ind.polarity,
                )
            name, area_type, parent_code, parent_name = AREAS[area]
            for i, fig in enumerate(series):
                hidden = (area, i) in suppressed
                england = drawn["E92000001"][i]
                region = drawn["E12000002"][i]
                rows.append(
                    [
                        str(ind.indicator_id),
                        ind.name,
                        parent_code,
                        parent_name,
                        area,
                        name,
                        area_type,
                        ind.sex,
                        ind.age,
                        "",
                        "",
                        labels[i],
                        "" if hidden else _fmt(fig["value"]),
                        *(["", "", "", ""] if hidden else [_fmt(v) for v in fig["ci"]]),
                        "" if hidden else str(fig["count"]),
                        str(ind.denominators[area]),
                        SUPPRESSED if hidden else "",
                        TREND_WORDS[trend.label] if i == len(series) - 1 else "",
                        "Not compared"
                        if area == "E92000001" or hidden
                        else _compare(fig, england, ind.polarity),
                        "Not compared"
                        if area != "E08000009" or hidden
                        else _compare(fig, region, ind.polarity),
                        str(sortables[i]),
                        "",
                        "",
                        labels[i],
                        note,
                    ]
                )
            for decile_row in _decile_rows(rng, ind, area, labels, sortables, note):
                rows.append(decile_row)
    return rows


def _decile_rows(rng, ind: Indicator, area: str, labels, sortables, note: str) -> list[list[str]]:
    if area not in ind.deciles:
        return []
    most, least = ind.deciles[area]
    total = ind.denominators[area]
    shares = np.array(TRAFFORD_CHILDREN if area == "E08000009" else [1] * 10, dtype=float)
    sizes = np.maximum((shares / shares.sum() * total).round().astype(int), 1)
    name, area_type, parent_code, parent_name = AREAS[area]
    category_type = (
        "LSOA11 deprivation deciles within area (IMD2019)"
        if area == "E08000009"
        else "County & UA deprivation deciles in England (IMD2019, 4/23 geog.)"
    )
    rows = []
    for i, label in enumerate(labels):
        shift = ind.levels[area][i] - ind.levels[area][-1]
        for d in range(10):
            level = most + (least - most) * d / 9 + shift
            fig = _figures(rng, ind, level, int(sizes[d]))
            rows.append(
                [
                    str(ind.indicator_id),
                    ind.name,
                    parent_code,
                    parent_name,
                    area,
                    name,
                    area_type,
                    ind.sex,
                    ind.age,
                    category_type,
                    WORD_DECILES[d],
                    label,
                    _fmt(fig["value"]),
                    *[_fmt(v) for v in fig["ci"]],
                    str(fig["count"]),
                    str(int(sizes[d])),
                    "",
                    "",
                    "Not compared",
                    "Not compared",
                    str(sortables[i]),
                    "",
                    "",
                    label,
                    note,
                ]
            )
    return rows


LOCAL_HEADER = [
    "measure_code",
    "period",
    "area_code",
    "locality_code",
    "imd_decile",
    "numerator",
    "denominator",
    "value",
    "lower_ci",
    "upper_ci",
]
SURVEY_YEARS = ["2021-22", "2022-23", "2023-24", "2024-25", "2025-26"]
LOCALITIES = {"CENTRAL": 0.27, "NORTH": 0.22, "SOUTH": 0.26, "WEST": 0.25}
#: Survey measures: borough level per year, with an offset per locality (NORTH lower) where broken down.
SURVEYS = {
    "LOC_SAFE": ([82.0, 81.0, 80.5, 79.0, 78.0], {"CENTRAL": 1.0, "NORTH": -7.0, "SOUTH": 3.0, "WEST": 2.0}),
    "LOC_TRUST": ([74.0, 75.0, 75.5, 76.0, 77.5], None),
    "LOC_BELONG": ([61.0, 60.5, 62.0, 62.5, 61.5], None),
    "LOC_VOICE": ([48.0, 50.0, 52.5, 53.0, 55.0], None),
    "LOC_ASPIRE": ([70.0, 71.5, 72.0, 73.5, 74.0], None),
}
PMH_QUARTERS = ["2025-26 Q2", "2025-26 Q3", "2025-26 Q4", "2026-27 Q1", "2026-27 Q2"]


def build_local(rng: np.random.Generator) -> list[list[str]]:
    """The local outcome measures file's rows (header first)."""
    rows = [LOCAL_HEADER]
    respondents = 2400
    for code, (levels, offsets) in SURVEYS.items():
        for year, level in zip(SURVEY_YEARS, levels, strict=True):
            rows.append([code, year, "", "", "", *_counts(rng, respondents, level), "", "", ""])
            for locality, share in LOCALITIES.items() if offsets else []:
                n = int(respondents * share)
                rows.append(
                    [code, year, "", locality, "", *_counts(rng, n, level + offsets[locality]), "", "", ""]
                )
            if code == "LOC_TRUST":
                for decile in range(1, 11):
                    n = int(respondents * TRAFFORD_CHILDREN[decile - 1] / sum(TRAFFORD_CHILDREN))
                    rows.append(
                        [code, year, "", "", str(decile), *_counts(rng, n, level - 9 + decile), "", "", ""]
                    )
    for year, (mean, england) in zip(
        SURVEY_YEARS, [(23.9, 23.4), (23.6, 23.2), (23.2, 23.1), (22.9, 23.0), (22.6, 22.9)], strict=True
    ):
        for area, centre, n in (("", mean, 1150), ("E92000001", england, 48000)):
            value = centre + rng.normal(0, 0.1)
            half = 1.959964 * 4.2 / np.sqrt(n)  # SWEMWBS standard deviation about 4.2 points
            rows.append(
                [
                    "LOC_WELLBEING",
                    year,
                    area,
                    "",
                    "",
                    "",
                    str(n),
                    f"{value:.2f}",
                    f"{value - half:.2f}",
                    f"{value + half:.2f}",
                ]
            )
    for quarter, level in zip(PMH_QUARTERS, [93.5, 94.0, 92.5, 94.5, 95.0], strict=True):
        rows.append(["LOC_PMH", quarter, "", "", "", *_counts(rng, 700, level), "", "", ""])
    return rows


def _counts(rng: np.random.Generator, n: int, level: float) -> list[str]:
    return [str(int(rng.binomial(n, min(max(level, 0.0), 100.0) / 100))), str(n)]


def _write(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def main() -> None:
    rng = np.random.default_rng(SEED)
    _write(EXPORT, build_export(rng))
    _write(LOCAL, build_local(rng))
    print(f"wrote {EXPORT.relative_to(HERE.parent.parent)} and {LOCAL.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
