package dev.creditmeter.bench;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import javax.sql.DataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST /usage/track over HTTP with concurrent clients against a baseline of the same three statements
 * (usage INSERT, guarded UPDATE, ledger INSERT) issued straight through JDBC, measured in the same run;
 * then the usage summaries of a user with 1,000,000 events in the last 30 days. Run with:
 * {@code ./mvnw -B test -Dtest=UsageBenchmark -Dexcluded.groups=none}
 */
@Tag("benchmark")
class UsageBenchmark extends ApiTest {

    private static final int CLIENTS = 16;
    private static final Duration WARMUP = Duration.ofSeconds(5);
    private static final Duration MEASURE = Duration.ofSeconds(15);
    private static final int ROUNDS = 3;
    private static final int SUMMARY_CALLS = 300;
    private static final int BATCH = 100;
    private static final int BATCH_CLIENTS = 4;

    @Autowired
    DataSource dataSource;

    @Autowired
    JdbcClient jdbc;

    private final AtomicLong sequence = new AtomicLong();

    @Test
    void trackAndSummaries() throws Exception {
        String service = keyFor("bench-usage-service", "service");
        List<String> users = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            String user = "bench-usage-" + i + "-" + newUserId();
            allocate(user, "1000000");
            users.add(user);
        }
        HttpClient httpClient = HttpClient.newHttpClient();
        URI track = URI.create("http://127.0.0.1:" + port + "/api/v1/credits/usage/track");
        Bench.Operation overHttp = client -> {
            var response = httpClient.send(HttpRequest.newBuilder(track)
                    .header("Authorization", "Bearer " + service)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"user_id\":\"" + users.get(client)
                            + "\",\"service\":\"openrouter\",\"model\":\"openai/gpt-4o\",\"input_tokens\":120,"
                            + "\"output_tokens\":40,\"cost\":0.0007,\"event_id\":\"e" + sequence.incrementAndGet() + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(response.body());
            }
        };
        Bench.Operation overJdbc = client -> threeStatements(users.get(client));
        URI events = URI.create("http://127.0.0.1:" + port + "/api/v1/credits/usage/events");
        Bench.Operation batchOverHttp = client -> {
            var batch = new StringBuilder("{\"events\":[");
            for (int i = 0; i < BATCH; i++) {
                batch.append(i == 0 ? "" : ",").append("{\"user_id\":\"").append(users.get(client))
                        .append("\",\"service\":\"openrouter\",\"model\":\"openai/gpt-4o\",\"input_tokens\":120,")
                        .append("\"output_tokens\":40,\"cost\":0.0007,\"event_id\":\"b").append(sequence.incrementAndGet())
                        .append("\"}");
            }
            var response = httpClient.send(HttpRequest.newBuilder(events)
                    .header("Authorization", "Bearer " + service)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(batch.append("]}").toString()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200 || response.body().contains("\"rejected\"")) {
                throw new IllegalStateException(response.body());
            }
        };

        List<Bench.Result> httpRounds = new ArrayList<>();
        List<Bench.Result> jdbcRounds = new ArrayList<>();
        List<Bench.Result> batchRounds = new ArrayList<>();
        Bench.measure("warm-up http", CLIENTS, WARMUP, overHttp);
        Bench.measure("warm-up jdbc", CLIENTS, WARMUP, overJdbc);
        Bench.measure("warm-up batch", BATCH_CLIENTS, WARMUP, batchOverHttp);
        for (int round = 0; round < ROUNDS; round++) {
            jdbcRounds.add(Bench.measure("jdbc", CLIENTS, MEASURE, overJdbc));
            httpRounds.add(Bench.measure("http", CLIENTS, MEASURE, overHttp));
            batchRounds.add(Bench.measure("batch", BATCH_CLIENTS, MEASURE, batchOverHttp));
        }
        Bench.Result http = Bench.median("POST /usage/track over HTTP", httpRounds);
        Bench.Result jdbcResult = Bench.median("3 statements over JDBC (baseline)", jdbcRounds);
        Bench.Result batch = Bench.median("POST /usage/events (" + BATCH + " per request)", batchRounds);
        System.out.println();
        System.out.printf(Locale.ROOT, "BENCHMARK %d clients (%d for batches), %d rounds of %ds, medians%n",
                CLIENTS, BATCH_CLIENTS, ROUNDS, MEASURE.toSeconds());
        System.out.println(jdbcResult.line());
        System.out.println(http.line());
        System.out.println(batch.line() + String.format(Locale.ROOT, "   = %.0f events/s", batch.perSecond() * BATCH));
        System.out.printf(Locale.ROOT, "BENCHMARK track HTTP / JDBC throughput ratio: %.2f%n", http.perSecond() / jdbcResult.perSecond());
        System.out.printf(Locale.ROOT, "BENCHMARK batch events/s / JDBC ratio: %.2f%n", batch.perSecond() * BATCH / jdbcResult.perSecond());

        summariesOfAMillionEvents(httpClient);
        assertLedgerConsistent();
        assertThat(http.perSecond()).isPositive();
    }

