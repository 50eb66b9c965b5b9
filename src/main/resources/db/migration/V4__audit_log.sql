-- Who did what to whom, and how it ended, for privileged and security-relevant actions.
create table audit_log (
    id             bigint generated always as identity primary key,
    at             timestamptz not null default now(),
    actor          text        not null,
    action         text        not null,
    target_user_id text,
    target         text,
    outcome        text        not null,
    details        jsonb       not null default '{}'
);

create index audit_log_by_target_user on audit_log (target_user_id, id desc);
create index audit_log_by_action on audit_log (action, id desc);
