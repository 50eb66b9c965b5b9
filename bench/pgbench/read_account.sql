-- A primary-key read of one of the 1,000 bench accounts.
\set u random(0, 999)
select user_id, tier, allowance_micros, bonus_micros, held_micros, allocated_monthly_micros,
       free_tier_used_micros, period_start, reset_date, created_at, updated_at
from credit_accounts where user_id = 'bench-' || cast(:u as text);