    private void summariesOfAMillionEvents(HttpClient httpClient) throws Exception {
        String heavy = "bench-heavy-" + newUserId();
        String key = keyFor(heavy, "user");
        long t0 = System.nanoTime();
        // 1,000,000 events over the last 30 days across 3 services and 12 models, with their hourly rollups,
        // written in bulk: the summary read path is what is measured here, not ingestion.
        jdbc.sql("""
                insert into usage_events (user_id, event_id, service, model, tokens_used, provider_cost_micros,
                    platform_markup_micros, total_cost_micros, markup_basis_points, charged_micros, is_free_tier,
                    is_byok, pricing, created_at)
                select :user, 'bulk-' || g, (array['chat','search','tts'])[1 + g % 3], 'model-' || (g % 12),
                       100 + g % 900, 700, 35, 735, 500, 735, g % 10 = 0, false, 'event',
                       now() - (g * interval '2.592 seconds')
                from generate_series(1, 1000000) g
                """).param("user", heavy).update();
        jdbc.sql("""
                insert into usage_rollups (user_id, hour, service, model, event_count, tokens, total_cost_micros,
                                           free_events, free_tokens)
                select user_id, date_trunc('hour', created_at, 'UTC'), service, coalesce(model, ''), count(*),
                       sum(tokens_used), sum(total_cost_micros), count(*) filter (where is_free_tier),
                       coalesce(sum(tokens_used) filter (where is_free_tier), 0)
                from usage_events where user_id = :user group by 1, 2, 3, 4
                """).param("user", heavy).update();
        jdbc.sql("analyze usage_events").update();
        jdbc.sql("analyze usage_rollups").update();
        System.out.printf(Locale.ROOT, "BENCHMARK generated 1,000,000 events in %.1f s%n", (System.nanoTime() - t0) / 1e9);

        for (String path : List.of("/summary", "/by-model", "/by-service", "/daily?days=30")) {
            URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/credits/usage" + path);
            Bench.Operation call = client -> {
                var response = httpClient.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + key).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new IllegalStateException(response.body());
                }
            };
            for (int i = 0; i < 20; i++) {
                call.run(0);
            }
            long[] latencies = new long[SUMMARY_CALLS];
            for (int i = 0; i < SUMMARY_CALLS; i++) {
                long start = System.nanoTime();
                call.run(0);
                latencies[i] = System.nanoTime() - start;
            }
            java.util.Arrays.sort(latencies);
            System.out.printf(Locale.ROOT, "BENCHMARK GET /usage%-20s 1M events, 1 client: p50 %6.2f ms   p99 %6.2f ms%n",
                    path, latencies[SUMMARY_CALLS / 2] / 1e6, latencies[(int) (SUMMARY_CALLS * 0.99)] / 1e6);
        }
        var summary = api.get(key, "/api/v1/credits/usage/summary").json();
        System.out.printf(Locale.ROOT, "BENCHMARK summary counted %d events%n", summary.path("total_events").asLong());
    }

    private static final String USAGE_INSERT = """
            insert into usage_events (user_id, event_id, service, model, tokens_used, input_tokens, output_tokens,
                provider_cost_micros, platform_markup_micros, total_cost_micros, markup_basis_points, charged_micros,
                is_free_tier, is_byok, pricing, created_at)
            values (?, ?, 'openrouter', 'openai/gpt-4o', 160, 120, 40, 700, 35, 735, 500, 735, false, false, 'event', now())
            returning id""";
    private static final String GUARDED_UPDATE = """
            update credit_accounts
            set allowance_micros = allowance_micros - least(allowance_micros, 735),
                bonus_micros = bonus_micros - (735 - least(allowance_micros, 735)),
                free_tier_used_micros = free_tier_used_micros + 735, updated_at = now()
            where user_id = ? and allowance_micros + bonus_micros - held_micros >= 735
            returning allowance_micros + bonus_micros""";
    private static final String LEDGER_INSERT = """
            insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type,
                                             counterparty, service, model, usage_event_id)
            values (?, -735, ?, 'usage', 'openrouter', 'openrouter', 'openai/gpt-4o', ?)""";

    private void threeStatements(String user) throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement usage = connection.prepareStatement(USAGE_INSERT);
                 PreparedStatement update = connection.prepareStatement(GUARDED_UPDATE);
                 PreparedStatement ledger = connection.prepareStatement(LEDGER_INSERT)) {
                usage.setString(1, user);
                usage.setString(2, "j" + sequence.incrementAndGet());
                long eventId;
                try (var rs = usage.executeQuery()) {
                    rs.next();
                    eventId = rs.getLong(1);
                }
                update.setString(1, user);
                long balance;
                try (var rs = update.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("not charged");
                    }
                    balance = rs.getLong(1);
                }
                ledger.setString(1, user);
                ledger.setLong(2, balance);
                ledger.setLong(3, eventId);
                ledger.executeUpdate();
            }
            connection.commit();
        }
    }
}
