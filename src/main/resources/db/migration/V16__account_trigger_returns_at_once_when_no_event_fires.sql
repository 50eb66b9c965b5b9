-- The account trigger of V14 (credit_accounts_raise_events) made every charge pay for building an event's data
-- and for a WHEN clause, which PostgreSQL prepares again for every statement (measured with pgbench on single-row
-- updates: a WHEN clause cost 13 % of the throughput when it compared four columns and 42 % when it computed the
-- threshold, a PL/pgSQL trigger without one 12 %, with fsync off so that little else counts). Now the trigger has
-- no WHEN clause, and its function returns at once, before building anything, when no event can fire: the tier
-- is the same, the account is neither low nor depleted, the balance does not cross the threshold downwards and
-- the available balance does not reach 0.

-- The account's low-balance threshold in micros: its own amount, or its own share of the monthly allowance, else
-- the platform's amount, else the platform's share (the connection's session settings, see V14); 0 for none.
create function low_balance_threshold(p_micros bigint, p_basis_points integer, p_monthly_micros bigint)
    returns bigint
    language sql stable parallel safe
as
$$
select case
           when p_micros is not null then p_micros
           when p_basis_points is not null then p_monthly_micros * p_basis_points / 10000
           else coalesce(round(nullif(current_setting('creditmeter.low_balance', true), '')::numeric * 1000000),
                         floor(p_monthly_micros
                                   * nullif(current_setting('creditmeter.low_balance_share', true), '')::numeric),
                         0)::bigint
       end
$$;

create or replace function credit_accounts_raise_events() returns trigger
    language plpgsql
as
$$
declare
    v_old_balance   bigint := old.allowance_micros + old.bonus_micros;
    v_balance       bigint := new.allowance_micros + new.bonus_micros;
    v_old_available bigint := v_old_balance - old.held_micros;
    v_available     bigint := v_balance - new.held_micros;
    v_threshold     bigint := low_balance_threshold(new.low_balance_micros, new.low_balance_basis_points,
                                                    new.allocated_monthly_micros);
    v_data          jsonb;
begin
    if new.tier = old.tier and new.balance_alert = 'none'
        and not (v_balance < v_threshold and v_old_balance >= v_threshold)
        and not (v_available <= 0 and v_old_available > 0) then
        return new; -- the common case: a charge of an account that stays above its threshold
    end if;
    if new.tier <> old.tier then
        perform record_account_event(new.user_id, 'tier.changed', jsonb_build_object(
                'previous_tier', old.tier, 'tier', new.tier, 'balance', credits_of(v_balance),
                'available', credits_of(v_available), 'amount', credits_of(v_balance - v_old_balance)));
    end if;

    v_data := jsonb_build_object('balance', credits_of(v_balance), 'available', credits_of(v_available),
                                 'amount', credits_of(v_balance - v_old_balance), 'threshold', credits_of(v_threshold),
                                 'tier', new.tier);

    if new.balance_alert = 'none' and v_balance < v_threshold and v_old_balance >= v_threshold then
        perform record_account_event(new.user_id, 'balance.low', v_data);
        new.balance_alert := 'low';
    end if;
    if new.balance_alert <> 'depleted' and v_available <= 0 and v_old_available > 0 then
        perform record_account_event(new.user_id, 'balance.depleted', v_data);
        new.balance_alert := 'depleted';
    elsif new.balance_alert <> 'none' and v_available > 0 and v_balance >= v_threshold then
        perform record_account_event(new.user_id, 'balance.recovered', v_data);
        new.balance_alert := 'none';
    elsif new.balance_alert = 'depleted' and v_available > 0 then
        new.balance_alert := 'low';
    end if;
    return new;
end
$$;

drop trigger credit_accounts_raise_events on credit_accounts;

create trigger credit_accounts_raise_events
    before update on credit_accounts
    for each row
    execute function credit_accounts_raise_events();
