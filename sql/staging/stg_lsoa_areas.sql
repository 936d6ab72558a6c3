-- grain: one row per LSOA of the national lookup, with its IMD decile and the council's locality in force at $as_at
-- (null when the LSOA is in no locality of the council)
-- keys: lsoa_code
-- parameters: $council_code, $as_at
with current_load as (
    select locality_load_id
    from locality_loads
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

council_lsoas as (
    select m.lsoa_code, m.locality_code
    from locality_lsoas as m
    inner join current_load as c using (locality_load_id)
),

final as (
    select
        r.lsoa_code,
        cast(r.imd_decile as varchar) as imd_decile,
        l.locality_code
    from lsoa_reference as r
    left join council_lsoas as l using (lsoa_code)
)

select * from final order by lsoa_code
