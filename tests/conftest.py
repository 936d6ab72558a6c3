"""Shared fixtures: the sample database (built once per session), writable copies of it, and return files.

* ``sample_db_path``: the sample database built once with :func:`kpi.sample.build_sample`. Never write to it:
  tests that write take ``sample_db_copy`` (a copy of the file, much faster than a rebuild) or ``sample_store``
  (that copy, opened read-write).
* ``sample_ro_store``: the session database opened read-only, for checks that write nothing.
* ``hcp_today``: fixes the clock (``HCP_TODAY``) at 2026-11-23, after the sample's last quarter (2026-27 Q2) ended.
  Every test runs with that clock (``one_clock``, autouse), so the suite passes on any date: a test that needs
  another date sets its own, and the few that test the wall clock itself remove it.
* ``return_rows``: the sample's 2026-27 Q2 return (a valid file) as editable rows; ``write_return`` writes rows
  to a CSV or XLSX file; ``check_return`` runs the loader with ``check_only`` and returns its report.
* ``table_counts``: the row count of every table of a store, to show that something wrote nothing.
* ``tiny_council_path`` / ``tiny_council``: a tiny council built through the library's loaders in a second or two
  (four localities of two LSOAs each, one provider, two quarters of a return, a dozen NCMP children at two
  schools), for tests that need a little real data rather than the whole sample; ``tiny_council`` is a writable
  copy, open read-write with the clock fixed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from kpi.access.principal import local_principal
from kpi.core.store import Store
from kpi.ingest.report import Report
from kpi.sample import COUNCIL_CODE, PROVIDER_CODE, SAMPLE_DIR, build_sample

TODAY = "2026-11-23"
RETURN_COLUMNS = [
    "period",
    "provider_code",
    "metric_code",
    "locality_code",
    "imd_decile",
    "numerator",
    "denominator",
    "comment",
]
SAMPLE_Q2_RETURN = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample database, built once per session. Read only: copy it (``sample_db_copy``) to write."""
    target = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", TODAY)
        build_sample(target)
    assert not Path(str(target) + ".wal").exists(), "the sample database should be checkpointed when built"
    return target


@pytest.fixture(autouse=True)
def one_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test reads the one clock (``kpi.core.periods.now``) fixed at ``TODAY``, never the machine's date."""
    monkeypatch.setenv("HCP_TODAY", TODAY)


@pytest.fixture
def hcp_today(monkeypatch: pytest.MonkeyPatch) -> date:
    """Fix today's date (``HCP_TODAY``) at 2026-11-23: 2026-27 Q2 has ended, Q3 has not."""
    monkeypatch.setenv("HCP_TODAY", TODAY)
    return date.fromisoformat(TODAY)


@pytest.fixture
def sample_db_copy(sample_db_path: Path, tmp_path: Path) -> Path:
    """A writable copy of the sample database file (not opened)."""
    target = tmp_path / "db" / "hcp.duckdb"
    target.parent.mkdir()
    shutil.copyfile(sample_db_path, target)
    return target


@contextlib.contextmanager
def open_sample_copy(sample_db_path: Path, folder: Path) -> Iterator[Store]:
    """A writable copy of the sample database in ``folder``, open, with the clock fixed (for module fixtures)."""
    target = folder / "hcp.duckdb"
    shutil.copyfile(sample_db_path, target)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", TODAY)
        store = Store.open(target)
        try:
            yield store
        finally:
            store.close()


@pytest.fixture
def sample_store(sample_db_copy: Path, hcp_today: date) -> Iterator[Store]:
    """A copy of the sample database, open read-write, with the clock fixed (``hcp_today``)."""
    store = Store.open(sample_db_copy)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session")
def sample_ro_store(sample_db_path: Path) -> Iterator[Store]:
    """The session's sample database opened read-only (for checks that write nothing)."""
    store = Store.open(sample_db_path, read_only=True)
    try:
        yield store
    finally:
        store.close()


class ReturnRows(list):
    """A provider return as a list of rows (dicts of text keyed by column), with look-ups by key."""

    def index_of(self, metric: str, locality: str, decile: str = "") -> int:
        """Position in the list of the row for a metric, locality and decile ("" = all deciles)."""
        for position, row in enumerate(self):
            if (row["metric_code"], row["locality_code"], row["imd_decile"]) == (metric, locality, decile):
                return position
        raise KeyError((metric, locality, decile))

    def row(self, metric: str, locality: str, decile: str = "") -> dict:
        """The row for a metric, locality and decile."""
        return self[self.index_of(metric, locality, decile)]

    def source_row(self, metric: str, locality: str, decile: str = "") -> int:
        """The row's number in the written file as a spreadsheet shows it (header = row 1)."""
        return self.index_of(metric, locality, decile) + 2


@pytest.fixture
def return_rows() -> ReturnRows:
    """The sample's 2026-27 Q2 return for ZZ1 (valid, no warnings against the sample database) as rows."""
    with open(SAMPLE_Q2_RETURN, newline="", encoding="utf-8") as handle:
        return ReturnRows(dict(row) for row in csv.DictReader(handle))


