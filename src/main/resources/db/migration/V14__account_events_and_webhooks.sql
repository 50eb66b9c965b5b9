-- Account events (balance.low, credits.added, ...) and their delivery to webhook endpoints.
--
-- The outbox: every event is written by the database, in the transaction of the change that causes it (a
-- trigger on the changed row, or charge_usage), so an event exists exactly when its change committed, whichever
-- path made the change. Its data are the row's values after the change.

-- Money in an event's data: credits as a JSON number in plain notation, as everywhere in the API.
create function credits_of(micros bigint) returns numeric
    language sql immutable strict parallel safe
as
$$
select trim_scale(micros::numeric / 1000000)
$$;

-- An account's own low-balance threshold (at most one of the two; neither: the platform default, which every
-- connection of the service sets as creditmeter.low_balance and creditmeter.low_balance_share), and where the
-- balance stands against it: 'none', 'low' (balance.low sent, no balance.recovered since) or 'depleted'.
-- They live on the account's row so that a charge reads no other table to see whether it crossed it.
alter table credit_accounts
    add column low_balance_micros        bigint check (low_balance_micros >= 0),
    add column low_balance_basis_points  integer check (low_balance_basis_points between 0 and 10000),
    add column balance_alert             text not null default 'none'
        check (balance_alert in ('none', 'low', 'depleted')),
    add constraint one_low_balance_threshold check (low_balance_micros is null or low_balance_basis_points is null);

-- position: the order of writing. id: the order of committing, given as the writing transaction commits (see
-- account_events_numbered), so that a reader following ids (GET /events?after=) never passes an event that a
-- transaction still running will commit with a smaller one. sequence: per account, 1, 2, 3, ... in the order of
-- the account's changes (every writer holds the account's row lock); platform events (user_id null) take theirs
-- from platform_event_sequence.
create table account_events (
    position   bigint generated always as identity primary key,
    id         bigint unique,
    user_id    text,
    type       text        not null,
    sequence   bigint      not null,
    created_at timestamptz not null default now(),
    data       jsonb       not null
);

create unique index account_events_by_user on account_events (user_id, sequence);
create index account_events_by_time on account_events (created_at);
create sequence platform_event_sequence;

-- The last id given; its row lock orders the committing transactions that wrote events.
create table account_event_ids (
    last bigint not null
);
insert into account_event_ids values (0);

-- Writes an event; returns its position (its id comes at commit).
create function record_account_event(p_user_id text, p_type text, p_data jsonb) returns bigint
    language plpgsql
as
$$
declare
    v_position bigint;
begin
    insert into account_events (user_id, type, sequence, data)
    values (p_user_id, p_type,
            case
                when p_user_id is null then nextval('platform_event_sequence')
                else (select coalesce(max(sequence), 0) + 1 from account_events where user_id = p_user_id)
            end,
            p_data)
    returning position into v_position;
    return v_position;
end
$$;

-- Webhook endpoints. The signing secret is needed in clear to sign; it is never answered but on creation and
-- rotation. After a rotation the previous secret signs too until previous_secret_expires_at.
create table webhook_endpoints (
    id                         bigint generated always as identity primary key,
    url                        text        not null,
    event_types                text[]      not null,
    description                text,
    enabled                    boolean     not null default true,
    disabled_reason            text,
    secret                     text        not null,
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    created_at                 timestamptz not null default now(),
    updated_at                 timestamptz not null default now()
);

-- One row per (endpoint, event) to deliver, and one more per replay. A pending row is due at next_attempt_at;
-- a node that claims it moves next_attempt_at past its attempt's time-out (a lease: if the node dies, another
-- one retries after it), so nodes never claim the same row at once. Rows of one endpoint and one account go out
-- in id order: a row waits while an earlier one of the same endpoint and account is pending.
create table webhook_deliveries (
    id              bigint generated always as identity primary key,
    endpoint_id     bigint      not null references webhook_endpoints (id) on delete cascade,
    event_id        bigint      not null references account_events (id) on delete cascade,
    user_id         text,
    status          text        not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_attempt_at timestamptz,
    response_status integer,
    latency_ms      integer,
    error           text,
    replay          boolean     not null default false,
    created_at      timestamptz not null default now()
);

create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_pending_in_order on webhook_deliveries (endpoint_id, user_id, id)
    where status = 'pending';
create index webhook_deliveries_by_endpoint on webhook_deliveries (endpoint_id, id desc);
create index webhook_deliveries_by_event on webhook_deliveries (event_id);

