-- grain: one row per area x sex x age x time period of one Fingertips indicator's headline rows (no breakdown)
--        current at $as_at: every area an export brought (all councils, regions, England)
-- keys: area_code, sex, age, period
-- parameters: $council_code, $as_at, $indicator_id
-- The comparison with similar councils (kpi.outcomes.comparison) reads this: one indicator, every area.
with loaded as (
    select * from {{ ref('staging/stg_fingertips_values') }}
),

final as (
    select
        indicator_id, indicator_name, area_code, coalesce(area_name, area_code) as area_name, sex, age,
        time_period as period, time_period_sortable as period_sortable, value, lower_ci_95, upper_ci_95,
        lower_ci_998, upper_ci_998, count, denominator, value_note
    from loaded
    where indicator_id = $indicator_id
      and category_type = ''
)

select * from final order by area_code, sex, age, period_sortable
