package dev.creditmeter.events;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.SqlArrayValue;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The webhook_deliveries table: what is to be delivered, claimed by nodes, and its log. */
@Repository
class WebhookDeliveries {

    private final JdbcClient jdbc;

    WebhookDeliveries(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * An attempt a node claimed: the event's body fields, where to send it and the secrets that sign it.
     *
     * @param attempt 1 for the first attempt
     */
    record Attempt(long deliveryId, int attempt, long endpointId, String url, List<String> secrets,
                   AccountEvent event) {
    }

    private static final String DELIVERY_SELECT = """
            select d.id, d.event_id, e.type, d.user_id, d.status, d.attempts, d.response_status, d.latency_ms, d.error,
                   d.next_attempt_at, d.last_attempt_at, d.replay, d.created_at
            from webhook_deliveries d
                     join account_events e on e.id = d.event_id
            """;

    private static final String ATTEMPT_SELECT = """
            select c.id as delivery_id, c.attempts, w.id as endpoint_id, w.url, w.secret,
                   case when w.previous_secret_expires_at > now() then w.previous_secret end as previous_secret,
                   %s
            from claimed c
                     join webhook_endpoints w on w.id = c.endpoint_id
                     join account_events e on e.id = c.event_id
            order by c.id
            """.formatted(AccountEvents.COLUMNS);

    /**
     * Claims up to {@code limit} due deliveries of enabled endpoints that no other node holds, each the
     * earliest pending one of its endpoint and account (so they go out in order), and leases them for
     * {@code lease}: no node claims them again before then, unless this one records an outcome first.
     * {@code FOR UPDATE SKIP LOCKED}: nodes claiming at once share the rows instead of waiting or doubling.
     */
    List<Attempt> claim(int limit, Duration lease) {
        return jdbc.sql("""
                        with due as (
                            select d.id
                            from webhook_deliveries d
                                     join webhook_endpoints w on w.id = d.endpoint_id
                            where d.status = 'pending' and d.next_attempt_at <= now() and w.enabled
                              and not exists (select 1 from webhook_deliveries p
                                              where p.endpoint_id = d.endpoint_id and p.status = 'pending'
                                                and p.id < d.id
                                                and (p.user_id = d.user_id or (p.user_id is null and d.user_id is null)))
                            order by d.next_attempt_at, d.id
                            limit :limit
                            for update of d skip locked
                        ), claimed as (
                            update webhook_deliveries d
                            set attempts = d.attempts + 1, last_attempt_at = now(),
                                next_attempt_at = now() + make_interval(secs => :leaseSeconds)
                            from due
                            where d.id = due.id
                            returning d.id, d.endpoint_id, d.event_id, d.attempts
                        )
                        """ + ATTEMPT_SELECT)
                .param("limit", limit).param("leaseSeconds", (double) lease.toMillis() / 1000)
                .query(WebhookDeliveries::attempt).list();
    }

    /** Claims one delivery now, whatever is due before it (a test send). */
    Optional<Attempt> claimOne(long deliveryId) {
        return jdbc.sql("""
                        with claimed as (
                            update webhook_deliveries d
                            set attempts = d.attempts + 1, last_attempt_at = now()
                            where d.id = :id and d.status = 'pending'
                            returning d.id, d.endpoint_id, d.event_id, d.attempts
                        )
                        """ + ATTEMPT_SELECT)
                .param("id", deliveryId).query(WebhookDeliveries::attempt).optional();
    }

    /**
     * Records an attempt's outcome.
     *
     * @param status delivered, failed, or pending again (then due after {@code retryIn})
     */
    void record(long deliveryId, String status, Duration retryIn, Integer responseStatus, int latencyMs, String error) {
        jdbc.sql("""
                        update webhook_deliveries
                        set status = :status, response_status = :responseStatus, latency_ms = :latency, error = :error,
                            next_attempt_at = case when :status = 'pending'
                                                   then now() + make_interval(secs => :retrySeconds)
                                                   else next_attempt_at end
                        where id = :id
                        """)
                .param("id", deliveryId).param("status", status).param("responseStatus", responseStatus)
                .param("latency", latencyMs).param("error", error)
                .param("retrySeconds", retryIn == null ? 0.0 : (double) retryIn.toMillis() / 1000)
                .update();
    }

    /**
     * A delivery of one event to one endpoint outside the event's own fan-out (a replay, a test send), due
     * after {@code dueIn}; empty when there is no such event.
     */
    Optional<Long> add(long endpointId, long eventId, Duration dueIn) {
        return jdbc.sql("""
                        insert into webhook_deliveries (endpoint_id, event_id, user_id, replay, next_attempt_at)
                        select :endpointId, id, user_id, true, now() + make_interval(secs => :dueSeconds)
                        from account_events where id = :eventId
                        returning id
                        """)
                .param("endpointId", endpointId).param("eventId", eventId)
                .param("dueSeconds", (double) dueIn.toMillis() / 1000).query(Long.class).optional();
    }

    /** Replays every event of the given types written in [since, until), at most {@code max}; how many. */
    int addRange(long endpointId, List<String> types, Instant since, Instant until, int max) {
        return jdbc.sql("""
                        insert into webhook_deliveries (endpoint_id, event_id, user_id, replay)
                        select :endpointId, id, user_id, true
                        from (select id, user_id from account_events
                              where created_at >= :since and created_at < :until and id is not null
                                and type = any (:types)
                              order by id
                              limit :max) e
                        order by id
                        """)
                .param("endpointId", endpointId).param("types", new SqlArrayValue("text", types.toArray()))
                .param("since", Timestamp.from(since)).param("until", Timestamp.from(until)).param("max", max)
                .update();
    }

    int countRange(List<String> types, Instant since, Instant until) {
        return jdbc.sql("""
                        select count(*) from account_events
                        where created_at >= :since and created_at < :until and id is not null and type = any (:types)
                        """)
                .param("types", new SqlArrayValue("text", types.toArray()))
                .param("since", Timestamp.from(since)).param("until", Timestamp.from(until))
                .query(Integer.class).single();
    }

    /** Gives up on the endpoint's pending deliveries (it was disabled after persistent failure). */
    int failPending(long endpointId, String error) {
        return jdbc.sql("""
                        update webhook_deliveries set status = 'failed', error = coalesce(error, :error)
                        where endpoint_id = :endpointId and status = 'pending'
                        """)
                .param("endpointId", endpointId).param("error", error).update();
    }

    /** The endpoint's deliveries, newest first. */
    List<WebhookDelivery> list(long endpointId, String status, int limit) {
        return jdbc.sql(DELIVERY_SELECT + """
                        where d.endpoint_id = :endpointId and (cast(:status as text) is null or d.status = :status)
                        order by d.id desc
                        limit :limit
                        """)
                .param("endpointId", endpointId).param("status", status).param("limit", limit)
                .query(WebhookDeliveries::delivery).list();
    }

    Optional<WebhookDelivery> find(long deliveryId) {
        return jdbc.sql(DELIVERY_SELECT + " where d.id = :id")
                .param("id", deliveryId).query(WebhookDeliveries::delivery).optional();
    }

    /** Seconds since the oldest event still waiting for a delivery was written; 0 when none waits. */
    double oldestPendingAgeSeconds() {
        return jdbc.sql("""
                        select coalesce(extract(epoch from now() - min(e.created_at)), 0)
                        from webhook_deliveries d
                                 join account_events e on e.id = d.event_id
                        where d.status = 'pending'
                        """)
                .query(Double.class).single();
    }

    private static Attempt attempt(ResultSet rs, int n) throws SQLException {
        String previous = rs.getString("previous_secret");
        List<String> secrets = previous == null ? List.of(rs.getString("secret"))
                : List.of(rs.getString("secret"), previous);
        return new Attempt(rs.getLong("delivery_id"), rs.getInt("attempts"), rs.getLong("endpoint_id"),
                rs.getString("url"), secrets, AccountEvents.row(rs, n));
    }

    private static WebhookDelivery delivery(ResultSet rs, int n) throws SQLException {
        OffsetDateTime last = rs.getObject("last_attempt_at", OffsetDateTime.class);
        return new WebhookDelivery(rs.getLong("id"), rs.getLong("event_id"), rs.getString("type"),
                rs.getString("user_id"), rs.getString("status"), rs.getInt("attempts"),
                rs.getObject("response_status", Integer.class), rs.getObject("latency_ms", Integer.class),
                rs.getString("error"), rs.getObject("next_attempt_at", OffsetDateTime.class).toInstant(),
                last == null ? null : last.toInstant(), rs.getBoolean("replay"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
