-- grain: one row per council x provider x KPI x period x locality: the exception narrative in force at $as_at
--        (the latest version recorded by then; locality_code ALL for the borough value)
-- keys: council_code, provider_code, kpi_code, period, locality_code
-- parameters: $council_code, $as_at, $provider_code (optional scope: null for every provider)
-- The meeting pack and the overview read this relation, so both show the same explanation as at the same time.
with versions as (
    select *
    from exception_narratives
    where council_code = $council_code
      and recorded_at <= $as_at
      and ($provider_code is null or provider_code = $provider_code)
),

current_versions as (
    select *
    from versions
    qualify row_number() over (
        partition by provider_code, kpi_code, period, locality_code
        order by recorded_at desc, narrative_row_id desc
    ) = 1
),

final as (
    select
        council_code, provider_code, kpi_code, period, period_index, locality_code, rag, explanation,
        remedial_action, owner, due_date, entered_at, entered_by, agreed, agreed_at, agreed_by, recorded_at,
        recorded_by
    from current_versions
)

select * from final order by period_index desc, provider_code, kpi_code, locality_code
