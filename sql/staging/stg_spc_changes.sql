-- grain: one row per council x SPC change in force as at $as_at: the latest baseline per KPI and place (when it
-- sets one) and every rebase recorded by then and not withdrawn by then.
-- keys: change_id
-- parameters: $council_code, $as_at
with known as (
    select *
    from spc_changes
    where council_code = $council_code and recorded_at <= $as_at
),

baselines as (
    select
        *,
        row_number() over (partition by kpi_code, locality_code order by recorded_at desc, change_id desc) as rank
    from known
    where kind = 'baseline'
),

withdrawn as (
    select distinct withdraws as change_id
    from known
    where kind = 'withdraw'
),

final as (
    select change_id, kpi_code, locality_code, kind, baseline_points, first_period_index, last_period_index, period,
           reason, recorded_at, recorded_by
    from baselines
    where rank = 1 and (baseline_points is not null or first_period_index is not null)
    union all
    select change_id, kpi_code, locality_code, kind, baseline_points, first_period_index, last_period_index, period,
           reason, recorded_at, recorded_by
    from known
    where kind = 'rebase' and change_id not in (select change_id from withdrawn)
)

select * from final
order by kpi_code, locality_code, kind, first_period_index
