"""The bad-input corpus (tests/data/bad_inputs/, made by tests/data/make_bad_inputs.py) through the real loaders.

Every file of ``manifest.csv`` is loaded (not just checked) into a copy of the sample database through
:func:`kpi.ingest.pipeline.run_load` with the registry's spec (:mod:`kpi.cli.datasets`) of the dataset the manifest
names, as ``hcp load`` does: the user must see the expected message, and a rejected file must change
nothing but the audit log's one "rejected" entry (every other table keeps its row count). Files that load (free
text that looks like a formula or SQL, path-like names, tolerated encodings) are stored as sent, under their base
name, and what a user downloads escapes the formulas.
"""

import csv
import sys
from pathlib import Path

import polars as pl
import pytest

from kpi.access.principal import LOCAL_USER, local_principal
from kpi.cli.datasets import DATASETS, dataset_spec
from kpi.core import charts as charts
from kpi.ingest.pipeline import run_load
from kpi.sample import COUNCIL_CODE, PROVIDER_CODE

DATA = Path(__file__).resolve().parents[2] / "data"
CORPUS = DATA / "bad_inputs"
sys.path.insert(0, str(DATA))
import make_bad_inputs  # noqa: E402

with open(CORPUS / "manifest.csv", encoding="utf-8", newline="") as _handle:
    MANIFEST = list(csv.DictReader(_handle))
LOADERS = sorted({row["loader"] for row in MANIFEST})


def load(store, loader: str, data: bytes, name: str):
    """Load a file with the registry's spec of the dataset, as ``hcp load`` does; (outcome, what the user sees)."""
    spec = dataset_spec(loader)
    options = {"provider_code": PROVIDER_CODE} if spec.provider_option else {}
    result = run_load(
        store, spec, data, name, council_code=COUNCIL_CODE, principal=local_principal("corpus"), **options
    )
    return result.outcome, result.report.to_text() + "\n" + result.message


def test_the_corpus_is_what_the_script_makes(tmp_path):
    """The committed files are exactly what make_bad_inputs.py writes (so the corpus can be regenerated)."""
    cases = make_bad_inputs.write(tmp_path)
    committed = sorted(p.name for p in CORPUS.iterdir() if p.name not in ("README.md",))
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), (
            f"{name} differs: rerun the script"
        )
    assert len(cases) >= 40
    assert (
        set(LOADERS)
        == set(DATASETS)
        == {
            "mandated-contacts",
            "localities",
            "ncmp",
            "ncmp-eligible",
            "fingertips",
            "outcome-measures",
            "peers",
            "hv-records",
        }
    )


def test_the_corpus_covers_what_issue_9_names():
    files = {row["file"] for row in MANIFEST}
    for needed in (
        "mc_truncated.xlsx",
        "mc_zip_bomb.xlsx",
        "mc_macro.xlsm",
        "mc_vba_inside.xlsx",
        make_bad_inputs.GENERATED_BIG,
        "mc_utf16_no_bom.csv",
        "mc_latin1.csv",
        "mc_binary_garbage.csv",
        "mc_formula_injection.csv",
        "mc_sql_in_comment.csv",
        "mc_path_unix.csv",
        "mc_path_windows.csv",
        "ncmp_dates_excel_serial.csv",
        "ncmp_dates_serial.xlsx",
    ):
        assert needed in files
    assert len([f for f in files if f.startswith("ncmp_dates_")]) >= 5
    assert all(row["expected_message_substring"] for row in MANIFEST)


@pytest.fixture(scope="module")
def corpus_store(sample_db_path, tmp_path_factory):
    """One writable copy of the sample shared by the files that must be rejected (each changes nothing)."""
    from tests.conftest import open_sample_copy

    with open_sample_copy(sample_db_path, tmp_path_factory.mktemp("corpus")) as store:
        yield store


@pytest.mark.parametrize("case", MANIFEST, ids=[row["file"] for row in MANIFEST])
def test_each_bad_input_gives_its_message_and_a_rejection_changes_nothing(
    case, request, table_counts, tmp_path
):
    # a file that must be rejected shares one store (it must change nothing); one that loads gets its own copy
    sample_store = request.getfixturevalue(
        "corpus_store" if case["expected_outcome"] == "rejected" else "sample_store"
    )
    if case["file"] == make_bad_inputs.GENERATED_BIG:
        path = make_bad_inputs.big_csv(tmp_path)
        assert path.stat().st_size >= make_bad_inputs.BIG_CSV_BYTES
    else:
        path = CORPUS / case["file"]
    name = case["upload_name"] or case["file"]
    before = table_counts(sample_store)
    outcome, shown = load(sample_store, case["loader"], path.read_bytes(), name)
    assert case["expected_message_substring"] in shown, shown[:2000]
    assert outcome == case["expected_outcome"], shown[:2000]
    assert "Traceback" not in shown
    after = table_counts(sample_store)
    if outcome == "rejected":
        assert {t: n for t, n in after.items() if t != "audit_log"} == {
            t: n for t, n in before.items() if t != "audit_log"
        }
        assert after["audit_log"] - before["audit_log"] <= 1
        last = sample_store.query("select action from audit_log order by audit_id desc limit 1").item()
        assert after["audit_log"] == before["audit_log"] or "rejected" in last
    else:
        assert after != before


