-- 1,000,000 usage events of one user (psql variable :user) over the last 30 days, with their hourly rollups,
-- written in bulk for the summary scenario of bench/run. The rows are those the service writes one by one
-- (UsageEvents.insert): 3 services, 12 models, every 10th event free (is_free_tier, all costs 0), the others
-- priced from the event (cost 700 micros + 5 % markup); each rollup row is the sum of its hour's events, as
-- the per-event upserts would have left it. No account and no ledger rows: the summaries read only these
-- two tables, and balances stay as they were.
\set ON_ERROR_STOP on
begin;
insert into usage_events (user_id, event_id, service, model, tokens_used, input_tokens, output_tokens,
                          provider_cost_micros, platform_markup_micros, total_cost_micros, markup_basis_points,
                          charged_micros, is_free_tier, is_byok, pricing, created_at)
select :'user', 'bulk-' || g, (array['chat', 'search', 'tts'])[1 + g % 3], 'model-' || (g % 12),
       120 + g % 900, 100 + g % 900, 20,
       700 * paid, 35 * paid, 735 * paid, 500 * paid, 735 * paid, paid = 0, false, 'event',
       now() - g * interval '2.592 seconds'   -- 1,000,000 × 2.592 s = 30 days
from generate_series(1, 1000000) g, lateral (select case when g % 10 = 0 then 0 else 1 end) p(paid);
insert into usage_rollups (user_id, hour, service, model, event_count, tokens, total_cost_micros, free_events,
                           free_tokens)
select user_id, date_trunc('hour', created_at, 'UTC'), service, coalesce(model, ''), count(*), sum(tokens_used),
       sum(total_cost_micros), count(*) filter (where is_free_tier),
       coalesce(sum(tokens_used) filter (where is_free_tier), 0)
from usage_events
where user_id = :'user'
group by 1, 2, 3, 4;
commit;
analyze usage_events;
analyze usage_rollups;
