"""A CSDS submission's separate tables load as they come: joined on their keys, every problem named by table file,
row and column, and breastfeeding status read from CYP202's SNOMED CT findings before CYP610 (docs/methods.md
section 10)."""

from __future__ import annotations

import pytest

from kpi.access.principal import local_principal
from kpi.core.councils import add_provider
from kpi.hvrecords.load import load_hv_records
from kpi.ingest.pipeline import REJECTED, WRITTEN
from tests.kpi.hvrecords.fixture import C2_CELLS, EXPECTED, csds_tables, extract
from tests.sql.given import COUNCIL, council_with_localities

WHO = local_principal("test")


@pytest.fixture()
def store():
    store = council_with_localities([(1, "NORTH"), (5, "SOUTH")])
    add_provider(store, COUNCIL, "ZZ1", "Sample Trust", "HCP", principal=WHO)
    yield store
    store.close()


def _lsoas(store) -> dict[str, str]:
    return dict(
        store.query("select locality_code, min(lsoa_code) from locality_lsoas group by 1").iter_rows()
    )


def _load(store, parts: list[tuple[str, bytes]], **options):
    return load_hv_records(
        store,
        b"".join(data for _, data in parts),
        " + ".join(name for name, _ in parts),
        council_code=COUNCIL,
        principal=WHO,
        provider_code="ZZ1",
        parts=parts,
        **options,
    )


def _counts(store) -> dict:
    frame = store.query(
        "select period, kpi_code, sum(numerator) as n, sum(denominator) as d from hv_kpi_counts group by all"
    )
    return {(p, k): (n, d) for p, k, n, d in frame.iter_rows()}


def _csv(text: str) -> bytes:
    return (text.strip() + "\n").encode()


def test_the_tables_load_and_their_kpis_agree_with_the_hand_counts_and_the_joined_extract(store):
    result = _load(store, csds_tables(_lsoas(store)))
    assert result.outcome == WRITTEN, result.report.to_text()
    assert "read as CSDS tables" in " ".join(result.report.notes)
    found = _counts(store)
    for key, expected in EXPECTED.items():
        assert found.get(key) == expected, key
    cells = store.query(
        "select locality_code, imd_decile, ethnic_group, numerator, denominator from hv_kpi_counts "
        "where period = '2025-26 Q1' and kpi_code = 'C2'"
    )
    assert {(a, b, c): (n, d) for a, b, c, n, d in cells.iter_rows()} == C2_CELLS
    # the joined extract of the same children derives exactly the same figures
    tables_counts = store.query("select * exclude (load_id) from hv_kpi_counts order by all")
    other = council_with_localities([(1, "NORTH"), (5, "SOUTH")])
    add_provider(other, COUNCIL, "ZZ1", "Sample Trust", "HCP", principal=WHO)
    joined = load_hv_records(
        other, extract(_lsoas(other)), "extract.csv", council_code=COUNCIL, principal=WHO, provider_code="ZZ1"
    )
    assert joined.outcome == WRITTEN
    assert other.query("select * exclude (load_id) from hv_kpi_counts order by all").equals(tables_counts)
    other.close()


PEOPLE = """
LocalPatientID,DateOfBirth,Gender,EthnicCategory
KID1,2025-04-10,1,A
KID2,2025-04-12,2,B
KID1,2025-04-10,1,A
KID3,2025-04-15,2,Z
"""
CONTACTS = """
CareContactID,LocalPatientID,Contact_Date,ConsMechanism,Activity_LocationType,AttendanceStatus
C1,KID1,2025-05-30,01,A01,5
C2,KID9,2025-05-30,01,A01,5
C3,KID1,2025-13-01,01,A01,5
C4,KID3,2025-05-31,07,A01,5
C1,KID3,2025-06-01,01,A01,5
"""
ACTIVITIES = """
CareActivityID,CareContactID,Activity_Type,CareProfessionalID_Local
A1,C1,99,S1
A2,C3,09,S1
A3,C4,09,S1
A4,C8,09,S1
"""


