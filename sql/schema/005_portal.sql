-- 005_portal: the provider self-reporting portal (issue 7): who may sign in and as what, and the providers'
-- explanations of red and amber KPIs.
--
-- Both tables keep their history. A user's role is a dated row: removing a user (or changing the role) closes the
-- row (removed_at, removed_by) and a change adds a new one, so who could do what at any time stays answerable.
-- Exception narratives are versions: every edit, and a commissioner's agreement, adds a row; the narrative in
-- force at a time is the latest version recorded by then (sql/marts/mart_exception_narratives.sql).
--
-- Review decisions on submissions need no table of their own: an acceptance or a query is a row of
-- submission_events (status 'accepted' or 'queried', with the commissioner's comment), beside the submission's
-- own status column.

create sequence user_row_id_seq;
create table users (
    user_row_id   integer primary key default nextval('user_row_id_seq'),
    email         varchar not null,          -- lower case: the identity provider's e-mail claim
    role          varchar not null check (role in ('commissioner', 'provider', 'viewer', 'admin')),
    provider_code varchar,                   -- the provider a provider user works for (providers only)
    added_at      timestamp not null,
    added_by      varchar not null,
    removed_at    timestamp,                 -- null while the user may sign in
    removed_by    varchar,
    check ((role = 'provider') = (provider_code is not null))
);

create sequence narrative_row_id_seq;
create table exception_narratives (
    narrative_row_id integer primary key default nextval('narrative_row_id_seq'),
    council_code     varchar not null references councils (council_code),
    provider_code    varchar not null,
    kpi_code         varchar not null,
    period           varchar not null,        -- e.g. 2026-27 Q2
    period_index     integer not null,
    locality_code    varchar not null,        -- a locality code, or ALL for the borough value
    rag              varchar,                 -- the KPI's RAG (red or amber) when the narrative was written
    explanation      varchar not null,
    remedial_action  varchar not null,
    owner            varchar not null,        -- who (a named post) carries out the remedial action
    due_date         date not null,           -- by when
    entered_at       timestamp not null,      -- when this text was written
    entered_by       varchar not null,
    agreed           boolean not null default false,
    agreed_at        timestamp,
    agreed_by        varchar,
    recorded_at      timestamp not null,      -- when this version was recorded (an agreement records a version)
    recorded_by      varchar not null
);
