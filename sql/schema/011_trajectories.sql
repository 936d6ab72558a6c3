-- 011_trajectories: recovery trajectories, the planned values per future period a provider agreed for a KPI (and
-- optionally one locality and a group of national IMD deciles), with the reason and the meeting that agreed them.
--
-- Append-only like actions and risks: a revision is a new version row with its own points, nothing is updated or
-- deleted, so the trajectory in force as at any time is the latest version recorded by then (withdrawn: none).
create sequence trajectory_id_seq;
create table trajectories (
    trajectory_id  integer not null,            -- one per council x KPI x place x decile group
    version        integer not null,            -- 1 when first set; each revision adds the next version
    council_code   varchar not null references councils (council_code),
    kpi_code       varchar not null,
    locality_code  varchar not null,            -- 'ALL' for the borough
    decile_group   varchar not null,            -- 'ALL', or national IMD deciles 'LO-HI', e.g. '1-2'
    reason         varchar not null,            -- the agreed reason, as recorded
    meeting_id     integer,                     -- the meeting that agreed it (meetings.meeting_id)
    withdrawn      boolean not null default false,
    recorded_at    timestamp not null,
    recorded_by    varchar not null,
    primary key (trajectory_id, version)
);

create table trajectory_points (
    trajectory_id  integer not null,
    version        integer not null,
    council_code   varchar not null,
    period         varchar not null,            -- a quarter, e.g. 2026-27 Q3
    period_index   integer not null,
    planned_pct    double not null,             -- the planned value in per cent
    primary key (trajectory_id, version, period_index)
);
