package dev.creditmeter.credits;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

/** Reads of the credit_transactions ledger. Writes happen only together with a balance change, in {@link Accounts}. */
@Repository
class LedgerEntries {

    private final JdbcClient jdbc;
    private final JsonMapper json;

    LedgerEntries(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    List<Transaction> page(String userId, String type, int limit, int offset) {
        return jdbc.sql("""
                        select id, user_id, amount_micros, balance_after_micros, transaction_type, service, model,
                               cost_breakdown::text as cost_breakdown, metadata::text as metadata, created_at
                        from credit_transactions
                        where user_id = :userId and (cast(:type as text) is null or transaction_type = :type)
                        order by id desc
                        limit :limit offset :offset
                        """)
                .param("userId", userId).param("type", type).param("limit", limit).param("offset", offset)
                .query((rs, n) -> new Transaction(rs.getLong("id"), rs.getString("user_id"),
                        Money.ofMicros(rs.getLong("amount_micros")), Money.ofMicros(rs.getLong("balance_after_micros")),
                        rs.getString("transaction_type"), rs.getString("service"), rs.getString("model"),
                        tree(rs.getString("cost_breakdown")), tree(rs.getString("metadata")),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant()))
                .list();
    }

    long count(String userId, String type) {
        return jdbc.sql("""
                        select count(*) from credit_transactions
                        where user_id = :userId and (cast(:type as text) is null or transaction_type = :type)
                        """)
                .param("userId", userId).param("type", type).query(Long.class).single();
    }

    /**
     * Accounts whose stored balance differs from the sum of their ledger or from their last balance_after,
     * or whose stored held amount differs from the sum of their open holds.
     */
    List<Inconsistency> inconsistencies() {
        return jdbc.sql("""
                        select a.user_id,
                               a.allowance_micros + a.bonus_micros as stored,
                               coalesce(l.total, 0)                as ledger_sum,
                               (select t.balance_after_micros from credit_transactions t
                                where t.user_id = a.user_id order by t.id desc limit 1) as last_balance_after,
                               a.held_micros                       as stored_held,
                               coalesce(h.total, 0)                as open_holds
                        from credit_accounts a
                        left join (select user_id, sum(amount_micros) as total
                                   from credit_transactions group by user_id) l on l.user_id = a.user_id
                        left join (select user_id, sum(amount_micros) as total
                                   from credit_holds where status = 'held' group by user_id) h on h.user_id = a.user_id
                        where a.allowance_micros + a.bonus_micros <> coalesce(l.total, 0)
                           or a.allowance_micros + a.bonus_micros is distinct from
                              (select t.balance_after_micros from credit_transactions t
                               where t.user_id = a.user_id order by t.id desc limit 1)
                           or a.held_micros <> coalesce(h.total, 0)
                        order by a.user_id
                        """)
                .query((rs, n) -> new Inconsistency(rs.getString("user_id"), Money.ofMicros(rs.getLong("stored")),
                        Money.ofMicros(rs.getLong("ledger_sum")), Money.ofMicros(rs.getLong("last_balance_after")),
                        Money.ofMicros(rs.getLong("stored_held")), Money.ofMicros(rs.getLong("open_holds"))))
                .list();
    }

    long accountCount() {
        return jdbc.sql("select count(*) from credit_accounts").query(Long.class).single();
    }

    private JsonNode tree(String text) {
        return text == null ? null : json.readTree(text);
    }

    /** A ledger row as the contract's CreditTransaction. */
    record Transaction(long id, String userId, Money amount, Money balanceAfter, String transactionType,
                       String service, String model, JsonNode costBreakdown, JsonNode metadata, Instant createdAt) {
    }

    /** One account whose figures disagree: the stored and the computed balance, the stored and the computed held. */
    record Inconsistency(String userId, Money storedBalance, Money ledgerSum, Money lastBalanceAfter,
                         Money storedHeld, Money openHolds) {
    }
}
