-- grain: one row per council x comparator group x member council, from the group loads current at $as_at (loaded by
--        then, not superseded by then, and in force: valid_from on or before the as-at date)
-- keys: council_code, group_code, member_code
-- parameters: $council_code, $as_at
with current_loads as (
    select *
    from comparator_group_loads
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
      and valid_from <= cast($as_at as date)
),

final as (
    select
        g.council_code, g.group_code, g.group_name, g.group_kind, g.is_ranked, g.valid_from, g.group_load_id,
        m.member_code, m.member_name, m.member_rank, m.closeness
    from comparator_group_members as m
    inner join current_loads as g using (group_load_id)
)

select * from final
