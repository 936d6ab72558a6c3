"""A small hand-made extract covering every cohort edge, with the KPIs counted by hand (docs/methods.md section 10).

Today is 2026-11-23 (``HCP_TODAY``). Localities: NORTH holds a decile-1 LSOA, SOUTH a decile-5 LSOA.
"""

from __future__ import annotations

HEADER = (
    "LocalPatientId,DateOfBirth,Gender,EthnicCategory,LSOA2011,ReferralRequest_ReceivedDate,Discharge_Date,"
    "DateOfDeath,CareContactId,Contact_Date,ConsMechanism,Activity_LocationType,AttendanceStatus,Activity_Type,"
    "practitioner_role,BreastFeedingStatus,asq3_questionnaire,asq3_communication,asq3_gross_motor,"
    "asq3_fine_motor,asq3_problem_solving,asq3_personal_social,NHSNumber"
)


def row(child, born, *, ethnic="A", lsoa="NORTH", end="", died="", contact="", medium="01", place="A01",
        attended="5", activity="", role="SCPHN", bf="", asq=("",) * 6):  # fmt: skip
    """One line of the extract: a child's fields and (optionally) one contact."""
    contact_fields = [contact, medium, place, attended, activity, role, bf, *asq] if contact else [""] * 13
    return ",".join(
        [child, born, "1", ethnic, lsoa, "", end, died, f"{child}-{contact}", *contact_fields, "9"]
    )


ROWS = [
    # New birth visits, 2025-26 Q1 (published window 2 Mar - 1 Jun 2025)
    row("A", "2025-03-02", contact="2025-01-10", activity="97"),  # antenatal (before birth): C1 2024-25 Q4
    row("A", "2025-03-02", contact="2025-03-16", activity="08"),  # window's first day; NBV on day 14: C2
    row("A", "2025-03-02", contact="2025-04-27", activity="09", bf="01"),  # 6-8 weeks on day 56, totally
    row(
        "B", "2025-06-01", ethnic="Z", lsoa="SOUTH", contact="2025-06-16", activity="08"
    ),  # last day; day 15: C3
    row("C", "2025-06-02", contact="2025-06-12", activity="08"),  # 2025-26 Q2
    row("D", "2025-04-10", ethnic="H", contact="2025-04-22", activity="08"),  # twin; day 12
    row(
        "D", "2025-04-10", ethnic="H", contact="2025-06-06", activity="09", bf="02"
    ),  # day 57: late, partially
    row(
        "E", "2025-04-10", ethnic="H", contact="2025-04-22", activity="08"
    ),  # twin; day 12; no 6-8 week review
    row("F", "2025-04-20", died="2025-04-25"),  # died at 5 days: in no cohort
    row(
        "G", "2025-05-01", ethnic="", lsoa="", contact="2025-05-11", medium="02", activity="08"
    ),  # by telephone
    row(
        "G", "2025-05-01", ethnic="", lsoa="", contact="2025-06-10", activity="09", bf="03"
    ),  # day 40, not bf
    row(
        "G", "2025-05-01", ethnic="", lsoa="", contact="2025-06-11", activity="09", attended="3"
    ),  # did not attend
    row(
        "H", "2025-03-01", lsoa="SOUTH", contact="2025-04-20", activity="09", role="FNP"
    ),  # NBV 2024-25 Q4; FNP
    # 12-month reviews: turned 12 months in 2024-25 Q4, 15 months in 2025-26 Q1
    row("I", "2024-01-15", contact="2024-12-01", activity="10"),  # before 12 months: C4 and C5
    row("J", "2024-02-10", end="2025-06-01"),  # moved out before the quarter's end: not in C5's cohort
    row("K", "2024-03-20", contact="2025-05-01", activity="10"),  # at 13 months: C5 only
    row(
        "I", "2024-01-15", contact="2025-05-05", medium="02", activity="97"
    ),  # a telephone contact, not a review
    row("L", "2024-01-31"),  # no review
    # 2-2 1/2 year reviews: turned 2 1/2 in 2025-26 Q1
    row("M", "2022-10-15", contact="2025-03-01", activity="11", asq=("27", "30", "20", "40", "30", "30")),
    row("N", "2022-11-20", contact="2022-11-30", activity="08"),  # N had every review due by 2 1/2
    row("N", "2022-11-20", contact="2023-01-09", activity="09"),
    row("N", "2022-11-20", contact="2023-11-01", activity="10", role="NURSERY_NURSE", place="K01"),
    row("N", "2022-11-20", contact="2025-04-01", activity="11", asq=("30", "60", "60", "60", "60", "60")),
    row("O", "2022-12-05", contact="2025-05-01", activity="11"),  # reviewed without ASQ-3
    row("P", "2022-12-20", died="2025-05-01"),  # died before 2 1/2 without a review
    row("Q", "2022-10-01", ethnic="M"),  # not reviewed
]

