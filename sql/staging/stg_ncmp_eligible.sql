-- grain: one row per academic year x year group x school (URN), from the eligible-pupils loads current at $as_at
-- keys: academic_year, school_year, school_urn
-- parameters: $council_code, $as_at
with parts as (
    select load_id, academic_year, school_year
    from {{ ref('staging/stg_ncmp_current_parts') }}
    where dataset = 'ncmp-eligible'
),

final as (
    select e.academic_year, e.school_year, e.school_urn, e.school_name, e.eligible_pupils, e.locality_code
    from ncmp_eligible as e
    inner join parts as p
        on e.load_id = p.load_id and e.academic_year = p.academic_year and e.school_year = p.school_year
    where e.council_code = $council_code
)

select * from final