def _cell(value: object) -> object:
    """For XLSX: numbers as numbers (as a spreadsheet holds them), everything else as text."""
    text = "" if value is None else str(value)
    if text.isdigit():
        return int(text)
    return text if text else None


@pytest.fixture
def write_return(tmp_path: Path) -> Callable[..., Path]:
    """Write rows to a return file in ``tmp_path``; returns its path.

    ``write_return(rows, name="return.csv", *, columns=None, encoding="utf-8", bom=False, line_end="\\n",
    sheet="Return")``: ``columns`` picks and orders the header (default: the first row's keys); a name ending
    ``.xlsx`` writes a workbook with xlsxwriter (numbers as numbers) on sheet ``sheet``.
    """
    folder = tmp_path / "returns"
    folder.mkdir(exist_ok=True)

    def write(
        rows: list[dict],
        name: str = "return.csv",
        *,
        columns: list[str] | None = None,
        encoding: str = "utf-8",
        bom: bool = False,
        line_end: str = "\n",
        sheet: str = "Return",
    ) -> Path:
        header = list(columns) if columns is not None else (list(rows[0]) if rows else list(RETURN_COLUMNS))
        path = folder / name
        if name.lower().endswith(".xlsx"):
            import xlsxwriter

            buffer = io.BytesIO()
            workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
            worksheet = workbook.add_worksheet(sheet)
            worksheet.write_row(0, 0, header)
            for number, row in enumerate(rows, start=1):
                for column, key in enumerate(header):
                    value = _cell(row.get(key))
                    if value is not None:
                        worksheet.write(number, column, value)
            workbook.close()
            path.write_bytes(buffer.getvalue())
            return path
        text = io.StringIO()
        writer = csv.writer(text, lineterminator=line_end)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(key) is None else row.get(key) for key in header])
        data = text.getvalue().encode(encoding)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return path

    return write


@pytest.fixture
def check_return(sample_ro_store: Store, hcp_today: date) -> Callable[..., Report]:
    """Validate a return file (path or bytes) against the sample database, writing nothing; returns the report.

    ``check_return(path_or_bytes, *, provider="ZZ1", name=None)``.
    """
    from kpi.returns.load import CHECKED, load_return

    def check(file: Path | bytes, *, provider: str = PROVIDER_CODE, name: str | None = None) -> Report:
        data = file if isinstance(file, bytes) else Path(file).read_bytes()
        file_name = name or (Path(file).name if not isinstance(file, bytes) else "return.csv")
        result = load_return(
            sample_ro_store,
            data,
            file_name,
            council_code=COUNCIL_CODE,
            provider_code=provider,
            principal=local_principal("test"),
            check_only=True,
        )
        assert result.outcome == CHECKED
        return result.report

    return check


@pytest.fixture
def table_counts() -> Callable[[Store], dict[str, int]]:
    """``table_counts(store)``: rows in every table of the store, by table name."""

    def counts(store: Store) -> dict[str, int]:
        names = store.query("select table_name from duckdb_tables() order by table_name")[
            "table_name"
        ].to_list()
        return {name: store.query(f'select count(*) from "{name}"').item() for name in names}

    return counts


# ---- a tiny council: a little of everything, built through the loaders ---------------------------------------------

#: The tiny council's 2026-27 returns: C2 (new birth visits within 14 days, target 90%, amber from 85%) per
#: locality x decile (the deciles its LSOAs hold), by locality: NORTH is red (72.5%) and explained on the return,
#: SOUTH and CENTRAL green, WEST amber; C3 (after 14 days) one visit a cell; FNP1 for the borough. Every cell has 20
#: infants.
TINY_C2 = {"CENTRAL": (18,), "NORTH": (14, 15), "SOUTH": (19, 19), "WEST": (17, 17)}
TINY_NORTH_COMMENT = "North team 3.0 WTE vacant; two new starters due in November"
TINY_QUARTERS = (("2026-27 Q1", datetime(2026, 8, 3, 9)), ("2026-27 Q2", datetime(2026, 11, 2, 9)))


def _tiny_return(period: str, cells: dict[str, list[int]]) -> bytes:
    """One quarter's return for the tiny council (cells: each locality's deciles, two LSOAs each)."""
    lines = [",".join(RETURN_COLUMNS)]
    for kpi in ("C2", "C3"):
        for locality, deciles in sorted(cells.items()):
            numerators = TINY_C2[locality] if kpi == "C2" else (1,) * len(deciles)
            for decile, numerator in zip(deciles, numerators, strict=True):
                lines.append(f"{period},{PROVIDER_CODE},{kpi},{locality},{decile},{numerator},20,")
            comment = TINY_NORTH_COMMENT if (kpi, locality) == ("C2", "NORTH") else ""
            total, infants = sum(numerators), 20 * len(deciles)
            lines.append(f"{period},{PROVIDER_CODE},{kpi},{locality},,{total},{infants},{comment}")
    lines.append(f"{period},{PROVIDER_CODE},FNP1,ALL,,13,20,")
    return ("\n".join(lines) + "\n").encode()


