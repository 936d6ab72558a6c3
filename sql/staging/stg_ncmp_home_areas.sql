-- grain: one row per home LSOA value met in the current NCMP counts (null = not recorded), with the child's home
--        locality (the council's lookup current at $as_at; 'OUTSIDE' for an English LSOA outside the borough,
--        'UNKNOWN' for one not recorded or not recognised) and national IMD decile ('U' when unknown)
-- keys: lsoa_code
-- parameters: $council_code, $as_at
with lsoas as (
    select distinct dimension_value as lsoa_code
    from {{ ref('staging/stg_ncmp_counts') }}
    where dimension = 'lsoa'
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

final as (
    select
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
        r.imd_edition
    from lsoas as s
    left join council_lsoas as c on c.lsoa_code = s.lsoa_code
    left join lsoa_reference as r on r.lsoa_code = s.lsoa_code
)

select * from final
