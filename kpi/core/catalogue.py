"""The KPI catalogue and the settings defaults, read from ``config/*.toml``.

A KPI is configuration, never code: codes, names, value kind, polarity, breakdown, minimum denominator and the
default contract target of docs/methods.md section 2 live in ``config/catalogue.toml`` (or the file ``HCP_CATALOGUE``
names). The database keeps its own dated copy, and uploads and marts read that copy as at each period: a change to the
file reaches a database as a dated, audited change (:mod:`kpi.core.catalogue_sync`, ``hcp catalogue sync``).

Example:
    >>> kpis = load_catalogue()
    >>> kpis["C2"].polarity, kpis["C2"].target_pct
    ('high', 90.0)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kpi.core.resources import data_dir

CONFIG_DIR = data_dir("config")

VALUE_KINDS = ("proportion", "count", "ratio")
POLARITIES = ("high", "low", "none")
BREAKDOWNS = ("locality_decile", "locality", "borough")
#: Where a KPI's values come from: the provider's return, or the child-level health visiting records.
SOURCES = ("return", "hv-records")


class CatalogueError(ValueError):
    """A catalogue entry that cannot be used."""


@dataclass(frozen=True)
class Kpi:
    """One catalogue entry."""

    code: str
    name: str
    service: str
    value_kind: str
    polarity: str
    breakdown: str
    sort_order: int
    mandated: bool = False
    headline: bool = False
    min_denominator: float | None = None
    target_pct: float | None = None
    amber_margin_pct: float | None = None
    numerator: str = ""
    denominator: str = ""
    fingertips_id: int | None = None
    source: str = "return"

    @property
    def has_denominator(self) -> bool:
        """Whether the return carries a denominator for this KPI (every kind but counts)."""
        return self.value_kind != "count"

    @property
    def whole_numbers(self) -> bool:
        """Whether numerator and denominator must be whole numbers (ratios of WTE may have decimals)."""
        return self.value_kind != "ratio"


def _check_entry(entry: dict, position: int) -> Kpi:
    code = str(entry.get("code", "")).strip()
    where = f"catalogue entry {position} ({code or 'no code'})"
    for key in ("code", "name", "service", "value_kind", "polarity", "breakdown"):
        if not str(entry.get(key, "")).strip():
            raise CatalogueError(f"{where}: '{key}' is missing")
    if entry["value_kind"] not in VALUE_KINDS:
        raise CatalogueError(f"{where}: value_kind must be one of {', '.join(VALUE_KINDS)}")
    if entry["polarity"] not in POLARITIES:
        raise CatalogueError(f"{where}: polarity must be one of {', '.join(POLARITIES)}")
    if entry["breakdown"] not in BREAKDOWNS:
        raise CatalogueError(f"{where}: breakdown must be one of {', '.join(BREAKDOWNS)}")
    if entry.get("source", "return") not in SOURCES:
        raise CatalogueError(f"{where}: source must be one of {', '.join(SOURCES)}")
    if entry.get("target_pct") is not None and entry.get("amber_margin_pct") is None:
        raise CatalogueError(f"{where}: a target needs an amber_margin_pct")

    def number(key: str) -> float | None:
        value = entry.get(key)
        return None if value is None else float(value)

    return Kpi(
        code=code,
        name=str(entry["name"]),
        service=str(entry["service"]),
        value_kind=entry["value_kind"],
        polarity=entry["polarity"],
        breakdown=entry["breakdown"],
        sort_order=position,
        mandated=bool(entry.get("mandated", False)),
        headline=bool(entry.get("headline", False)),
        min_denominator=number("min_denominator"),
        target_pct=number("target_pct"),
        amber_margin_pct=number("amber_margin_pct"),
        numerator=str(entry.get("numerator", "")),
        denominator=str(entry.get("denominator", "")),
        fingertips_id=entry.get("fingertips_id"),
        source=str(entry.get("source", "return")),
    )


def catalogue_path() -> Path:
    """The catalogue file: ``HCP_CATALOGUE`` when set, else ``config/catalogue.toml``."""
    return Path(os.environ.get("HCP_CATALOGUE", "").strip() or CONFIG_DIR / "catalogue.toml")


def load_catalogue(path: Path | str | None = None) -> dict[str, Kpi]:
    """Read and check the catalogue file (default :func:`catalogue_path`); returns KPIs by code in catalogue order.

    This is the file as written, not yet the database's catalogue: see :func:`kpi.core.catalogue_sync.catalogue_in_force`.
    """
    source = Path(path) if path else catalogue_path()
    try:
        stat = source.stat()
    except OSError as exc:
        raise CatalogueError(f"there is no catalogue file at {source}") from exc
    return _read_catalogue(source, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read_catalogue(source: Path, mtime_ns: int, size: int) -> dict[str, Kpi]:
    """The catalogue at ``source``, cached while the file is unchanged (modification time and size)."""
    with open(source, "rb") as handle:
        entries = tomllib.load(handle).get("kpi", [])
    kpis: dict[str, Kpi] = {}
    for position, entry in enumerate(entries, start=1):
        kpi = _check_entry(entry, position)
        if kpi.code in kpis:
            raise CatalogueError(f"catalogue entry {position}: code {kpi.code} is used twice")
        kpis[kpi.code] = kpi
    return kpis


@dataclass(frozen=True)
class SettingDefault:
    """A setting's default value and its help text."""

    key: str
    value: object
    help: str


@lru_cache(maxsize=4)
def load_setting_defaults(path: Path | None = None) -> dict[str, SettingDefault]:
    """Read ``config/settings.toml``: every setting a commissioner may change, with its default and help."""
    source = path or CONFIG_DIR / "settings.toml"
    with open(source, "rb") as handle:
        table = tomllib.load(handle).get("settings", {})
    return {key: SettingDefault(key, spec["value"], spec["help"]) for key, spec in table.items()}
