-- grain: one row per council x KPI x period x locality x national IMD quintile (1 = most deprived, 5 = least), for
--        KPIs with a locality x decile breakdown; period is the last quarter of a rolling window of four quarters
--        (period_index - 3 .. period_index) and every period with decile rows for the KPI ends a window
-- keys: council_code, kpi_code, period, locality_code, imd_quintile
-- numerator <= denominator: numerator, denominator
-- parameters: $council_code, $as_at (returns accepted, localities loaded and catalogue versions set by then),
--   $iod2025_from_quarter_index (the first quarter on IoD2025: a window counts only the quarters on its last
--   quarter's deprivation index, so a window across the change has fewer than 4 quarters; docs/methods.md 7.1)
-- A quarter counts for a KPI when the catalogue version in force for it (staging/stg_kpis) has the KPI with a
-- locality x decile breakdown; the window's value kind is the one in force for its last quarter.
-- Quintile = (decile + 1) // 2 (quintile 1 = national deciles 1-2 ... quintile 5 = deciles 9-10); decile U is left
-- out. Every locality x quintile 1-5 has a row, so a caller can say why one is not rated: lsoa_count = 0 (the
-- locality has no LSOA in the quintile), quarters_in_window < 4 (a quarter's return is missing) or a denominator of
-- 0 or null (no children counted). numerator and denominator are summed over the window's quarters; value_pct and
-- the Wilson 95% limits (lower_ci_pct, upper_ci_pct) are worked out from the sums (docs/methods.md section 5).
with return_rows as (
    select * from {{ ref('staging/stg_return_rows') }}
),

locality_cells as (
    select * from {{ ref('staging/stg_locality_cells') }}
),

council_localities as (
    select * from {{ ref('staging/stg_localities') }}
),

kpi_catalogue as (
    select kpi_code, current_name as kpi_name, current_sort_order as sort_order, value_kind, polarity,
           effective_from_index, until_index
    from {{ ref('staging/stg_kpis') }}
    where breakdown = 'locality_decile'
),

decile_rows as (
    select r.*, (cast(r.imd_decile as integer) + 1) // 2 as imd_quintile
    from return_rows as r
    inner join kpi_catalogue as k
        on k.kpi_code = r.kpi_code and r.period_index >= k.effective_from_index
       and (k.until_index is null or r.period_index < k.until_index)
    where r.imd_decile not in ('ALL', 'U') and r.locality_code <> 'ALL'
),

quarter_quintiles as (
    select council_code, kpi_code, locality_code, period_index, imd_quintile,
           sum(numerator) as numerator, sum(denominator) as denominator
    from decile_rows
    group by council_code, kpi_code, locality_code, period_index, imd_quintile
),

locality_quarters as (
    select distinct kpi_code, locality_code, period_index
    from decile_rows
),

window_ends as (
    select distinct council_code, kpi_code, period, period_index
    from decile_rows
),

quintile_cells as (
    select index_code, locality_code, (cast(imd_decile as integer) + 1) // 2 as imd_quintile,
           sum(lsoa_count) as lsoa_count
    from locality_cells
    group by index_code, locality_code, (cast(imd_decile as integer) + 1) // 2
),

quintiles as (
    select unnest(range(1, 6)) as imd_quintile
),

grid as (
    select w.council_code, w.kpi_code, w.period, w.period_index, l.locality_code, l.locality_name,
           l.sort_order as locality_order, q.imd_quintile
    from window_ends as w
    cross join council_localities as l
    cross join quintiles as q
),

quarters_counted as (
    select g.kpi_code, g.period_index, g.locality_code, count(distinct lq.period_index) as quarters_in_window
    from (select distinct kpi_code, period_index, locality_code from grid) as g
    left join locality_quarters as lq
        on lq.kpi_code = g.kpi_code and lq.locality_code = g.locality_code
       and lq.period_index between g.period_index - 3 and g.period_index
       and (lq.period_index >= $iod2025_from_quarter_index) = (g.period_index >= $iod2025_from_quarter_index)
    group by g.kpi_code, g.period_index, g.locality_code
),

summed as (
    select g.council_code, g.kpi_code, g.period, g.period_index, g.locality_code, g.locality_name,
           g.locality_order, g.imd_quintile,
           sum(qq.numerator) as numerator, sum(qq.denominator) as denominator
    from grid as g
    left join quarter_quintiles as qq
        on qq.kpi_code = g.kpi_code and qq.locality_code = g.locality_code and qq.imd_quintile = g.imd_quintile
       and qq.period_index between g.period_index - 3 and g.period_index
       and (qq.period_index >= $iod2025_from_quarter_index) = (g.period_index >= $iod2025_from_quarter_index)
    group by all
),

final as (
    select
        s.council_code, s.kpi_code, k.kpi_name, k.sort_order, k.value_kind, k.polarity,
        s.period, s.period_index, s.period_index - 3 as first_period_index,
        s.locality_code, s.locality_name, s.locality_order, s.imd_quintile,
        case when s.period_index >= $iod2025_from_quarter_index then 'IoD2025' else 'IoD2019' end
            as deprivation_index,
        s.period_index - 3 < $iod2025_from_quarter_index and s.period_index >= $iod2025_from_quarter_index
            as crosses_index_change,
        cast(coalesce(c.lsoa_count, 0) as integer) as lsoa_count,
        qc.quarters_in_window,
        s.numerator, s.denominator,
        case when s.denominator > 0 then 100.0 * s.numerator / s.denominator end as value_pct,
        case when k.value_kind = 'proportion' and s.denominator > 0
             then 100.0 * wilson_lower(s.numerator, s.denominator, z95()) end as lower_ci_pct,
        case when k.value_kind = 'proportion' and s.denominator > 0
             then 100.0 * wilson_upper(s.numerator, s.denominator, z95()) end as upper_ci_pct
    from summed as s
    inner join kpi_catalogue as k
        on k.kpi_code = s.kpi_code and s.period_index >= k.effective_from_index
       and (k.until_index is null or s.period_index < k.until_index)
    inner join quarters_counted as qc
        on qc.kpi_code = s.kpi_code and qc.period_index = s.period_index and qc.locality_code = s.locality_code
    left join quintile_cells as c
        on c.locality_code = s.locality_code and c.imd_quintile = s.imd_quintile
       and c.index_code = case when s.period_index >= $iod2025_from_quarter_index then 'IoD2025' else 'IoD2019' end
)

select * from final
order by sort_order, period_index, locality_order, imd_quintile
