package dev.creditmeter.usage;

import dev.creditmeter.credits.Money;
import dev.creditmeter.credits.SignupPolicy;
import dev.creditmeter.tiers.CallQuotas;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.SqlArrayValue;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The usage_events table and its hourly rollup; recording an event also charges it, in one statement. */
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

    /** The event as it is to be stored and charged; money in micro-credits; holdId set for a capture. */
    record NewEvent(String userId, String eventId, String service, String model, long tokensUsed, Long inputTokens,
                    Long outputTokens, long providerCostMicros, long markupMicros, long totalCostMicros,
                    int markupBasisPoints, long chargedMicros, boolean free, boolean byok, String pricing,
                    Map<String, Object> metadata, Instant createdAt, Long holdId) {
    }

    /**
     * What a charge needs besides the events: how to open a missing account, and where calls count.
     *
     * @param now the time of the charge: a new account's period starts then
     */
    record Terms(SignupPolicy signup, Instant now, CallQuotas.Windows windows) {
    }

    /** An event this charge recorded: its id and the balance right after its ledger row. */
    record Recorded(long id, long balanceAfterMicros) {
    }

    /**
     * Records and charges the events in ONE statement, the database function {@code charge_usage} (see
     * its migration for every step and invariant). The answer has one element per event, in order: empty
     * for an event whose user already has its event_id (of equal ids in one call, the first is recorded).
     * Outside a transaction the call is its own; a concurrent duplicate waits for the first to commit.
     */
    List<Optional<Recorded>> record(List<NewEvent> events, Terms terms) {
        int n = events.size();
        String[] users = new String[n], eventIds = new String[n], services = new String[n], models = new String[n],
                pricing = new String[n], metadata = new String[n];
        Long[] tokens = new Long[n], inputTokens = new Long[n], outputTokens = new Long[n], providerCosts = new Long[n],
                markups = new Long[n], totals = new Long[n], holdIds = new Long[n];
        Integer[] basisPoints = new Integer[n];
        Boolean[] free = new Boolean[n], byok = new Boolean[n];
        Timestamp[] createdAt = new Timestamp[n];
        for (int i = 0; i < n; i++) {
            NewEvent e = events.get(i);
            users[i] = e.userId();
            eventIds[i] = e.eventId();
            services[i] = e.service();
            models[i] = e.model();
            tokens[i] = e.tokensUsed();
            inputTokens[i] = e.inputTokens();
            outputTokens[i] = e.outputTokens();
            providerCosts[i] = e.providerCostMicros();
            markups[i] = e.markupMicros();
            totals[i] = e.totalCostMicros();
            basisPoints[i] = e.markupBasisPoints();
            free[i] = e.free();
            byok[i] = e.byok();
            pricing[i] = e.pricing();
            metadata[i] = e.metadata().isEmpty() ? "{}" : json.writeValueAsString(e.metadata());
            createdAt[i] = Timestamp.from(e.createdAt());
            holdIds[i] = e.holdId();
        }
        SignupPolicy signup = terms.signup();
        var rows = jdbc.sql("""
                        select ord, usage_event_id, balance_after from charge_usage(
                            :users, :eventIds, :services, :models, :tokens, :inputTokens, :outputTokens, :providerCosts,
                            :markups, :totals, :basisPoints, :free, :byok, :pricing, :metadata, :createdAt, :holdIds,
                            :signupTier, :signupAllowance, :signupSource, cast(:signupMetadata as jsonb), :now,
                            :signupReset, :dailyTiers, :dayStart, :quotaTiers, :quotaLimits, :warningShare)
                        """)
                .param("users", new SqlArrayValue("text", (Object[]) users))
                .param("eventIds", new SqlArrayValue("text", (Object[]) eventIds))
                .param("services", new SqlArrayValue("text", (Object[]) services))
                .param("models", new SqlArrayValue("text", (Object[]) models))
                .param("tokens", new SqlArrayValue("int8", (Object[]) tokens))
                .param("inputTokens", new SqlArrayValue("int8", (Object[]) inputTokens))
                .param("outputTokens", new SqlArrayValue("int8", (Object[]) outputTokens))
                .param("providerCosts", new SqlArrayValue("int8", (Object[]) providerCosts))
                .param("markups", new SqlArrayValue("int8", (Object[]) markups))
                .param("totals", new SqlArrayValue("int8", (Object[]) totals))
                .param("basisPoints", new SqlArrayValue("int4", (Object[]) basisPoints))
                .param("free", new SqlArrayValue("bool", (Object[]) free))
                .param("byok", new SqlArrayValue("bool", (Object[]) byok))
                .param("pricing", new SqlArrayValue("text", (Object[]) pricing))
                .param("metadata", new SqlArrayValue("text", (Object[]) metadata))
                .param("createdAt", new SqlArrayValue("timestamptz", (Object[]) createdAt))
                .param("holdIds", new SqlArrayValue("int8", (Object[]) holdIds))
                .param("signupTier", signup.tier())
                .param("signupAllowance", signup.allowance().micros())
                .param("signupSource", signup.source())
                .param("signupMetadata", json.writeValueAsString(signup.ledgerMetadata()))
                .param("now", Timestamp.from(terms.now()))
                .param("signupReset", Timestamp.from(signup.resetDate(terms.now())))
                .param("dailyTiers", new SqlArrayValue("text", terms.windows().dailyTiers().toArray()))
                .param("dayStart", Timestamp.from(terms.windows().dayStart()))
                .param("quotaTiers", new SqlArrayValue("text", terms.windows().limitedTiers().toArray()))
                .param("quotaLimits", new SqlArrayValue("int8", terms.windows().limits().toArray()))
                .param("warningShare", terms.windows().warningShare())
                .query((rs, row) -> Map.entry(rs.getInt("ord") - 1,
                        new Recorded(rs.getLong("usage_event_id"), rs.getLong("balance_after"))))
                .list();
        List<Optional<Recorded>> answer = new ArrayList<>(Collections.nCopies(n, Optional.empty()));
        rows.forEach(row -> answer.set(row.getKey(), Optional.of(row.getValue())));
        return answer;
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

    /** A user or a model among those charged most: its events and what they were charged. */
    record Top(String name, long events, Money charged) {
    }

    record PlatformTotals(Instant since, long events, Money charged, Money markupEarned, List<Top> topUsers,
                          List<Top> topModels) {
    }

    /** Every event since {@code since}: counts and sums, and the ten users and models charged most. */
    PlatformTotals totalsSince(Instant since) {
        record Sums(long events, long charged, long markup) {
        }
        Sums sums = jdbc.sql("""
                        select count(*), coalesce(sum(charged_micros), 0), coalesce(sum(platform_markup_micros), 0)
                        from usage_events where created_at >= :since
                        """)
                .param("since", Timestamp.from(since))
                .query((rs, n) -> new Sums(rs.getLong(1), rs.getLong(2), rs.getLong(3))).single();
        return new PlatformTotals(since, sums.events(), Money.ofMicros(sums.charged()), Money.ofMicros(sums.markup()),
                top("user_id", since), top("coalesce(model, '')", since));
    }

    private List<Top> top(String column, Instant since) {
        return jdbc.sql("""
                        select %s as name, count(*) as events, sum(charged_micros) as charged
                        from usage_events where created_at >= :since
                        group by 1 order by charged desc, events desc, name limit 10
                        """.formatted(column))
                .param("since", Timestamp.from(since))
                .query((rs, n) -> new Top(rs.getString("name"), rs.getLong("events"), Money.ofMicros(rs.getLong("charged"))))
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
