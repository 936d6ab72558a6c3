-- grain: one row per council x KPI x run of periods with one catalogue version in force, as known at $as_at: the
--        version applies to periods with effective_from_index <= period_index < until_index (null: no end).
-- keys: council_code, kpi_code, effective_from_index
-- parameters: $council_code, $as_at (catalogue changes set by then)
-- For each start period the latest-set version wins; a retired version ends the previous run and has no row.
-- current_name and current_sort_order are the KPI's latest version's (the one with the greatest start), so a KPI
-- keeps one name and place in lists across periods while rating attributes (min_denominator...) follow the period.
with known as (
    select *
    from kpi_versions
    where council_code = $council_code and set_at <= $as_at
),

latest_per_start as (
    select
        *,
        row_number() over (
            partition by kpi_code, effective_from_index order by set_at desc, kpi_version_id desc
        ) as rank_at_start
    from known
),

runs as (
    select
        *,
        lead(effective_from_index) over (partition by kpi_code order by effective_from_index) as until_index,
        last_value(kpi_name) over (
            partition by kpi_code order by effective_from_index
            rows between unbounded preceding and unbounded following
        ) as current_name,
        last_value(sort_order) over (
            partition by kpi_code order by effective_from_index
            rows between unbounded preceding and unbounded following
        ) as current_sort_order
    from latest_per_start
    where rank_at_start = 1
),

final as (
    select
        council_code, kpi_code, effective_from, effective_from_index, until_index, kpi_name, service, value_kind,
        polarity, breakdown, min_denominator, is_mandated, is_headline, numerator_definition,
        denominator_definition, fingertips_id, sort_order, source, current_name, current_sort_order, set_at, set_by
    from runs
    where not is_retired
)

select * from final
