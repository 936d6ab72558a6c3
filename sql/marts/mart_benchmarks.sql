-- grain: one row per council x KPI x comparator x benchmark period, current at $as_at
-- keys: kpi_code, comparator, benchmark_period
-- parameters: $council_code, $as_at, $max_age_quarters (the setting benchmark_max_age_quarters in force at $as_at)
-- A benchmark period is a quarter ('2024-25 Q1') or a financial year ('2024-25', period_kind 'year');
-- period_start_index and period_end_index are the quarter indexes of its first and last quarter. Which of these a
-- KPI's period is compared with is decided in one place, kpi.overview.with_benchmark (docs/methods.md section 5, "Which
-- England (or region) figure a period is compared with"), using max_age_quarters carried on every row.
with current_benchmarks as (
    select *
    from benchmarks
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

final as (
    select
        kpi_code, comparator, area_code, area_name, period as benchmark_period,
        case when period like '% Q%' then 'quarter' else 'year' end as period_kind,
        case when period like '% Q%' then period_end_index else period_end_index - 3 end as period_start_index,
        period_end_index, value_pct, lower_ci_pct, upper_ci_pct, source,
        cast($max_age_quarters as integer) as max_age_quarters
    from current_benchmarks
)

select * from final order by kpi_code, comparator, period_end_index
