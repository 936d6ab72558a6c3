-- grain: one row per council x provider x dataset x period where a submission newer than the accepted one waits
--        for a commissioner's decision (status submitted), as at $as_at
-- parameters: $council_code, $as_at
with waiting as (
    select provider_code, dataset, period, period_index, max(received_at) as latest_received_at,
           count(*) as waiting_count
    from submissions
    where council_code = $council_code and status = 'submitted' and received_at <= $as_at
    group by all
),

final as (
    select * from waiting
)

select * from final order by period_index desc
