-- 003_ncmp: National Child Measurement Programme loads (child-level returns and eligible pupils), the children
-- measured (no names, NHS numbers, postcodes, pupil ids or dates of birth: docs/methods.md section 3), their yearly
-- counts, and England's NCMP prevalence.
--
-- A load is one file. It covers one academic year and one or both year groups ("parts"); a newer load of the same
-- dataset, academic year and year group supersedes the older part, which stays in history. Child-level files are
-- personal data: only their hash, counts and report are kept, never the file. The counts (ncmp_counts) are
-- computed from the children when the load is written, so the marts read counts only, and `hcp ncmp purge`
-- can delete child rows after the retention period while every figure stays as it was.
create table ncmp_loads (
    load_id          integer primary key,
    council_code     varchar not null references councils (council_code),
    dataset          varchar not null check (dataset in ('ncmp', 'ncmp-eligible')),
    academic_year    varchar not null,          -- '2025/26'
    loaded_at        timestamp not null,
    loaded_by        varchar not null,
    source           varchar not null,          -- cli, sample, admin
    file_name        varchar,
    file_sha256      varchar not null,
    file_size_bytes  bigint not null,
    file_bytes       blob,                      -- eligible-pupils files only; never a child-level file
    rows_read        integer not null,
    rows_stored      integer not null,
    rows_excluded    integer not null,          -- stored but excluded from prevalence (|z| > 7, duplicates)
    warning_count    integer not null,
    warnings_reason  varchar,
    dropped_columns  varchar,                   -- names (never contents) of the columns dropped before storing
    age_method       varchar,                   -- exact | month (child-level files)
    imd_edition      varchar,                   -- the LSOA -> IMD lookup the children are counted with
    report_json      varchar not null,
    purged_at        timestamp                  -- when its child rows were purged (counts kept)
);

create table ncmp_load_parts (
    load_id        integer not null,
    council_code   varchar not null,
    dataset        varchar not null,
    academic_year  varchar not null,
    school_year    varchar not null check (school_year in ('R', '6')),
    loaded_at      timestamp not null,
    superseded_at  timestamp,
    superseded_by  integer
);

-- One row per child measured. age_days and measurement_month replace the dates (the date of birth is never
-- stored; the measurement date is kept only as its month so that the two cannot be recombined).
create table ncmp_children (
    load_id            integer not null,
    council_code       varchar not null,
    academic_year      varchar not null,
    school_urn         varchar not null,
    school_year        varchar not null check (school_year in ('R', '6')),
    sex                varchar not null check (sex in ('M', 'F')),
    ethnic_group       varchar not null,        -- as returned, 'Not stated' when blank
    lsoa_code          varchar,                 -- home LSOA (2011); null when not recorded
    age_days           integer not null,
    measurement_month  varchar not null,        -- 'YYYY-MM'
    height_cm          double not null,
    weight_kg          double not null,
    bmi                double not null,
    bmi_z              double,
    bmi_category       varchar,                 -- underweight | healthy weight | overweight | obese
    is_severely_obese  boolean,
    is_warning_row     boolean not null,        -- a confirmed warning concerned this child
    is_duplicate       boolean not null,        -- a repeat of an earlier row of the file (not counted)
    is_excluded        boolean not null,        -- left out of prevalence (|z| > 7 or duplicate)
    flags              varchar                  -- e.g. 'z beyond 4', 'z beyond 7', 'duplicate', 'unknown LSOA'
);

-- Counts per load x year group x dimension value, written with the children. dimension: 'school' (URN), 'lsoa'
-- (home LSOA, null = not recorded) or 'ethnic_group'. measured counts children (duplicates excluded); valid those
-- in prevalence; the categories count valid children.
create table ncmp_counts (
    load_id          integer not null,
    council_code     varchar not null,
    academic_year    varchar not null,
    school_year      varchar not null,
    dimension        varchar not null check (dimension in ('school', 'lsoa', 'ethnic_group')),
    dimension_value  varchar,
    measured         integer not null,
    valid            integer not null,
    underweight      integer not null,
    healthy_weight   integer not null,
    overweight       integer not null,
    obese            integer not null,
    severely_obese   integer not null,
    excluded_z       integer not null,
    duplicates       integer not null
);

create table ncmp_eligible (
    load_id          integer not null,
    council_code     varchar not null,
    academic_year    varchar not null,
    school_urn       varchar not null,
    school_name      varchar not null,
    school_year      varchar not null check (school_year in ('R', '6')),
    eligible_pupils  integer not null,
    locality_code    varchar not null
);

-- England (or other comparator) NCMP prevalence by academic year x year group x category (and optionally an IMD
-- decile). Loads supersede earlier rows with the same key, with history.
create table ncmp_benchmarks (
    council_code   varchar not null references councils (council_code),
    academic_year  varchar not null,
    school_year    varchar not null check (school_year in ('R', '6')),
    category       varchar not null check (category in ('underweight', 'healthy_weight', 'overweight', 'obese',
                                                        'severely_obese', 'excess_weight')),
    imd_decile     integer,                     -- null: all children
    area_code      varchar not null,
    area_name      varchar not null,
    value_pct      double not null,
    lower_ci_pct   double,
    upper_ci_pct   double,
    source         varchar not null,
    loaded_at      timestamp not null,
    superseded_at  timestamp
);
