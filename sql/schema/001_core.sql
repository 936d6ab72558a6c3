-- 001_core: councils, geography, providers, the KPI catalogue, dated targets and settings, submissions and their
-- rows, and the append-only audit log. Every fact table carries council_code.

create table database_info (
    info_key   varchar primary key,
    info_value varchar not null
);

create table councils (
    council_code varchar primary key,       -- ONS local authority code, e.g. E08000009
    council_name varchar not null,
    region_code  varchar,
    region_name  varchar,
    created_at   timestamp not null
);

-- National LSOA (2011) lookup with IMD 2019 rank and decile and children aged 0-15 (MHCLG, OGL v3).
create table lsoa_reference (
    lsoa_code      varchar primary key,
    lsoa_name      varchar not null,
    lad_code       varchar not null,
    lad_name       varchar not null,
    imd_rank       integer not null,
    imd_decile     integer not null check (imd_decile between 1 and 10),
    children_0_15  integer not null,
    imd_edition    varchar not null
);

-- One row per load of a council's LSOA -> locality lookup; a newer load supersedes the older.
create table locality_loads (
    locality_load_id integer primary key,
    council_code     varchar not null references councils (council_code),
    loaded_at        timestamp not null,
    superseded_at    timestamp,
    loaded_by        varchar not null,
    file_name        varchar,
    file_sha256      varchar not null
);

create table localities (
    locality_load_id integer not null references locality_loads (locality_load_id),
    council_code     varchar not null,
    locality_code    varchar not null,
    locality_name    varchar not null,
    sort_order       integer not null,
    primary key (locality_load_id, locality_code)
);

create table locality_lsoas (
    locality_load_id integer not null references locality_loads (locality_load_id),
    council_code     varchar not null,
    lsoa_code        varchar not null,
    locality_code    varchar not null,
    primary key (locality_load_id, lsoa_code)
);

create table providers (
    council_code  varchar not null references councils (council_code),
    provider_code varchar not null,
    provider_name varchar not null,
    contract_name varchar,
    primary key (council_code, provider_code)
);

-- The KPI catalogue as loaded from config/catalogue.toml (kept in step by kpi.store on every write open).
create table kpis (
    council_code     varchar not null references councils (council_code),
    kpi_code         varchar not null,
    kpi_name         varchar not null,
    service          varchar not null,
    value_kind       varchar not null check (value_kind in ('proportion', 'count', 'ratio')),
    polarity         varchar not null check (polarity in ('high', 'low', 'none')),
    breakdown        varchar not null check (breakdown in ('locality_decile', 'locality', 'borough')),
    min_denominator  double,
    is_mandated      boolean not null,
    is_headline      boolean not null,
    numerator_definition   varchar,
    denominator_definition varchar,
    fingertips_id    integer,
    sort_order       integer not null,
    primary key (council_code, kpi_code)
);

-- Dated contract targets: the row in force for a period is the latest-set row with the greatest
-- effective_from_index not after the period's index, among rows set by the as-at time. A null target means
-- "no target" from that period on.
create sequence target_id_seq;
create table targets (
    target_id            integer primary key default nextval('target_id_seq'),
    council_code         varchar not null references councils (council_code),
    kpi_code             varchar not null,
    effective_from       varchar not null,     -- period code, e.g. 2026-27 Q1
    effective_from_index integer not null,
    target_pct           double,
    amber_margin_pct     double,
    set_at               timestamp not null,
    set_by               varchar not null,
    reason               varchar
);

-- Dated settings overrides; defaults live in config/settings.toml.
create sequence setting_id_seq;
create table settings (
    setting_id   integer primary key default nextval('setting_id_seq'),
    council_code varchar not null references councils (council_code),
    setting_key  varchar not null,
    value_json   varchar not null,
    set_at       timestamp not null,
    set_by       varchar not null,
    reason       varchar
);

-- One return = one provider x one dataset x one period. Status history lives in submission_events; a submission
-- is superseded when a newer one for the same provider, dataset and period is accepted.
create table submissions (
    submission_id     integer primary key,
    council_code      varchar not null references councils (council_code),
    provider_code     varchar not null,
    dataset           varchar not null,
    period            varchar not null,
    period_index      integer not null,
    received_at       timestamp not null,
    submitted_by      varchar not null,
    source            varchar not null,      -- cli, portal, sample
    file_name         varchar,
    file_sha256       varchar not null,
    file_bytes        blob,                  -- null for personal data (NCMP): only hash and counts are kept
    file_size_bytes   bigint not null,
    row_count         integer not null,
    warning_count     integer not null,
    warnings_reason   varchar,
    report_json       varchar not null,
    status            varchar not null check (status in ('submitted', 'accepted', 'queried')),
    accepted_at       timestamp,
    superseded_at     timestamp,
    superseded_by     integer
);

create table submission_events (
    submission_id integer not null,
    event_at      timestamp not null,
    status        varchar not null,
    actor         varchar not null,
    comment       varchar
);

create table return_rows (
    submission_id  integer not null references submissions (submission_id),
    council_code   varchar not null,
    provider_code  varchar not null,
    period         varchar not null,
    period_index   integer not null,
    kpi_code       varchar not null,
    locality_code  varchar not null,   -- a locality code, or ALL for borough-level KPIs
    imd_decile     varchar not null,   -- '1'..'10', 'U' (LSOA unknown) or 'ALL' (all deciles of the locality)
    numerator      double not null,
    denominator    double,
    comment        varchar,
    source_row     integer not null,   -- row number in the file (header = row 1)
    is_warning_row boolean not null default false,
    primary key (submission_id, kpi_code, locality_code, imd_decile)
);

-- Append-only: the code only ever inserts here.
create sequence audit_id_seq;
create table audit_log (
    audit_id     bigint primary key default nextval('audit_id_seq'),
    event_at     timestamp not null,
    actor        varchar not null,
    action       varchar not null,
    council_code varchar,
    subject      varchar,
    detail_json  varchar
);

-- Wilson score interval (Wilson 1927; Newcombe 1998 method 3) for x of n; z is passed in full precision
-- (kpi.stats.wilson_ci is the same formula in Python and both are tested against the PHE workbooks).
create macro wilson_lower(x, n, z) as
    case when x is null or n is null or n <= 0 then null
         else (2 * x + z * z - z * sqrt(z * z + 4 * x * (1 - x / n))) / (2 * (n + z * z)) end;
create macro wilson_upper(x, n, z) as
    case when x is null or n is null or n <= 0 then null
         else (2 * x + z * z + z * sqrt(z * z + 4 * x * (1 - x / n))) / (2 * (n + z * z)) end;
-- z for a two-sided 95% interval, Phi^-1(0.975), to full double precision.
create macro z95() as cast(1.9599639845400536 as double);
