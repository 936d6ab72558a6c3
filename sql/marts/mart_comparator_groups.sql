-- grain: one row per council x comparator group x member council in force at $as_at, members in the group's order
--        (rank 1 = closest first; unordered groups by member name)
-- keys: group_code, member_code
-- parameters: $council_code, $as_at
-- n_members is the group's size; position is the member's place in that order (1..n_members).
with members as (
    select * from {{ ref('staging/stg_comparator_group_members') }}
),

final as (
    select
        council_code, group_code, group_name, group_kind, is_ranked, valid_from, member_code, member_name,
        member_rank, closeness,
        count(*) over (partition by group_code) as n_members,
        row_number() over (partition by group_code order by member_rank nulls last, member_name, member_code)
            as position
    from members
)

select * from final order by group_code, position
