"""Exports escape formula injection (docs/operations.md, "Bad files"; OWASP "CSV injection").

A cell a spreadsheet would run as a formula (it starts ``= + - @``, a tab or a carriage return) is written with a
leading ``'`` in every CSV the app or the command line hands out (``kpi.core.charts.safe_csv``), column names included;
workbooks write such text as text, never as a formula. Hostile text reaches the database through free-text fields
(comments, reasons) and codes a council chooses (locality codes and names), so the tests plant it there.
"""

import csv
import io
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi import cli
from kpi.access.principal import local_principal
from kpi.core import charts as charts
from kpi.sample import COUNCIL_CODE

ROOT = Path(__file__).resolve().parents[3]
HOSTILE = [
    '=HYPERLINK("http://example.invalid/x","Click for details")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def _runs_as_formula(cell: str) -> bool:
    return cell.startswith(charts.FORMULA_PREFIXES)


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_csv_escapes_every_formula_prefix(text):
    out = _cells(charts.safe_csv(pl.DataFrame({"comment": [text, "fine"]})))
    assert out[1] == ["'" + text]
    assert out[2] == ["fine"]


def test_safe_csv_keeps_numbers_and_escapes_names_categoricals_and_enums():
    frame = pl.DataFrame(
        {
            "=cmd|' /C calc'!A0": ["x"],
            "change_pts": [-2.5],
            "count": [-3],
            "rag": pl.Series(["@SUM(1)"], dtype=pl.Categorical),
            "level": pl.Series(["=x"], dtype=pl.Enum(["=x", "y"])),
            "blank": pl.Series([None], dtype=pl.String),
        }
    )
    header, row = _cells(charts.safe_csv(frame))
    assert header[0] == "'=cmd|' /C calc'!A0"
    assert row == ["x", "-2.5", "-3", "'@SUM(1)", "'=x", ""]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE), st.none()),
        min_size=1,
        max_size=8,
    )
)
def test_no_cell_of_safe_csv_runs_as_a_formula(values):
    frame = pl.DataFrame(
        {"text": values, "number": list(range(-len(values), 0))}, schema_overrides={"text": pl.String}
    )
    for row in _cells(charts.safe_csv(frame))[1:]:
        assert not _runs_as_formula(row[0])
        assert re.fullmatch(r"-\d+", row[1])  # numbers stay numbers


def test_page_downloads_go_through_safe_csv():
    """Pages hand out CSV only through pages/_app/widgets.download_frame (which uses safe_csv), never write_csv."""
    ui = (ROOT / "pages" / "_app" / "widgets.py").read_text(encoding="utf-8")
    assert "charts.safe_csv(frame)" in ui
    for page in (ROOT / "pages").rglob("*.py"):
        assert "write_csv(" not in page.read_text(encoding="utf-8"), (
            f"{page.name} writes CSV without escaping"
        )


def test_kpi_writes_csv_only_through_safe_csv_or_for_itself():
    """In the library, CSV is written raw only where it never reaches a spreadsheet (stored copies, digests)."""
    internal = {
        "core/charts.py",
        "outcomes/load.py",
        "reports/pack/frames.py",
    }  # safe_csv; a stored fetch; a hash
    for module in (ROOT / "kpi").rglob("*.py"):
        if module.relative_to(ROOT / "kpi").as_posix() in internal:
            continue
        assert "write_csv(" not in module.read_text(encoding="utf-8"), f"{module} writes CSV without safe_csv"


def test_the_command_lines_csv_escapes_a_hostile_reason(sample_db_copy, hcp_today, capsys):
    arguments = ["--db", str(sample_db_copy), "targets"]
    reason = HOSTILE[0]
    assert (
        cli.main([*arguments, "set", "C2", "--target", "92", "--from", "2026-27 Q1", "--reason", reason]) == 0
    )
    capsys.readouterr()
    assert cli.main([*arguments, "list"]) == 0
    printed = capsys.readouterr().out
    cells = [cell for row in csv.reader(io.StringIO(printed)) for cell in row]
    assert "'" + reason in cells
    assert not any(_runs_as_formula(cell) for cell in cells)


def test_returns_page_data_with_hostile_comments_exports_safely(sample_store):
    from kpi.access.principal import LOCAL_USER
    from kpi.returns import review as submissions

    sid = sample_store.query("select max(submission_id) from submissions").item()
    with sample_store.transaction() as cur:
        cur.execute(
            "update return_rows set comment = ? where submission_id = ? and source_row = 2", [HOSTILE[0], sid]
        )
    rows = submissions.submission_rows(sample_store, sid, LOCAL_USER)
    cells = [cell for row in _cells(charts.safe_csv(rows)) for cell in row]
    assert "'" + HOSTILE[0] in cells
    assert not any(_runs_as_formula(cell) for cell in cells)


def test_a_locality_code_that_looks_like_a_formula_is_refused_at_load(sample_store):
    """Codes travel into templates and pivots: only letters, digits, - and _ are codes (names are free text)."""
    from kpi.core.councils import load_localities

    lookup = (ROOT / "sample_data" / "reference" / "trafford_localities.csv").read_text(encoding="utf-8")
    for code in ['"=HYPERLINK(""http://x"")"', "+1", "-NORTH", "@A", "ALL"]:
        hostile = lookup.replace(",NORTH,North", f",{code},North")
        report = load_localities(
            sample_store,
            COUNCIL_CODE,
            hostile.encode("utf-8"),
            "hostile.csv",
            principal=local_principal("test"),
        )
        assert not report.ok, code
        assert "is not a locality code" in report.to_text() or "ALL is kept" in report.to_text()
    named = lookup.replace(",NORTH,North", ',NORTH,"=HYPERLINK(""http://x"")"')
    assert load_localities(
        sample_store, COUNCIL_CODE, named.encode("utf-8"), "named.csv", principal=local_principal("test")
    ).ok


def test_the_return_template_writes_no_formula_but_its_own_sums(sample_store):
    """The blank return a provider downloads carries the council's codes, never a formula from data: the only
    formulas in the workbook are its own all-deciles sums over the decile rows above them (issue #15)."""
    openpyxl = pytest.importorskip("openpyxl")
    template = pytest.importorskip("kpi.returns.template")
    from kpi.access.principal import LOCAL_USER
    from kpi.core.councils import load_localities

    lookup = (ROOT / "sample_data" / "reference" / "trafford_localities.csv").read_text(encoding="utf-8")
    named = lookup.replace(",NORTH,North", ',NORTH,"=HYPERLINK(""http://x"")"')  # a hostile name, a fine code
    assert load_localities(
        sample_store, COUNCIL_CODE, named.encode("utf-8"), "named.csv", principal=local_principal("test")
    ).ok
    period = template.open_periods()[0]
    made = template.template_csv(sample_store, LOCAL_USER, COUNCIL_CODE, "ZZ1", period)
    assert not any(_runs_as_formula(cell) for row in _cells(made) for cell in row), (
        "the CSV template holds a formula"
    )
    workbook = template.template_xlsx(sample_store, LOCAL_USER, COUNCIL_CODE, "ZZ1", period)
    book = openpyxl.load_workbook(io.BytesIO(workbook), data_only=False)
    sums = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                own = re.fullmatch(rf"=SUM\(({cell.column_letter})(\d+):\1(\d+)\)", str(cell.value))
                assert sheet.title == "Return" and own and int(own.group(3)) < cell.row, (
                    f"{sheet.title}!{cell.coordinate} is a formula that is not the template's own sum: {cell.value!r}"
                )
                sums += 1
    assert sums > 0  # the all-deciles rows are sums in the workbook
