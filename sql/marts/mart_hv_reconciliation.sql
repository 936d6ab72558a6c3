-- grain: one row per provider x quarter x KPI x locality x IMD decile where the provider has both a current
-- health visiting records load and a current return for the quarter: the KPI derived from the child-level records
-- (summed over ethnic groups) beside the numerator and denominator the return gave. A cell only one side has shows
-- a zero numerator and no denominator on the other. Children whose LSOA is unknown are in locality UNKNOWN, decile U,
-- on both sides (the return's U rows of every locality added up). The differences are derived minus returned: counts of children (C1: of antenatal contacts' children).
-- keys: provider_code, period, kpi_code, locality_code, imd_decile
-- numerator <= denominator: derived_numerator, derived_denominator
-- parameters: $council_code, $as_at, $provider_code (optional scope)
with derived as (
    -- a child of decile U (LSOA unknown, or split across deciles on the quarter's index) is compared in UNKNOWN,
    -- as the return's U rows are
    select provider_code, period, kpi_code,
           case when imd_decile = 'U' then 'UNKNOWN' else locality_code end as locality_code,
           imd_decile,
           sum(derived_count)::double as numerator,
           sum(derived_base)::double as denominator
    from {{ ref('staging/stg_hv_kpi_counts') }}
    group by all
),

returned as (
    -- children whose LSOA is unknown have no locality in the records: the return's decile U rows are compared as one
    select
        provider_code, period, kpi_code,
        case when imd_decile = 'U' then 'UNKNOWN' else locality_code end as locality_code,
        imd_decile,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from {{ ref('staging/stg_return_rows') }}
    where imd_decile <> 'ALL' and locality_code <> 'ALL'
    group by all
),

compared as (
    -- quarters and KPIs both sides hold
    select distinct d.provider_code, d.period, d.kpi_code
    from derived as d
    inner join returned as r using (provider_code, period, kpi_code)
),

cells as (
    select provider_code, period, kpi_code, locality_code, imd_decile from derived
    union
    select provider_code, period, kpi_code, locality_code, imd_decile from returned
),

final as (
    select
        c.provider_code, c.period, c.kpi_code, c.locality_code, c.imd_decile,
        coalesce(d.numerator, 0) as derived_numerator,
        d.denominator as derived_denominator,
        coalesce(r.numerator, 0) as returned_numerator,
        r.denominator as returned_denominator,
        coalesce(d.numerator, 0) - coalesce(r.numerator, 0) as numerator_difference,
        coalesce(d.denominator, 0) - coalesce(r.denominator, 0) as denominator_difference,
        100.0 * coalesce(d.numerator, 0) / nullif(d.denominator, 0)
            - 100.0 * coalesce(r.numerator, 0) / nullif(r.denominator, 0) as points_difference
    from cells as c
    inner join compared using (provider_code, period, kpi_code)
    left join derived as d using (provider_code, period, kpi_code, locality_code, imd_decile)
    left join returned as r using (provider_code, period, kpi_code, locality_code, imd_decile)
)

select * from final order by provider_code, period, kpi_code, locality_code, imd_decile
