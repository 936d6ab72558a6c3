-- 006_meetings: the six-weekly contract review meetings, the actions agreed at them, the risks log, and every
-- meeting pack or scrutiny briefing built.
--
-- Actions and risks are append-only histories: a change is a new version row (recorded_at, recorded_by) and nothing
-- is updated or deleted, so the log as at any time is the latest version recorded by then, and a pack rebuilt for
-- the same as-at time shows the same logs. Meetings and packs are insert-only records.

create sequence meeting_id_seq;
create table meetings (
    meeting_id     integer primary key default nextval('meeting_id_seq'),
    council_code   varchar not null references councils (council_code),
    provider_code  varchar,                    -- the provider whose contract was reviewed (null: all)
    meeting_date   date not null,
    title          varchar not null,
    attendees      varchar not null,           -- names and roles, as recorded
    pack_id        integer,                    -- the recorded pack used at the meeting (packs.pack_id)
    notes          varchar,
    recorded_at    timestamp not null,
    recorded_by    varchar not null
);

create sequence action_id_seq;
create table actions (
    action_id      integer not null,
    version        integer not null,           -- 1 when raised; each change adds the next version
    council_code   varchar not null references councils (council_code),
    provider_code  varchar,                    -- the provider that owns it and may update its status (null: council)
    meeting_id     integer,                    -- the meeting that agreed it
    kpi_code       varchar,                    -- the KPI it concerns, if any
    what           varchar not null,
    owner          varchar not null,
    due_date       date,
    status         varchar not null check (status in ('open', 'in progress', 'closed')),
    notes          varchar,
    recorded_at    timestamp not null,
    recorded_by    varchar not null,
    primary key (action_id, version)
);

-- Rating = likelihood x impact on the 5 x 5 matrix (NPSA, "A risk matrix for risk managers", 2008).
create sequence risk_id_seq;
create table risks (
    risk_id        integer not null,
    version        integer not null,
    council_code   varchar not null references councils (council_code),
    provider_code  varchar,
    risk           varchar not null,
    likelihood     integer not null check (likelihood between 1 and 5),
    impact         integer not null check (impact between 1 and 5),
    owner          varchar not null,
    mitigation     varchar,
    review_date    date,
    status         varchar not null check (status in ('open', 'closed')),
    recorded_at    timestamp not null,
    recorded_by    varchar not null,
    primary key (risk_id, version)
);

-- Every document built for circulation: what it covered (period, as-at time, data version) and the file's hash.
create sequence pack_id_seq;
create table packs (
    pack_id        integer primary key default nextval('pack_id_seq'),
    council_code   varchar not null references councils (council_code),
    provider_code  varchar,
    document       varchar not null check (document in ('pack', 'briefing')),
    period         varchar not null,
    period_index   integer not null,
    as_at          timestamp not null,
    data_version   varchar not null,
    format         varchar not null check (format in ('pdf', 'docx', 'html')),
    sha256         varchar not null,
    size_bytes     bigint not null,
    is_draft       boolean not null,
    built_at       timestamp not null,
    built_by       varchar not null
);
