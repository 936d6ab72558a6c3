-- grain: one row per council x indicator x area x sex x age x category type x category x time period: the
--        Fingertips values current at $as_at (loaded by then and not superseded by then)
-- keys: council_code, indicator_id, area_code, sex, age, category_type, category, time_period
-- parameters: $council_code, $as_at
with loaded as (
    select *
    from fingertips_values
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

final as (
    select
        council_code, indicator_id, indicator_name, area_code, area_name, area_type, parent_code, parent_name, sex,
        age, category_type, category, imd_decile, time_period, time_period_sortable, value, lower_ci_95,
        upper_ci_95, lower_ci_998, upper_ci_998, count, denominator, value_note, recent_trend,
        compared_to_england, compared_to_parent, outcome_load_id, loaded_at
    from loaded
)

select * from final
