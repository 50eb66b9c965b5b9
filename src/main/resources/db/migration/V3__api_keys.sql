-- Service-issued API keys. Only a SHA-256 hash of the secret is kept; the prefix identifies a key to people.
create table api_keys (
    id         bigint generated always as identity primary key,
    prefix     text        not null,
    key_hash   bytea       not null unique,
    user_id    text        not null check (length(user_id) between 1 and 255),
    role       text        not null check (role in ('user', 'admin', 'service')),
    label      text,
    created_by text        not null,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);
