-- Calls counted toward a tier's quota: one row per user and quota window (a UTC day, or the account's
-- period), bumped by an UPSERT in the transaction that charges the usage event.
create table api_call_counts (
    user_id      text        not null check (length(user_id) between 1 and 255),
    window_start timestamptz not null,
    calls        bigint      not null check (calls >= 0),
    primary key (user_id, window_start)
);

create index api_call_counts_by_window on api_call_counts (window_start);

-- The renewal job's work list: accounts whose period has ended.
create index credit_accounts_by_reset_date on credit_accounts (reset_date);
