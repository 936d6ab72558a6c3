-- grain: one row per submission of the council (every dataset, every status, superseded ones included)
-- parameters: $council_code, $due_working_days (working days after the period's end a return is due)
with superseding as (
    select submission_id as superseded_by, period as superseding_period from submissions
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
        s.superseded_by
    from submissions as s
    where s.council_code = $council_code
)

select * from final order by period_index desc, provider_code, received_at desc
