-- grain: one row per council x provider x period x KPI x locality x IMD decile x ethnic group, derived from each
-- provider's health visiting records load current at $as_at (loaded by $as_at and not superseded by then)
-- keys: provider_code, period, kpi_code, locality_code, imd_decile, ethnic_group
-- count and base: for proportions the count is part of the base; for A4 (contacts per child) it may exceed it
-- parameters: $council_code, $as_at, $provider_code (optional scope: null for every provider of the council)
with current_loads as (
    select load_id, provider_code
    from hv_loads
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
      and ($provider_code is null or provider_code = $provider_code)
),

final as (
    select
        c.council_code, c.provider_code, c.period, c.kpi_code, c.locality_code, c.imd_decile, c.ethnic_group,
        c.numerator as derived_count, c.denominator as derived_base, c.load_id
    from hv_kpi_counts as c
    inner join current_loads as l using (load_id, provider_code)
)

select * from final order by provider_code, period, kpi_code, locality_code, imd_decile, ethnic_group
