-- 007_dated_catalogue: the KPI catalogue as dated versions, like targets. A change to config/catalogue.toml reaches
-- the database as new rows effective from a period (kpi.catalogue_sync, `hcp catalogue sync`), each audited;
-- uploads and marts read the version in force for the period, as known at the as-at time (staging/stg_kpis).
--
-- The version in force for a period is the latest-set row with the greatest effective_from_index not after the
-- period's index, among rows set by the as-at time. A row with is_retired = true means the KPI is no longer in the
-- catalogue from that period on (its other columns repeat the version it ends). Rows are never updated or deleted.
--
-- The rows of the former kpis table are kept as each KPI's first version, in force from the first period and set
-- before any as-at time (1900-01-01), so figures and packs as at any earlier time are unchanged.

create sequence kpi_version_id_seq;
create table kpi_versions (
    kpi_version_id         integer primary key default nextval('kpi_version_id_seq'),
    council_code           varchar not null references councils (council_code),
    kpi_code               varchar not null,
    effective_from         varchar not null,     -- period code, e.g. 2026-27 Q3
    effective_from_index   integer not null,
    is_retired             boolean not null default false,
    kpi_name               varchar not null,
    service                varchar not null,
    value_kind             varchar not null check (value_kind in ('proportion', 'count', 'ratio')),
    polarity               varchar not null check (polarity in ('high', 'low', 'none')),
    breakdown              varchar not null check (breakdown in ('locality_decile', 'locality', 'borough')),
    min_denominator        double,
    is_mandated            boolean not null,
    is_headline            boolean not null,
    numerator_definition   varchar,
    denominator_definition varchar,
    fingertips_id          integer,
    sort_order             integer not null,
    set_at                 timestamp not null,
    set_by                 varchar not null,
    reason                 varchar
);

insert into kpi_versions (
    council_code, kpi_code, effective_from, effective_from_index, is_retired, kpi_name, service, value_kind,
    polarity, breakdown, min_denominator, is_mandated, is_headline, numerator_definition, denominator_definition,
    fingertips_id, sort_order, set_at, set_by, reason
)
select
    council_code, kpi_code, '2000-01 Q1', 8000, false, kpi_name, service, value_kind, polarity, breakdown,
    min_denominator, is_mandated, is_headline, numerator_definition, denominator_definition, fingertips_id,
    sort_order, timestamp '1900-01-01 00:00:00', 'catalogue', 'the catalogue as loaded when the council was created'
from kpis
order by council_code, sort_order;

drop table kpis;
