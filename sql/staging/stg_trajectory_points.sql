-- grain: one row per council x trajectory x period: the planned value of the trajectory's version in force as at
-- $as_at (the latest version recorded by then; none when that version withdrew the trajectory).
-- keys: council_code, trajectory_id, period_index
-- parameters: $council_code, $as_at
with known as (
    select *
    from trajectories
    where council_code = $council_code and recorded_at <= $as_at
),

latest as (
    select
        *,
        row_number() over (partition by trajectory_id order by version desc) as rank_in_trajectory
    from known
),

in_force as (
    select *
    from latest
    where rank_in_trajectory = 1 and not withdrawn
),

final as (
    select
        t.council_code, t.trajectory_id, t.version, t.kpi_code, t.locality_code, t.decile_group, p.period,
        p.period_index, p.planned_pct, t.reason, t.meeting_id, t.recorded_at, t.recorded_by
    from in_force as t
    inner join trajectory_points as p
        on p.trajectory_id = t.trajectory_id and p.version = t.version and p.council_code = t.council_code
)

select * from final
order by kpi_code, locality_code, decile_group, period_index
