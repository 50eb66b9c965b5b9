-- Two-phase charges, like a card authorisation. An open hold ('held') reserves part of the available
-- balance: credit_accounts.held_micros is always the sum of the user's open holds. A hold writes no
-- ledger row (the balance does not change); its capture charges the actual usage, which does.
create table credit_holds (
    id              bigint generated always as identity primary key,
    user_id         text        not null references credit_accounts (user_id),
    amount_micros   bigint      not null check (amount_micros > 0),
    status          text        not null default 'held' check (status in ('held', 'captured', 'released', 'expired')),
    expires_at      timestamptz not null,
    created_at      timestamptz not null default now(),
    resolved_at     timestamptz,
    captured_micros bigint check (captured_micros >= 0),
    usage_event_id  bigint,
    metadata        jsonb       not null default '{}',
    -- A hold resolves exactly once, and only a capture charges anything.
    constraint resolved_when_not_held check ((status = 'held') = (resolved_at is null)),
    constraint captured_only_when_captured check (captured_micros is null or status = 'captured')
);

-- The sweeper's work list and the ledger check's sums read only open holds.
create index credit_holds_open_by_expiry on credit_holds (expires_at) where status = 'held';
create index credit_holds_open_by_user on credit_holds (user_id) where status = 'held';
