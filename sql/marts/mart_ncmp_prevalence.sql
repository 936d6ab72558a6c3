-- grain: one row per council x academic year x year group x breakdown x group x category, as at $as_at
--   breakdown: 'borough' (group 'ALL'), 'school_locality' (the school's locality from the eligible-pupils return;
--   'UNKNOWN' when the school is not in it), 'home_locality' (the child's home LSOA's locality, 'OUTSIDE' the
--   borough, 'UNKNOWN' not recorded), 'imd_decile' (national IMD decile of the home LSOA, '1'..'10', 'U'),
--   'ethnic_group' (as returned); deprivation_index: the index the year's deciles use (IoD2019 or IoD2025, the
--   setting deprivation_iod2025_from_year, docs/methods.md section 7.1); category: underweight, healthy_weight, overweight, obese (including severe),
--   severely_obese, excess_weight (overweight + obese)
-- keys: council_code, academic_year, school_year, breakdown, group_code, category
-- numerator <= denominator: numerator, denominator; denominator, measured
-- parameters: $council_code, $as_at, $iod2025_from_year
-- Prevalence = children in the category / children measured with a valid BMI (excluding |z| > 7 and duplicates),
-- with Wilson 95% limits (docs/methods.md sections 3 and 5). Borough figures are of the children measured in the
-- council's schools (wherever they live).
with counts as (
    select * from {{ ref('staging/stg_ncmp_counts') }}
),

eligible as (
    select * from {{ ref('staging/stg_ncmp_eligible') }}
),

home_areas as (
    select * from {{ ref('staging/stg_ncmp_home_areas') }}
),

council_localities as (
    select * from {{ ref('staging/stg_localities') }}
),

school_rows as (
    select
        c.*,
        coalesce(e.locality_code, 'UNKNOWN') as locality_code
    from counts as c
    left join eligible as e
        on e.academic_year = c.academic_year and e.school_year = c.school_year and e.school_urn = c.dimension_value
    where c.dimension = 'school'
),

borough as (
    select academic_year, school_year, 'borough' as breakdown, 'ALL' as group_code, 'Borough (all schools)' as group_name,
           0 as sort_order, sum(measured) as measured, sum(valid) as valid, sum(underweight) as underweight,
           sum(healthy_weight) as healthy_weight, sum(overweight) as overweight, sum(obese) as obese,
           sum(severely_obese) as severely_obese, sum(excluded_z) as excluded_z, sum(duplicates) as duplicates
    from school_rows
    group by academic_year, school_year
),

by_school_locality as (
    select s.academic_year, s.school_year, 'school_locality' as breakdown, s.locality_code as group_code,
           coalesce(any_value(l.locality_name), 'School not in the eligible-pupils return') as group_name,
           coalesce(any_value(l.sort_order), 901) as sort_order,
           sum(measured) as measured, sum(valid) as valid, sum(underweight) as underweight,
           sum(healthy_weight) as healthy_weight, sum(overweight) as overweight, sum(obese) as obese,
           sum(severely_obese) as severely_obese, sum(excluded_z) as excluded_z, sum(duplicates) as duplicates
    from school_rows as s
    left join council_localities as l on l.locality_code = s.locality_code
    group by s.academic_year, s.school_year, s.locality_code
),

lsoa_rows as (
    select c.*, h.home_locality_code, h.home_locality_name, h.home_sort_order, h.imd_decile
    from counts as c
    left join home_areas as h
        on h.academic_year = c.academic_year and h.lsoa_code is not distinct from c.dimension_value
    where c.dimension = 'lsoa'
),

by_home_locality as (
    select academic_year, school_year, 'home_locality' as breakdown, home_locality_code as group_code,
           any_value(home_locality_name) as group_name, any_value(home_sort_order) as sort_order,
           sum(measured) as measured, sum(valid) as valid, sum(underweight) as underweight,
           sum(healthy_weight) as healthy_weight, sum(overweight) as overweight, sum(obese) as obese,
           sum(severely_obese) as severely_obese, sum(excluded_z) as excluded_z, sum(duplicates) as duplicates
    from lsoa_rows
    group by academic_year, school_year, home_locality_code
),

by_decile as (
    select academic_year, school_year, 'imd_decile' as breakdown, imd_decile as group_code,
           case when imd_decile = 'U' then 'Unknown' else 'Decile ' || imd_decile end as group_name,
           case when imd_decile = 'U' then 11 else cast(imd_decile as integer) end as sort_order,
           sum(measured) as measured, sum(valid) as valid, sum(underweight) as underweight,
           sum(healthy_weight) as healthy_weight, sum(overweight) as overweight, sum(obese) as obese,
           sum(severely_obese) as severely_obese, sum(excluded_z) as excluded_z, sum(duplicates) as duplicates
    from lsoa_rows
    group by academic_year, school_year, imd_decile
),

by_ethnic_group as (
    select academic_year, school_year, 'ethnic_group' as breakdown, dimension_value as group_code,
           dimension_value as group_name,
           case when dimension_value = 'Not stated' then 999 else 0 end as sort_order,
           sum(measured) as measured, sum(valid) as valid, sum(underweight) as underweight,
           sum(healthy_weight) as healthy_weight, sum(overweight) as overweight, sum(obese) as obese,
           sum(severely_obese) as severely_obese, sum(excluded_z) as excluded_z, sum(duplicates) as duplicates
    from counts
    where dimension = 'ethnic_group'
    group by academic_year, school_year, dimension_value
),

groups as (
    select * from borough
    union all by name select * from by_school_locality
    union all by name select * from by_home_locality
    union all by name select * from by_decile
    union all by name select * from by_ethnic_group
),

with_excess as (
    select *, overweight + obese as excess_weight from groups
),

long as (
    unpivot with_excess
    on underweight, healthy_weight, overweight, obese, severely_obese, excess_weight
    into name category value numerator
),

final as (
    select
        $council_code as council_code,
        academic_year,
        school_year,
        breakdown,
        group_code,
        group_name,
        sort_order,
        category,
        cast(numerator as bigint) as numerator,
        cast(valid as bigint) as denominator,
        case when valid > 0 then 100.0 * numerator / valid end as value_pct,
        100.0 * wilson_lower(numerator, valid, z95()) as lower_ci_pct,
        100.0 * wilson_upper(numerator, valid, z95()) as upper_ci_pct,
        cast(measured as bigint) as measured,
        cast(excluded_z as bigint) as excluded_z,
        cast(duplicates as bigint) as duplicates,
        case when academic_year >= $iod2025_from_year then 'IoD2025' else 'IoD2019' end as deprivation_index
    from long
)

select * from final
order by academic_year, school_year, breakdown, sort_order, group_code, category
