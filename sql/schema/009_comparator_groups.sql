-- 009_comparator_groups: who a council is compared with, as dated data (docs/methods.md section 9).
-- One row per load of a group in comparator_group_loads: DfE statistical neighbours and the NHS England peer group
-- from the reference files shipped in reference/, or a council's own list (hcp load peers FILE --name NAME, raw file
-- and SHA-256 kept). A group is in force from valid_from; a newer load of the same group supersedes the older, which
-- stays in history with superseded_at. Members: one row per council in the group (rank 1 = closest, where ranked).
create table comparator_group_loads (
    group_load_id   integer primary key,
    council_code    varchar not null references councils (council_code),
    group_code      varchar not null,      -- dfe-sn, nhse-peers, or a code made from a council's own list's name
    group_name      varchar not null,      -- shown on pages and documents
    group_kind      varchar not null check (group_kind in ('dfe', 'nhse', 'own')),
    is_ranked       boolean not null,
    valid_from      date not null,
    loaded_at       timestamp not null,
    loaded_by       varchar not null,
    source          varchar not null,      -- reference, cli, sample
    file_name       varchar,
    file_sha256     varchar not null,
    file_bytes      blob,
    file_size_bytes bigint not null,
    report_json     varchar not null,
    superseded_at   timestamp
);

-- grain: one row per group load x member council
create table comparator_group_members (
    group_load_id integer not null references comparator_group_loads (group_load_id),
    council_code  varchar not null,
    member_code   varchar not null,
    member_name   varchar not null,
    member_rank   integer,                 -- 1 = closest; null in an unordered group
    closeness     varchar                  -- DfE's band (Extremely close ... Not close); null otherwise
);
