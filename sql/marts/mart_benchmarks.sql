-- grain: one row per council x KPI x comparator x benchmark period, current at $as_at
-- parameters: $council_code, $as_at
with current_benchmarks as (
    select *
    from benchmarks
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

final as (
    select kpi_code, comparator, area_code, area_name, period as benchmark_period, period_end_index, value_pct,
           lower_ci_pct, upper_ci_pct, source
    from current_benchmarks
)

select * from final order by kpi_code, comparator, period_end_index
