-- grain: one row per council x provider x period x KPI x locality x decile from the return current at $as_at
-- (accepted by $as_at and not superseded by then). Locality all-decile rows the provider left out are added up
-- from its decile rows.
-- keys: council_code, provider_code, period, kpi_code, locality_code, imd_decile
-- numerator <= denominator: numerator, denominator
-- parameters: $council_code, $as_at, $provider_code (optional scope: null for every provider of the council)
with current_submissions as (
    select submission_id, provider_code, period, period_index, received_at
    from submissions
    where council_code = $council_code
      and dataset = 'mandated-contacts'
      and status = 'accepted'
      and accepted_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
      and ($provider_code is null or provider_code = $provider_code)
),

given as (
    select r.*, s.received_at
    from return_rows as r
    inner join current_submissions as s using (submission_id)
),

derived_totals as (
    select
        submission_id, council_code, provider_code, period, period_index, kpi_code, locality_code,
        'ALL' as imd_decile,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        null::varchar as comment,
        null::integer as source_row,
        false as is_warning_row,
        any_value(received_at) as received_at
    from given as g
    where imd_decile <> 'ALL'
      and not exists (
          select 1 from given as t
          where t.submission_id = g.submission_id and t.kpi_code = g.kpi_code
            and t.locality_code = g.locality_code and t.imd_decile = 'ALL'
      )
    group by submission_id, council_code, provider_code, period, period_index, kpi_code, locality_code
),

final as (
    select * from given
    union all by name
    select * from derived_totals
)

select * from final
