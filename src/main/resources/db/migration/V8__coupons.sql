-- Promotional coupon codes. value_micros is the coupon's value in micro-units, whatever its type:
-- credits for credit_bonus and fixed_discount, percentage points for percentage_discount (15 % is
-- 15000000), and unused by free_month (which grants one month of the redeemer's tier allowance) but kept
-- positive like the others, as the contract requires value > 0 for every type.
create table coupon_codes (
    code         text primary key check (code ~ '^[A-Z0-9_-]{3,50}$'),
    coupon_type  text        not null check (coupon_type in
        ('credit_bonus', 'free_month', 'percentage_discount', 'fixed_discount')),
    value_micros bigint      not null check (value_micros > 0),
    description  text,
    max_uses     integer check (max_uses >= 1),
    used_count   integer     not null default 0 check (used_count >= 0),
    expires_at   timestamptz,
    is_active    boolean     not null default true,
    created_by   text        not null,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    -- Redemption increments used_count with a guarded UPDATE; this states the rule it keeps.
    constraint used_within_max_uses check (max_uses is null or used_count <= max_uses),
    constraint percentage_at_most_100 check (coupon_type <> 'percentage_discount' or value_micros <= 100000000)
);

-- The admin listing: newest first, optionally only the redeemable ones.
create index coupon_codes_by_creation on coupon_codes (created_at desc, code desc);

-- One row per successful redemption, written in the same transaction as used_count + 1 and, when the
-- coupon awards credits, the balance change and its ledger row. UNIQUE (code, user_id) makes
-- "once per user" hold under concurrency and across nodes.
create table coupon_redemptions (
    id                     bigint generated always as identity primary key,
    code                   text        not null references coupon_codes (code),
    user_id                text        not null check (length(user_id) between 1 and 255),
    coupon_type            text        not null,
    value_micros           bigint      not null check (value_micros > 0),
    credits_awarded_micros bigint      not null check (credits_awarded_micros >= 0),
    metadata               jsonb       not null default '{}',
    redeemed_at            timestamptz not null default now(),
    unique (code, user_id)
);

-- GET /coupons/redemptions: a user's redemptions, newest first.
create index coupon_redemptions_by_user on coupon_redemptions (user_id, id desc);

-- Failed redemption attempts, counted per user over the last hour to refuse guessing (429). Kept in the
-- database so that the limit holds across nodes; rows older than a day are purged.
create table coupon_redemption_failures (
    id           bigint generated always as identity primary key,
    user_id      text        not null,
    code         text,
    reason       text        not null,
    attempted_at timestamptz not null
);

create index coupon_redemption_failures_by_user on coupon_redemption_failures (user_id, attempted_at desc);
create index coupon_redemption_failures_by_time on coupon_redemption_failures (attempted_at);
