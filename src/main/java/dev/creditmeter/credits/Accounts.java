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

    /**
     * Creates the account with its sign-up allowance and the matching {@code purchase} row, once:
     * concurrent first requests wait on the primary key and then find the account there.
     */
    void provision(String userId, SignupPolicy signup, Instant now) {
        jdbc.sql("""
                        with created as (
                            insert into credit_accounts (user_id, tier, allowance_micros, allocated_monthly_micros,
                                                         period_start, reset_date, created_at, updated_at)
                            values (:userId, :tier, :allowance, :allowance, :now, :resetDate, :now, :now)
                            on conflict (user_id) do nothing
                            returning user_id, allowance_micros
                        )
                        insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type,
                                                         counterparty, metadata)
                        select user_id, allowance_micros, allowance_micros, 'purchase', :source, cast(:metadata as jsonb)
                        from created
                        """)
                .param("userId", userId)
                .param("tier", signup.tier())
                .param("allowance", signup.allowance().micros())
                .param("now", Timestamp.from(now))
                .param("resetDate", Timestamp.from(signup.resetDate(now)))
                .param("source", signup.source())
                .param("metadata", json.writeValueAsString(signup.ledgerMetadata()))
                .update();
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

    /**
     * Charges usage that was already consumed: allowance first, then bonus, in full even when that
     * takes the balance below zero (contract §3). Empty only when the account does not exist.
     */
    Optional<Account> settle(String userId, Money amount, LedgerEntry entry) {
        return take(userId, amount, entry, "");
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

    private static Account row(ResultSet rs, int n) throws SQLException {
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
