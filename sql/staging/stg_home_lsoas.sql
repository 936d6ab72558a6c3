-- grain: one row per LSOA code, of either vintage (2011 or 2021), in the council's localities in force at $as_at,
--        with its locality, the locality's name and its place in the council's order
-- keys: lsoa_code
-- parameters: $council_code, $as_at
-- The locality lookup may give 2011 or 2021 codes: a code of the other vintage takes the locality of the LSOAs the
-- ONS exact-fit lookup links it to (the first in the council's order when they lie in different localities;
-- docs/methods.md section 7.1). The one place this rule is written: the health visiting records' areas
-- (stg_lsoa_areas) and the NCMP home localities (stg_ncmp_home_areas) both read it.
with current_load as (
    select * from {{ ref('staging/stg_locality_load') }}
),

council_lsoas as (
    select m.lsoa_code, m.locality_code, l.locality_name, coalesce(l.sort_order, 0) as sort_order
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
    select
        k.lsoa_code,
        arg_min(c.locality_code, c.sort_order) as locality_code,
        arg_min(c.locality_name, c.sort_order) as locality_name,
        min(c.sort_order) as sort_order
    from linked as k
    inner join council_lsoas as c on c.lsoa_code = k.linked_code
    where k.lsoa_code not in (select lsoa_code from council_lsoas)
    group by k.lsoa_code
),

final as (
    select * from council_lsoas
    union all
    select * from mapped_lsoas
)

select * from final