-- At commit: the event's id, and a delivery for every enabled endpoint that wants its type. The update of
-- account_event_ids holds its row until this transaction ends, so ids are given in commit order.
create function account_events_numbered() returns trigger
    language plpgsql
as
$$
declare
    v_id bigint;
begin
    update account_event_ids set last = last + 1 returning last into v_id;
    update account_events set id = v_id where position = new.position;
    insert into webhook_deliveries (endpoint_id, event_id, user_id)
    select w.id, v_id, new.user_id
    from webhook_endpoints w
    where w.enabled and new.type = any (w.event_types)
    order by w.id;
    return null;
end
$$;

create constraint trigger account_events_numbered
    after insert on account_events
    deferrable initially deferred
    for each row execute function account_events_numbered();

-- balance.low, balance.depleted, balance.recovered and tier.changed, from the account row's old and new values,
-- in the row's own write (balance_alert is set in it). The threshold: the account's own, else the platform's.
--  - balance.low: the balance goes from at or above the threshold to below it, and none was sent since the
--    last balance.recovered (balance_alert = 'none');
--  - balance.depleted: the available balance goes from above 0 to 0 (or below), once until it is back above 0;
--  - balance.recovered: after either, the balance is at or above the threshold again with something available.
create function credit_accounts_raise_events() returns trigger
    language plpgsql
as
$$
declare
    v_old_balance   bigint := old.allowance_micros + old.bonus_micros;
    v_balance       bigint := new.allowance_micros + new.bonus_micros;
    v_old_available bigint := v_old_balance - old.held_micros;
    v_available     bigint := v_balance - new.held_micros;
    v_threshold     bigint;
    v_data          jsonb;
begin
    if new.tier <> old.tier then
        perform record_account_event(new.user_id, 'tier.changed', jsonb_build_object(
                'previous_tier', old.tier, 'tier', new.tier, 'balance', credits_of(v_balance),
                'available', credits_of(v_available), 'amount', credits_of(v_balance - v_old_balance)));
    end if;

    v_threshold := case
        when new.low_balance_micros is not null then new.low_balance_micros
        when new.low_balance_basis_points is not null
            then new.allocated_monthly_micros * new.low_balance_basis_points / 10000
        else coalesce(round(nullif(current_setting('creditmeter.low_balance', true), '')::numeric * 1000000),
                      floor(new.allocated_monthly_micros
                                * nullif(current_setting('creditmeter.low_balance_share', true), '')::numeric),
                      0)
    end;
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

create trigger credit_accounts_raise_events
    before update on credit_accounts
    for each row
    when ((old.allowance_micros, old.bonus_micros, old.held_micros, old.tier, old.low_balance_micros,
           old.low_balance_basis_points)
        is distinct from (new.allowance_micros, new.bonus_micros, new.held_micros, new.tier, new.low_balance_micros,
                          new.low_balance_basis_points))
    execute function credit_accounts_raise_events();

-- credits.added: an allocation, a bonus (coupons, grants), a refund or a renewal's new allowance.
create function credit_transactions_raise_events() returns trigger
    language plpgsql
as
$$
declare
    v_held bigint;
begin
    select held_micros into v_held from credit_accounts where user_id = new.user_id;
    perform record_account_event(new.user_id, 'credits.added', jsonb_build_object(
            'amount', credits_of(new.amount_micros), 'balance', credits_of(new.balance_after_micros),
            'available', credits_of(new.balance_after_micros - v_held), 'reason', new.transaction_type,
            'transaction_id', new.id));
    return null;
end
$$;

create trigger credit_transactions_raise_events
    after insert on credit_transactions
    for each row
    when (new.amount_micros > 0 and new.transaction_type in ('allocation', 'bonus', 'refund', 'monthly_reset'))
    execute function credit_transactions_raise_events();

-- hold.expired: an open hold passed its expiry (the sweeper, or a capture or release that came too late).
create function credit_holds_raise_events() returns trigger
    language plpgsql
as
$$
declare
    v_account credit_accounts;
begin
    select * into v_account from credit_accounts where user_id = new.user_id;
    perform record_account_event(new.user_id, 'hold.expired', jsonb_build_object(
            'hold_id', new.id, 'amount', credits_of(new.amount_micros),
            'balance', credits_of(v_account.allowance_micros + v_account.bonus_micros),
            'available', credits_of(v_account.allowance_micros + v_account.bonus_micros - v_account.held_micros)));
    return null;
end
$$;

create trigger credit_holds_raise_events
    after update of status on credit_holds
    for each row
    when (old.status = 'held' and new.status = 'expired')
    execute function credit_holds_raise_events();
