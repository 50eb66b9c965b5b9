package dev.creditmeter.credits;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The credit_accounts table and the ledger rows that go with each change. Every change is ONE SQL
 * statement: a guarded UPDATE and the ledger INSERT fed by its RETURNING, so a balance is never read
 * into Java and written back, and no change exists without its ledger row.
 */
@Repository
class Accounts {

    private static final String COLUMNS = """
            user_id, tier, allowance_micros, bonus_micros, held_micros, allocated_monthly_micros,
            free_tier_used_micros, period_start, reset_date, created_at, updated_at""";

    private static final String RECORD_ENTRY = """
            , entry as (
                insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type,
                                                 counterparty, service, model, cost_breakdown, metadata, idempotency_key,
                                                 usage_event_id)
                select user_id, :signedAmount, allowance_micros + bonus_micros, :type, :counterparty, :service, :model,
                       cast(:costBreakdown as jsonb), cast(:metadata as jsonb), :idempotencyKey, :usageEventId
                from changed
            )
            select * from changed
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;

    Accounts(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Creates the account with its sign-up allowance and {@code purchase} row, once (see {@link #PROVISION}). */
    void provision(String userId, SignupPolicy signup, Instant now) {
        jdbc.sql(PROVISION + "select 1 from entry").params(provisionParams(userId, signup, now)).query().listOfRows();
    }

    /**
     * The account, created first if need be, in ONE statement: no transaction of its own, one round trip.
     * Empty when a concurrent first request created it meanwhile (see {@link #FIND_OR_PROVISION}); the
     * caller then runs it again.
     */
    Optional<Account> provisionAndFind(String userId, SignupPolicy signup, Instant now) {
        return jdbc.sql(FIND_OR_PROVISION_ACCOUNT).params(provisionParams(userId, signup, now))
                .query(Accounts::row).optional();
    }

    /**
     * The {@code purchase} ledger row of a new account, from the CTE {@code created} that inserted it. No
     * account is created anywhere else, so every account's ledger starts with this row.
     */
    private static final String PURCHASE_ENTRY = """
            , entry as (
                insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type,
                                                 counterparty, metadata)
                select user_id, allowance_micros, allowance_micros, 'purchase', :source, cast(:metadata as jsonb)
                from created
                returning id
            )""";

    /**
     * Creates the account with its sign-up allowance and the matching {@code purchase} row, once:
     * concurrent first requests wait on the primary key and insert nothing. Ends with the ledger CTE
     * {@code entry}, for a final select to follow.
     */
    private static final String PROVISION = """
            with created as (
                insert into credit_accounts (user_id, tier, allowance_micros, allocated_monthly_micros,
                                             period_start, reset_date, created_at, updated_at)
                values (:userId, :tier, :allowance, :allowance, :now, :resetDate, :now, :now)
                on conflict (user_id) do nothing
                returning %s
            )""".formatted(COLUMNS) + PURCHASE_ENTRY + "\n";

    /**
     * CTEs that end in {@code account}: the user's account, created first with its sign-up allowance and its
     * {@code purchase} row when there is none. The INSERT runs only when {@code existing} found nothing: an
     * unconditional {@code INSERT … ON CONFLICT DO NOTHING} before the read cost PostgreSQL more still (pgbench
     * on the bench database: 0.7 of the throughput of this guarded form). Callers that read an existing account
     * far more often than they create one read it with {@link #FIND} first.
     * <p>
     * {@code account} is empty when a concurrent first request inserted the row after this statement's
     * snapshot was taken: the INSERT waited for that insert and inserted nothing, and the snapshot cannot see
     * the row. The same statement run again sees it.
     * <p>
     * Parameters: those of {@link #provisionParams}. The INSERT takes its values from a SELECT, whose
     * parameters PostgreSQL does not type from the target columns, hence the casts.
     */
    static final String FIND_OR_PROVISION = """
            with existing as (
                select %1$s from credit_accounts where user_id = :userId
            ), created as (
                insert into credit_accounts (user_id, tier, allowance_micros, allocated_monthly_micros,
                                             period_start, reset_date, created_at, updated_at)
                select cast(:userId as text), cast(:tier as text), cast(:allowance as bigint),
                       cast(:allowance as bigint), cast(:now as timestamptz), cast(:resetDate as timestamptz),
                       cast(:now as timestamptz), cast(:now as timestamptz)
                where not exists (select 1 from existing)
                on conflict (user_id) do nothing
                returning %1$s
            )""".formatted(COLUMNS) + PURCHASE_ENTRY + """
            , account as (
                select * from existing
                union all
                select * from created
            )
            """;

    /** The CTE {@code account}: the user's account if there is one (parameter {@code userId}). */
    static final String FIND = """
            with account as (
                select %s from credit_accounts where user_id = :userId
            )
            """.formatted(COLUMNS);

    private static final String FIND_OR_PROVISION_ACCOUNT = FIND_OR_PROVISION + "select * from account\n";

    private Map<String, Object> provisionParams(String userId, SignupPolicy signup, Instant now) {
        return provisionParams(userId, signup, now, signupMetadata(signup));
    }

    /** The parameters of {@link #PROVISION} and {@link #FIND_OR_PROVISION}. */
    static Map<String, Object> provisionParams(String userId, SignupPolicy signup, Instant now, String signupMetadata) {
        return Map.of("userId", userId, "tier", signup.tier(), "allowance", signup.allowance().micros(),
                "now", Timestamp.from(now), "resetDate", Timestamp.from(signup.resetDate(now)),
                "source", signup.source(), "metadata", signupMetadata);
    }

    /**
     * The ledger metadata of a new account as JSON, written once per policy rather than on every balance
     * read, which needs it only when it creates the account.
     */
    String signupMetadata(SignupPolicy signup) {
        SignupJson cached = signupJson;
        if (cached == null || cached.policy() != signup) {
            cached = new SignupJson(signup, json.writeValueAsString(signup.ledgerMetadata()));
            signupJson = cached;
        }
        return cached.json();
    }

    private record SignupJson(SignupPolicy policy, String json) {
    }

    private volatile SignupJson signupJson;

    /** Accounts whose user id contains {@code search} (any case), by user id. */
    List<Account> search(String search, int limit, int offset) {
        return jdbc.sql("select " + COLUMNS + """
                         from credit_accounts
                        where cast(:pattern as text) is null or user_id ilike :pattern escape '\\'
                        order by user_id limit :limit offset :offset
                        """)
                .param("pattern", pattern(search)).param("limit", limit).param("offset", offset)
                .query(Accounts::row).list();
    }

    long count(String search) {
        return jdbc.sql("select count(*) from credit_accounts where cast(:pattern as text) is null or user_id ilike :pattern escape '\\'")
                .param("pattern", pattern(search)).query(Long.class).single();
    }

    private static String pattern(String search) {
        if (search == null || search.isBlank()) {
            return null;
        }
        return "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }

    Optional<Account> find(String userId) {
        return jdbc.sql("select " + COLUMNS + " from credit_accounts where user_id = :userId")
                .param("userId", userId).query(Accounts::row).optional();
    }

    /** Adds to the bonus part, which does not expire. Empty when the account does not exist. */
    Optional<Account> credit(String userId, Money amount, LedgerEntry entry) {
        return jdbc.sql("""
                        with changed as (
                            update credit_accounts
                            set bonus_micros = bonus_micros + :amount, updated_at = now()
                            where user_id = :userId
                            returning %s
                        )
                        """.formatted(COLUMNS) + RECORD_ENTRY)
                .param("userId", userId)
                .param("amount", amount.micros())
                .param("signedAmount", amount.micros())
                .params(entryParams(entry))
                .query(Accounts::row).optional();
    }

    /**
     * Takes the amount from the allowance first, then from the bonus, only if the available balance
     * covers it. Empty when the account is missing or the balance does not cover the amount.
     */
    Optional<Account> debit(String userId, Money amount, LedgerEntry entry) {
        return take(userId, amount, entry, "and allowance_micros + bonus_micros - held_micros >= :amount");
    }

    private Optional<Account> take(String userId, Money amount, LedgerEntry entry, String guard) {
        return jdbc.sql("""
                        with changed as (
                            update credit_accounts
                            set allowance_micros      = allowance_micros - least(allowance_micros, :amount),
                                bonus_micros          = bonus_micros - (:amount - least(allowance_micros, :amount)),
                                free_tier_used_micros = free_tier_used_micros + :amount,
                                updated_at            = now()
                            where user_id = :userId %s
                            returning %s
                        )
                        """.formatted(guard, COLUMNS) + RECORD_ENTRY)
                .param("userId", userId)
                .param("amount", amount.micros())
                .param("signedAmount", Math.negateExact(amount.micros()))
                .params(entryParams(entry))
                .query(Accounts::row).optional();
    }

    /**
     * Starts a new allowance period in ONE statement, if the row passes {@code guard}: the unused allowance
     * expires (unless kept), the new allowance is granted with any debt (negative bonus) repaid from it first,
     * and tier, period and free_tier_used are reset. Writes an {@code expiration} row when allowance expired,
     * then the {@code monthly_reset} row, in that order, so the last row's balance_after is the balance.
     * Empty when the account is missing or fails the guard.
     */
    Optional<Account> startPeriod(String userId, NewPeriod period, String guard, Map<String, Object> guardParams) {
        var grantMetadata = new LinkedHashMap<String, Object>();
        grantMetadata.put("tier", period.tier());
        grantMetadata.put("allocation", period.allowance());
        grantMetadata.put("next_reset", period.resetDate().toString());
        grantMetadata.put("reason", period.reason());
        return jdbc.sql("""
                        with old as (
                            select user_id, tier, allowance_micros, bonus_micros,
                                   case when cast(:keep as boolean) then allowance_micros else 0 end as kept_micros
                            from credit_accounts
                            where user_id = :userId and %s
                            for update
                        ), changed as (
                            update credit_accounts a
                            set tier                     = :tier,
                                allocated_monthly_micros = :allowance,
                                allowance_micros         = o.kept_micros + :allowance - least(:allowance, greatest(-o.bonus_micros, 0)),
                                bonus_micros             = o.bonus_micros + least(:allowance, greatest(-o.bonus_micros, 0)),
                                free_tier_used_micros    = 0,
                                period_start             = :periodStart,
                                reset_date               = :resetDate,
                                updated_at               = now()
                            from old o
                            where a.user_id = o.user_id
                            returning a.user_id, a.tier, a.allowance_micros, a.bonus_micros, a.held_micros,
                                      a.allocated_monthly_micros, a.free_tier_used_micros, a.period_start, a.reset_date,
                                      a.created_at, a.updated_at, o.tier as old_tier,
                                      o.allowance_micros - o.kept_micros as expired_micros,
                                      o.allowance_micros + o.bonus_micros as old_balance_micros
                        ), entries as (
                            insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type,
                                                             counterparty, metadata)
                            select user_id, amount, balance_after, type, counterparty, metadata
                            from (select user_id, 1 as seq, -expired_micros as amount,
                                         old_balance_micros - expired_micros as balance_after, 'expiration' as type,
                                         'allowance_expiry' as counterparty,
                                         jsonb_build_object('tier', old_tier, 'reason', cast(:reason as text)) as metadata
                                  from changed where expired_micros > 0
                                  union all
                                  select user_id, 2, :allowance, allowance_micros + bonus_micros, 'monthly_reset',
                                         'tier_allowance', cast(:grantMetadata as jsonb)
                                  from changed) as rows
                            order by seq
                        )
                        select * from changed
                        """.formatted(guard))
                .param("userId", userId)
                .param("keep", period.keepUnusedAllowance())
                .param("tier", period.tier())
                .param("allowance", period.allowance().micros())
                .param("periodStart", Timestamp.from(period.start()))
                .param("resetDate", Timestamp.from(period.resetDate()))
                .param("reason", period.reason())
                .param("grantMetadata", json.writeValueAsString(grantMetadata))
                .params(guardParams)
                .query(Accounts::row).optional();
    }

    /** Locks up to {@code limit} accounts due for renewal that no other transaction holds, in user order. */
    List<Account> claimDue(Instant now, int limit) {
        return jdbc.sql("select " + COLUMNS + """
                         from credit_accounts
                        where reset_date <= :now
                        order by user_id
                        limit :limit
                        for update skip locked
                        """)
                .param("now", Timestamp.from(now)).param("limit", limit)
                .query(Accounts::row).list();
    }

    private Map<String, Object> entryParams(LedgerEntry entry) {
        var params = new HashMap<String, Object>();
        params.put("type", entry.type());
        params.put("counterparty", entry.counterparty());
        params.put("service", entry.service());
        params.put("model", entry.model());
        params.put("costBreakdown", entry.costBreakdown() == null ? null : json.writeValueAsString(entry.costBreakdown()));
        params.put("metadata", json.writeValueAsString(entry.metadata() == null ? Map.of() : entry.metadata()));
        params.put("idempotencyKey", entry.idempotencyKey());
        params.put("usageEventId", entry.usageEventId());
        return params;
    }

    static Account row(ResultSet rs, int n) throws SQLException {
        return new Account(rs.getString("user_id"), rs.getString("tier"),
                Money.ofMicros(rs.getLong("allowance_micros")), Money.ofMicros(rs.getLong("bonus_micros")),
                Money.ofMicros(rs.getLong("held_micros")), Money.ofMicros(rs.getLong("allocated_monthly_micros")),
                Money.ofMicros(rs.getLong("free_tier_used_micros")), instant(rs, "period_start"),
                instant(rs, "reset_date"), instant(rs, "created_at"), instant(rs, "updated_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }
}
