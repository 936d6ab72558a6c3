"""The NCMP child-level return and the eligible-pupils return: their declared columns and accepted codes.

Child-level return (docs/formats/ncmp.md): columns :data:`SCHEMA_COLUMNS`, identifiers :data:`IDENTIFIER_COLUMNS`
(used only to find duplicate children, docs/methods.md section 3); what is stored per child is
:data:`STORED_COLUMNS`. Eligible pupils: :data:`ELIGIBLE_COLUMNS`.
"""

from __future__ import annotations

DATASET = "ncmp"
ELIGIBLE_DATASET = "ncmp-eligible"
SCHEMA_COLUMNS = (
    "academic_year",
    "school_urn",
    "school_year",
    "sex",
    "date_of_birth",
    "date_of_measurement",
    "height_cm",
    "weight_kg",
    "lsoa_code",
    "ethnic_group",
)
OPTIONAL_COLUMNS = ("lsoa_code", "ethnic_group")
REQUIRED_COLUMNS = tuple(c for c in SCHEMA_COLUMNS if c not in OPTIONAL_COLUMNS)
#: Identifiers used only to find duplicate children in memory, then dropped (a mapping may name them).
IDENTIFIER_COLUMNS = ("nhs_number", "upn", "pupil_id")
ELIGIBLE_COLUMNS = (
    "academic_year",
    "school_urn",
    "school_name",
    "school_year",
    "eligible_pupils",
    "locality_code",
)
#: What is stored for each child (plus the load's id and council): never names, NHS numbers, postcodes, pupil ids
#: or dates of birth.
STORED_COLUMNS = (
    "academic_year",
    "school_urn",
    "school_year",
    "sex",
    "ethnic_group",
    "lsoa_code",
    "age_days",
    "measurement_month",
    "height_cm",
    "weight_kg",
    "bmi",
    "bmi_z",
    "bmi_category",
    "is_severely_obese",
    "is_warning_row",
    "is_duplicate",
    "is_excluded",
    "flags",
)
NOT_STATED = "Not stated"
#: An LSOA code: E01 (England) or W01 (Wales) and six digits. Anything else in lsoa_code is an error, never stored
#: and never repeated in full (a postcode there identifies a child's home): see :data:`kpi.ncmp.rule_tables.AREA_RULES`.
LSOA_PATTERN = r"^[EW]01[0-9]{6}$"
POSTCODE_PATTERN = r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?[0-9][A-Z]{2}$"
#: The broad ethnic groups stored (the NCMP's published breakdown) and what ethnic_group may hold to mean each:
#: the NHS Data Dictionary ETHNIC CATEGORY code (A-H, J-N, P, R, S, Z; 99 not known), its name, or the group's
#: name, in any case. Anything else is an error (not repeated in the report: free text may say anything).
ETHNIC_GROUPS: dict[str, tuple[str, ...]] = {
    "White": ("A", "B", "C", "British", "Irish", "Any other White background", "White British"),
    "Mixed": (
        "D",
        "E",
        "F",
        "G",
        "White and Black Caribbean",
        "White and Black African",
        "White and Asian",
        "Any other mixed background",
        "Mixed or multiple ethnic groups",
    ),
    "Asian or Asian British": (
        "H",
        "J",
        "K",
        "L",
        "Indian",
        "Pakistani",
        "Bangladeshi",
        "Any other Asian background",
    ),
    "Black or Black British": ("M", "N", "P", "Caribbean", "African", "Any other Black background"),
    "Any other ethnic group": ("R", "S", "Chinese", "Other ethnic groups", "Chinese or other ethnic group"),
    NOT_STATED: ("Z", "99", "Not known", "Not recorded"),
}
ETHNIC_LOOKUP = {
    spelling.lower(): group for group, spellings in ETHNIC_GROUPS.items() for spelling in (group, *spellings)
}
#: A national year (about 1.2 million children, ~200 MB) fits well within this.
MAX_NCMP_BYTES = 2 * 1024 * 1024 * 1024
NUMBER_PATTERN = r"^[0-9]+(\.[0-9]+)?$"
WHOLE_PATTERN = r"^[0-9]+(\.0+)?$"