#: (period, KPI) -> (numerator, denominator) for the borough, counted by hand from the rows above.
EXPECTED = {
    ("2024-25 Q4", "C1"): (1, None),
    ("2025-26 Q1", "C2"): (3, 5),  # A, D, E of A, B, D, E, G (C is Q2, F died, H is Q4)
    ("2025-26 Q1", "C3"): (1, 5),  # B (day 15)
    ("2025-26 Q2", "C2"): (1, 1),  # C
    ("2024-25 Q4", "C2"): (0, 1),  # H: no new birth visit
    ("2025-26 Q1", "C8i"): (3, 5),  # A (day 56), G (40), H (FNP) of A, D, E, G, H
    ("2025-26 Q1", "C8ii"): (2, 5),  # A totally, D partially
    ("2024-25 Q4", "C4"): (1, 4),  # I of I, J, K, L
    ("2025-26 Q1", "C5"): (2, 3),  # I, K of I, K, L (J moved out)
    ("2025-26 Q1", "C6i"): (3, 4),  # M, N, O of M, N, O, Q (P died)
    ("2025-26 Q1", "C6ii"): (2, 3),  # M, N used ASQ-3
    ("2025-26 Q1", "C6iii"): (2, 2),  # communication: M 30 >= 24.02, N 60
    ("2025-26 Q1", "C6iv"): (1, 2),  # gross motor: M 20 < 28.01
    ("2025-26 Q1", "C6viii"): (1, 2),  # all five: N
    # Annex A, by the quarter of the contact
    ("2024-25 Q4", "A3"): (1, 1),  # A's antenatal contact: SCPHN, at home
    ("2025-26 Q1", "A1-NBV-SCPHN"): (5, 5),  # B, C, D, E, G
    ("2025-26 Q1", "A1-68W-SCPHN"): (3, 4),  # A, D, G of A, D, G, H (G's second is a did-not-attend)
    ("2025-26 Q1", "A1-68W-FNP"): (1, 4),  # H
    ("2025-26 Q1", "A1-68W-NURSERY_NURSE"): (0, 4),
    ("2023-24 Q3", "A1-12M-NURSERY_NURSE"): (1, 1),  # N's 12-month review, at a family hub
    ("2023-24 Q3", "A2-12M"): (0, 1),
    ("2025-26 Q1", "A2-NBV"): (5, 5),
    ("2025-26 Q1", "A4R"): (1, 11),  # I's telephone contact; A B C D E G H I K N O had a contact
    ("2025-26 Q1", "A4"): (1, 11),  # I
    ("2025-26 Q1", "A1"): (11, 12),  # reviews: NBV B C D E G; 6-8w A D G H (FNP); 12m K; 2y N O
    ("2025-26 Q1", "A2"): (12, 12),
    # longitudinal, by the quarter of birth: M N O Q turned 2 1/2 (P died); N had every review
    ("2022-23 Q3", "HVL"): (1, 4),
}

#: Cells of 2025-26 Q1's C2: (locality, decile, ethnic group) -> (numerator, denominator).
C2_CELLS = {
    ("NORTH", "1", "White"): (1, 1),
    ("NORTH", "1", "Asian or Asian British"): (2, 2),
    ("SOUTH", "5", "Not stated"): (0, 1),
    ("UNKNOWN", "U", "Not stated"): (0, 1),
}


def extract(lsoas: dict[str, str]) -> bytes:
    """The extract as CSV bytes, with the localities' LSOA codes in place of NORTH and SOUTH."""
    lines = [HEADER]
    for line in ROWS:
        cells = line.split(",")
        cells[4] = lsoas.get(cells[4], cells[4])
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


def _csv(header: str, rows: list[list[str]]) -> bytes:
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


def csds_tables(lsoas: dict[str, str]) -> list[tuple[str, bytes]]:
    """The same extract as a CSDS submission's separate tables (CYP001, CYP101, CYP201, CYP202, CYP610, CYP612,
    CYP901): the 6-8 week breastfeeding statuses as CYP610 codes, but A's as a SNOMED CT finding in CYP202."""
    from kpi.hvrecords.schema import ASQ_DOMAINS, ASQ_SNOMED

    asq_code = {value: code for code, value in ASQ_SNOMED.items()}
    people, referrals, contacts, activities, statuses, scores, staff = {}, [], [], [], [], [], {}
    for line in ROWS:
        cells = line.split(",")
        child, born, gender, ethnic, lsoa, _, end, died, contact_id, contact = cells[:10]
        people.setdefault(child, [child, born, gender, ethnic, lsoas.get(lsoa, lsoa), died])
        if end and not any(r[1] == child for r in referrals):
            referrals.append([f"R-{child}", child, "", end])
        if not contact:
            continue
        medium, place, attended, activity, role, bf, *asq = cells[10:22]
        contacts.append([contact_id, child, contact, medium, place, attended])
        activity_id = f"ACT-{contact_id}"
        finding = "169741004" if (child == "A" and bf == "01") else ""
        activities.append([activity_id, contact_id, activity, f"P-{role}", finding])
        staff[role] = [f"P-{role}", role]
        if bf and not finding:
            statuses.append([activity_id, bf])
        if asq[0]:
            for domain, score in zip(ASQ_DOMAINS, asq[1:], strict=True):
                scores.append([activity_id, asq_code[(asq[0], domain)], score])
    return [
        (
            "CYP001_ZZ1.csv",
            _csv(
                "LocalPatientID,DateOfBirth,Gender,EthnicCategory,LSOA2011,DateOfDeath", list(people.values())
            ),
        ),  # fmt: skip
        (
            "CYP101_ZZ1.csv",
            _csv("ServiceRequestID,LocalPatientID,ReferralRequest_ReceivedDate,Discharge_Date", referrals),
        ),  # fmt: skip
        (
            "CYP201_ZZ1.csv",
            _csv(
                "CareContactID,LocalPatientID,Contact_Date,ConsMechanism,Activity_LocationType,"
                "AttendanceStatus",
                contacts,
            ),
        ),  # fmt: skip
        (
            "CYP202_ZZ1.csv",
            _csv(
                "CareActivityID,CareContactID,Activity_Type,CareProfessionalID_Local,CodedFinding", activities
            ),
        ),  # fmt: skip
        ("CYP610_ZZ1.csv", _csv("CareActivityID,BreastFeedingStatus", statuses)),
        ("CYP612_ZZ1.csv", _csv("CareActivityID,SNOMED_ID,Score", scores)),
        ("CYP901_ZZ1.csv", _csv("CareProfessionalID_Local,practitioner_role", list(staff.values()))),
    ]
