-- grain: one row per council x local measure x period x area x locality x decile: the local outcome measure values
--        current at $as_at (loaded by then and not superseded by then)
-- keys: council_code, measure_code, period, area_code, locality_code, imd_decile
-- numerator <= denominator: numerator, denominator
-- parameters: $council_code, $as_at
with loaded as (
    select *
    from outcome_measure_values
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

final as (
    select
        council_code, measure_code, period, period_sortable, area_code, locality_code, imd_decile, numerator,
        denominator, value, lower_ci_95, upper_ci_95, lower_ci_998, upper_ci_998, ci_method, outcome_load_id,
        loaded_at
    from loaded
)

select * from final
