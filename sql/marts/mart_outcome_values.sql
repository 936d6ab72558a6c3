-- grain: one row per council x source x measure x area x sex x age x category type x category x period: every
--        outcome value current at $as_at, Fingertips indicators and local measures in one long shape
-- keys: source, measure_ref, area_code, sex, age, category_type, category, period
-- parameters: $council_code, $as_at
-- measure_ref is the Fingertips indicator ID (as text) or the local measure code; category_type '' is the headline
-- row (no breakdown); imd_decile 1 (most deprived) to 10 on deprivation rows. Local measures carry no sex or age.
with fingertips as (
    select * from {{ ref('staging/stg_fingertips_values') }}
),

local_values as (
    select * from {{ ref('staging/stg_outcome_measure_values') }}
),

locality_names as (
    select * from {{ ref('staging/stg_localities') }}
),

council as (
    select council_code, council_name from councils where council_code = $council_code
),

fingertips_long as (
    select
        'fingertips' as source,
        cast(indicator_id as varchar) as measure_ref,
        indicator_name as measure_name,
        area_code, coalesce(area_name, area_code) as area_name, area_type, sex, age, category_type, category,
        imd_decile, time_period as period, time_period_sortable as period_sortable, value, lower_ci_95,
        upper_ci_95, lower_ci_998, upper_ci_998, count, denominator, value_note
    from fingertips
),

local_long as (
    select
        'local' as source,
        v.measure_code as measure_ref,
        null::varchar as measure_name,
        v.area_code,
        case when v.area_code = 'E92000001' then 'England' else coalesce(c.council_name, v.area_code) end
            as area_name,
        null::varchar as area_type,
        '' as sex,
        '' as age,
        case
            when v.locality_code = 'ALL' and v.imd_decile = 'ALL' then ''
            when v.locality_code = 'ALL' then 'Deprivation decile (IMD2019)'
            when v.imd_decile = 'ALL' then 'Locality'
            else 'Locality and deprivation decile'
        end as category_type,
        case
            when v.locality_code = 'ALL' and v.imd_decile = 'ALL' then ''
            when v.locality_code = 'ALL' and v.imd_decile = 'U' then 'Decile unknown'
            when v.locality_code = 'ALL' then 'Decile ' || v.imd_decile
            when v.imd_decile = 'ALL' then coalesce(l.locality_name, v.locality_code)
            else coalesce(l.locality_name, v.locality_code) || ', decile ' || v.imd_decile
        end as category,
        case when v.locality_code = 'ALL' then try_cast(v.imd_decile as integer) end as imd_decile,
        v.period, v.period_sortable, v.value, v.lower_ci_95, v.upper_ci_95, v.lower_ci_998, v.upper_ci_998,
        v.numerator as count, v.denominator, null::varchar as value_note
    from local_values as v
    left join council as c on c.council_code = v.area_code
    left join locality_names as l on l.locality_code = v.locality_code
),

final as (
    select * from fingertips_long
    union all
    select * from local_long
)

select * from final
order by source, measure_ref, area_code, category_type, imd_decile nulls first, category, period_sortable
