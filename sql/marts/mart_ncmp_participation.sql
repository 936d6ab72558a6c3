-- grain: one row per council x academic year x year group x level ('borough', 'locality', 'school') x area
--        (area_code 'ALL' for the borough, a locality code, or a school URN), as at $as_at
-- keys: council_code, academic_year, school_year, level, area_code
-- parameters: $council_code, $as_at
-- Participation = children measured / pupils eligible (docs/methods.md section 3), over the schools in the
-- eligible-pupils return, with Wilson 95% limits; localities are the schools' localities. measured_all also counts
-- children of schools missing from the eligible return (schools_not_in_eligible says how many such schools).
-- Limits are not computed where more children were measured than were eligible (is_measured_above_eligible).
with counts as (
    select academic_year, school_year, dimension_value as school_urn, measured
    from {{ ref('staging/stg_ncmp_counts') }}
    where dimension = 'school'
),

eligible as (
    select * from {{ ref('staging/stg_ncmp_eligible') }}
),

council_localities as (
    select * from {{ ref('staging/stg_localities') }}
),

years_measured as (
    select distinct academic_year, school_year from counts
),

schools as (
    select
        coalesce(e.academic_year, c.academic_year) as academic_year,
        coalesce(e.school_year, c.school_year) as school_year,
        coalesce(e.school_urn, c.school_urn) as school_urn,
        coalesce(e.school_name, 'School ' || c.school_urn || ' (not in the eligible-pupils return)') as school_name,
        coalesce(e.locality_code, 'UNKNOWN') as locality_code,
        e.eligible_pupils,
        coalesce(c.measured, 0) as measured
    from eligible as e
    full outer join counts as c
        on c.academic_year = e.academic_year and c.school_year = e.school_year and c.school_urn = e.school_urn
),

measured_years_only as (
    -- a year with eligible pupils but no measurements loaded yet is not a participation of 0%
    select s.* from schools as s inner join years_measured as y using (academic_year, school_year)
),

school_level as (
    select academic_year, school_year, 'school' as level, school_urn as area_code, school_name as area_name,
           locality_code, 0 as sort_order,
           case when eligible_pupils is not null then measured else 0 end as measured,
           measured as measured_all, eligible_pupils as eligible,
           case when eligible_pupils is null then 1 else 0 end as schools_not_in_eligible
    from measured_years_only
),

locality_level as (
    select s.academic_year, s.school_year, 'locality' as level, s.locality_code as area_code,
           coalesce(any_value(l.locality_name), 'Schools not in the eligible-pupils return') as area_name,
           s.locality_code, coalesce(any_value(l.sort_order), 901) as sort_order,
           sum(s.measured) as measured, sum(s.measured_all) as measured_all, sum(s.eligible) as eligible,
           sum(s.schools_not_in_eligible) as schools_not_in_eligible
    from school_level as s
    left join council_localities as l on l.locality_code = s.locality_code
    group by s.academic_year, s.school_year, s.locality_code
),

borough_level as (
    select academic_year, school_year, 'borough' as level, 'ALL' as area_code, 'Borough (all schools)' as area_name,
           'ALL' as locality_code, 0 as sort_order, sum(measured) as measured, sum(measured_all) as measured_all,
           sum(eligible) as eligible, sum(schools_not_in_eligible) as schools_not_in_eligible
    from school_level
    group by academic_year, school_year
),

levels as (
    select * from borough_level
    union all by name select * from locality_level
    union all by name select * from school_level
),

final as (
    select
        $council_code as council_code,
        academic_year,
        school_year,
        level,
        area_code,
        area_name,
        locality_code,
        sort_order,
        cast(measured as bigint) as measured,
        cast(measured_all as bigint) as measured_all,
        cast(eligible as bigint) as eligible,
        cast(schools_not_in_eligible as bigint) as schools_not_in_eligible,
        case when eligible > 0 then 100.0 * measured / eligible end as participation_pct,
        case when measured <= eligible then 100.0 * wilson_lower(measured, eligible, z95()) end as lower_ci_pct,
        case when measured <= eligible then 100.0 * wilson_upper(measured, eligible, z95()) end as upper_ci_pct,
        coalesce(measured > eligible, false) as is_measured_above_eligible
    from levels
)

select * from final
order by academic_year, school_year, level, sort_order, area_code
