package dev.creditmeter.credits;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The credit_holds table, kept in step with credit_accounts.held_micros. Placing and resolving a hold
 * are each ONE statement that changes the hold and the account's held amount together, so held_micros
 * is always the sum of the open holds and a hold cannot resolve twice.
 */
@Repository
class Holds {

    private static final String COLUMNS = """
            id, user_id, amount_micros, status, expires_at, created_at, resolved_at, captured_micros,
            usage_event_id, metadata""";
    private static final String SELECT = """
            select id, user_id, amount_micros, status, expires_at, created_at, resolved_at, captured_micros,
                   usage_event_id, metadata::text as metadata""";

    private final JdbcClient jdbc;
    private final JsonMapper json;

    Holds(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /**
     * Reserves the amount only if the available balance (allowance + bonus - held) covers it. Empty when
     * it does not, or when the account does not exist.
     *
     * @param flushOnCommit false: once a hold is placed, the transaction commits without waiting for the WAL
     *                      flush (set here, in the same round trip, and only for this transaction)
     */
    Optional<Hold> place(String userId, Money amount, Instant now, Instant expiresAt, Map<String, Object> metadata,
                         boolean flushOnCommit) {
        return jdbc.sql("""
                        with reserved as (
                            update credit_accounts
                            set held_micros = held_micros + :amount, updated_at = now()
                            where user_id = :userId and allowance_micros + bonus_micros - held_micros >= :amount
                            returning user_id
                        ), placed as (
                            insert into credit_holds (user_id, amount_micros, status, expires_at, created_at, metadata)
                            select user_id, :amount, 'held', :expiresAt, :now, cast(:metadata as jsonb) from reserved
                            returning %s
                        )
                        %s, case when :deferFlush then set_config('synchronous_commit', 'off', true) end
                        from placed
                        """.formatted(COLUMNS, SELECT))
                .param("deferFlush", !flushOnCommit)
                .param("userId", userId)
                .param("amount", amount.micros())
                .param("now", Timestamp.from(now))
                .param("expiresAt", Timestamp.from(expiresAt))
                .param("metadata", json.writeValueAsString(metadata == null ? Map.of() : metadata))
                .query(this::row).optional();
    }

    /** The open holds of a user, oldest first, at most {@code limit}. */
    List<Hold> open(String userId, int limit) {
        return jdbc.sql(SELECT + " from credit_holds where user_id = :userId and status = 'held' order by id limit :limit")
                .param("userId", userId).param("limit", limit).query(this::row).list();
    }

    Optional<Hold> find(long id) {
        return jdbc.sql(SELECT + " from credit_holds where id = :id").param("id", id).query(this::row).optional();
    }

    /**
     * Moves an open hold to {@code to} and gives its amount back to the available balance, in one
     * statement. A hold already past its expiry resolves as {@code expired} whatever was asked: expiry
     * happened first. Empty when the hold is not open (resolved before, or by a concurrent request that
     * committed first: the status guard is re-checked after the row lock) or belongs to another owner.
     *
     * @param owner the user the hold must belong to, or null for any user
     */
    Optional<Hold> resolve(long id, String owner, Hold.Status to, Instant now) {
        return jdbc.sql("""
                        with resolved as (
                            update credit_holds
                            set status      = case when expires_at <= :now then 'expired' else :status end,
                                resolved_at = :now
                            where id = :id and status = 'held' and (cast(:owner as text) is null or user_id = :owner)
                            returning %s
                        ), released as (
                            update credit_accounts a
                            set held_micros = a.held_micros - r.amount_micros, updated_at = now()
                            from resolved r
                            where a.user_id = r.user_id
                        )
                        %s from resolved
                        """.formatted(COLUMNS, SELECT))
                .param("id", id)
                .param("owner", owner)
                .param("status", to.wireName())
                .param("now", Timestamp.from(now))
                .query(this::row).optional();
    }

    /** Notes what a capture charged and the usage event that charged it. */
    void recordCapture(long id, Money captured, long usageEventId) {
        jdbc.sql("""
                        update credit_holds set captured_micros = :captured, usage_event_id = :usageEventId
                        where id = :id and status = 'captured'
                        """)
                .param("id", id).param("captured", captured.micros()).param("usageEventId", usageEventId)
                .update();
    }

    /**
     * Locks up to {@code limit} open holds past their expiry that no other node has locked, ordered by
     * user so that resolving them locks accounts in one order on every node.
     */
    List<Long> claimExpired(Instant now, int limit) {
        return jdbc.sql("""
                        select id from credit_holds
                        where status = 'held' and expires_at <= :now
                        order by user_id, id
                        limit :limit
                        for update skip locked
                        """)
                .param("now", Timestamp.from(now)).param("limit", limit)
                .query(Long.class).list();
    }

    private Hold row(ResultSet rs, int n) throws SQLException {
        Long captured = rs.getObject("captured_micros", Long.class);
        OffsetDateTime resolvedAt = rs.getObject("resolved_at", OffsetDateTime.class);
        return new Hold(rs.getLong("id"), rs.getString("user_id"), Money.ofMicros(rs.getLong("amount_micros")),
                Hold.Status.fromWire(rs.getString("status")),
                rs.getObject("expires_at", OffsetDateTime.class).toInstant(),
                rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                resolvedAt == null ? null : resolvedAt.toInstant(),
                captured == null ? null : Money.ofMicros(captured),
                rs.getObject("usage_event_id", Long.class),
                json.readTree(rs.getString("metadata")));
    }
}
