"""Outcome frameworks, Fingertips indicators and local outcome measures, read from configuration.

An outcome framework (docs/methods.md section 4) is configuration: ``config/frameworks/<key>.toml`` lists outcome
statements, each with its measures; a measure is a Fingertips indicator (``config/fingertips_indicators.toml``), a
local outcome measure the council collects itself (``config/outcome_measures.toml``) or a contract KPI of the
catalogue (``config/catalogue.toml``), with its polarity and an optional goal (a number, or ``[lower, upper]`` for
Fingertips' range goal). Everything is checked when read; a mistake stops with a message naming the file and entry.

Example:
    >>> frameworks = load_frameworks()
    >>> default_framework_key(frameworks)
    'cambridgeshire_peterborough'
    >>> frameworks["stockport_family"].outcomes[0].statement
    'I feel safe'
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from kpi.core.catalogue import CONFIG_DIR, POLARITIES, CatalogueError, load_catalogue

FRAMEWORK_DIR = CONFIG_DIR / "frameworks"
MEASURE_KINDS = ("fingertips", "local", "kpi")
LOCAL_VALUE_KINDS = ("proportion", "value")
_CODE = re.compile(r"^[A-Za-z0-9_-]+$")

Goal = float | tuple[float, float] | None


@dataclass(frozen=True)
class FingertipsIndicator:
    """A Fingertips indicator as the frameworks use it."""

    indicator_id: int
    name: str
    polarity: str
    unit: str
    provenance: str
    sex: str | None = None
    age: str | None = None


@dataclass(frozen=True)
class LocalMeasure:
    """A local outcome measure declared in ``config/outcome_measures.toml``."""

    code: str
    name: str
    value_kind: str
    polarity: str
    unit: str
    source: str


@dataclass(frozen=True)
class Measure:
    """One measure of an outcome statement, resolved against its definition."""

    kind: str  # fingertips | local | kpi
    ref: str  # "93085", "LOC_SAFE", "C2"
    label: str
    polarity: str
    unit: str
    goal: Goal = None
    sex: str | None = None
    age: str | None = None
    provenance: str = ""

    @property
    def key(self) -> str:
        """A key unique across kinds: ``fingertips:93085``, ``local:LOC_SAFE``, ``kpi:C2``."""
        return f"{self.kind}:{self.ref}"


@dataclass(frozen=True)
class Outcome:
    """An outcome statement and its measures."""

    code: str
    statement: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class Framework:
    """An outcome framework: statements and their measures."""

    key: str
    name: str
    source: str
    is_default: bool
    outcomes: tuple[Outcome, ...]

    def measures(self) -> list[Measure]:
        """Every distinct measure of the framework, in first-appearance order."""
        seen: dict[str, Measure] = {}
        for outcome in self.outcomes:
            for measure in outcome.measures:
                seen.setdefault(measure.key, measure)
        return list(seen.values())


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path.name} is not valid TOML: {exc}") from exc


def _polarity(value: object, where: str) -> str:
    if value not in POLARITIES:
        raise CatalogueError(f"{where}: polarity must be one of {', '.join(POLARITIES)}; got {value!r}")
    return str(value)


@lru_cache(maxsize=4)
def load_fingertips_indicators(path: Path | None = None) -> dict[int, FingertipsIndicator]:
    """Read ``config/fingertips_indicators.toml``: indicators by ID."""
    source = path or CONFIG_DIR / "fingertips_indicators.toml"
    indicators: dict[int, FingertipsIndicator] = {}
    for position, entry in enumerate(_read(source).get("indicator", []), start=1):
        where = f"{source.name} entry {position}"
        if not isinstance(entry.get("id"), int) or entry["id"] <= 0:
            raise CatalogueError(f"{where}: 'id' must be a Fingertips indicator number such as 93085")
        if not str(entry.get("name", "")).strip():
            raise CatalogueError(f"{where}: 'name' is missing")
        if entry["id"] in indicators:
            raise CatalogueError(f"{where}: indicator {entry['id']} is listed twice")
        indicators[entry["id"]] = FingertipsIndicator(
            indicator_id=entry["id"],
            name=str(entry["name"]),
            polarity=_polarity(entry.get("polarity"), where),
            unit=str(entry.get("unit", "")),
            provenance=str(entry.get("provenance", "")),
            sex=entry.get("sex"),
            age=entry.get("age"),
        )
    return indicators


@lru_cache(maxsize=4)
def load_local_measures(path: Path | None = None) -> dict[str, LocalMeasure]:
    """Read ``config/outcome_measures.toml``: local outcome measures by code."""
    source = path or CONFIG_DIR / "outcome_measures.toml"
    measures: dict[str, LocalMeasure] = {}
    for position, entry in enumerate(_read(source).get("measure", []), start=1):
        code = str(entry.get("code", "")).strip()
        where = f"{source.name} entry {position} ({code or 'no code'})"
        if not _CODE.match(code):
            raise CatalogueError(f"{where}: 'code' must be letters, digits, _ or - (e.g. LOC_SAFE)")
        if not str(entry.get("name", "")).strip():
            raise CatalogueError(f"{where}: 'name' is missing")
        if entry.get("value_kind") not in LOCAL_VALUE_KINDS:
            raise CatalogueError(f"{where}: value_kind must be one of {', '.join(LOCAL_VALUE_KINDS)}")
        if code.upper() in {c.upper() for c in measures}:
            raise CatalogueError(f"{where}: code {code} is used twice")
        measures[code] = LocalMeasure(
            code=code,
            name=str(entry["name"]),
            value_kind=entry["value_kind"],
            polarity=_polarity(entry.get("polarity"), where),
            unit=str(entry.get("unit", "")),
            source=str(entry.get("source", "")),
        )
    return measures


def _goal(value: object, where: str) -> Goal:
    if value is None:
        return None
    if isinstance(value, bool):
        raise CatalogueError(f"{where}: goal must be a number or [lower, upper]")
    if isinstance(value, int | float):
        return float(value)
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        lower, upper = float(value[0]), float(value[1])
        if lower > upper:
            raise CatalogueError(
                f"{where}: the goal range [{lower:g}, {upper:g}] has its lower end above its upper"
            )
        return (lower, upper)
    raise CatalogueError(f"{where}: goal must be a number or [lower, upper]; got {value!r}")


def _measure(entry: dict, where: str) -> Measure:
    kinds = [kind for kind in MEASURE_KINDS if kind in entry]
    if len(kinds) != 1:
        raise CatalogueError(f"{where}: name exactly one of fingertips = ID, local = CODE or kpi = CODE")
    kind = kinds[0]
    goal = _goal(entry.get("goal"), where)
    if kind == "fingertips":
        indicators = load_fingertips_indicators()
        if entry["fingertips"] not in indicators:
            raise CatalogueError(
                f"{where}: Fingertips indicator {entry['fingertips']} is not in config/fingertips_indicators.toml"
            )
        ind = indicators[entry["fingertips"]]
        default = Measure(
            "fingertips",
            str(ind.indicator_id),
            ind.name,
            ind.polarity,
            ind.unit,
            sex=ind.sex,
            age=ind.age,
            provenance=ind.provenance,
        )
    elif kind == "local":
        local = load_local_measures().get(str(entry["local"]))
        if local is None:
            raise CatalogueError(
                f"{where}: local measure {entry['local']} is not in config/outcome_measures.toml"
            )
        default = Measure(
            "local", local.code, local.name, local.polarity, local.unit, provenance=local.source
        )
    else:
        kpi = load_catalogue().get(str(entry["kpi"]))
        if kpi is None:
            raise CatalogueError(f"{where}: KPI {entry['kpi']} is not in config/catalogue.toml")
        unit = "" if kpi.value_kind == "count" else "%"
        default = Measure("kpi", kpi.code, kpi.name, kpi.polarity, unit, provenance="provider returns")
    polarity = _polarity(entry["polarity"], where) if "polarity" in entry else default.polarity
    return replace(default, label=str(entry.get("label") or default.label), polarity=polarity, goal=goal)


def load_framework(path: Path) -> Framework:
    """Read and check one framework file."""
    table = _read(path)
    key = path.stem
    if not str(table.get("name", "")).strip():
        raise CatalogueError(f"{path.name}: 'name' is missing")
    outcomes = []
    for position, entry in enumerate(table.get("outcome", []), start=1):
        where = f"{path.name} outcome {position}"
        if not str(entry.get("statement", "")).strip():
            raise CatalogueError(f"{where}: 'statement' is missing")
        measures = tuple(
            _measure(item, f"{where} measure {number}")
            for number, item in enumerate(entry.get("measures", []), start=1)
        )
        outcomes.append(Outcome(str(entry.get("code", position)), str(entry["statement"]), measures))
    if not outcomes:
        raise CatalogueError(f"{path.name}: a framework needs at least one [[outcome]]")
    return Framework(
        key, str(table["name"]), str(table.get("source", "")), bool(table.get("default")), tuple(outcomes)
    )


@lru_cache(maxsize=4)
def load_frameworks(folder: Path | None = None) -> dict[str, Framework]:
    """Every framework of ``config/frameworks/``, by key (the file name without ``.toml``)."""
    directory = folder or FRAMEWORK_DIR
    return {path.stem: load_framework(path) for path in sorted(directory.glob("*.toml"))}


def default_framework_key(frameworks: dict[str, Framework]) -> str:
    """The framework marked ``default = true`` (else the first by name)."""
    if not frameworks:
        raise CatalogueError(
            "there is no outcome framework in config/frameworks/: add one (see docs/reports.md)"
        )
    marked = [key for key, framework in frameworks.items() if framework.is_default]
    return marked[0] if marked else next(iter(frameworks))