def _submission(store, sid=None):
    return store.query(
        "select * from submissions where submission_id = (select max(submission_id) from submissions)"
    ).row(0, named=True)


@pytest.mark.parametrize(
    ("file", "upload", "stored"),
    [
        ("mc_path_unix.csv", "../../etc/passwd.csv", "passwd.csv"),
        ("mc_path_windows.csv", "C:\\x\\y.csv", "y.csv"),
    ],
)
def test_path_like_names_are_stored_as_their_base_name(file, upload, stored, sample_store):
    outcome, _ = load(sample_store, "mandated-contacts", (CORPUS / file).read_bytes(), upload)
    assert outcome == "written"
    row = _submission(sample_store)
    assert row["file_name"] == stored
    subjects = sample_store.query("select subject from audit_log order by audit_id desc limit 1").item()
    assert subjects == stored


def test_sql_in_a_comment_is_stored_literally_and_nothing_is_dropped(sample_store, table_counts):
    before = table_counts(sample_store)
    outcome, _ = load(
        sample_store, "mandated-contacts", (CORPUS / "mc_sql_in_comment.csv").read_bytes(), "r.csv"
    )
    assert outcome == "written"
    after = table_counts(sample_store)
    assert set(after) == set(before)  # every table is still there
    assert after["submissions"] == before["submissions"] + 1
    comments = sample_store.query(
        "select comment from return_rows where submission_id = (select max(submission_id) from submissions) "
        "and comment is not null"
    )["comment"].to_list()
    assert "'; drop table submissions; --" in comments


def test_sql_in_a_locality_name_is_stored_literally(sample_store):
    outcome, _ = load(sample_store, "localities", (CORPUS / "loc_sql_in_name.csv").read_bytes(), "l.csv")
    assert outcome == "written"
    from kpi.core.councils import localities

    names = localities(sample_store, COUNCIL_CODE)["locality_name"].to_list()
    assert "North'); drop table localities; --" in names


@pytest.mark.parametrize("file", ["mc_formula_injection.csv", "mc_formula_injection.xlsx"])
def test_formulas_in_comments_load_but_every_export_escapes_them(file, sample_store):
    from kpi.returns import review as submissions

    outcome, _ = load(sample_store, "mandated-contacts", (CORPUS / file).read_bytes(), file)
    assert outcome == "written"
    sid = _submission(sample_store)["submission_id"]
    rows = submissions.submission_rows(sample_store, sid, LOCAL_USER)
    stored = [c for c in rows["comment"].to_list() if c]
    assert any(c.startswith('=HYPERLINK("http://example.invalid/x"') for c in stored), stored
    exported = charts.safe_csv(rows).decode("utf-8")
    for line in csv.reader(exported.splitlines()):
        for cell in line:
            assert not cell.startswith(charts.FORMULA_PREFIXES), (
                f"an exported cell runs as a formula: {cell!r}"
            )
    assert "'=HYPERLINK(" in exported
    listing = submissions.list_submissions(sample_store, COUNCIL_CODE, LOCAL_USER)
    for line in csv.reader(charts.safe_csv(listing).decode("utf-8").splitlines()):
        assert not any(cell.startswith(charts.FORMULA_PREFIXES) for cell in line)


def test_rejected_loads_write_one_audit_entry_naming_the_base_name(sample_store):
    outcome, _ = load(
        sample_store, "mandated-contacts", (CORPUS / "mc_nul_bytes.csv").read_bytes(), "C:\\in\\r.csv"
    )
    assert outcome == "rejected"
    row = sample_store.query("select action, subject from audit_log order by audit_id desc limit 1").row(0)
    assert row == ("return rejected", "r.csv")


def test_the_corpus_readme_names_every_file():
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert "make_bad_inputs.py" in readme and "manifest.csv" in readme
    assert pl.read_csv(CORPUS / "manifest.csv").height == len(MANIFEST)
