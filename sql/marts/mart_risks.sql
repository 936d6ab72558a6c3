-- grain: one row per council x risk: its latest version recorded by $as_at, with its rating (likelihood x impact,
--        1-25) and the rating's band on the 5 x 5 matrix (NPSA 2008: 1-3 low, 4-6 moderate, 8-12 high, 15-25
--        extreme) and whether its review is overdue
-- keys: council_code, risk_id
-- parameters: $council_code, $as_at
with versions as (
    select *
    from risks
    where council_code = $council_code and recorded_at <= $as_at
),

raised as (
    select risk_id, min(recorded_at) as raised_at, arg_min(recorded_by, version) as raised_by
    from versions
    group by risk_id
),

latest as (
    select *
    from versions
    qualify row_number() over (partition by risk_id order by version desc) = 1
),

final as (
    select
        l.risk_id,
        l.version,
        l.council_code,
        l.provider_code,
        l.risk,
        l.likelihood,
        l.impact,
        l.likelihood * l.impact as rating,
        case
            when l.likelihood * l.impact <= 3 then 'low'
            when l.likelihood * l.impact <= 6 then 'moderate'
            when l.likelihood * l.impact <= 12 then 'high'
            else 'extreme'
        end as rating_band,
        l.owner,
        l.mitigation,
        l.review_date,
        l.status,
        r.raised_at,
        r.raised_by,
        l.recorded_at as updated_at,
        l.recorded_by as updated_by,
        coalesce(l.status = 'open' and l.review_date < cast($as_at as date), false) as is_review_overdue
    from latest as l
    inner join raised as r using (risk_id)
)

select * from final
order by status = 'closed', rating desc, risk_id
