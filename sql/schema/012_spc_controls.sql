-- 012_spc_controls: what an analyst decides about a KPI's XmR chart, dated and recorded with its reason, and the
-- dated events drawn on the charts; a return's flag that it comes from a changed record system.
--
-- Insert-only: a baseline row replaces the KPI and place's earlier baseline (the latest recorded by the as-at time
-- is in force; one with neither points nor range clears it); a rebase starts a new segment at its first quarter;
-- a 'withdraw' row withdraws the rebase it names. Nothing is updated or deleted.
create sequence spc_change_id_seq;
create table spc_changes (
    change_id          integer primary key default nextval('spc_change_id_seq'),
    council_code       varchar not null references councils (council_code),
    kpi_code           varchar not null,
    locality_code      varchar not null,        -- 'ALL' for the borough
    kind               varchar not null check (kind in ('baseline', 'rebase', 'withdraw')),
    baseline_points    integer,                 -- baseline: the first N points of each segment
    first_period_index integer,                 -- baseline: the range's first quarter; rebase: the new segment's first
    last_period_index  integer,                 -- baseline: the range's last quarter
    period             varchar,                 -- the first quarter, as written (e.g. 2026-27 Q1)
    withdraws          integer,                 -- withdraw: the change_id of the rebase withdrawn
    reason             varchar not null,
    recorded_at        timestamp not null,
    recorded_by        varchar not null
);

create sequence annotation_id_seq;
create table annotations (
    annotation_id  integer primary key default nextval('annotation_id_seq'),
    council_code   varchar not null references councils (council_code),
    kpi_code       varchar,                     -- null: an event for every KPI's chart
    period         varchar not null,
    period_index   integer not null,
    label          varchar not null,            -- what happened, in a few words (new service, IT change, ...)
    recorded_at    timestamp not null,
    recorded_by    varchar not null
);

-- A return from a changed record system (a migration): the note says what changed; the commissioner is prompted
-- to rebase the charts at the return's quarter.
alter table submissions add column record_system_change varchar;
