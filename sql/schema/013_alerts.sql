-- 013_alerts: which e-mail alerts each user gets. Insert-only: the latest row per user and alert is in force; a user
-- without a row gets the default for their role (kpi.alerts.preferences). Every message sent or failed is in the
-- audit log, never here.
create sequence alert_choice_id_seq;
create table alert_choices (
    choice_id    integer primary key default nextval('alert_choice_id_seq'),
    email        varchar not null,
    alert        varchar not null,
    enabled      boolean not null,
    set_at       timestamp not null,
    set_by       varchar not null
);
