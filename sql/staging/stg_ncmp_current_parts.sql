-- grain: one row per council x NCMP dataset ('ncmp', 'ncmp-eligible') x academic year x year group: the load part
--        current at $as_at (loaded by then and not superseded by then)
-- keys: dataset, academic_year, school_year
-- parameters: $council_code, $as_at
with parts as (
    select load_id, dataset, academic_year, school_year, loaded_at
    from ncmp_load_parts
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

final as (
    select * from parts
)

select * from final
