-- 004_outcomes: outcome measures from Fingertips "all data" exports and the council's own local outcome measures.
-- One row per load in outcome_loads (raw file, SHA-256, report); the values are long tables. A reload supersedes
-- the current rows of the same indicator x area x period (Fingertips) or measure x area x locality x period
-- (local measures): they keep their rows with superseded_at set, so any as-at time can be reproduced.

create table outcome_loads (
    outcome_load_id integer primary key,
    council_code    varchar not null references councils (council_code),
    dataset         varchar not null check (dataset in ('fingertips', 'outcome-measures')),
    loaded_at       timestamp not null,
    loaded_by       varchar not null,
    source          varchar not null,      -- cli, fetch, sample
    file_name       varchar,
    file_sha256     varchar not null,
    file_bytes      blob,
    file_size_bytes bigint not null,
    row_count       integer not null,
    report_json     varchar not null
);

-- grain: one row per load x indicator x area x sex x age x category type x category x time period
create table fingertips_values (
    outcome_load_id      integer not null references outcome_loads (outcome_load_id),
    council_code         varchar not null,
    indicator_id         integer not null,
    indicator_name       varchar,
    area_code            varchar not null,
    area_name            varchar,
    area_type            varchar,
    parent_code          varchar,
    parent_name          varchar,
    sex                  varchar not null,  -- '' when the export has none
    age                  varchar not null,
    category_type        varchar not null,  -- '' for the headline (no breakdown)
    category             varchar not null,
    imd_decile           integer check (imd_decile between 1 and 10),  -- deprivation deciles: 1 = most deprived
    time_period          varchar not null,
    time_period_sortable bigint not null,   -- Fingertips' sort key: year x 10000 + quarter x 100 + month
    time_period_range    varchar,
    value                double,            -- null when suppressed or missing: value_note says why
    lower_ci_95          double,
    upper_ci_95          double,
    lower_ci_998         double,
    upper_ci_998         double,
    count                double,
    denominator          double,
    value_note           varchar,
    recent_trend         varchar,           -- as published (kpi.outcomes computes its own)
    compared_to_england  varchar,           -- as published
    compared_to_parent   varchar,           -- as published
    compared_to_goal     varchar,           -- as published
    source_row           integer not null,
    loaded_at            timestamp not null,
    superseded_at        timestamp
);

-- grain: one row per load x measure x period x area x locality x decile
create table outcome_measure_values (
    outcome_load_id integer not null references outcome_loads (outcome_load_id),
    council_code    varchar not null,
    measure_code    varchar not null,
    period          varchar not null,
    period_sortable bigint not null,        -- same sort key as Fingertips
    area_code       varchar not null,
    locality_code   varchar not null,       -- a locality code or ALL
    imd_decile      varchar not null,       -- '1'..'10', 'U' or 'ALL'
    numerator       double,
    denominator     double,
    value           double not null,
    lower_ci_95     double,
    upper_ci_95     double,
    lower_ci_998    double,
    upper_ci_998    double,
    ci_method       varchar not null,       -- 'wilson' (computed from the counts) or 'given'
    source_row      integer not null,
    loaded_at       timestamp not null,
    superseded_at   timestamp
);
