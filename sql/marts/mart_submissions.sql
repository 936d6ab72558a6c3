-- grain: one row per submission of the council (every dataset, every status, superseded ones included)
-- keys: submission_id
-- parameters: $council_code, $provider_code (optional scope: null for every provider)
-- status: submitted (waiting for a commissioner), accepted, queried, or superseded (a newer return for the same
-- provider, dataset and period was accepted). The review columns carry the latest acceptance or query made after
-- the submission arrived (a load accepted at once has none: its only event is the first).
with scoped as (
    select *
    from submissions
    where council_code = $council_code
      and ($provider_code is null or provider_code = $provider_code)
),

events as (
    -- submission_events is append-only, so rowid orders events recorded within the same second
    select e.*, e.rowid as event_order,
           row_number() over (partition by e.submission_id order by e.event_at, e.rowid) as event_number
    from submission_events as e
    inner join scoped as s using (submission_id)
),

reviews as (
    select
        submission_id,
        status as review_status,
        event_at as reviewed_at,
        actor as reviewed_by,
        comment as review_comment
    from events
    where status in ('accepted', 'queried') and event_number > 1
    qualify row_number() over (partition by submission_id order by event_at desc, event_order desc) = 1
),

final as (
    select
        s.submission_id,
        s.council_code,
        s.provider_code,
        s.dataset,
        s.period,
        s.period_index,
        case
            when s.superseded_at is not null then 'superseded'
            else s.status
        end as status,
        s.received_at,
        s.submitted_by,
        s.source,
        s.file_name,
        s.file_sha256,
        s.file_size_bytes,
        s.row_count,
        s.warning_count,
        s.warnings_reason,
        s.accepted_at,
        s.superseded_at,
        s.superseded_by,
        r.review_status,
        r.reviewed_at,
        r.reviewed_by,
        r.review_comment
    from scoped as s
    left join reviews as r using (submission_id)
)

select * from final order by period_index desc, provider_code, received_at desc, submission_id desc