def build_tiny_council(target: Path) -> None:
    """Build the tiny council at ``target`` through the library's loaders (each load must write)."""
    from kpi.core import deprivation
    from kpi.core.councils import add_provider, init_council, load_localities, locality_cells
    from kpi.ncmp.load import load_ncmp, load_ncmp_eligible
    from kpi.returns.load import WRITTEN, load_return

    who = local_principal("tiny")
    with Store.open(target) as store:
        init_council(store, COUNCIL_CODE, principal=who)
        add_provider(store, COUNCIL_CODE, PROVIDER_CODE, "Tiny provider", "Tiny contract", principal=who)
        lookup = pl.read_csv(SAMPLE_DIR / "reference" / "trafford_localities.csv")
        lookup = lookup.group_by("locality_code", maintain_order=True).head(2).sort("lsoa_code")
        report = load_localities(
            store, COUNCIL_CODE, lookup.write_csv().encode(), "localities.csv", principal=who,
            loaded_at=datetime(2022, 4, 1),
        )  # fmt: skip
        assert report.ok, report.to_text()
        for period, received_at in TINY_QUARTERS:
            # the quarter's deprivation index decides the cells (2026-27: IoD2025, where North's second LSOA is
            # in decile 3, not IoD2019's 4; docs/methods.md section 7.1)
            index = deprivation.index_for_period(store, COUNCIL_CODE, period)
            held = locality_cells(store, COUNCIL_CODE, index_code=index)
            cells = {loc: sorted(set(g["imd_decile"])) for (loc,), g in held.group_by("locality_code")}
            result = load_return(
                store, _tiny_return(period, cells), f"tiny_{period}.csv", council_code=COUNCIL_CODE,
                provider_code=PROVIDER_CODE, principal=who, source="sample", accept_warnings=True,
                reason="tiny council: two KPIs only", received_at=received_at,
            )  # fmt: skip
            assert result.outcome == WRITTEN, result.report.to_text()
        eligible = pl.read_csv(SAMPLE_DIR / "ncmp" / "ncmp_eligible_2025-26.csv", infer_schema_length=0)
        schools = eligible["school_urn"].unique(maintain_order=True).head(2).to_list()
        children = pl.read_csv(SAMPLE_DIR / "ncmp" / "ncmp_2025-26.csv.gz", infer_schema_length=0)
        children = children.filter(pl.col("school_urn").is_in(schools))
        files = (
            (load_ncmp_eligible, eligible.filter(pl.col("school_urn").is_in(schools)), datetime(2026, 9, 1)),
            (load_ncmp, children.group_by("school_urn", "school_year", maintain_order=True).head(3),
             datetime(2026, 9, 2)),
        )  # fmt: skip
        for loader, frame, loaded_at in files:
            result = loader(
                store, frame.write_csv().encode(), f"{loader.__name__}.csv", council_code=COUNCIL_CODE,
                principal=who, source="sample", loaded_at=loaded_at,
            )  # fmt: skip
            assert result.outcome == WRITTEN, result.report.to_text()


@pytest.fixture(scope="session")
def tiny_council_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny council's database, built once per session. Read only: take ``tiny_council`` to write."""
    target = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", TODAY)
        build_tiny_council(target)
    return target


@pytest.fixture
def tiny_council(tiny_council_path: Path, tmp_path: Path, hcp_today: date) -> Iterator[Store]:
    """A writable copy of the tiny council's database, open read-write, with the clock fixed (``hcp_today``)."""
    target = tmp_path / "tiny" / "hcp.duckdb"
    target.parent.mkdir()
    shutil.copyfile(tiny_council_path, target)
    store = Store.open(target)
    try:
        yield store
    finally:
        store.close()


# ---- the browser: one Playwright driver and one Chromium for the whole session ------------------------------------
# Playwright's sync API allows one driver at a time in a process, so every browser test (tests/browser,
# tests/security) shares these; a test that needs other Chromium flags launches from ``playwright_driver``.


@pytest.fixture(scope="session")
def playwright_driver():
    """The session's Playwright driver (skips, or fails under HCP_REQUIRE_BROWSER=1, without Debian's Chromium)."""
    from tests.browser.conftest import _chromium

    _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """Debian's Chromium, headless, with the flags this machine needs (tests/browser/conftest.py)."""
    from tests.browser.conftest import CHROMIUM_FLAGS, _chromium

    launched = playwright_driver.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
    yield launched
    launched.close()


# ---- independent references must not go quietly missing ------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under ``HCP_REQUIRE_ORACLES=1`` (CI), a check skipped because an oracle file is absent fails instead.

    The oracle checks read ``../shared/oracles`` in place and skip with a reason naming the oracle where it is
    absent (a clone on its own); in CI a skipped oracle would hide a method that no longer matches its reference.
    """
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("HCP_REQUIRE_ORACLES") == "1":
        reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
        if "oracle" in reason.lower() or "cole" in reason.lower():
            report.outcome = "failed"
            report.longrepr = f"an independent reference was skipped under HCP_REQUIRE_ORACLES=1: {reason}"
