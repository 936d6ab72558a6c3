-- grain: one row per council x locality, from the locality load current at $as_at
-- keys: council_code, locality_code
-- parameters: $council_code, $as_at
with current_load as (
    select * from {{ ref('staging/stg_locality_load') }}
),

final as (
    select l.council_code, l.locality_code, l.locality_name, l.sort_order
    from localities as l
    inner join current_load as c using (locality_load_id)
)

select * from final order by sort_order
