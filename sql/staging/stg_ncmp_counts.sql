-- grain: one row per academic year x year group x dimension ('school', 'lsoa', 'ethnic_group') x dimension value,
--        from the child-level loads current at $as_at (counts written at load time, so purged years still count)
-- keys: academic_year, school_year, dimension, dimension_value
-- numerator <= denominator: valid, measured; obese, valid; severely_obese, obese
-- parameters: $council_code, $as_at
with parts as (
    select load_id, academic_year, school_year
    from {{ ref('staging/stg_ncmp_current_parts') }}
    where dataset = 'ncmp'
),

final as (
    select
        c.academic_year, c.school_year, c.dimension, c.dimension_value, c.measured, c.valid, c.underweight,
        c.healthy_weight, c.overweight, c.obese, c.severely_obese, c.excluded_z, c.duplicates
    from ncmp_counts as c
    inner join parts as p
        on c.load_id = p.load_id and c.academic_year = p.academic_year and c.school_year = p.school_year
    where c.council_code = $council_code
)

select * from final
