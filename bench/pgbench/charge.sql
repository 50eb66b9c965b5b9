-- One usage charge, as POST /usage/track does it, on a random one of the first :users bench users
-- (bench/run passes -D users=1000, or -D users=1 for the hot user bench-0):
-- the usage event row, the guarded balance UPDATE (allowance first, then bonus) and the ledger row,
-- in ONE statement. 110 micros = provider cost 100 + 10 % markup.
\set u random(0, :users - 1)
with ev as (
    insert into usage_events (user_id, event_id, service, model, tokens_used, input_tokens, output_tokens,
                              provider_cost_micros, platform_markup_micros, total_cost_micros,
                              markup_basis_points, charged_micros, is_free_tier, is_byok, pricing)
    values ('bench-' || cast(:u as text), gen_random_uuid()::text, 'bench', 'm', 120, 100, 20,
            100, 10, 110, 1000, 110, false, false, 'event')
    returning id, user_id
), changed as (
    update credit_accounts
    set allowance_micros      = allowance_micros - least(allowance_micros, 110),
        bonus_micros          = bonus_micros - (110 - least(allowance_micros, 110)),
        free_tier_used_micros = free_tier_used_micros + 110,
        updated_at            = now()
    where user_id = (select user_id from ev)
    returning user_id, allowance_micros, bonus_micros
)
insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type, counterparty,
                                 service, model, metadata, usage_event_id)
select c.user_id, -110, c.allowance_micros + c.bonus_micros, 'usage', 'bench', 'bench', 'm', '{}', ev.id
from changed c, ev;
