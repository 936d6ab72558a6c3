-- grain: one row per LSOA code of either vintage (2011 or 2021), with its national IMD decile on each deprivation
--        index (as text; null when the LSOAs the ONS exact-fit lookup links it to lie in different deciles:
--        docs/methods.md section 7.1) and the council's locality in force at $as_at (null when the LSOA is in no
--        locality of the council)
-- keys: lsoa_code
-- parameters: $council_code, $as_at
-- The locality lookup may give 2011 or 2021 codes: a code of either vintage has a locality (stg_home_lsoas).
with deciles as (
    select * from {{ ref('staging/stg_lsoa_deciles') }}
),

by_code as (
    select
        lsoa_code,
        max(case when index_code = 'IoD2019' then cast(imd_decile as varchar) end) as imd_decile_iod2019,
        max(case when index_code = 'IoD2025' then cast(imd_decile as varchar) end) as imd_decile_iod2025
    from deciles
    group by lsoa_code
),

home_lsoas as (
    select lsoa_code, locality_code from {{ ref('staging/stg_home_lsoas') }}
),

final as (
    select b.lsoa_code, b.imd_decile_iod2019, b.imd_decile_iod2025, h.locality_code
    from by_code as b
    left join home_lsoas as h using (lsoa_code)
)

select * from final order by lsoa_code
