-- grain: one row per council x academic year x year group x category, as at $as_at
-- keys: council_code, academic_year, school_year, category
-- numerator <= denominator: decile1_numerator, decile1_denominator; decile10_numerator, decile10_denominator
-- parameters: $council_code, $as_at, $iod2025_from_year
-- deprivation_index: the index the year's deciles use (docs/methods.md section 7.1); years on different indices are
-- not comparable, so a trend marks the change
-- Gap between the most and least deprived decile = prevalence in national IMD decile 1 (most deprived) - decile 10 (least deprived), in percentage
-- points (docs/methods.md section 3), with a 95% interval for the difference of two independent proportions by
-- Newcombe's hybrid score method (Newcombe 1998, Stat Med 17:873-890, method 10), built from each decile's
-- Wilson limits: lower = d - sqrt((p1 - l1)^2 + (u10 - p10)^2), upper = d + sqrt((u1 - p1)^2 + (p10 - l10)^2).
with deciles as (
    select * from {{ ref('marts/mart_ncmp_prevalence') }}
    where breakdown = 'imd_decile' and group_code in ('1', '10')
),

paired as (
    select
        d1.academic_year, d1.school_year, d1.category,
        d1.numerator as decile1_numerator, d1.denominator as decile1_denominator,
        d1.value_pct as decile1_pct, d1.lower_ci_pct as decile1_lower_ci_pct, d1.upper_ci_pct as decile1_upper_ci_pct,
        d10.numerator as decile10_numerator, d10.denominator as decile10_denominator,
        d10.value_pct as decile10_pct, d10.lower_ci_pct as decile10_lower_ci_pct,
        d10.upper_ci_pct as decile10_upper_ci_pct,
        d1.deprivation_index
    from deciles as d1
    inner join deciles as d10
        on d10.academic_year = d1.academic_year and d10.school_year = d1.school_year
       and d10.category = d1.category and d10.group_code = '10'
    where d1.group_code = '1'
),

final as (
    select
        $council_code as council_code,
        *,
        decile1_pct - decile10_pct as gap_points,
        decile1_pct - decile10_pct
            - sqrt(power(decile1_pct - decile1_lower_ci_pct, 2) + power(decile10_upper_ci_pct - decile10_pct, 2))
            as gap_lower_ci_points,
        decile1_pct - decile10_pct
            + sqrt(power(decile1_upper_ci_pct - decile1_pct, 2) + power(decile10_pct - decile10_lower_ci_pct, 2))
            as gap_upper_ci_points
    from paired
)

select * from final order by academic_year, school_year, category
