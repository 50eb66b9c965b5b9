-- Usage already consumed is charged in full, so a balance may go negative ("debt"). Debt lives in the
-- bonus part once the allowance is used up; any later credit to the bonus repays it first.
alter table credit_accounts drop constraint available_not_negative;
alter table credit_accounts drop constraint credit_accounts_bonus_micros_check;
alter table credit_accounts add constraint debt_only_after_allowance check (bonus_micros >= 0 or allowance_micros = 0);

alter table credit_transactions add column usage_event_id bigint;
create index credit_transactions_by_usage_event on credit_transactions (usage_event_id) where usage_event_id is not null;

-- One row per metered request. (user_id, event_id) is the idempotency key of a usage event.
create table usage_events (
    id                     bigint generated always as identity primary key,
    user_id                text        not null,
    event_id               text        not null check (length(event_id) between 1 and 255),
    service                text        not null,
    model                  text,
    tokens_used            bigint      not null check (tokens_used >= 0),
    input_tokens           bigint check (input_tokens >= 0),
    output_tokens          bigint check (output_tokens >= 0),
    provider_cost_micros   bigint      not null check (provider_cost_micros >= 0),
    platform_markup_micros bigint      not null check (platform_markup_micros >= 0),
    total_cost_micros      bigint      not null check (total_cost_micros >= 0),
    markup_basis_points    int         not null check (markup_basis_points >= 0),
    charged_micros         bigint      not null check (charged_micros >= 0),
    is_free_tier           boolean     not null,
    is_byok                boolean     not null,
    pricing                text        not null check (pricing in ('event', 'catalogue', 'unpriced')),
    metadata               jsonb       not null default '{}',
    created_at             timestamptz not null default now(),
    unique (user_id, event_id)
);

create index usage_events_by_user_and_time on usage_events (user_id, created_at);
create index usage_events_by_time on usage_events (created_at);

-- Hourly totals per user, service and model, kept in step with usage_events in the same transaction.
-- Summaries read whole hours from here and only the partial hours at a window's edges from the events.
create table usage_rollups (
    user_id          text        not null,
    hour             timestamptz not null,
    service          text        not null,
    model            text        not null default '',
    event_count      bigint      not null,
    tokens           bigint      not null,
    total_cost_micros bigint     not null,
    free_events      bigint      not null,
    free_tokens      bigint      not null,
    primary key (user_id, hour, service, model)
);

-- The model catalogue: prices in micro-credits per million tokens.
create table model_prices (
    model                           text primary key check (length(model) between 1 and 255),
    input_micros_per_million_tokens  bigint      not null check (input_micros_per_million_tokens >= 0),
    output_micros_per_million_tokens bigint      not null check (output_micros_per_million_tokens >= 0),
    is_free                         boolean     not null default false,
    source                          text        not null check (source in ('builtin', 'admin', 'openrouter')),
    effective_from                  timestamptz not null default now(),
    updated_at                      timestamptz not null default now()
);

-- A few current models at their providers' public list prices (USD per million tokens, as listed in 2025).
insert into model_prices (model, input_micros_per_million_tokens, output_micros_per_million_tokens, is_free, source, effective_from)
values ('openai/gpt-4o',                 2500000, 10000000, false, 'builtin', '2025-01-01T00:00:00Z'),
       ('openai/gpt-4o-mini',             150000,   600000, false, 'builtin', '2025-01-01T00:00:00Z'),
       ('anthropic/claude-3.5-sonnet',   3000000, 15000000, false, 'builtin', '2025-01-01T00:00:00Z'),
       ('anthropic/claude-3-haiku',       250000,  1250000, false, 'builtin', '2025-01-01T00:00:00Z'),
       ('google/gemini-flash-1.5',         75000,   300000, false, 'builtin', '2025-01-01T00:00:00Z'),
       ('meta-llama/llama-3.1-8b-instruct:free', 0,      0, true,  'builtin', '2025-01-01T00:00:00Z');
