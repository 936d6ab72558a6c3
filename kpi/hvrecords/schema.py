"""The health visiting records extract: its columns (CSDS v1.6 field names) and the codes they may hold.

One row per care contact, the child's fields repeated on each (a child without contacts has one row with blank
contact fields): docs/formats/hv-records.md. The code lists and the choices made where no national rule was found
are docs/methods.md section 10.
"""

from __future__ import annotations

DATASET = "hv-records"

#: The child's fields (CYP001 and CYP101; LSOA of residence as the provider derives it).
CHILD_COLUMNS = (
    "localpatientid",
    "dateofbirth",
    "gender",
    "ethniccategory",
    "lsoa2011",
    "lsoa2021",
    "referralrequest_receiveddate",
    "discharge_date",
    "dateofdeath",
)
#: The contact's fields (CYP201, CYP202, CYP610, CYP612 pivoted per activity, CYP901 mapped to DHSC roles).
CONTACT_COLUMNS = (
    "carecontactid",
    "contact_date",
    "consmechanism",
    "activity_locationtype",
    "attendancestatus",
    "activity_type",
    "practitioner_role",
    "breastfeedingstatus",
    "asq3_questionnaire",
    "asq3_communication",
    "asq3_gross_motor",
    "asq3_fine_motor",
    "asq3_problem_solving",
    "asq3_personal_social",
)
SCHEMA_COLUMNS = CHILD_COLUMNS + CONTACT_COLUMNS
REQUIRED_COLUMNS = ("localpatientid", "dateofbirth")
#: Child fields that must be the same on every row of a child.
CHILD_FIELDS = tuple(c for c in CHILD_COLUMNS if c != "localpatientid")
DATE_COLUMNS = (
    "dateofbirth",
    "referralrequest_receiveddate",
    "discharge_date",
    "dateofdeath",
    "contact_date",
)

#: PERSON STATED GENDER CODE.
GENDERS = ("1", "2", "9", "X")
NOT_STATED = "Not stated"
#: ETHNIC CATEGORY (first character) -> the five ONS groups; Z and 99 are not stated.
ETHNIC_GROUPS = {
    **dict.fromkeys("ABC", "White"),
    **dict.fromkeys("DEFG", "Mixed"),
    **dict.fromkeys("HJKL", "Asian or Asian British"),
    **dict.fromkeys("MNP", "Black or Black British"),
    **dict.fromkeys("RS", "Any other ethnic group"),
    "Z": NOT_STATED,
    "99": NOT_STATED,
}
ETHNIC_GROUP_ORDER = (
    "White",
    "Mixed",
    "Asian or Asian British",
    "Black or Black British",
    "Any other ethnic group",
    NOT_STATED,
)
#: CONSULTATION MECHANISM (COMMUNITY CARE); 01 is face to face.
MEDIUMS = ("01", "02", "04", "05", "09", "10", "11", "12", "13", "98")
FACE_TO_FACE = "01"
#: ACTIVITY LOCATION TYPE CODE -> DHSC Annex A place (unlisted valid codes are "other").
PLACES = {
    "A01": "home",
    "A02": "home",
    "B01": "clinic",
    "B02": "clinic",
    "E01": "clinic",
    "C01": "gp",
    "K01": "hub",
}
LOCATION_PATTERN = r"^[A-Z][0-9]{2}$"
#: ATTENDANCE STATUS: 5 attended, 6 late but seen (blank: attended); the others are not contacts.
ATTENDED = ("5", "6")
ATTENDANCE = ("0", "2", "3", "4", "5", "6", "7")
#: COMMUNITY CARE ACTIVITY TYPE: 08-11 are the mandated reviews.
ACTIVITY_TYPES = tuple(f"{n:02d}" for n in range(1, 13)) + ("97",)
REVIEWS = {"08": "nbv", "09": "6-8w", "10": "12m", "11": "2-2.5y"}
#: DHSC Annex A practitioner categories (a provider maps its CYP901 staff to these); FNP practitioners count.
ROLES = {
    "SCPHN": "SCPHN health visitor",
    "STAFF_NURSE": "staff nurse",
    "OTHER_REGISTERED": "other registered practitioner",
    "HV_ASSISTANT": "non-registered health visitor assistant",
    "NURSERY_NURSE": "nursery nurse",
    "OTHER": "other non-registered",
    "FNP": "Family Nurse Partnership practitioner",
}
UNKNOWN_ROLE = "NOT_RECORDED"
#: BREASTFEEDING STATUS (CYP610): 01 totally, 02 partially, 03 not breastfed.
BREASTFEEDING = {"01": "totally", "02": "partially", "03": "not"}
#: ASQ-3 domains and their cut-offs by questionnaire (months); a score at or above the cut-off is at or above
#: the expected level.
ASQ_DOMAINS = ("communication", "gross_motor", "fine_motor", "problem_solving", "personal_social")
ASQ_CUTOFFS = {
    "24": (25.17, 38.07, 35.16, 29.78, 31.54),
    "27": (24.02, 28.01, 18.42, 27.62, 25.31),
    "30": (33.30, 36.14, 19.25, 27.08, 32.01),
}
#: SNOMED CT findings of breastfeeding status in CYP202 (NHS England's CSDS derivation): 01 totally (its B1),
#: 02 partially (B2), 03 not breastfed (B3).
BREASTFEEDING_SNOMED = {
    **dict.fromkeys(
        ("169741004", "169745008", "169750002", "169751003", "169968005", "169973004", "230127002")
        + ("412729005", "364991000000100"),
        "01",
    ),
    **dict.fromkeys(
        ("169743001", "169969002", "169974005", "733896006", "365091000000100", "491951000000103"), "02"
    ),
    **dict.fromkeys(
        ("169744007", "169746009", "169747000", "169967000", "169972009", "268472006", "412728002")
        + ("365171000000100",),
        "03",
    ),
}
#: CYP612's ASQ-3 SNOMED CT codes -> (questionnaire months, domain).
ASQ_SNOMED = {
    code: (months, domain)
    for months, codes in {
        "24": ("953211000000100", "953231000000108", "953221000000106", "953241000000104", "953251000000101"),
        "27": ("953261000000103", "953281000000107", "953271000000105", "953291000000109", "953301000000108"),
        "30": ("953311000000105", "953331000000102", "953321000000104", "953341000000106", "953351000000109"),
    }.items()
    for code, domain in zip(codes, ASQ_DOMAINS, strict=True)
}
LSOA_PATTERN = r"^[EW]01[0-9]{6}$"
UNKNOWN_LOCALITY = "UNKNOWN"
#: A national quarter's extract (about 10 million contact rows) fits well within this.
MAX_BYTES = 4 * 1024 * 1024 * 1024
