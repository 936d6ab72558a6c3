-- grain: one row per academic year x home LSOA value met in the current NCMP counts (null = not recorded), with the
--        child's home locality (the council's lookup current at $as_at; 'OUTSIDE' for an English LSOA outside the
--        borough, 'UNKNOWN' for one not recorded or not recognised) and national IMD decile on the index the year
--        uses ('U' when unknown, or when a split LSOA's parts fall in different deciles: docs/methods.md section 7.1)
-- keys: academic_year, lsoa_code
-- parameters: $council_code, $as_at, $iod2025_from_year
-- LSOA codes may be of 2011 or 2021 boundaries, in the counts and in the locality lookup alike: a code of either
-- vintage has a locality (stg_home_lsoas).
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

home_lsoas as (
    select * from {{ ref('staging/stg_home_lsoas') }}
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
