-- grain: one row per council x meeting recorded by $as_at, with the pack used at it (period, as-at time and data
--        version of the recorded pack, when one was given)
-- keys: council_code, meeting_id
-- parameters: $council_code, $as_at
with recorded as (
    select *
    from meetings
    where council_code = $council_code and recorded_at <= $as_at
),

final as (
    select
        m.meeting_id,
        m.council_code,
        m.provider_code,
        m.meeting_date,
        m.title,
        m.attendees,
        m.pack_id,
        p.period as pack_period,
        p.as_at as pack_as_at,
        p.data_version as pack_data_version,
        p.format as pack_format,
        m.notes,
        m.recorded_at,
        m.recorded_by
    from recorded as m
    left join packs as p on p.pack_id = m.pack_id
)

select * from final
order by meeting_date desc, meeting_id desc
