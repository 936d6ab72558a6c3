-- grain: one row per deprivation index x LSOA code of either vintage (2011 or 2021): the code's national IMD decile
--        on that index, taken directly when the code is of the index's own vintage and otherwise mapped through the
--        ONS exact-fit lookup (docs/methods.md section 7.1)
-- keys: index_code, lsoa_code
-- mapping: 'direct' (the index's own vintage), 'split', 'merged' or 'irregular' (the change that links the code to
--   the index's LSOAs); imd_decile is null when the linked LSOAs fall in different deciles, which differing_deciles
--   lists ('3, 4'); lad_code is the code's own district (2011 codes: 2019 districts; 2021 codes: 2024 districts);
--   imd_edition is the reference's own label of the index
with own as (
    select 'IoD2019' as index_code, lsoa_code, 2011 as code_vintage, lad_code, imd_decile, imd_edition
    from lsoa_reference
    union all
    select 'IoD2025' as index_code, lsoa_code, 2021 as code_vintage, lad_code, imd_decile, imd_edition
    from lsoa21_reference
),

-- every pair of the lookup seen from each side: a 2021 code's 2011 LSOAs (for IoD2019), a 2011 code's 2021 LSOAs
-- (for IoD2025)
links as (
    select 'IoD2019' as index_code, lsoa21_code as lsoa_code, 2021 as code_vintage, lsoa11_code as target_code, change
    from lsoa_changes
    union all
    select 'IoD2025' as index_code, lsoa11_code as lsoa_code, 2011 as code_vintage, lsoa21_code as target_code, change
    from lsoa_changes
),

mapped as (
    select
        k.index_code,
        k.lsoa_code,
        k.code_vintage,
        case any_value(k.change) when 'S' then 'split' when 'M' then 'merged' else 'irregular' end as mapping,
        case when min(o.imd_decile) = max(o.imd_decile) then min(o.imd_decile) end as imd_decile,
        case when min(o.imd_decile) <> max(o.imd_decile)
             then array_to_string(list_sort(list_distinct(list(o.imd_decile))), ', ')
        end as differing_deciles,
        any_value(o.imd_edition) as imd_edition
    from links as k
    inner join own as o on o.index_code = k.index_code and o.lsoa_code = k.target_code
    where k.change <> 'U'
    group by k.index_code, k.lsoa_code, k.code_vintage
),

codes as (
    select distinct lsoa_code, code_vintage, lad_code from own
),

final as (
    select index_code, lsoa_code, code_vintage, lad_code, imd_decile, 'direct' as mapping,
           cast(null as varchar) as differing_deciles, imd_edition
    from own
    union all
    select m.index_code, m.lsoa_code, m.code_vintage, c.lad_code, m.imd_decile, m.mapping, m.differing_deciles,
           m.imd_edition
    from mapped as m
    inner join codes as c on c.lsoa_code = m.lsoa_code and c.code_vintage = m.code_vintage
)

select * from final
