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
     * whose rows do not form one chain (in id order, each balance_after = the previous one + amount), or
     * whose stored held amount differs from the sum of their open holds. (Rows also follow id order in
     * created_at since V11; older rows may not, so verify leaves time out.)
     */
    List<Inconsistency> inconsistencies() {
        return jdbc.sql("""
                        with chain as (
                            select user_id, id, amount_micros, balance_after_micros,
                                   lag(balance_after_micros, 1, 0::bigint) over (partition by user_id order by id)
                                       as previous_balance
                            from credit_transactions
                        ), ledger as (
                            select user_id, sum(amount_micros) as total,
                                   min(id) filter (where balance_after_micros <> previous_balance + amount_micros)
                                       as broken_at
                            from chain group by user_id
                        )
                        select a.user_id,
                               a.allowance_micros + a.bonus_micros as stored,
                               coalesce(l.total, 0)                as ledger_sum,
                               (select t.balance_after_micros from credit_transactions t
                                where t.user_id = a.user_id order by t.id desc limit 1) as last_balance_after,
                               l.broken_at,
                               a.held_micros                       as stored_held,
                               coalesce(h.total, 0)                as open_holds
                        from credit_accounts a
                        left join ledger l on l.user_id = a.user_id
                        left join (select user_id, sum(amount_micros) as total
                                   from credit_holds where status = 'held' group by user_id) h on h.user_id = a.user_id
                        where a.allowance_micros + a.bonus_micros <> coalesce(l.total, 0)
                           or a.allowance_micros + a.bonus_micros is distinct from
                              (select t.balance_after_micros from credit_transactions t
                               where t.user_id = a.user_id order by t.id desc limit 1)
                           or l.broken_at is not null
                           or a.held_micros <> coalesce(h.total, 0)
                        order by a.user_id
                        """)
                .query((rs, n) -> new Inconsistency(rs.getString("user_id"), Money.ofMicros(rs.getLong("stored")),
                        Money.ofMicros(rs.getLong("ledger_sum")), Money.ofMicros(rs.getLong("last_balance_after")),
                        rs.getObject("broken_at", Long.class),
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

    /**
     * One account whose figures disagree: the stored and the computed balance, the first row that breaks
     * the chain (null when none does), the stored and the computed held.
     */
    record Inconsistency(String userId, Money storedBalance, Money ledgerSum, Money lastBalanceAfter,
                         Long chainBrokenAt, Money storedHeld, Money openHolds) {
    }
}
