-- 100 usage charges in one transaction, set-based, as batch ingestion could apply them: 100 usage event rows,
-- one guarded balance UPDATE per account (allowance first, then bonus) and a ledger row per event, in ONE
-- statement; 110 micros each, as in charge.sql. The 100 events go to 100 consecutive bench users from a random
-- one (an UPDATE changes a row once, so one event per account), inside this client's own share of the :users
-- users (bench/run passes -D users=1000 -D clients=4): concurrent transactions, each holding its 100 row locks
-- until it commits, then never wait on each other nor deadlock.
\set share :users / :clients
\set first :client_id * :share + random(0, :share - 100)
with ev as (
    insert into usage_events (user_id, event_id, service, model, tokens_used, input_tokens, output_tokens,
                              provider_cost_micros, platform_markup_micros, total_cost_micros,
                              markup_basis_points, charged_micros, is_free_tier, is_byok, pricing)
    select 'bench-' || cast(:first + i as text), gen_random_uuid()::text, 'bench', 'm', 120, 100, 20,
           100, 10, 110, 1000, 110, false, false, 'event'
    from generate_series(0, 99) i
    returning id, user_id
), changed as (
    update credit_accounts
    set allowance_micros      = allowance_micros - least(allowance_micros, 110),
        bonus_micros          = bonus_micros - (110 - least(allowance_micros, 110)),
        free_tier_used_micros = free_tier_used_micros + 110,
        updated_at            = now()
    where user_id in (select user_id from ev)
    returning user_id, allowance_micros, bonus_micros
)
insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type, counterparty,
                                 service, model, metadata, usage_event_id)
select c.user_id, -110, c.allowance_micros + c.bonus_micros, 'usage', 'bench', 'bench', 'm', '{}', ev.id
from changed c join ev on ev.user_id = c.user_id;
