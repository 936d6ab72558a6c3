-- 002_benchmarks: comparator values (England, region, statistical neighbours) per KPI and period.
-- A period is a quarter ('2024-25 Q1') or a financial year ('2024-25'); period_end_index is the quarter index of the
-- period's last quarter, so the latest benchmark not after a quarter can be found. Loads supersede, with history.
create table benchmarks (
    council_code      varchar not null references councils (council_code),
    kpi_code          varchar not null,
    period            varchar not null,
    period_end_index  integer not null,
    comparator        varchar not null check (comparator in ('england', 'region', 'neighbours')),
    area_code         varchar,
    area_name         varchar not null,
    value_pct         double not null,
    lower_ci_pct      double,
    upper_ci_pct      double,
    numerator         double,
    denominator       double,
    source            varchar not null,
    loaded_at         timestamp not null,
    superseded_at     timestamp
);
