-- grain: one row per council x KPI x period: the target in force for that period as known at $as_at
-- (the latest-set row with the greatest effective_from_index not after the period, among rows set by $as_at).
-- keys: council_code, kpi_code, period_index
-- parameters: $council_code, $as_at, $first_period_index, $last_period_index
with period_spine as (
    select unnest(range($first_period_index, $last_period_index + 1)) as period_index
),

known as (
    select *
    from targets
    where council_code = $council_code and set_at <= $as_at
),

ranked as (
    select
        k.council_code, k.kpi_code, p.period_index, k.target_pct, k.amber_margin_pct, k.effective_from, k.set_at,
        row_number() over (
            partition by k.kpi_code, p.period_index
            order by k.effective_from_index desc, k.set_at desc, k.target_id desc
        ) as rank_in_period
    from known as k
    inner join period_spine as p on k.effective_from_index <= p.period_index
),

final as (
    select council_code, kpi_code, period_index, target_pct, amber_margin_pct, effective_from, set_at
    from ranked
    where rank_in_period = 1
)

select * from final
