-- charge_usage as in V13 (V12 states its contract, order of work and lock order), writing the events of a charge
-- as well (V14 has the outbox): quota.warning at the call that uses p_quota_warning_share of the tier's call quota
-- (the 80th of 100) and quota.exhausted at the call that uses it up, for the tiers in p_quota_tiers with their
-- limits in p_quota_limits; and usage.unpriced at the first sight of a (service, model) without a price.
-- The account trigger writes the balance events itself.
drop function charge_usage(text[], text[], text[], text[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[],
                           int[], boolean[], boolean[], text[], text[], timestamptz[], bigint[], text, bigint, text,
                           jsonb, timestamptz, timestamptz, text[], timestamptz);

-- Every (service, model) ever charged without a price, with when it was first seen.
create table unpriced_models (
    service       text        not null,
    model         text        not null,
    first_seen_at timestamptz not null default now(),
    primary key (service, model)
);

-- Models seen unpriced before this migration have been seen: no event for them.
insert into unpriced_models (service, model)
select distinct service, coalesce(model, '') from usage_events where pricing = 'unpriced'
on conflict do nothing;

create function charge_usage(
    p_user_ids text[], p_event_ids text[], p_services text[], p_models text[], p_tokens bigint[],
    p_input_tokens bigint[], p_output_tokens bigint[], p_provider_costs bigint[], p_markups bigint[],
    p_totals bigint[], p_basis_points int[], p_free boolean[], p_byok boolean[], p_pricing text[],
    p_metadata text[], p_created_at timestamptz[], p_hold_ids bigint[],
    p_signup_tier text, p_signup_allowance bigint, p_signup_source text, p_signup_metadata jsonb,
    p_now timestamptz, p_signup_reset timestamptz, p_daily_tiers text[], p_day_start timestamptz,
    p_quota_tiers text[], p_quota_limits bigint[], p_quota_warning_share numeric)
    returns table (ord bigint, usage_event_id bigint, balance_after bigint)
    language plpgsql
as
$$
#variable_conflict use_column
declare
    v_ords  bigint[]; -- the input positions of the events recorded now, ascending
    v_ids   bigint[]; -- their usage_events ids
    v_users text[];   -- the users, ascending
    v_unpriced bigint[]; -- the usage_events ids of models seen unpriced for the first time
    v_out_ords bigint[]; v_out_ids bigint[]; v_out_balances bigint[]; -- the answer
    v_quota jsonb;       -- the quota thresholds crossed, as events' user, type and data
begin
    v_users := array(select distinct u from unnest(p_user_ids) as u order by u);

    with created as (
        insert into credit_accounts (user_id, tier, allowance_micros, allocated_monthly_micros, period_start,
                                     reset_date, created_at, updated_at)
        select u, p_signup_tier, p_signup_allowance, p_signup_allowance, p_now, p_signup_reset, p_now, p_now
        from unnest(v_users) as u
        on conflict (user_id) do nothing
        returning user_id, allowance_micros
    )
    insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type, counterparty,
                                     metadata)
    select user_id, allowance_micros, allowance_micros, 'purchase', p_signup_source, p_signup_metadata
    from created
    order by user_id;

    perform 1 from credit_accounts where user_id = any (v_users) order by user_id for update;

    with input as (
        select *
        from unnest(p_user_ids, p_event_ids, p_services, p_models, p_tokens, p_input_tokens, p_output_tokens,
                    p_provider_costs, p_markups, p_totals, p_basis_points, p_free, p_byok, p_pricing, p_metadata,
                    p_created_at)
                 with ordinality as i(user_id, event_id, service, model, tokens, input_tokens, output_tokens,
                                      provider_cost, markup, total, basis_points, free, byok, pricing, metadata,
                                      created_at, ord)
    ), inserted as (
        insert into usage_events (user_id, event_id, service, model, tokens_used, input_tokens, output_tokens,
                                  provider_cost_micros, platform_markup_micros, total_cost_micros,
                                  markup_basis_points, charged_micros, is_free_tier, is_byok, pricing, metadata,
                                  created_at)
        select user_id, event_id, service, model, tokens, input_tokens, output_tokens, provider_cost, markup, total,
               basis_points, total, free, byok, pricing, cast(metadata as jsonb), created_at
        from input
        order by user_id, event_id, ord
        on conflict (user_id, event_id) do nothing
        returning id, user_id, event_id, service, coalesce(model, '') as model, tokens_used, total_cost_micros,
                  is_free_tier, created_at, pricing
    ), first_unpriced as (
        insert into unpriced_models (service, model)
        select distinct service, model from inserted where pricing = 'unpriced'
        order by service, model
        on conflict do nothing
        returning service, model
    ), rolled as (
        insert into usage_rollups as r (user_id, hour, service, model, event_count, tokens, total_cost_micros,
                                        free_events, free_tokens)
        select user_id, date_trunc('hour', created_at, 'UTC') as hour, service, model, count(*),
               sum(tokens_used), sum(total_cost_micros), count(*) filter (where is_free_tier),
               coalesce(sum(tokens_used) filter (where is_free_tier), 0)
        from inserted
        group by user_id, hour, service, model
        order by user_id, hour, service, model
        on conflict (user_id, hour, service, model) do update
        set event_count       = r.event_count + excluded.event_count,
            tokens            = r.tokens + excluded.tokens,
            total_cost_micros = r.total_cost_micros + excluded.total_cost_micros,
            free_events       = r.free_events + excluded.free_events,
            free_tokens       = r.free_tokens + excluded.free_tokens
    ), recorded as (
        -- of two equal (user, event_id) in the input the first was inserted
        select min(i.ord) as ord, e.id
        from inserted e
                 join input i on i.user_id = e.user_id and i.event_id = e.event_id
        group by e.id
    )
    select array_agg(ord order by ord), array_agg(id order by ord),
           (select array_agg(i.id order by i.id)
            from first_unpriced f
                     cross join lateral (select min(id) as id from inserted i
                                         where i.service = f.service and i.model = f.model) i)
    into v_ords, v_ids, v_unpriced
    from recorded;

    if v_ords is null then
        return;
    end if;

    with charges as (
            select c.ord, c.id, p_user_ids[c.ord] as user_id, p_totals[c.ord] as total,
                   p_services[c.ord] as service, p_models[c.ord] as model, p_hold_ids[c.ord] as hold_id
            from unnest(v_ords, v_ids) as c(ord, id)
        ), sums as (
            select user_id, cast(sum(total) as bigint) as total, count(*) as calls
            from charges
            group by user_id
        ), changed as (
            update credit_accounts a
            set allowance_micros      = a.allowance_micros - least(a.allowance_micros, s.total),
                bonus_micros          = a.bonus_micros - (s.total - least(a.allowance_micros, s.total)),
                free_tier_used_micros = a.free_tier_used_micros + s.total,
                updated_at            = now()
            from sums s
            where a.user_id = s.user_id
            returning a.user_id, a.tier, a.allowance_micros + a.bonus_micros + s.total as balance_before, s.calls,
                      s.total, a.allowance_micros + a.bonus_micros as balance,
                      a.allowance_micros + a.bonus_micros - a.held_micros as available,
                      case when a.tier = any (p_daily_tiers) then p_day_start else a.period_start end as window_start
        ), entries as (
            select c.*, ch.balance_before
                        - cast(sum(c.total) over (partition by c.user_id order by c.ord) as bigint) as balance_after
            from charges c
                     join changed ch on ch.user_id = c.user_id
        ), ledger as (
            insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type,
                                             counterparty, service, model, metadata, usage_event_id)
            select user_id, -total, balance_after, 'usage', service, service, model,
                   case when hold_id is null then '{}' else jsonb_build_object('hold_id', hold_id) end, id
            from entries
            order by user_id, ord
        ), counted as (
            insert into api_call_counts as q (user_id, window_start, calls)
            select user_id, window_start, calls
            from changed
            order by user_id
            on conflict (user_id, window_start) do update set calls = q.calls + excluded.calls
            returning q.user_id, q.calls
        ), crossings as (
            -- the quota's warning point (the call that uses its share) and its end, passed by this call
            select ch.user_id, x.type, x.at, c.calls, t.quota, ch.balance, ch.available, ch.total
            from counted c
                     join changed ch on ch.user_id = c.user_id
                     join unnest(p_quota_tiers, p_quota_limits) as t(tier, quota) on t.tier = ch.tier
                     cross join lateral (values ('quota.warning', greatest(1, ceil(t.quota * p_quota_warning_share))::bigint),
                                                ('quota.exhausted', t.quota)) as x(type, at)
            where c.calls - ch.calls < x.at and c.calls >= x.at
        )
        select array_agg(e.ord order by e.ord), array_agg(e.id order by e.ord),
               array_agg(e.balance_after order by e.ord),
               (select jsonb_agg(jsonb_build_object(
                       'user_id', user_id, 'type', type, 'data', jsonb_build_object(
                           'calls', calls, 'limit', quota, 'balance', credits_of(balance),
                           'available', credits_of(available), 'amount', credits_of(-total)))
                       order by user_id, at, type desc)
                from crossings)
        into v_out_ords, v_out_ids, v_out_balances, v_quota
        from entries e;

    -- Events of this charge, after it: a statement of their own sees the events the account's trigger wrote
    -- during the charge, so that the account's sequence goes on from them.
    if v_quota is not null then
        perform record_account_event(q ->> 'user_id', q ->> 'type', q -> 'data')
        from jsonb_array_elements(v_quota) as q;
    end if;
    if v_unpriced is not null then
        perform record_account_event(e.user_id, 'usage.unpriced', jsonb_build_object(
                'service', e.service, 'model', e.model, 'usage_event_id', e.id, 'amount', 0,
                'balance', credits_of(a.allowance_micros + a.bonus_micros),
                'available', credits_of(a.allowance_micros + a.bonus_micros - a.held_micros)))
        from usage_events e
                 join credit_accounts a on a.user_id = e.user_id
        where e.id = any (v_unpriced)
        order by e.id;
    end if;

    return query select * from unnest(v_out_ords, v_out_ids, v_out_balances);
end;
$$;
