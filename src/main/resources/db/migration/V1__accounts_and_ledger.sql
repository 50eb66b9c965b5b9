-- One row per user. balance = allowance + bonus; available = balance - held.
create table credit_accounts (
    user_id                  text primary key check (length(user_id) between 1 and 255),
    tier                     text        not null,
    allowance_micros         bigint      not null default 0 check (allowance_micros >= 0),
    bonus_micros             bigint      not null default 0 check (bonus_micros >= 0),
    held_micros              bigint      not null default 0 check (held_micros >= 0),
    allocated_monthly_micros bigint      not null check (allocated_monthly_micros >= 0),
    free_tier_used_micros    bigint      not null default 0 check (free_tier_used_micros >= 0),
    period_start             timestamptz not null,
    reset_date               timestamptz not null,
    created_at               timestamptz not null default now(),
    updated_at               timestamptz not null default now(),
    constraint available_not_negative check (allowance_micros + bonus_micros - held_micros >= 0)
);

-- The ledger: one row for every change of a balance, written in the same transaction as the change.
create table credit_transactions (
    id                   bigint generated always as identity primary key,
    user_id              text        not null references credit_accounts (user_id),
    amount_micros        bigint      not null,
    balance_after_micros bigint      not null,
    transaction_type     text        not null check (transaction_type in
        ('purchase', 'allocation', 'usage', 'bonus', 'refund', 'monthly_reset', 'expiration', 'adjustment')),
    counterparty         text        not null,
    service              text,
    model                text,
    cost_breakdown       jsonb,
    metadata             jsonb       not null default '{}',
    idempotency_key      text,
    created_at           timestamptz not null default now()
);

create index credit_transactions_by_user on credit_transactions (user_id, id desc);
create index credit_transactions_by_user_and_type on credit_transactions (user_id, transaction_type, id desc);

-- Append-only: nothing updates, deletes or truncates a ledger row.
create function credit_transactions_are_append_only() returns trigger
    language plpgsql as
$$
begin
    raise exception 'credit_transactions is append-only (% refused)', tg_op;
end
$$;

create trigger credit_transactions_append_only
    before update or delete or truncate on credit_transactions
    for each statement execute function credit_transactions_are_append_only();
