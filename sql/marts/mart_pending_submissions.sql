-- grain: one row per council x provider x dataset x period where a submission waits for a commissioner's decision
--        (its status at $as_at is 'submitted' and no accepted return had superseded it by then)
-- keys: provider_code, dataset, period
-- parameters: $council_code, $as_at, $provider_code (optional scope: null for every provider)
-- The status at $as_at is the latest of the submission's events (submission_events) recorded by then, so a
-- submission accepted since still counts as waiting at an earlier as-at time.
with status_at as (
    -- submission_events is append-only, so rowid orders events recorded within the same second
    select submission_id, status
    from submission_events
    where event_at <= $as_at
    qualify row_number() over (partition by submission_id order by event_at desc, rowid desc) = 1
),

waiting as (
    select s.provider_code, s.dataset, s.period, s.period_index, max(s.received_at) as latest_received_at,
           count(*) as waiting_count
    from submissions as s
    inner join status_at as a using (submission_id)
    where s.council_code = $council_code
      and ($provider_code is null or s.provider_code = $provider_code)
      and a.status = 'submitted'
      and s.received_at <= $as_at
      and (s.superseded_at is null or s.superseded_at > $as_at)
    group by all
),

final as (
    select * from waiting
)

select * from final order by period_index desc
