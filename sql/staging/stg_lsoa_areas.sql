-- grain: one row per LSOA code of either vintage (2011 or 2021), with its national IMD decile on each deprivation
--        index (as text; null when the LSOAs the ONS exact-fit lookup links it to lie in different deciles:
--        docs/methods.md section 7.1) and the council's locality in force at $as_at (null when the LSOA is in no
--        locality of the council)
-- keys: lsoa_code
-- parameters: $council_code, $as_at
-- The locality lookup may give 2011 or 2021 codes: a code of the other vintage takes the locality of the LSOAs the
-- exact-fit lookup links it to (the first in the council's order when they lie in different localities), as the
-- NCMP home localities do (stg_ncmp_home_areas).
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

current_load as (
    select locality_load_id
    from locality_loads
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

council_lsoas as (
    select m.lsoa_code, m.locality_code, coalesce(l.sort_order, 0) as sort_order
    from locality_lsoas as m
    inner join current_load as c using (locality_load_id)
    left join localities as l on l.locality_load_id = m.locality_load_id and l.locality_code = m.locality_code
),

linked as (
    select lsoa11_code as lsoa_code, lsoa21_code as linked_code from lsoa_changes where change <> 'U'
    union all
    select lsoa21_code as lsoa_code, lsoa11_code as linked_code from lsoa_changes where change <> 'U'
),

mapped_lsoas as (
    select k.lsoa_code, arg_min(c.locality_code, c.sort_order) as locality_code
    from linked as k
    inner join council_lsoas as c on c.lsoa_code = k.linked_code
    where k.lsoa_code not in (select lsoa_code from council_lsoas)
    group by k.lsoa_code
),

home_lsoas as (
    select lsoa_code, locality_code from council_lsoas
    union all
    select lsoa_code, locality_code from mapped_lsoas
),

final as (
    select b.lsoa_code, b.imd_decile_iod2019, b.imd_decile_iod2025, h.locality_code
    from by_code as b
    left join home_lsoas as h using (lsoa_code)
)

select * from final order by lsoa_code
