package dev.creditmeter.usage;

import dev.creditmeter.credits.Money;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The usage_events table and its hourly rollup, written together in one statement. */
@Repository
class UsageEvents {

    private static final String SELECT = """
            select e.id, e.user_id, e.event_id, e.service, e.model, e.tokens_used, e.input_tokens, e.output_tokens,
                   e.provider_cost_micros, e.platform_markup_micros, e.total_cost_micros, e.markup_basis_points,
                   e.charged_micros, e.is_free_tier, e.is_byok, e.pricing, e.metadata::text as metadata, e.created_at,
                   t.balance_after_micros
            from usage_events e
            left join credit_transactions t on t.usage_event_id = e.id
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;

    UsageEvents(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** The event as it is to be stored; money in micro-credits. */
    record NewEvent(String userId, String eventId, String service, String model, long tokensUsed, Long inputTokens,
                    Long outputTokens, long providerCostMicros, long markupMicros, long totalCostMicros,
                    int markupBasisPoints, long chargedMicros, boolean free, boolean byok, String pricing,
                    Map<String, Object> metadata, Instant createdAt) {
    }

    /**
     * Inserts the event and adds it to its hour's rollup, unless the user already has an event with
     * this event_id. Returns the new id, or empty for a duplicate. A concurrent duplicate waits for the
     * first insert to commit or roll back.
     */
    Optional<Long> insert(NewEvent e) {
        return jdbc.sql("""
                        with inserted as (
                            insert into usage_events (user_id, event_id, service, model, tokens_used, input_tokens,
                                output_tokens, provider_cost_micros, platform_markup_micros, total_cost_micros,
                                markup_basis_points, charged_micros, is_free_tier, is_byok, pricing, metadata, created_at)
                            values (:userId, :eventId, :service, :model, :tokens, :inputTokens, :outputTokens,
                                :providerCost, :markup, :totalCost, :basisPoints, :charged, :free, :byok, :pricing,
                                cast(:metadata as jsonb), :createdAt)
                            on conflict (user_id, event_id) do nothing
                            returning id, user_id, service, coalesce(model, '') as model, tokens_used,
                                      total_cost_micros, is_free_tier, created_at
                        ), rolled as (
                            insert into usage_rollups as r (user_id, hour, service, model, event_count, tokens,
                                                            total_cost_micros, free_events, free_tokens)
                            select user_id, date_trunc('hour', created_at, 'UTC'), service, model, 1, tokens_used,
                                   total_cost_micros, case when is_free_tier then 1 else 0 end,
                                   case when is_free_tier then tokens_used else 0 end
                            from inserted
                            on conflict (user_id, hour, service, model) do update
                            set event_count       = r.event_count + excluded.event_count,
                                tokens            = r.tokens + excluded.tokens,
                                total_cost_micros = r.total_cost_micros + excluded.total_cost_micros,
                                free_events       = r.free_events + excluded.free_events,
                                free_tokens       = r.free_tokens + excluded.free_tokens
                        )
                        select id from inserted
                        """)
                .param("userId", e.userId()).param("eventId", e.eventId()).param("service", e.service())
                .param("model", e.model()).param("tokens", e.tokensUsed()).param("inputTokens", e.inputTokens())
                .param("outputTokens", e.outputTokens()).param("providerCost", e.providerCostMicros())
                .param("markup", e.markupMicros()).param("totalCost", e.totalCostMicros())
                .param("basisPoints", e.markupBasisPoints()).param("charged", e.chargedMicros())
                .param("free", e.free()).param("byok", e.byok()).param("pricing", e.pricing())
                .param("metadata", json.writeValueAsString(e.metadata()))
                .param("createdAt", Timestamp.from(e.createdAt()))
                .query(Long.class).optional();
    }

    Optional<UsageEvent> find(String userId, String eventId) {
        return jdbc.sql(SELECT + " where e.user_id = :userId and e.event_id = :eventId")
                .param("userId", userId).param("eventId", eventId)
                .query(this::row).optional();
    }

    /** Models that were used but had no price, since a time, most events first. */
    record Unpriced(String service, String model, long eventCount, long tokens, Instant lastSeen) {
    }

    List<Unpriced> unpricedSince(Instant since) {
        return jdbc.sql("""
                        select service, model, count(*) as events, sum(tokens_used) as tokens, max(created_at) as last_seen
                        from usage_events
                        where pricing = 'unpriced' and created_at >= :since
                        group by service, model
                        order by events desc, service, model
                        limit 500
                        """)
                .param("since", Timestamp.from(since))
                .query((rs, n) -> new Unpriced(rs.getString("service"), rs.getString("model"), rs.getLong("events"),
                        rs.getLong("tokens"), rs.getObject("last_seen", OffsetDateTime.class).toInstant()))
                .list();
    }

    private UsageEvent row(ResultSet rs, int n) throws SQLException {
        Long balanceAfter = rs.getObject("balance_after_micros", Long.class);
        return new UsageEvent(rs.getLong("id"), rs.getString("user_id"), rs.getString("event_id"),
                rs.getString("service"), rs.getString("model"), rs.getLong("tokens_used"),
                rs.getObject("input_tokens", Long.class), rs.getObject("output_tokens", Long.class),
                Money.ofMicros(rs.getLong("provider_cost_micros")), Money.ofMicros(rs.getLong("platform_markup_micros")),
                Money.ofMicros(rs.getLong("total_cost_micros")), rate(rs.getInt("markup_basis_points")),
                rs.getBoolean("is_free_tier"), rs.getBoolean("is_byok"), rs.getString("pricing"),
                Money.ofMicros(rs.getLong("charged_micros")), balanceAfter == null ? null : Money.ofMicros(balanceAfter),
                json.readTree(rs.getString("metadata")),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }

    /** The answer for an event just recorded, without reading it back. */
    static UsageEvent view(long id, NewEvent e, Money balanceAfter, JsonMapper json) {
        return new UsageEvent(id, e.userId(), e.eventId(), e.service(), e.model(), e.tokensUsed(), e.inputTokens(),
                e.outputTokens(), Money.ofMicros(e.providerCostMicros()), Money.ofMicros(e.markupMicros()),
                Money.ofMicros(e.totalCostMicros()), rate(e.markupBasisPoints()), e.free(), e.byok(), e.pricing(),
                Money.ofMicros(e.chargedMicros()), balanceAfter, json.valueToTree(e.metadata()), e.createdAt());
    }

    static BigDecimal rate(int basisPoints) {
        return BigDecimal.valueOf(basisPoints, 4).stripTrailingZeros();
    }
}