def test_every_problem_of_the_tables_is_reported_at_once_with_its_file_row_and_column(store):
    parts = [
        ("people.csv", _csv(PEOPLE)),
        ("contacts.csv", _csv(CONTACTS)),
        ("activities.csv", _csv(ACTIVITIES)),
        ("CYP610.csv", _csv("CareActivityID,BreastFeedingStatus\nA2,7\nA9,01")),
        ("CYP901.csv", _csv("CareProfessionalID_Local,practitioner_role\nS1,SCPHN")),
    ]
    result = _load(store, parts)
    assert result.outcome == REJECTED
    found = set(result.report.problems.select("check", "row", "column").iter_rows())
    assert found == {
        ("duplicate_key", 2, "localpatientid in people.csv"),  # KID1 twice
        ("duplicate_key", 4, "localpatientid in people.csv"),
        ("duplicate_key", 2, "carecontactid in contacts.csv"),  # C1 twice
        ("duplicate_key", 6, "carecontactid in contacts.csv"),
        ("orphan_row", 3, "localpatientid in contacts.csv"),  # a contact with no person
        ("orphan_row", 5, "carecontactid in activities.csv"),  # an activity with no contact
        ("orphan_row", 3, "careactivityid in CYP610.csv"),  # a status of no activity
        ("bad_date", 4, "contact_date in contacts.csv"),
        ("bad_medium", 5, "consmechanism in contacts.csv"),
        ("bad_activity_type", 2, "activity_type in activities.csv"),
        ("bad_breastfeeding", 2, "breastfeedingstatus in CYP610.csv"),
    }, result.report.to_text()
    assert "KID" not in result.report.to_text()  # no person id is repeated
    assert store.query("select count(*) as n from hv_loads")["n"][0] == 0


def test_breastfeeding_is_read_from_cyp202_snomed_codes_before_cyp610(store):
    """Seven children turned 8 weeks in 2025-26 Q1; six had the 6-8 week review on day 50, P7 no contact."""
    people = ["LocalPatientID,DateOfBirth"] + [f"P{i},2025-04-10" for i in range(1, 8)]
    contacts = ["CareContactID,LocalPatientID,Contact_Date"] + [f"C{i},P{i},2025-05-30" for i in range(1, 7)]
    codes = {
        1: ("169745008", ""),  # CodedFinding: totally breastfed
        2: ("733896006", ""),  # partially
        3: ("169746009", ""),  # not (breastfeeding stopped)
        4: ("", ""),  # only CYP610: partially
        5: ("169746009", ""),  # CYP202 says not, CYP610 totally: CYP202 first
        6: ("", "412729005"),  # CodedObservation: totally
    }
    activities = ["CareActivityID,CareContactID,Activity_Type,CodedFinding,CodedObservation"]
    activities += [f"A{i},C{i},09,{f},{o}" for i, (f, o) in codes.items()]
    parts = [
        ("CYP001_ZZ1.csv", _csv("\n".join(people))),
        ("CYP201_ZZ1.csv", _csv("\n".join(contacts))),
        ("CYP202_ZZ1.csv", _csv("\n".join(activities))),
        ("CYP610_ZZ1.csv", _csv("CareActivityID,BreastFeedingStatus\nA4,02\nA5,01")),
    ]
    result = _load(store, parts)
    assert result.outcome == WRITTEN, result.report.to_text()
    found = _counts(store)
    assert found[("2025-26 Q1", "C8i")] == (6, 7)  # P7, a person with no contacts, is in the cohort
    assert found[("2025-26 Q1", "C8ii")] == (4, 7)  # P1, P2, P4, P6


def test_an_activity_with_two_activities_counts_once_with_the_review(store):
    parts = [
        ("CYP001.csv", _csv("LocalPatientID,DateOfBirth\nP1,2025-04-10")),
        ("CYP201.csv", _csv("CareContactID,LocalPatientID,Contact_Date\nC1,P1,2025-05-30")),
        ("CYP202.csv", _csv("CareActivityID,CareContactID,Activity_Type\nA1,C1,04\nA2,C1,09")),
        ("CYP610.csv", _csv("CareActivityID,BreastFeedingStatus\nA1,01")),
    ]
    result = _load(store, parts)
    assert result.outcome == WRITTEN, result.report.to_text()
    assert store.query("select review from hv_contacts")["review"].to_list() == ["6-8w"]
    assert _counts(store)[("2025-26 Q1", "C8ii")] == (1, 1)


def test_a_staff_group_without_a_practitioner_category_counts_as_not_recorded(store):
    parts = csds_tables(_lsoas(store))
    staff = [line.split(",")[0] for line in parts[-1][1].decode().splitlines()[1:]]
    # NWD staff group 03 (nursing and midwifery registered) holds SCPHNs and staff nurses alike: no role is guessed
    parts[-1] = (
        "CYP901_ZZ1.csv",
        _csv("CareProfessionalID_Local,StaffGroup\n" + "\n".join(f"{s},03" for s in staff)),
    )
    result = _load(store, parts)
    assert result.outcome == WRITTEN, result.report.to_text()
    roles = store.query("select distinct role from hv_contacts")["role"].to_list()
    assert roles == ["NOT_RECORDED"]
    shares = store.query(
        "select sum(numerator) as n, sum(denominator) as d from hv_kpi_counts where kpi_code = 'A1'"
    )
    assert shares.row(0)[0] == 0 and shares.row(0)[1] > 0
