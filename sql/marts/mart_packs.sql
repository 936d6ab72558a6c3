-- grain: one row per document (meeting pack or scrutiny briefing) circulated and recorded by $as_at (rows with
--        is_draft = true are drafts recorded before migration 008; drafts are no longer recorded)
-- keys: pack_id
-- parameters: $council_code, $as_at
with built as (
    select *
    from packs
    where council_code = $council_code and built_at <= $as_at
),

final as (
    select
        pack_id, council_code, provider_code, document, period, period_index, as_at, data_version, format, sha256,
        size_bytes, is_draft, sent_to, built_at, built_by,
        built_at as circulated_at, built_by as circulated_by
    from built
)

select * from final
order by built_at desc, pack_id desc
