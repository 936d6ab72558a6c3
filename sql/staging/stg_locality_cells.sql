-- grain: one row per council x deprivation index x locality x IMD decile that holds at least one LSOA (current
--        locality load at $as_at)
-- keys: council_code, index_code, locality_code, imd_decile
-- parameters: $council_code, $as_at
-- The lookup may give LSOAs of 2011 or of 2021 (or both): each index counts the LSOAs of its own vintage, the
-- lookup's own codes and those the ONS exact-fit lookup links them to (docs/methods.md section 7.1); a linked LSOA
-- whose parts lie in different localities is counted in the first in the council's order. children_0_15 is
-- IoD2019's population (IoD2025 has none here: null).
with current_load as (
    select * from {{ ref('staging/stg_locality_load') }}
),

lookup as (
    select m.council_code, m.lsoa_code, m.locality_code, l.sort_order
    from locality_lsoas as m
    inner join current_load as c using (locality_load_id)
    left join localities as l on l.locality_load_id = m.locality_load_id and l.locality_code = m.locality_code
),

on_both_vintages as (
    select council_code, lsoa_code, locality_code, sort_order from lookup
    union all
    select k.council_code, x.lsoa21_code as lsoa_code, k.locality_code, k.sort_order
    from lookup as k
    inner join lsoa_changes as x on x.lsoa11_code = k.lsoa_code and x.change <> 'U'
    union all
    select k.council_code, x.lsoa11_code as lsoa_code, k.locality_code, k.sort_order
    from lookup as k
    inner join lsoa_changes as x on x.lsoa21_code = k.lsoa_code and x.change <> 'U'
),

placed as (
    select council_code, lsoa_code, arg_min(locality_code, coalesce(sort_order, 0)) as locality_code
    from on_both_vintages
    group by council_code, lsoa_code
),

ranked as (
    select p.council_code, 'IoD2019' as index_code, p.locality_code, r.imd_decile, r.children_0_15
    from placed as p
    inner join lsoa_reference as r using (lsoa_code)
    union all
    select p.council_code, 'IoD2025' as index_code, p.locality_code, r.imd_decile, cast(null as integer)
    from placed as p
    inner join lsoa21_reference as r using (lsoa_code)
),

final as (
    select
        council_code,
        index_code,
        locality_code,
        imd_decile,
        count(*) as lsoa_count,
        sum(children_0_15) as children_0_15
    from ranked
    group by all
)

select * from final order by index_code, locality_code, imd_decile
