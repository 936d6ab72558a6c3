-- grain: one row per council x KPI x period x level x locality x decile, where level is borough, locality,
--        locality_decile, borough_decile or borough_quintile (locality_code 'ALL' above locality level; imd_decile
--        '1'..'10', 'U' or 'ALL'; imd_quintile 1..5 for borough_quintile rows)
-- keys: council_code, kpi_code, period, level, locality_code, imd_decile, imd_quintile
-- numerator <= denominator: numerator, denominator
-- parameters: $council_code, $as_at (returns accepted and targets set by then), $first_period_index,
--             $last_period_index (the quarters targets are looked up for)
-- Values: value_pct = 100 x numerator / denominator (proportions and ratios), Wilson 95% CI for proportions,
-- change_pct = points since the previous quarter, RAG against the target in force for the period (docs/methods.md 5),
-- target_from = the period that target took effect from.
-- The catalogue is the database's as at $as_at, the version in force for each period (staging/stg_kpis): a KPI has
-- rows only for periods it is in the catalogue, and its minimum denominator is the one in force for the period.
with return_rows as (
    -- a KPI's values come from the provider's return, or from its child-level records (catalogue source)
    select * from {{ ref('staging/stg_return_rows') }}
    where kpi_code not in (select kpi_code from {{ ref('staging/stg_kpis') }} where source = 'hv-records')
    union all by name
    select * from {{ ref('staging/stg_hv_return_rows') }}
),

kpi_catalogue as (
    select * from {{ ref('staging/stg_kpis') }}
),

locality_level as (
    select council_code, kpi_code, period, period_index, 'locality' as level, locality_code, 'ALL' as imd_decile,
           null::integer as imd_quintile, numerator, denominator, comment
    from return_rows
    where imd_decile = 'ALL' and locality_code <> 'ALL'
),

borough_level as (
    select council_code, kpi_code, period, period_index, 'borough' as level, 'ALL' as locality_code,
           'ALL' as imd_decile, null::integer as imd_quintile, sum(numerator) as numerator,
           sum(denominator) as denominator, string_agg(comment, '; ') as comment
    from return_rows
    where imd_decile = 'ALL'
    group by council_code, kpi_code, period, period_index
),

locality_decile_level as (
    select council_code, kpi_code, period, period_index, 'locality_decile' as level, locality_code, imd_decile,
           null::integer as imd_quintile, numerator, denominator, comment
    from return_rows
    where imd_decile <> 'ALL'
),

borough_decile_level as (
    select council_code, kpi_code, period, period_index, 'borough_decile' as level, 'ALL' as locality_code,
           imd_decile, null::integer as imd_quintile, sum(numerator) as numerator, sum(denominator) as denominator,
           null::varchar as comment
    from return_rows
    where imd_decile <> 'ALL'
    group by council_code, kpi_code, period, period_index, imd_decile
),

borough_quintile_level as (
    select council_code, kpi_code, period, period_index, 'borough_quintile' as level, 'ALL' as locality_code,
           'ALL' as imd_decile, (cast(imd_decile as integer) + 1) // 2 as imd_quintile,
           sum(numerator) as numerator, sum(denominator) as denominator, null::varchar as comment
    from return_rows
    where imd_decile not in ('ALL', 'U')
    group by council_code, kpi_code, period, period_index, (cast(imd_decile as integer) + 1) // 2
),

all_levels as (
    select * from locality_level
    union all select * from borough_level
    union all select * from locality_decile_level
    union all select * from borough_decile_level
    union all select * from borough_quintile_level
),

valued as (
    select
        a.*,
        k.current_name as kpi_name, k.value_kind, k.polarity, k.breakdown, k.min_denominator,
        k.current_sort_order as sort_order,
        case when k.value_kind = 'count' then null
             when a.denominator > 0 then 100.0 * a.numerator / a.denominator end as value_pct,
        case when k.value_kind = 'proportion'
             then 100.0 * wilson_lower(a.numerator, a.denominator, z95()) end as lower_ci_pct,
        case when k.value_kind = 'proportion'
             then 100.0 * wilson_upper(a.numerator, a.denominator, z95()) end as upper_ci_pct
    from all_levels as a
    inner join kpi_catalogue as k
        on k.kpi_code = a.kpi_code and a.period_index >= k.effective_from_index
       and (k.until_index is null or a.period_index < k.until_index)
),

with_change as (
    select
        v.*,
        v.value_pct - p.value_pct as change_pct,
        case when v.value_kind = 'count' then v.numerator - p.numerator end as change_count
    from valued as v
    left join valued as p
        on p.kpi_code = v.kpi_code and p.level = v.level and p.locality_code = v.locality_code
       and p.imd_decile = v.imd_decile and p.imd_quintile is not distinct from v.imd_quintile
       and p.period_index = v.period_index - 1
),

targets_in_force as (
    select * from {{ ref('staging/stg_targets') }}
),

rated as (
    select
        c.*,
        t.target_pct,
        t.amber_margin_pct,
        t.effective_from as target_from,
        case
            when c.polarity = 'none' then 'no judgement'
            when t.target_pct is null then 'no target'
            when c.denominator is null or c.denominator = 0 then 'no children in the cohort'
            when c.min_denominator is not null and c.denominator < c.min_denominator
                then 'denominator below ' || cast(cast(c.min_denominator as integer) as varchar)
        end as not_rated_reason
    from with_change as c
    left join targets_in_force as t on t.kpi_code = c.kpi_code and t.period_index = c.period_index
),

final as (
    select
        council_code, kpi_code, kpi_name, sort_order, value_kind, polarity, breakdown, period, period_index, level,
        locality_code, imd_decile, imd_quintile, numerator, denominator, value_pct, lower_ci_pct, upper_ci_pct,
        change_pct, change_count, target_pct, amber_margin_pct, target_from,
        case
            when not_rated_reason is not null then 'not rated'
            when polarity = 'high' and round(value_pct, 9) >= target_pct then 'green'
            when polarity = 'high' and round(value_pct, 9) >= target_pct - amber_margin_pct then 'amber'
            when polarity = 'low' and round(value_pct, 9) <= target_pct then 'green'
            when polarity = 'low' and round(value_pct, 9) <= target_pct + amber_margin_pct then 'amber'
            else 'red'
        end as rag,
        not_rated_reason,
        coalesce(min_denominator is not null and denominator < min_denominator, false) as is_small_denominator,
        comment
    from rated
)

select * from final
order by sort_order, period_index, level, locality_code, imd_decile, imd_quintile
