-- grain: one row per NCMP load (child-level returns and eligible pupils) of the council loaded by $as_at, with the
--        year groups it covers and whether each is current at $as_at
-- keys: load_id
-- parameters: $council_code, $as_at
with loads as (
    select * from ncmp_loads where council_code = $council_code and loaded_at <= $as_at
),

parts as (
    select load_id,
           string_agg(school_year, ', ' order by school_year desc) as school_years,
           bool_or(superseded_at is null or superseded_at > $as_at) as is_current,
           max(superseded_by) filter (where superseded_at <= $as_at) as superseded_by
    from ncmp_load_parts
    where council_code = $council_code
    group by load_id
),

final as (
    select
        l.load_id, l.dataset, l.academic_year, p.school_years, l.loaded_at, l.loaded_by, l.source, l.file_name,
        l.file_sha256, l.file_size_bytes, l.rows_read, l.rows_stored, l.rows_excluded, l.warning_count,
        l.warnings_reason, l.dropped_columns, l.age_method, l.imd_edition, l.purged_at,
        case when p.is_current then 'current' else 'superseded' end as status,
        p.superseded_by
    from loads as l
    left join parts as p using (load_id)
)

select * from final order by academic_year desc, dataset, loaded_at desc
