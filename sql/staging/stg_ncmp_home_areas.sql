-- grain: one row per academic year x home LSOA value met in the current NCMP counts (null = not recorded), with the
--        child's home locality (the council's lookup current at $as_at; 'OUTSIDE' for an English LSOA outside the
--        borough, 'UNKNOWN' for one not recorded or not recognised) and national IMD decile on the index the year
--        uses ('U' when unknown, or when a split LSOA's parts fall in different deciles: docs/methods.md section 7.1)
-- keys: academic_year, lsoa_code
-- parameters: $council_code, $as_at, $iod2025_from_year
-- LSOA codes may be of 2011 or 2021 boundaries, in the counts and in the locality lookup alike: a code of the other
-- vintage than the lookup's takes the locality of the LSOAs the ONS exact-fit lookup links it to (the first in the
-- council's order when they lie in different localities).
with lsoas as (
    select distinct
        academic_year,
        dimension_value as lsoa_code,
        case when academic_year >= $iod2025_from_year then 'IoD2025' else 'IoD2019' end as deprivation_index
    from {{ ref('staging/stg_ncmp_counts') }}
    where dimension = 'lsoa'
),

deciles as (
    select * from {{ ref('staging/stg_lsoa_deciles') }}
),

current_load as (
    select locality_load_id
    from locality_loads
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

council_lsoas as (
    select m.lsoa_code, m.locality_code, l.locality_name, l.sort_order
    from locality_lsoas as m
    inner join current_load as c using (locality_load_id)
    inner join localities as l on l.locality_load_id = m.locality_load_id and l.locality_code = m.locality_code
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

home_lsoas as (
    select * from council_lsoas
    union all
    select * from mapped_lsoas
),

final as (
    select
        s.academic_year,
        s.lsoa_code,
        case when c.locality_code is not null then c.locality_code
             when r.lsoa_code is not null then 'OUTSIDE'
             else 'UNKNOWN' end as home_locality_code,
        case when c.locality_code is not null then c.locality_name
             when r.lsoa_code is not null then 'Outside the borough'
             else 'Home LSOA not recorded' end as home_locality_name,
        case when c.locality_code is not null then c.sort_order
             when r.lsoa_code is not null then 900
             else 901 end as home_sort_order,
        coalesce(cast(r.imd_decile as varchar), 'U') as imd_decile,
        r.imd_edition,
        s.deprivation_index
    from lsoas as s
    left join home_lsoas as c on c.lsoa_code = s.lsoa_code
    left join deciles as r on r.index_code = s.deprivation_index and r.lsoa_code = s.lsoa_code
)

select * from final
