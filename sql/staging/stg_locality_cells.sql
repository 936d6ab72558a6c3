-- grain: one row per council x locality x IMD decile that holds at least one LSOA (current locality load at $as_at)
-- keys: council_code, locality_code, imd_decile
-- parameters: $council_code, $as_at
with current_load as (
    select locality_load_id
    from locality_loads
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

final as (
    select
        m.council_code,
        m.locality_code,
        r.imd_decile,
        count(*) as lsoa_count,
        sum(r.children_0_15) as children_0_15
    from locality_lsoas as m
    inner join current_load as c using (locality_load_id)
    inner join lsoa_reference as r using (lsoa_code)
    group by all
)

select * from final order by locality_code, imd_decile
