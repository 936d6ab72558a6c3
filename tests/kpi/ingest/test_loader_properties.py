"""Property tests: no input crashes a loader, and a rejected input changes nothing (docs/operations.md, "Bad files").

For every loader (the ``hcp load`` datasets), hypothesis feeds arbitrary bytes and mutations of a valid file
(bytes replaced, inserted, deleted, the file cut short, delimiters swapped, lines repeated, NUL bytes, a damaged
workbook) under various file names. The loader must answer with a report (problems the user can read), never an
unhandled exception; when it rejects the file, every table but the audit log keeps its row count and the audit
log gains at most the one "rejected" entry.
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_inputs import CORPUS, load  # noqa: E402  (tests/kpi/ingest is on sys.path)

from kpi.sample import SAMPLE_DIR
from tests.conftest import open_sample_copy

SEEDS = {
    "mandated-contacts": SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv",
    "localities": SAMPLE_DIR / "reference" / "trafford_localities.csv",
    "ncmp": CORPUS / "ncmp_dates_iso.csv",
    "ncmp-eligible": SAMPLE_DIR / "ncmp" / "ncmp_eligible_2024-25.csv",
    "fingertips": SAMPLE_DIR / "fingertips" / "fingertips_trafford_synthetic.csv",
    "outcome-measures": SAMPLE_DIR / "outcome_measures" / "local_outcome_measures.csv",
}
WORKBOOK_SEEDS = {
    "mandated-contacts": SAMPLE_DIR / "provider_returns" / "mandated_contacts_2024-25_Q1.xlsx",
    "ncmp": CORPUS / "ncmp_dates_cells.xlsx",
}
NAMES = [
    "return.csv",
    "return.CSV",
    "return.xlsx",
    "return.xlsm",
    "return",
    "../../return.csv",
    "C:\\x\\return.csv",
]
OUTCOMES = {"written", "rejected", "warnings unconfirmed", "duplicate"}


@pytest.fixture(scope="module")
def shared_store(sample_db_path, tmp_path_factory):
    """One writable copy of the sample for all examples of a loader (each example compares its own before/after)."""
    with open_sample_copy(sample_db_path, tmp_path_factory.mktemp("properties")) as store:
        yield store


def _counts(store):
    names = store.query("select table_name from duckdb_tables() order by 1")["table_name"].to_list()
    return {name: store.query(f'select count(*) from "{name}"').item() for name in names}


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """A valid file with a few edits an upload might suffer (or an attacker might make)."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(
            st.sampled_from(
                ["replace", "insert", "delete", "truncate", "delimiter", "repeat", "nul", "quote"]
            )
        )
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if operation == "replace" and data:
            data[at] = draw(st.integers(0, 255))
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif operation == "truncate":
            del data[at:]
        elif operation == "delimiter":
            data = bytearray(
                bytes(data).replace(b",", draw(st.sampled_from([b";", b"\t", b"|", b",,", b""])))
            )
        elif operation == "repeat":
            lines = bytes(data).split(b"\n")
            if lines:
                line = lines[draw(st.integers(0, len(lines) - 1))]
                lines.insert(draw(st.integers(0, len(lines))), line)
                data = bytearray(b"\n".join(lines))
        elif operation == "nul":
            data[at:at] = b"\x00"
        elif operation == "quote":
            data[at:at] = b'"'
    return bytes(data)


def _check(store, loader: str, data: bytes, name: str) -> None:
    before = _counts(store)
    outcome, shown = load(store, loader, data, name)  # any exception fails the test
    assert outcome in OUTCOMES, outcome
    assert isinstance(shown, str) and shown.strip()
    after = _counts(store)
    if outcome == "rejected":
        assert {t: n for t, n in after.items() if t != "audit_log"} == {
            t: n for t, n in before.items() if t != "audit_log"
        }, shown[:1000]
        assert after["audit_log"] - before["audit_log"] <= 1


def _inputs(loader: str):
    seed = SEEDS[loader].read_bytes()
    candidates = [mutated(seed), st.binary(max_size=3000)]
    if loader in WORKBOOK_SEEDS:
        candidates.append(mutated(WORKBOOK_SEEDS[loader].read_bytes()))
    return st.one_of(*candidates)


PROPERTY_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize("loader", sorted(SEEDS))
def test_no_input_crashes_a_loader_and_a_rejection_changes_nothing(loader, shared_store):
    @PROPERTY_SETTINGS
    @given(data=_inputs(loader), name=st.sampled_from(NAMES))
    def run(data, name):
        if loader == "ncmp" and name.endswith((".xlsx", ".xlsm")) and not data.startswith(b"PK"):
            name = "return.csv"  # a CSV named .xlsx is the shared reader's case, tested for the return
        _check(shared_store, loader, data, name)

    run()


@PROPERTY_SETTINGS
@given(
    header=st.lists(
        st.text(alphabet="abcdeNUMERATORperiod_ ;\t\"'=", min_size=1, max_size=12), min_size=1, max_size=9
    )
)
def test_any_header_is_read_or_refused_with_a_message(header):
    """Headers that repeat a name (also after case and spaces), are blank or hold quotes never crash the reader."""
    from kpi.ingest.files import ReadError, read_text_table

    line = ",".join('"' + h.replace('"', '""') + '"' for h in header)
    data = (line + "\n" + ",".join("1" for _ in header) + "\n").encode("utf-8")
    try:
        table = read_text_table(data, "header.csv")
    except ReadError as exc:
        assert str(exc)
    else:
        assert len(set(table.frame.columns)) == table.frame.width


def test_seeds_are_valid_files():
    """The starting points load (so the mutations test damage, not files that never worked)."""
    for path in [*SEEDS.values(), *WORKBOOK_SEEDS.values()]:
        assert Path(path).is_file() and Path(path).stat().st_size > 0
