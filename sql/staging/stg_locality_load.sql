-- grain: the council's locality load in force at $as_at (one row, or none before its first load)
-- keys: locality_load_id
-- parameters: $council_code, $as_at
-- The one place "the lookup in force" is decided: loaded by then and not yet superseded (a new load supersedes the
-- previous one, which stays in the history for earlier as-at times).
with final as (
    select locality_load_id
    from locality_loads
    where council_code = $council_code
      and loaded_at <= $as_at
      and (superseded_at is null or superseded_at > $as_at)
)

select * from final
