-- grain: one row per NCMP load x year group x dimension ('school', 'lsoa', 'ethnic_group') x dimension value,
--        for the children of load $load_id (written into ncmp_counts when the load is written)
-- keys: load_id, school_year, dimension, dimension_value
-- numerator <= denominator: valid, measured; obese, valid; severely_obese, obese
-- parameters: $load_id
-- measured: children measured (a duplicate row is not a second child); valid: children in prevalence (not
-- excluded for |z| > 7 and not duplicates); category counts are of valid children; severely_obese is a subset of
-- obese (docs/methods.md section 3).
with children as (
    select * from ncmp_children where load_id = $load_id
),

grouped as (
    select
        load_id,
        council_code,
        academic_year,
        school_year,
        case when grouping(school_urn) = 0 then 'school'
             when grouping(lsoa_code) = 0 then 'lsoa'
             else 'ethnic_group' end as dimension,
        case when grouping(school_urn) = 0 then school_urn
             when grouping(lsoa_code) = 0 then lsoa_code
             else ethnic_group end as dimension_value,
        count(*) filter (where not is_duplicate) as measured,
        count(*) filter (where not is_excluded) as valid,
        count(*) filter (where not is_excluded and bmi_category = 'underweight') as underweight,
        count(*) filter (where not is_excluded and bmi_category = 'healthy weight') as healthy_weight,
        count(*) filter (where not is_excluded and bmi_category = 'overweight') as overweight,
        count(*) filter (where not is_excluded and bmi_category = 'obese') as obese,
        count(*) filter (where not is_excluded and is_severely_obese) as severely_obese,
        count(*) filter (where not is_duplicate and is_excluded) as excluded_z,
        count(*) filter (where is_duplicate) as duplicates
    from children
    group by grouping sets (
        (load_id, council_code, academic_year, school_year, school_urn),
        (load_id, council_code, academic_year, school_year, lsoa_code),
        (load_id, council_code, academic_year, school_year, ethnic_group)
    )
),

final as (
    select * from grouped
)

select * from final
