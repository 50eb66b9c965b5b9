-- One BYOK OpenRouter account per user. The key is stored only as a Fernet token (see KeyVault);
-- key_hint shows its last 4 characters so that people can tell keys apart.
create table openrouter_accounts (
    user_id                      text primary key check (length(user_id) between 1 and 255),
    email                        text,
    account_id                   text,
    key_hint                     text        not null,
    encrypted_key                text        not null,
    free_credits_remaining_micros bigint     not null default 0,
    is_active                    boolean     not null default true,
    last_synced                  timestamptz,
    created_at                   timestamptz not null default now(),
    updated_at                   timestamptz not null default now()
);
