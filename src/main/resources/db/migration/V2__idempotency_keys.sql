-- A stored response for each Idempotency-Key, written in the same transaction as the work it answers,
-- so a key is never recorded for work that did not happen, nor work done without its key.
create table idempotency_keys (
    caller        text        not null,
    key           text        not null,
    request_hash  bytea       not null,
    status_code   int         not null,
    content_type  text        not null,
    response_body bytea       not null,
    created_at    timestamptz not null default now(),
    primary key (caller, key)
);

create index idempotency_keys_by_age on idempotency_keys (created_at);
