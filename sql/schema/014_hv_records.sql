-- 014_hv_records: child-level health visiting records (a provider's CSDS extract), reduced to what the derivation
-- of the mandated-contact and Annex A KPIs needs (docs/methods.md section 10).
--
-- A load is one extract of one provider: every child the provider was responsible for, with their care contacts.
-- A newer load of the same provider supersedes the older, which stays in history. The extract is personal data:
-- the file is never kept, only its hash, counts and report. Per child only a keyed hash of the pseudonym is kept
-- (never the person id, date of birth or LSOA), with its cohort quarters, review days and flags, IMD decile,
-- locality and ethnic group; per contact, the review, quarter, age in days and the medium, place and role codes.
-- `hcp hv-records purge --before` deletes the child and contact rows of old loads.
create table hv_loads (
    load_id          integer primary key,
    council_code     varchar not null references councils (council_code),
    provider_code    varchar not null,
    dataset          varchar not null check (dataset = 'hv-records'),
    loaded_at        timestamp not null,
    loaded_by        varchar not null,
    source           varchar not null,
    file_name        varchar,
    file_sha256      varchar not null,
    file_size_bytes  bigint not null,
    rows_read        integer not null,
    children         integer not null,
    contacts         integer not null,
    warning_count    integer not null,
    warnings_reason  varchar,
    dropped_columns  varchar,                   -- names (never contents) of the columns dropped before storing
    nbv_window_rule  varchar not null,          -- how the new birth visit cohort quarter was found
    imd_edition      varchar not null,          -- the deprivation indices the children were mapped with, by quarter
    key_id           varchar not null,          -- which pseudonym key made child_key (never the key)
    report_json      varchar not null,
    superseded_at    timestamp,
    superseded_by    integer,
    purged_at        timestamp
);

-- One row per child. Cohort quarters are null when the child is outside that cohort (not yet the age, died before
-- it, or not under the provider's responsibility as the cohort rule requires). Review days are ages in days at the
-- first attended review of each kind (null: none).
create table hv_children (
    load_id          integer not null,
    council_code     varchar not null,
    provider_code    varchar not null,
    child_key        varchar not null,          -- HMAC-SHA256 of the pseudonymised person id, keyed
    sex              varchar not null,          -- 1 male, 2 female, 9 indeterminate, X not known
    ethnic_group     varchar not null,          -- 5 ONS groups, or 'Not stated'
    imd_decile_iod2019 varchar not null,        -- on IoD2019: '1'..'10', or 'U' (LSOA unknown, or split across
                                                --   deciles); the counts of a quarter use its index's decile
    imd_decile_iod2025 varchar not null,        -- on IoD2025, likewise
    locality_code    varchar not null,          -- a locality, or 'UNKNOWN'
    birth_quarter    varchar not null,
    q_30d            varchar,                   -- new birth visit cohort (turned 30 days)
    q_8w             varchar,                   -- 6-8 week cohort (turned 8 weeks)
    q_12m            varchar,                   -- turned 12 months
    q_15m            varchar,                   -- turned 15 months, responsible at quarter end
    q_30m            varchar,                   -- turned 2 1/2, responsible at quarter end
    nbv_day          integer,                   -- first face-to-face new birth visit
    r68_day          integer,                   -- first 6-8 week review
    r12_by_12m       boolean not null,
    r12_by_15m       boolean not null,
    r2y_by_30m       boolean not null,
    breastfeeding    varchar,                   -- at the 6-8 week review: totally | partially | not
    asq_used         boolean not null,          -- ASQ-3 used at the 2-2 1/2 year review
    asq_communication    boolean,               -- at or above the domain's threshold (null: not scored)
    asq_gross_motor      boolean,
    asq_fine_motor       boolean,
    asq_problem_solving  boolean,
    asq_personal_social  boolean
);

-- One row per attended contact (antenatal contacts are those dated before the child's birth).
create table hv_contacts (
    load_id          integer not null,
    council_code     varchar not null,
    provider_code    varchar not null,
    child_key        varchar not null,
    review           varchar not null check (review in ('antenatal', 'nbv', '6-8w', '12m', '2-2.5y', 'other')),
    contact_quarter  varchar not null,
    age_days         integer not null,
    medium           varchar not null,          -- CONSULTATION MECHANISM code
    place            varchar not null,          -- home | clinic | gp | hub | other | not recorded
    role             varchar not null           -- DHSC practitioner category
);

-- The KPIs derived from a load's children (kpi.hvrecords.derive), written with them so the purge keeps every
-- figure: per quarter x KPI x locality x IMD decile (on the quarter's index) x ethnic group.
create table hv_kpi_counts (
    load_id        integer not null,
    council_code   varchar not null,
    provider_code  varchar not null,
    period         varchar not null,
    kpi_code       varchar not null,
    locality_code  varchar not null,
    imd_decile     varchar not null,
    ethnic_group   varchar not null,
    numerator      integer not null,
    denominator    integer
);

-- Where a catalogue KPI's values come from: 'return' (the provider's return) or 'hv-records' (derived from the
-- child-level records, e.g. the Annex A measures). Existing versions come from the return.
alter table kpi_versions add column source varchar default 'return';
