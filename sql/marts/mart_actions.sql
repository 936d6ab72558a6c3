-- grain: one row per council x action: its latest version recorded by $as_at (actions raised after $as_at are
--        left out), with who raised it and when, when it was closed (closed actions) and whether it is overdue
-- keys: council_code, action_id
-- parameters: $council_code, $as_at
with versions as (
    select *
    from actions
    where council_code = $council_code and recorded_at <= $as_at
),

raised as (
    select action_id, min(recorded_at) as raised_at, arg_min(recorded_by, version) as raised_by
    from versions
    group by action_id
),

latest as (
    select *
    from versions
    qualify row_number() over (partition by action_id order by version desc) = 1
),

last_not_closed as (
    select action_id, max(version) as last_open_version
    from versions
    where status <> 'closed'
    group by action_id
),

closed as (
    select v.action_id, min(v.recorded_at) as closed_at
    from versions as v
    left join last_not_closed as o using (action_id)
    where v.status = 'closed' and v.version > coalesce(o.last_open_version, 0)
    group by v.action_id
),

final as (
    select
        l.action_id,
        l.version,
        l.council_code,
        l.provider_code,
        l.meeting_id,
        m.meeting_date,
        l.kpi_code,
        l.what,
        l.owner,
        l.due_date,
        l.status,
        l.notes,
        r.raised_at,
        r.raised_by,
        l.recorded_at as updated_at,
        l.recorded_by as updated_by,
        case when l.status = 'closed' then c.closed_at end as closed_at,
        coalesce(l.status <> 'closed' and l.due_date < cast($as_at as date), false) as is_overdue
    from latest as l
    inner join raised as r using (action_id)
    left join closed as c using (action_id)
    left join meetings as m on m.meeting_id = l.meeting_id
)

select * from final
order by status = 'closed', due_date nulls last, action_id
