-- grain: one row per council x academic year x year group x category x imd_decile (null: all children; 1 or 10:
--        that national decile), as at $as_at: the borough's prevalence beside England's for the same academic year
--        where published, otherwise the latest earlier one, labelled with its own year (docs/methods.md section 3)
-- keys: council_code, academic_year, school_year, category, imd_decile
-- numerator <= denominator: numerator, denominator
-- parameters: $council_code, $as_at
with prevalence as (
    select academic_year, school_year, category,
           case when breakdown = 'imd_decile' then cast(group_code as integer) end as imd_decile,
           numerator, denominator, value_pct, lower_ci_pct, upper_ci_pct
    from {{ ref('marts/mart_ncmp_prevalence') }}
    where breakdown = 'borough' or (breakdown = 'imd_decile' and group_code in ('1', '10'))
),

england as (
    select academic_year as england_year, school_year, category, imd_decile, area_name as england_name,
           value_pct as england_pct, source as england_source
    from ncmp_benchmarks
    where council_code = $council_code
      and area_code = 'E92000001'
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
),

matched as (
    select p.*, e.england_year, e.england_name, e.england_pct, e.england_source
    from prevalence as p
    left join england as e
        on e.school_year = p.school_year and e.category = p.category
       and e.imd_decile is not distinct from p.imd_decile and e.england_year <= p.academic_year
    qualify row_number() over (
        partition by p.academic_year, p.school_year, p.category, p.imd_decile order by e.england_year desc nulls last
    ) = 1
),

final as (
    select
        $council_code as council_code,
        *,
        england_year = academic_year as is_same_year
    from matched
)

select * from final order by academic_year, school_year, category, imd_decile nulls first
