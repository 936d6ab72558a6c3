-- 015_alert_reminders: the time-based alerts already sent, so that each is sent once per recipient per state. A
-- late return is alerted once when it is late; an action once when it falls due within the reminder window and
-- once when it is overdue. Insert-only: a row is written when the message carrying the reminder was sent (a failed
-- message is tried again on the next run). The message itself is in the audit log ("alert sent", "alert failed").
create sequence alert_reminder_id_seq;
create table alert_reminders (
    reminder_id   integer primary key default nextval('alert_reminder_id_seq'),
    council_code  varchar not null,
    alert         varchar not null,             -- return_late | action_due
    item          varchar not null,             -- return: 'PROVIDER PERIOD', e.g. 'ZZ1 2026-27 Q2'; action: its id
    state         varchar not null,             -- return: 'late'; action: 'due' (within the window) or 'overdue'
    recipient     varchar not null,             -- the address it was sent to
    sent_at       timestamp not null,
    sent_by       varchar not null,             -- who ran the reminders (a user, the command line or the scheduler)
    unique (council_code, alert, item, state, recipient)
);
