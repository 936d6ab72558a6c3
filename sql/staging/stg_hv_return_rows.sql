-- grain: one row per council x provider x period x KPI x locality x IMD decile ('1'..'10', 'U', and 'ALL' for the
-- locality's total; locality 'ALL', decile 'ALL' holds the children whose LSOA is unknown) for the catalogue KPIs whose values come from the child-level health visiting records
-- (source 'hv-records' in the catalogue as known at $as_at), in the shape of staging/stg_return_rows: the counts of
-- each provider's load current at $as_at, summed over ethnic groups.
-- keys: provider_code, period, kpi_code, locality_code, imd_decile
-- numerator <= denominator: numerator, denominator
-- parameters: $council_code, $as_at, $provider_code (optional scope)
with derived_kpis as (
    select distinct kpi_code
    from {{ ref('staging/stg_kpis') }}
    where source = 'hv-records'
),

loads as (
    select load_id, loaded_at
    from hv_loads
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
      and ($provider_code is null or provider_code = $provider_code)
),

cells as (
    select
        c.council_code, c.provider_code, c.period,
        cast(left(c.period, 4) as integer) * 4 + cast(right(c.period, 1) as integer) - 1 as period_index,
        c.kpi_code, c.locality_code, c.imd_decile,
        sum(c.numerator)::double as numerator,
        sum(c.denominator)::double as denominator,
        any_value(l.loaded_at) as received_at
    from hv_kpi_counts as c
    inner join loads as l using (load_id)
    inner join derived_kpis using (kpi_code)
    group by all
),

final as (
    -- children whose LSOA is unknown have no locality: they count in the borough's figure only (one row for the
    -- borough, as a borough-level KPI's return row is written)
    select * from cells where locality_code <> 'UNKNOWN'
    union all by name
    select
        council_code, provider_code, period, period_index, kpi_code,
        case when locality_code = 'UNKNOWN' then 'ALL' else locality_code end as locality_code,
        'ALL' as imd_decile,
        sum(numerator) as numerator, sum(denominator) as denominator, any_value(received_at) as received_at
    from cells
    group by all
)

select *, null::varchar as comment, false as is_warning_row from final
